#include "controller/actions/evict.h"

#include "controller/actions/workload_guard.h"

namespace riposte::controller {
namespace {

struct EvictParams final : ActionParams {
  std::optional<int64_t> grace_period_seconds;
  WorkloadGuardParams guard;
};

}  // namespace

std::string EvictAction::Description() const {
  return "Evict the pod through the Eviction API, respecting PodDisruptionBudgets; same "
         "workload guards as terminate.";
}

std::vector<ParamSpec> EvictAction::Parameters() const {
  std::vector<ParamSpec> p{{"gracePeriodSeconds", "integer", "", "grace period; pod's own when unset"}};
  for (auto& g : WorkloadGuardParamSpecs()) p.push_back(std::move(g));
  return p;
}

std::vector<RbacRule> EvictAction::Rbac() const { return {{{""}, {"pods/eviction"}, {"create"}}}; }

web::json::value EvictAction::Example() const {
  return web::json::value::parse(R"({"type":"evict","gracePeriodSeconds":30})");
}

std::string EvictAction::UndoNote() const {
  return "an evicted pod cannot be restored; its controller creates a replacement";
}

ActionParamsPtr EvictAction::DecodeParams(const json::Reader& item) const {
  auto p = std::make_shared<EvictParams>();
  p->grace_period_seconds = item["gracePeriodSeconds"].Int();
  p->guard = DecodeWorkloadGuard(item);
  return p;
}

Plan EvictAction::Build(const ActionContext& ctx) const {
  const auto& params = ParamsOf<EvictParams>(ctx);
  Plan plan;
  if (ctx.pod == nullptr || json::Find(*ctx.pod, {"metadata", "deletionTimestamp"}) != nullptr) {
    plan.message = ctx.pod == nullptr ? "pod already gone" : "pod already terminating";
    return plan;
  }
  if (auto reason = WorkloadGuard(ctx, params.guard)) {
    plan.skipped = true;
    plan.message = *reason;
    return plan;
  }
  plan.requests.push_back(EvictPod{ctx.ns, ctx.pod_name, json::GetString(*ctx.pod, {"metadata", "uid"}).value_or(""),
                                   params.grace_period_seconds});
  plan.message = "evicting pod";
  return plan;
}

}  // namespace riposte::controller
