#pragma once
// The catalogue of rule ids: every finding the engine emits names one of these, and the
// policy loader accepts overrides only for ids listed here (docs/rules.md mirrors it).

#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "core/finding.h"

namespace riposte::core {

struct RuleInfo {
  std::string_view id;
  Severity severity;                  // default, a policy may override it
  std::vector<std::string_view> cves;  // CVEs of the class; per-annotation CVEs may replace them
  std::string_view title;
  std::string_view remediation;
};

namespace rule_ids {
inline constexpr std::string_view kSize = "RIP-ANN-SIZE";
inline constexpr std::string_view kControl = "RIP-ANN-CONTROL";
inline constexpr std::string_view kDirective = "RIP-ANN-DIRECTIVE";
inline constexpr std::string_view kType = "RIP-ANN-TYPE";
inline constexpr std::string_view kSyntax = "RIP-ANN-SYNTAX";
inline constexpr std::string_view kSnippetDenied = "RIP-SNIPPET-DENIED";
inline constexpr std::string_view kSnippetDanger = "RIP-SNIPPET-DANGER";
inline constexpr std::string_view kPathChars = "RIP-PATH-CHARS";
inline constexpr std::string_view kPathSecret = "RIP-PATH-SECRET";
inline constexpr std::string_view kUid = "RIP-UID";
inline constexpr std::string_view kHost = "RIP-HOST";
inline constexpr std::string_view kTls = "RIP-TLS";
inline constexpr std::string_view kConfigMapHeader = "RIP-CM-HEADER";
inline constexpr std::string_view kCrossNamespace = "RIP-XNS-REF";
inline constexpr std::string_view kMetadataAddress = "RIP-ANN-METADATA";
inline constexpr std::string_view kEngineError = "RIP-ENGINE-ERROR";
// The ingress-nginx controller ConfigMap (core/controller_config.h).
inline constexpr std::string_view kControllerSetting = "RIP-CONTROLLER-SETTING";
inline constexpr std::string_view kControllerSnippet = "RIP-CONTROLLER-SNIPPET";
// F5 NGINX Ingress Controller profile (nginx.org/* annotations, k8s.nginx.org resources).
inline constexpr std::string_view kNicSnippetDenied = "RIP-NIC-SNIPPET-DENIED";
inline constexpr std::string_view kNicSnippetDanger = "RIP-NIC-SNIPPET-DANGER";
inline constexpr std::string_view kNicControl = "RIP-NIC-CONTROL";
inline constexpr std::string_view kNicDirective = "RIP-NIC-DIRECTIVE";
inline constexpr std::string_view kNicSyntax = "RIP-NIC-SYNTAX";
inline constexpr std::string_view kNicType = "RIP-NIC-TYPE";
// NGINX Gateway Fabric profile (gateway.nginx.org resources).
inline constexpr std::string_view kNgfSnippetDenied = "RIP-NGF-SNIPPET-DENIED";
inline constexpr std::string_view kNgfSnippetDanger = "RIP-NGF-SNIPPET-DANGER";
inline constexpr std::string_view kNgfInjection = "RIP-NGF-INJECTION";
}  // namespace rule_ids

std::span<const RuleInfo> AllRules();
const RuleInfo* FindRule(std::string_view id);

}  // namespace riposte::core
