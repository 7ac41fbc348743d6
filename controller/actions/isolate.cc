#include "controller/actions/isolate.h"

#include "controller/actions/pod_patch.h"
#include "common/json_value.h"
#include "controller/names.h"

namespace riposte::controller {

using web::json::value;

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
  return value::parse(R"({"type":"isolate","allowDNS":true,"allowNamespaces":["forensics"]})");
}

std::string IsolateAction::UndoNote() const {
  return "connections the pod made before isolation are not replayed";
}

std::optional<std::string> IsolateAction::ValidateExtra(const value& p) const {
  for (const auto& ns : json::GetStringList(p, {"allowNamespaces"}))
    if (!IsDnsLabel(ns)) return "allowNamespaces: \"" + ns + "\" is not a namespace name";
  for (const auto& cidr : json::GetStringList(p, {"allowEgressCIDRs"})) {
    auto slash = cidr.find('/');
    if (slash == std::string::npos || slash == 0 || slash + 1 == cidr.size() ||
        cidr.find_first_not_of("0123456789abcdefABCDEF.:/") != std::string::npos)
      return "allowEgressCIDRs: \"" + cidr + "\" is not a CIDR";
  }
  return std::nullopt;
}

std::string IsolateAction::PolicyName(const std::string& response_action) {
  return DerivedName("riposte-quarantine", response_action);
}

std::string IsolateAction::LabelValue(const std::string& response_action) {
  return DerivedName("", response_action);
}

std::string IsolateAction::PolicyPath(const std::string& ns, const std::string& name) {
  return "/apis/networking.k8s.io/v1/namespaces/" + ns + "/networkpolicies" +
         (name.empty() ? "" : "/" + name);
}

namespace {

value NamespacesPeer(const std::vector<std::string>& namespaces) {
  auto expr = value::object();
  expr["key"] = value::string("kubernetes.io/metadata.name");
  expr["operator"] = value::string("In");
  expr["values"] = json::FromList(namespaces);
  auto peer = value::object();
  peer["namespaceSelector"] = value::object();
  peer["namespaceSelector"]["matchExpressions"] = value::array({expr});
  return peer;
}

}  // namespace

value IsolateAction::DesiredPolicy(const ActionContext& ctx) {
  const auto& p = *ctx.params;
  auto np = value::object();
  np["apiVersion"] = value::string("networking.k8s.io/v1");
  np["kind"] = value::string("NetworkPolicy");
  auto& md = np["metadata"] = value::object();
  md["name"] = value::string(PolicyName(ctx.response_action_name));
  md["namespace"] = value::string(ctx.ns);
  md["labels"] = json::FromMap({{"app.kubernetes.io/managed-by", "riposte"},
                                {"riposte.io/response-action", LabelValue(ctx.response_action_name)}});
  if (!ctx.response_action_uid.empty()) {
    auto owner = value::object();
    owner["apiVersion"] = value::string("riposte.io/v1alpha1");
    owner["kind"] = value::string("ResponseAction");
    owner["name"] = value::string(ctx.response_action_name);
    owner["uid"] = value::string(ctx.response_action_uid);
    md["ownerReferences"] = value::array({owner});
  }
  auto& spec = np["spec"] = value::object();
  spec["podSelector"] = value::object();
  spec["podSelector"]["matchLabels"] = json::FromMap({{kLabel, LabelValue(ctx.response_action_name)}});
  spec["policyTypes"] = json::FromList({"Ingress", "Egress"});
  auto ingress = value::array();
  auto egress = value::array();
  auto namespaces = json::GetStringList(p, {"allowNamespaces"});
  if (!namespaces.empty()) {
    auto in_rule = value::object();
    in_rule["from"] = value::array({NamespacesPeer(namespaces)});
    ingress[0] = in_rule;
    auto out_rule = value::object();
    out_rule["to"] = value::array({NamespacesPeer(namespaces)});
    egress[egress.size()] = out_rule;
  }
  if (json::GetBool(p, {"allowDNS"}).value_or(false)) {
    auto peer = NamespacesPeer({"kube-system"});
    peer["podSelector"] = value::object();
    peer["podSelector"]["matchLabels"] = json::FromMap({{"k8s-app", "kube-dns"}});
    auto rule = value::object();
    rule["to"] = value::array({peer});
    auto udp = value::object();
    udp["protocol"] = value::string("UDP");
    udp["port"] = 53;
    auto tcp = value::object();
    tcp["protocol"] = value::string("TCP");
    tcp["port"] = 53;
    rule["ports"] = value::array({udp, tcp});
    egress[egress.size()] = rule;
  }
  auto cidrs = json::GetStringList(p, {"allowEgressCIDRs"});
  if (!cidrs.empty()) {
    auto to = value::array();
    for (const auto& c : cidrs) {
      auto peer = value::object();
      peer["ipBlock"] = value::object();
      peer["ipBlock"]["cidr"] = value::string(c);
      to[to.size()] = peer;
    }
    auto rule = value::object();
    rule["to"] = to;
    egress[egress.size()] = rule;
  }
  spec["ingress"] = ingress;
  spec["egress"] = egress;
  return np;
}

Plan IsolateAction::Build(const ActionContext& ctx) const {
  Plan plan;
  if (ctx.pod == nullptr) {
    plan.skipped = true;
    plan.message = "pod not found";
    return plan;
  }
  auto desired = DesiredPolicy(ctx);
  std::string name = PolicyName(ctx.response_action_name);
  // Policy first, then the label: the pod is never labelled without a policy behind it.
  if (ctx.network_policy == nullptr) {
    ApiRequest r;
    r.method = "POST";
    r.path = PolicyPath(ctx.ns, "");
    r.kind = Kind::kNetworkPolicy;
    r.ns = ctx.ns;
    r.body = desired;
    r.ok_statuses = {409};
    plan.requests.push_back(std::move(r));
  } else if (json::Find(*ctx.network_policy, {"spec"}) == nullptr ||
             *json::Find(*ctx.network_policy, {"spec"}) != desired["spec"]) {
    ApiRequest r;
    r.method = "PUT";
    r.path = PolicyPath(ctx.ns, name);
    r.kind = Kind::kNetworkPolicy;
    r.ns = ctx.ns;
    r.name = name;
    r.body = desired;
    if (auto rv = json::GetString(*ctx.network_policy, {"metadata", "resourceVersion"}))
      r.body["metadata"]["resourceVersion"] = value::string(*rv);
    plan.requests.push_back(std::move(r));
  }
  if (auto req = MetadataMapPatch(ctx.ns, ctx.pod_name, *ctx.pod, "labels",
                                  {{kLabel, LabelValue(ctx.response_action_name)}}, {}, &plan.undo))
    plan.requests.push_back(std::move(*req));
  plan.undo["networkPolicy"] = value::string(name);
  plan.message = plan.requests.empty() ? "pod already isolated by " + name
                                       : "isolating pod with NetworkPolicy " + name;
  return plan;
}

Plan IsolateAction::Undo(const ActionContext& ctx, const value& undo) const {
  Plan plan;
  std::string name = json::GetString(undo, {"networkPolicy"}).value_or(PolicyName(ctx.response_action_name));
  if (ctx.network_policy != nullptr) {
    ApiRequest r;
    r.method = "DELETE";
    r.path = PolicyPath(ctx.ns, name);
    r.kind = Kind::kNetworkPolicy;
    r.ns = ctx.ns;
    r.name = name;
    r.ok_statuses = {404};
    plan.requests.push_back(std::move(r));
  }
  if (ctx.pod != nullptr) {
    if (auto req = MetadataMapRestore(ctx.ns, ctx.pod_name, *ctx.pod, undo))
      plan.requests.push_back(std::move(*req));
  }
  plan.message = plan.requests.empty() ? "isolation already removed" : "removing isolation " + name;
  return plan;
}

}  // namespace riposte::controller
