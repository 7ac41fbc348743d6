#include "audit/cve_table.h"

#include <vector>

namespace riposte::audit {

namespace {

using core::Severity;

// Fixed versions from the upstream announcements (kubernetes/kubernetes security issues and
// ingress-nginx release notes). Where upstream only offered a mitigation setting, the
// release that introduced (or defaulted) the setting is listed and the condition names it.
const std::vector<CveEntry>& Table() {
  static const std::vector<CveEntry> table = {
      {"CVE-2021-25742", Severity::kHigh,
       "custom snippets can read Secrets the controller can access",
       {{0, 49, 1}, {1, 0, 1}}, CveCondition::kSnippetsAllowed,
       "https://github.com/kubernetes/ingress-nginx/issues/7837"},
      {"CVE-2021-25745", Severity::kHigh, "Ingress path can be used to read the controller's credentials",
       {{1, 2, 0}}, CveCondition::kNone, "https://github.com/kubernetes/ingress-nginx/issues/8502"},
      {"CVE-2021-25746", Severity::kHigh, "annotations can be used to read the controller's credentials",
       {{1, 2, 0}}, CveCondition::kNone, "https://github.com/kubernetes/ingress-nginx/issues/8503"},
      {"CVE-2021-25748", Severity::kHigh, "path sanitization bypass (newline) reads the controller's credentials",
       {{1, 2, 1}}, CveCondition::kNone, "https://github.com/kubernetes/ingress-nginx/issues/8686"},
      {"CVE-2022-4886", Severity::kHigh, "Ingress path sanitization bypass reads the controller's credentials",
       {{1, 8, 0}}, CveCondition::kStrictPathTypeOff, "https://github.com/kubernetes/ingress-nginx/issues/10570"},
      {"CVE-2023-5043", Severity::kHigh, "configuration-snippet annotation injection runs commands",
       {{1, 9, 0}}, CveCondition::kSnippetsAllowed, "https://github.com/kubernetes/ingress-nginx/issues/10571"},
      {"CVE-2023-5044", Severity::kHigh, "permanent-redirect annotation injection",
       {{1, 9, 0}}, CveCondition::kAnnotationValidationOff, "https://github.com/kubernetes/ingress-nginx/issues/10572"},
      // Fixed in v1.11.2; a v1.10 backport (v1.10.4) is reported only by third parties, so the
      // 1.10 line is treated as unfixed.
      {"CVE-2024-7646", Severity::kHigh, "annotation validation bypass lets annotations inject nginx configuration",
       {{1, 11, 2}}, CveCondition::kNone, "https://github.com/kubernetes/kubernetes/issues/126744"},
      {"CVE-2025-1097", Severity::kHigh, "auth-tls-match-cn annotation configuration injection",
       {{1, 11, 5}, {1, 12, 1}}, CveCondition::kNone, "https://github.com/kubernetes/kubernetes/issues/131007"},
      {"CVE-2025-1098", Severity::kHigh, "mirror-target / mirror-host annotation configuration injection",
       {{1, 11, 5}, {1, 12, 1}}, CveCondition::kNone, "https://github.com/kubernetes/kubernetes/issues/131008"},
      {"CVE-2025-24513", Severity::kMedium, "auth secret file path traversal",
       {{1, 11, 5}, {1, 12, 1}}, CveCondition::kNone, "https://github.com/kubernetes/kubernetes/issues/131005"},
      {"CVE-2025-24514", Severity::kHigh, "auth-url annotation configuration injection",
       {{1, 11, 5}, {1, 12, 1}}, CveCondition::kNone, "https://github.com/kubernetes/kubernetes/issues/131006"},
      {"CVE-2025-1974", Severity::kCritical,
       "unauthenticated configuration injection through the admission webhook (IngressNightmare)",
       {{1, 11, 5}, {1, 12, 1}}, CveCondition::kAdmissionWebhook,
       "https://github.com/kubernetes/kubernetes/issues/131009"},
      {"CVE-2025-15566", Severity::kHigh, "auth-proxy-set-headers ConfigMap values injected into nginx",
       {{1, 12, 5}, {1, 13, 1}}, CveCondition::kNone, "https://github.com/kubernetes/kubernetes/issues/136789"},
      {"CVE-2026-1580", Severity::kHigh, "auth-method annotation configuration injection (unanchored regex)",
       {{1, 13, 7}, {1, 14, 3}}, CveCondition::kNone, "https://github.com/kubernetes/kubernetes/issues/136677"},
      {"CVE-2026-24512", Severity::kHigh, "Ingress path configuration injection",
       {{1, 13, 7}, {1, 14, 3}}, CveCondition::kNone, "https://github.com/kubernetes/kubernetes/issues/136678"},
      // Large requests sent to the controller's own admission webhook exhaust its memory.
      {"CVE-2026-24514", Severity::kMedium, "admission controller denial of service through large requests",
       {{1, 13, 7}, {1, 14, 3}}, CveCondition::kAdmissionWebhook,
       "https://github.com/kubernetes/kubernetes/issues/136680"},
      {"CVE-2026-3288", Severity::kHigh, "rewrite-target annotation configuration injection",
       {{1, 13, 8}, {1, 14, 4}, {1, 15, 0}}, CveCondition::kNone,
       "https://github.com/kubernetes/kubernetes/issues/137560"},
      {"CVE-2026-4342", Severity::kHigh, "auth-url path injected through the auth upstream comment",
       {{1, 13, 9}, {1, 14, 5}, {1, 15, 1}}, CveCondition::kNone,
       "https://github.com/kubernetes/kubernetes/issues/137893"},
  };
  return table;
}

}  // namespace

std::span<const CveEntry> CveTable() { return Table(); }

const CveEntry* FindCve(std::string_view id) {
  for (const auto& e : Table()) {
    if (e.id == id) return &e;
  }
  return nullptr;
}

}  // namespace riposte::audit
