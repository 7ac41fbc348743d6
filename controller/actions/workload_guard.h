#pragma once
// Guards shared by the destructive pod actions (terminate, evict): which kinds of pods may
// be removed and how many healthy replicas the owning workload must keep.

#include <optional>
#include <string>
#include <vector>

#include "controller/actions/action.h"

namespace riposte::controller {

struct WorkloadGuardParams {
  bool allow_standalone = false;
  bool allow_daemonset = false;
  bool allow_statefulset = false;
  int64_t min_healthy_replicas = 1;
};

// Parameters terminate and evict both accept.
std::vector<ParamSpec> WorkloadGuardParamSpecs();
WorkloadGuardParams DecodeWorkloadGuard(const json::Reader& item);
// Reason to skip, or nullopt when removing the pod is allowed.
std::optional<std::string> WorkloadGuard(const ActionContext& ctx, const WorkloadGuardParams& p);
// The pod's controlling owner reference kind ("ReplicaSet", ...), or empty for standalone.
std::string ControllerKind(const web::json::value& pod);

}  // namespace riposte::controller
