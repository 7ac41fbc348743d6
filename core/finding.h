#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace riposte::core {

enum class Severity { kLow, kMedium, kHigh, kCritical };

std::string_view SeverityName(Severity s);  // "low", "medium", "high", "critical"

struct Finding {
  std::string rule_id;            // stable id, e.g. "RIP-ANN-URL"
  std::vector<std::string> cves;  // e.g. {"CVE-2025-24514"}; may be empty for hardening rules
  Severity severity = Severity::kHigh;
  std::string field;        // annotation key, "spec.rules[0].http.paths[1].path", "metadata.uid",
                            // or "configmap default/auth-headers: X-Forwarded-User"
  std::string message;      // one line; the offending fragment quoted with control chars escaped
  std::string remediation;  // what to change, and which ingress-nginx version fixes the CVE
};

}  // namespace riposte::core
