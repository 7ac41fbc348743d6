#pragma once
// Carries out an action's typed requests through the Kubernetes client.

#include <optional>

#include "controller/actions/request.h"
#include "kube/kube_client.h"

namespace riposte::controller {

// nullopt on success, including the answers that mean "already in the wanted state": a
// target that is gone (NotFound) for deletes, evictions and patches, AlreadyExists for the
// deterministically named creates, and a failed uid precondition on delete (the pod was
// replaced). Otherwise the API error.
std::optional<kube::ApiError> Execute(kube::KubeClient& client, const Request& request);

}  // namespace riposte::controller
