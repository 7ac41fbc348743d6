#include "controller/actions/isolate.h"

#include "controller/actions/pod_patch.h"
#include "controller/names.h"

namespace riposte::controller {
namespace {

struct IsolateParams final : ActionParams {
  bool allow_dns = false;
  std::vector<std::string> allow_namespaces;
  std::vector<std::string> allow_egress_cidrs;
};

}  // namespace

std::string IsolateAction::Description() const {
  return "Quarantine the pod with a NetworkPolicy that denies all ingress and egress, except "
         "optional DNS, namespaces (e.g. forensics) and egress CIDRs.";
}

std::vector<ParamSpec> IsolateAction::Parameters() const {
  return {
      {"allowDNS", "boolean", "false", "allow egress to kube-dns in kube-system on port 53"},
      {"allowNamespaces", "[]string", "", "namespaces allowed to talk to the pod and be reached by it"},
      {"allowEgressCIDRs", "[]string", "", "CIDRs the pod may still reach"},
  };
}

std::vector<RbacRule> IsolateAction::Rbac() const {
  return {{{""}, {"pods"}, {"patch"}},
          {{"networking.k8s.io"}, {"networkpolicies"}, {"get", "list", "watch", "create", "update", "delete"}}};
}

web::json::value IsolateAction::Example() const {
  return web::json::value::parse(R"({"type":"isolate","allowDNS":true,"allowNamespaces":["forensics"]})");
}

std::string IsolateAction::UndoNote() const {
  return "connections the pod made before isolation are not replayed";
}

ActionParamsPtr IsolateAction::DecodeParams(const json::Reader& item) const {
  auto p = std::make_shared<IsolateParams>();
  p->allow_dns = item["allowDNS"].BoolOr(false);
  p->allow_namespaces = item["allowNamespaces"].StringList();
  p->allow_egress_cidrs = item["allowEgressCIDRs"].StringList();
  for (size_t i = 0; i < p->allow_namespaces.size(); ++i)
    if (!IsDnsLabel(p->allow_namespaces[i]))
      item["allowNamespaces"][i].Error("\"" + p->allow_namespaces[i] + "\" is not a namespace name");
  for (size_t i = 0; i < p->allow_egress_cidrs.size(); ++i) {
    const auto& cidr = p->allow_egress_cidrs[i];
    auto slash = cidr.find('/');
    if (slash == std::string::npos || slash == 0 || slash + 1 == cidr.size() ||
        cidr.find_first_not_of("0123456789abcdefABCDEF.:/") != std::string::npos)
      item["allowEgressCIDRs"][i].Error("\"" + cidr + "\" is not a CIDR");
  }
  return p;
}

std::string IsolateAction::PolicyName(const std::string& response_action) {
  return DerivedName("riposte-quarantine", response_action);
}

std::string IsolateAction::LabelValue(const std::string& response_action) {
  return DerivedName("", response_action);
}

QuarantinePolicy IsolateAction::DesiredPolicy(const ActionContext& ctx) {
  const auto& params = ParamsOf<IsolateParams>(ctx);
  QuarantinePolicy p;
  p.ns = ctx.ns;
  p.name = PolicyName(ctx.response_action_name);
  p.response_action = ctx.response_action_name;
  p.response_action_uid = ctx.response_action_uid;
  p.labels = {{"app.kubernetes.io/managed-by", "riposte"},
              {"riposte.io/response-action", LabelValue(ctx.response_action_name)}};
  p.pod_selector = {{kLabel, LabelValue(ctx.response_action_name)}};
  p.allow_namespaces = params.allow_namespaces;
  p.allow_dns = params.allow_dns;
  p.allow_egress_cidrs = params.allow_egress_cidrs;
  return p;
}

Plan IsolateAction::Build(const ActionContext& ctx) const {
  Plan plan;
  if (ctx.pod == nullptr) {
    plan.skipped = true;
    plan.message = "pod not found";
    return plan;
  }
  QuarantinePolicy desired = DesiredPolicy(ctx);
  const std::string name = desired.name;
  // Policy first, then the label: the pod is never labelled without a policy behind it.
  if (ctx.network_policy == nullptr) {
    plan.requests.push_back(CreateNetworkPolicy{desired});
  } else if (const auto* spec = json::Find(*ctx.network_policy, {"spec"});
             spec == nullptr || *spec != EncodeNetworkPolicySpec(desired)) {
    plan.requests.push_back(ReplaceNetworkPolicy{
        desired, json::GetString(*ctx.network_policy, {"metadata", "resourceVersion"}).value_or("")});
  }
  if (auto req = MetadataMapPatch(ctx, "labels", {{kLabel, LabelValue(ctx.response_action_name)}}, {}, &plan.undo))
    plan.requests.push_back(std::move(*req));
  plan.undo["networkPolicy"] = web::json::value::string(name);
  plan.message = plan.requests.empty() ? "pod already isolated by " + name : "isolating pod with NetworkPolicy " + name;
  return plan;
}

Plan IsolateAction::Undo(const ActionContext& ctx, const web::json::value& undo) const {
  Plan plan;
  std::string name = json::GetString(undo, {"networkPolicy"}).value_or(PolicyName(ctx.response_action_name));
  if (ctx.network_policy != nullptr) plan.requests.push_back(DeleteNetworkPolicy{ctx.ns, name});
  if (auto req = MetadataMapRestore(ctx, undo)) plan.requests.push_back(std::move(*req));
  plan.message = plan.requests.empty() ? "isolation already removed" : "removing isolation " + name;
  return plan;
}

}  // namespace riposte::controller
