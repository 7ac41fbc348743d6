#pragma once
// The explicit, ordered set of response actions known to the controller.

#include <string>
#include <vector>

#include "controller/actions/action.h"

namespace riposte::controller {

class ActionRegistry {
 public:
  void Register(ActionPtr action);  // throws std::logic_error on a duplicate name
  ActionPtr Find(const std::string& name) const;  // null when unknown
  const std::vector<ActionPtr>& All() const { return actions_; }

 private:
  std::vector<ActionPtr> actions_;
};

// Every built-in action, registered in one place (registry.cc).
const ActionRegistry& BuiltinActions();

// RBAC rules the controller needs regardless of which actions are used.
std::vector<RbacRule> BaseRbac();

}  // namespace riposte::controller
