#include "core/controller_config.h"

#include <string_view>

#include "core/rules.h"
#include "core/scanners.h"
#include "core/text.h"

namespace riposte::core {

std::optional<bool> ParseConfigBool(std::string_view s) {
  std::string lower;
  for (char c : s) lower += AsciiLower(c);
  if (lower == "true" || lower == "t" || lower == "1" || lower == "yes" || lower == "on") return true;
  if (lower == "false" || lower == "f" || lower == "0" || lower == "no" || lower == "off") return false;
  return std::nullopt;
}

void ApplyControllerConfigMap(const KeyValues& data, ControllerConfig* config) {
  // Takes the text as an argument: a lambda may not capture a structured binding under clang
  // (the fuzz build).
  auto set_bool = [](const auto& text, std::optional<bool>* out) {
    if (auto b = ParseConfigBool(text)) *out = *b;
  };
  for (const auto& [key, value] : data) {
    if (key == "allow-snippet-annotations") {
      set_bool(value, &config->allow_snippet_annotations);
    } else if (key == "enable-annotation-validation") {
      set_bool(value, &config->enable_annotation_validation);
    } else if (key == "strict-validate-path-type") {
      set_bool(value, &config->strict_validate_path_type);
    } else if (key == "annotations-risk-level") {
      config->annotations_risk_level = value;
    } else {
      for (const char* snippet : kGlobalSnippetKeys) {
        if (key != snippet) continue;
        if (value.find_first_not_of(" \t\r\n") == std::string::npos) break;
        bool replaced = false;
        for (auto& [k, v] : config->global_snippets) {
          if (k == key) v = value, replaced = true;
        }
        if (!replaced) config->global_snippets.emplace_back(key, value);
        break;
      }
    }
  }
}

namespace {

Finding Make(std::string_view rule_id, Severity severity, std::vector<std::string> cves, std::string field,
             std::string message, std::string remediation) {
  Finding f;
  f.rule_id = std::string(rule_id);
  f.severity = severity;
  f.cves = std::move(cves);
  f.field = std::move(field);
  f.message = std::move(message);
  f.remediation = std::move(remediation);
  return f;
}

}  // namespace

std::vector<Finding> CheckControllerConfig(const ControllerConfig& c, const ControllerCheckOptions& opts) {
  std::vector<Finding> out;
  const bool unsafe_default = opts.unknown_is_unsafe;
  const std::string_view setting = rule_ids::kControllerSetting;
  if (c.allow_snippet_annotations.value_or(unsafe_default)) {
    out.push_back(Make(setting, Severity::kHigh, {"CVE-2021-25742", "CVE-2023-5043"}, "allow-snippet-annotations",
                       "snippet annotations are allowed: anyone who can write an Ingress can inject nginx configuration",
                       "set allow-snippet-annotations: \"false\" in " + opts.where));
  }
  if (opts.has_risk_level && c.annotations_risk_level == "Critical") {
    out.push_back(Make(setting, Severity::kMedium, {}, "annotations-risk-level",
                       "annotations-risk-level is Critical: annotations of every risk level are accepted",
                       "set annotations-risk-level: \"High\" (the default since v1.12.0) in " + opts.where));
  }
  if (!c.enable_annotation_validation.value_or(!unsafe_default)) {
    out.push_back(Make(setting, Severity::kMedium, {"CVE-2023-5044"}, "enable-annotation-validation",
                       "annotation validation is disabled: annotation values are not checked before they reach nginx",
                       "set enable-annotation-validation: \"true\" in " + opts.where + " (default since v1.12.0)"));
  }
  if (!c.strict_validate_path_type.value_or(!unsafe_default)) {
    out.push_back(Make(setting, Severity::kMedium, {"CVE-2022-4886"}, "strict-validate-path-type",
                       "strict-validate-path-type is off: Prefix/Exact paths are not validated",
                       "set strict-validate-path-type: \"true\" in " + opts.where + " (default since v1.12.0)"));
  }
  for (const auto& [key, text] : c.global_snippets) {
    std::optional<ScanHit> hit = FindControl(text, true);
    if (!hit) hit = FindSnippetDanger(text);
    if (!hit) continue;
    out.push_back(Make(rule_ids::kControllerSnippet, Severity::kCritical,
                       {"CVE-2021-25742", "CVE-2023-5043", "CVE-2025-1974"}, key,
                       hit->what + " in the global " + key + ": " + QuoteFragment(text, hit->pos),
                       "remove the directive from " + key + " in " + opts.where +
                           "; global snippets reach every server of the controller and must not run Lua, load "
                           "modules, include files or read secrets"));
  }
  return out;
}

}  // namespace riposte::core
