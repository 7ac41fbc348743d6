#pragma once
// The ResponseAction the controller records for a matched alert.

#include <cpprest/json.h>

#include <chrono>
#include <string>

#include "controller/alert.h"
#include "controller/policy.h"
#include "controller/types.h"

namespace riposte::controller {

struct ResponseRequest {
  std::string name;
  const Policy* policy = nullptr;
  const Alert* alert = nullptr;
  bool global_dry_run = false;
  std::chrono::system_clock::time_point received;
};

// The typed riposte.io/v1alpha1 ResponseAction (with the undo finalizer) for `req`.
ResponseAction NewResponseAction(const ResponseRequest& req);
// NewResponseAction, encoded for the API.
web::json::value BuildResponseAction(const ResponseRequest& req);

}  // namespace riposte::controller
