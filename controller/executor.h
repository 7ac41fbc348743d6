#pragma once
// Carries out an action's planned requests through the typed Kubernetes client.

#include <optional>

#include "controller/actions/action.h"
#include "kube/kube_client.h"

namespace riposte::controller {

// nullopt on success, including the statuses the request declares as "already done"
// (404 on delete, 409 on create); otherwise the API error.
std::optional<kube::ApiError> Execute(kube::KubeClient& client, const ApiRequest& request);

}  // namespace riposte::controller
