#pragma once
// The ingress-nginx controller ConfigMap (--configmap): the settings that switch its own
// protections off and the global snippets it pastes into nginx.conf. One implementation for
// the admission webhook (a CREATE/UPDATE of that ConfigMap) and `riposte audit` (the
// effective settings of a running controller).

#include <optional>
#include <string>
#include <vector>

#include "core/finding.h"
#include "core/ingress.h"

namespace riposte::core {

struct ControllerConfig {
  // nullopt / "" = unknown (absent from the ConfigMap and no default applied, or unreadable).
  std::optional<bool> allow_snippet_annotations;
  std::string annotations_risk_level;
  std::optional<bool> enable_annotation_validation;
  std::optional<bool> strict_validate_path_type;
  // http-snippet, server-snippet, location-snippet, main-snippet, stream-snippet: key and
  // text, only when present and not blank.
  KeyValues global_snippets;
};

// The ConfigMap keys above, in the order they are judged.
inline constexpr const char* kGlobalSnippetKeys[] = {"main-snippet", "http-snippet", "server-snippet",
                                                     "location-snippet", "stream-snippet"};

// ingress-nginx reads booleans with Go's strconv.ParseBool; "yes"/"no"/"on"/"off" are taken
// too (older charts wrote them). Anything else is nullopt.
std::optional<bool> ParseConfigBool(std::string_view s);

// Applies the keys present in a ConfigMap's data over `*config` (values that do not parse
// leave the previous value).
void ApplyControllerConfigMap(const KeyValues& data, ControllerConfig* config);

struct ControllerCheckOptions {
  // Where the fix goes, e.g. "ConfigMap ingress-nginx/ingress-nginx-controller".
  std::string where = "the controller ConfigMap (--configmap)";
  // Audit judges effective settings: an unknown value may be the unsafe default. Admission
  // judges only what the ConfigMap sets.
  bool unknown_is_unsafe = false;
  // annotations-risk-level exists from v1.9.0; older controllers ignore it.
  bool has_risk_level = true;
};

// One finding per unsafe setting or dangerous global snippet. rule_id is
// RIP-CONTROLLER-SETTING or RIP-CONTROLLER-SNIPPET; `field` is the ConfigMap key; severity,
// CVEs and remediation are per setting.
std::vector<Finding> CheckControllerConfig(const ControllerConfig& config, const ControllerCheckOptions& opts = {});

}  // namespace riposte::core
