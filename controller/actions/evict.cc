#include "controller/actions/evict.h"

#include "controller/actions/pod_patch.h"
#include "controller/actions/workload_guard.h"
#include "common/json_value.h"

namespace riposte::controller {

std::string EvictAction::Description() const {
  return "Evict the pod through the Eviction API, respecting PodDisruptionBudgets; same "
         "workload guards as terminate.";
}

std::vector<ParamSpec> EvictAction::Parameters() const {
  std::vector<ParamSpec> p{{"gracePeriodSeconds", "integer", "", "grace period; pod's own when unset"}};
  for (auto& g : WorkloadGuardParams()) p.push_back(std::move(g));
  return p;
}

std::vector<RbacRule> EvictAction::Rbac() const { return {{{""}, {"pods/eviction"}, {"create"}}}; }

web::json::value EvictAction::Example() const {
  return web::json::value::parse(R"({"type":"evict","gracePeriodSeconds":30})");
}

std::string EvictAction::UndoNote() const {
  return "an evicted pod cannot be restored; its controller creates a replacement";
}

Plan EvictAction::Build(const ActionContext& ctx) const {
  Plan plan;
  if (ctx.pod == nullptr || json::Find(*ctx.pod, {"metadata", "deletionTimestamp"}) != nullptr) {
    plan.message = ctx.pod == nullptr ? "pod already gone" : "pod already terminating";
    return plan;
  }
  if (auto reason = WorkloadGuard(ctx)) {
    plan.skipped = true;
    plan.message = *reason;
    return plan;
  }
  ApiRequest r;
  r.method = "POST";
  r.path = PodPath(ctx.ns, ctx.pod_name) + "/eviction";
  r.ns = ctx.ns;
  r.name = ctx.pod_name;
  r.subresource = "eviction";
  r.body = web::json::value::object();
  r.body["apiVersion"] = web::json::value::string("policy/v1");
  r.body["kind"] = web::json::value::string("Eviction");
  r.body["metadata"] = web::json::value::object();
  r.body["metadata"]["name"] = web::json::value::string(ctx.pod_name);
  r.body["metadata"]["namespace"] = web::json::value::string(ctx.ns);
  auto opts = web::json::value::object();
  if (auto g = json::GetInt(*ctx.params, {"gracePeriodSeconds"})) opts["gracePeriodSeconds"] = *g;
  opts["preconditions"] = UidPrecondition(*ctx.pod);
  r.body["deleteOptions"] = opts;
  r.ok_statuses = {404};
  plan.requests.push_back(std::move(r));
  plan.message = "evicting pod";
  return plan;
}

}  // namespace riposte::controller
