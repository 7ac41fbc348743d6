#include "controller/actions/terminate.h"

#include "controller/actions/workload_guard.h"

namespace riposte::controller {
namespace {

struct TerminateParams final : ActionParams {
  int64_t grace_period_seconds = 0;
  WorkloadGuardParams guard;
};

}  // namespace

std::string TerminateAction::Description() const {
  return "Delete the pod so its workload replaces it with a fresh copy. Skips standalone, "
         "DaemonSet and StatefulSet pods unless allowed, and keeps minHealthyReplicas ready.";
}

std::vector<ParamSpec> TerminateAction::Parameters() const {
  std::vector<ParamSpec> p{{"gracePeriodSeconds", "integer", "0", "grace period for the pod's containers"}};
  for (auto& g : WorkloadGuardParamSpecs()) p.push_back(std::move(g));
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

ActionParamsPtr TerminateAction::DecodeParams(const json::Reader& item) const {
  auto p = std::make_shared<TerminateParams>();
  p->grace_period_seconds = item["gracePeriodSeconds"].IntOr(0);
  p->guard = DecodeWorkloadGuard(item);
  return p;
}

Plan TerminateAction::Build(const ActionContext& ctx) const {
  const auto& params = ParamsOf<TerminateParams>(ctx);
  Plan plan;
  if (ctx.pod == nullptr) {
    plan.message = "pod already gone";
    return plan;
  }
  if (json::Find(*ctx.pod, {"metadata", "deletionTimestamp"}) != nullptr) {
    plan.message = "pod already terminating";
    return plan;
  }
  if (auto reason = WorkloadGuard(ctx, params.guard)) {
    plan.skipped = true;
    plan.message = *reason;
    return plan;
  }
  // uid precondition: gone already (404) or replaced by a pod with another uid (409) is done.
  plan.requests.push_back(DeletePod{ctx.ns, ctx.pod_name,
                                    json::GetString(*ctx.pod, {"metadata", "uid"}).value_or(""),
                                    params.grace_period_seconds});
  plan.message = "deleting pod";
  return plan;
}

}  // namespace riposte::controller
