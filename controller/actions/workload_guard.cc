#include "controller/actions/workload_guard.h"

namespace riposte::controller {

std::vector<ParamSpec> WorkloadGuardParamSpecs() {
  return {
      {"allowStandalone", "boolean", "false",
       "also act on pods without a controlling owner (nothing would recreate them)"},
      {"allowDaemonSet", "boolean", "false", "also act on DaemonSet pods (they come back on the same node)"},
      {"allowStatefulSet", "boolean", "false", "also act on StatefulSet pods"},
      {"minHealthyReplicas", "integer", "1",
       "skip when the owning workload would be left with fewer ready replicas than this"},
  };
}

WorkloadGuardParams DecodeWorkloadGuard(const json::Reader& item) {
  WorkloadGuardParams p;
  p.allow_standalone = item["allowStandalone"].BoolOr(false);
  p.allow_daemonset = item["allowDaemonSet"].BoolOr(false);
  p.allow_statefulset = item["allowStatefulSet"].BoolOr(false);
  p.min_healthy_replicas = item["minHealthyReplicas"].IntOr(1);
  return p;
}

std::string ControllerKind(const web::json::value& pod) {
  std::string kind;
  json::Reader(pod).At({"metadata", "ownerReferences"}).Items([&](const json::Reader& r) {
    if (kind.empty() && r["controller"].BoolOr(false)) kind = r["kind"].StringOr("");
  });
  return kind;
}

namespace {

bool PodReady(const web::json::value& pod) {
  bool ready = false, seen = false;
  json::Reader(pod).At({"status", "conditions"}).Items([&](const json::Reader& c) {
    if (seen || c["type"].StringOr("") != "Ready") return;
    seen = true;
    ready = c["status"].StringOr("") == "True";
  });
  return ready;
}

}  // namespace

std::optional<std::string> WorkloadGuard(const ActionContext& ctx, const WorkloadGuardParams& p) {
  std::string kind = ControllerKind(*ctx.pod);
  if (kind.empty() && !p.allow_standalone) return "pod has no controlling owner and allowStandalone is false";
  if (kind == "DaemonSet" && !p.allow_daemonset) return "pod belongs to a DaemonSet and allowDaemonSet is false";
  if (kind == "StatefulSet" && !p.allow_statefulset) return "pod belongs to a StatefulSet and allowStatefulSet is false";
  if (!kind.empty() && p.min_healthy_replicas > 0 && PodReady(*ctx.pod)) {
    if (ctx.owner == nullptr) return "owning " + kind + " not found; cannot check minHealthyReplicas";
    json::Reader status = json::Reader(*ctx.owner)["status"];
    int64_t ready = kind == "DaemonSet" ? status["numberReady"].IntOr(0) : status["readyReplicas"].IntOr(0);
    if (ready - 1 < p.min_healthy_replicas)
      return "owning " + kind + " has " + std::to_string(ready) +
             " ready replicas; removing this pod would leave fewer than minHealthyReplicas=" +
             std::to_string(p.min_healthy_replicas);
  }
  return std::nullopt;
}

}  // namespace riposte::controller
