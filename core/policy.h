#pragma once
// The webhook/scan policy file (YAML). See docs/policy.md for the format.

#include <cstddef>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/finding.h"

namespace riposte::core {

enum class Mode { kEnforce, kWarn, kAudit };

struct RuleOverride {
  bool enabled = true;
  std::optional<Severity> severity;
};

struct Policy {
  Mode mode = Mode::kEnforce;
  std::string annotation_prefix = "nginx.ingress.kubernetes.io";
  bool snippets_allowed = false;               // everywhere
  std::vector<std::string> snippet_namespaces;  // allowed only in these namespaces
  std::vector<std::string> exempt_namespaces;   // never judged
  size_t max_value_bytes = 32 * 1024;          // per annotation value / path
  std::map<std::string, RuleOverride> rules;    // keyed by rule id

  bool SnippetsAllowedIn(const std::string& ns) const;
  bool IsExempt(const std::string& ns) const;
};

using PolicyPtr = std::shared_ptr<const Policy>;

// An error in a policy file, with the position of the offending node (1-based).
struct PolicyError {
  std::string file;
  int line = 0;
  int column = 0;
  std::string message;
  std::string ToString() const;  // "file:line:column: message"
};

// read -> validate -> compile. On failure returns nullptr and fills *error.
PolicyPtr LoadPolicyFile(const std::string& path, PolicyError* error);
PolicyPtr ParsePolicy(const std::string& text, const std::string& file_name, PolicyError* error);
PolicyPtr DefaultPolicy();

}  // namespace riposte::core
