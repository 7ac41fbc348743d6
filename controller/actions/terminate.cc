#include "controller/actions/terminate.h"

#include "controller/actions/pod_patch.h"
#include "controller/actions/workload_guard.h"
#include "common/json_value.h"

namespace riposte::controller {

std::string TerminateAction::Description() const {
  return "Delete the pod so its workload replaces it with a fresh copy. Skips standalone, "
         "DaemonSet and StatefulSet pods unless allowed, and keeps minHealthyReplicas ready.";
}

std::vector<ParamSpec> TerminateAction::Parameters() const {
  std::vector<ParamSpec> p{{"gracePeriodSeconds", "integer", "0", "grace period for the pod's containers"}};
  for (auto& g : WorkloadGuardParams()) p.push_back(std::move(g));
  return p;
}

std::vector<RbacRule> TerminateAction::Rbac() const {
  return {{{""}, {"pods"}, {"delete"}}};
}

web::json::value TerminateAction::Example() const {
  return web::json::value::parse(R"({"type":"terminate","gracePeriodSeconds":0})");
}

std::string TerminateAction::UndoNote() const {
  return "a deleted pod cannot be restored; its controller creates a replacement";
}

Plan TerminateAction::Build(const ActionContext& ctx) const {
  Plan plan;
  if (ctx.pod == nullptr) {
    plan.message = "pod already gone";
    return plan;
  }
  if (json::Find(*ctx.pod, {"metadata", "deletionTimestamp"}) != nullptr) {
    plan.message = "pod already terminating";
    return plan;
  }
  if (auto reason = WorkloadGuard(ctx)) {
    plan.skipped = true;
    plan.message = *reason;
    return plan;
  }
  ApiRequest r;
  r.method = "DELETE";
  r.path = PodPath(ctx.ns, ctx.pod_name);
  r.ns = ctx.ns;
  r.name = ctx.pod_name;
  r.body = web::json::value::object();
  r.body["apiVersion"] = web::json::value::string("v1");
  r.body["kind"] = web::json::value::string("DeleteOptions");
  r.body["gracePeriodSeconds"] = json::GetInt(*ctx.params, {"gracePeriodSeconds"}).value_or(0);
  r.body["preconditions"] = UidPrecondition(*ctx.pod);
  r.ok_statuses = {404, 409};  // gone already, or a replacement with another uid
  plan.requests.push_back(std::move(r));
  plan.message = "deleting pod";
  return plan;
}

}  // namespace riposte::controller
