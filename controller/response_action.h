#pragma once
// The ResponseAction object the controller records for a matched alert, and the label /
// annotation names that tie it to its policy, target and alert.

#include <cpprest/json.h>

#include <chrono>
#include <string>

#include "controller/alert.h"
#include "controller/policy.h"

namespace riposte::controller {

inline constexpr const char* kLabelPolicy = "riposte.io/policy";
inline constexpr const char* kLabelTargetPod = "riposte.io/target-pod";
inline constexpr const char* kAnnotationAlertUuid = "riposte.io/alert-id";
inline constexpr const char* kAnnotationReceivedAt = "riposte.io/received-at";
inline constexpr const char* kAnnotationCooldown = "riposte.io/cooldown-seconds";
inline constexpr const char* kFinalizer = "riposte.io/undo";

struct ResponseRequest {
  std::string name;
  const Policy* policy = nullptr;
  const Alert* alert = nullptr;
  bool global_dry_run = false;
  std::chrono::system_clock::time_point received;
};

// Builds the riposte.io/v1alpha1 ResponseAction (with the undo finalizer) for `req`.
web::json::value BuildResponseAction(const ResponseRequest& req);

}  // namespace riposte::controller
