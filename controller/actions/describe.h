#pragma once
// Renders the action declarations for `riposte actions`: JSON for tools, the RBAC rules the
// Helm chart is generated from, and the Markdown of docs/actions.md. Output is deterministic
// (registration order, fixed key order) so generated files can be compared in tests.

#include <string>

#include "controller/actions/registry.h"

namespace riposte::controller {

std::string ActionsJson(const ActionRegistry& registry);
std::string ActionsRbacYaml(const ActionRegistry& registry);
std::string ActionsMarkdown(const ActionRegistry& registry);

}  // namespace riposte::controller
