#include "controller/actions/workload_guard.h"

#include "common/json_value.h"

namespace riposte::controller {

std::vector<ParamSpec> WorkloadGuardParams() {
  return {
      {"allowStandalone", "boolean", "false",
       "also act on pods without a controlling owner (nothing would recreate them)"},
      {"allowDaemonSet", "boolean", "false", "also act on DaemonSet pods (they come back on the same node)"},
      {"allowStatefulSet", "boolean", "false", "also act on StatefulSet pods"},
      {"minHealthyReplicas", "integer", "1",
       "skip when the owning workload would be left with fewer ready replicas than this"},
  };
}

std::string ControllerKind(const web::json::value& pod) {
  const auto* refs = json::Find(pod, {"metadata", "ownerReferences"});
  if (refs == nullptr || !refs->is_array()) return "";
  for (const auto& r : refs->as_array()) {
    if (json::GetBool(r, {"controller"}).value_or(false)) return json::GetString(r, {"kind"}).value_or("");
  }
  return "";
}

namespace {

bool PodReady(const web::json::value& pod) {
  const auto* conds = json::Find(pod, {"status", "conditions"});
  if (conds == nullptr || !conds->is_array()) return false;
  for (const auto& c : conds->as_array())
    if (json::GetString(c, {"type"}) == "Ready") return json::GetString(c, {"status"}) == "True";
  return false;
}

}  // namespace

std::optional<std::string> WorkloadGuard(const ActionContext& ctx) {
  const auto& p = *ctx.params;
  std::string kind = ControllerKind(*ctx.pod);
  if (kind.empty() && !json::GetBool(p, {"allowStandalone"}).value_or(false))
    return "pod has no controlling owner and allowStandalone is false";
  if (kind == "DaemonSet" && !json::GetBool(p, {"allowDaemonSet"}).value_or(false))
    return "pod belongs to a DaemonSet and allowDaemonSet is false";
  if (kind == "StatefulSet" && !json::GetBool(p, {"allowStatefulSet"}).value_or(false))
    return "pod belongs to a StatefulSet and allowStatefulSet is false";
  int64_t min_healthy = json::GetInt(p, {"minHealthyReplicas"}).value_or(1);
  if (!kind.empty() && min_healthy > 0 && PodReady(*ctx.pod)) {
    if (ctx.owner == nullptr) return "owning " + kind + " not found; cannot check minHealthyReplicas";
    int64_t ready = kind == "DaemonSet" ? json::GetInt(*ctx.owner, {"status", "numberReady"}).value_or(0)
                                        : json::GetInt(*ctx.owner, {"status", "readyReplicas"}).value_or(0);
    if (ready - 1 < min_healthy)
      return "owning " + kind + " has " + std::to_string(ready) +
             " ready replicas; removing this pod would leave fewer than minHealthyReplicas=" +
             std::to_string(min_healthy);
  }
  return std::nullopt;
}

}  // namespace riposte::controller
