#pragma once
// Turns the engine's findings into an admission decision under the policy mode.

#include <string>
#include <string_view>
#include <vector>

#include "core/finding.h"
#include "core/policy.h"

namespace riposte::webhook {

enum class Outcome {
  kAllowed,  // judged, nothing found (or not judged: DELETE, other kinds, exempt namespace)
  kDenied,   // enforce mode with findings
  kWarned,   // warn mode with findings: allowed with warnings[]
  kAudited,  // audit mode with findings: allowed, logged only
  kInvalid,  // object could not be read: denied with code 400
  kError,    // internal error: denied with code 500 (fail closed)
};

const char* OutcomeName(Outcome o);  // metric label: allowed, denied, warned, audited, invalid, error

struct Decision {
  Outcome outcome = Outcome::kAllowed;
  bool allowed = true;
  int code = 0;
  std::string message;
  std::vector<std::string> warnings;
  std::vector<std::string> rule_ids;  // distinct, in order of first finding
};

// "RIP-ANN-URL (CVE-2025-24514) at <field>: <message> Fix: <remediation>"
std::string FormatFinding(const core::Finding& f);

// `kind` names the object in the denial message ("riposte denied this VirtualServer ...").
Decision Decide(core::Mode mode, const std::vector<core::Finding>& findings, std::string_view kind = "Ingress");

}  // namespace riposte::webhook
