#pragma once
// ingress-nginx CVEs with the first fixed release of every patched branch, and the controller
// settings that keep a CVE exploitable on a fixed release (or are its only mitigation).
// core/ has no structured fixed-in table, so this one lives here, keyed by CVE id.

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "audit/version.h"
#include "core/finding.h"

namespace riposte::audit {

// Which controller setting also decides exposure, beyond the version.
enum class CveCondition {
  kNone,
  kSnippetsAllowed,           // exploitable on any version while snippet annotations are allowed
  kAnnotationValidationOff,   // exploitable while annotation validation is disabled
  kStrictPathTypeOff,         // exploitable while strict-validate-path-type is off
  kAdmissionWebhook,          // needs the controller's admission webhook listening
};

struct CveEntry {
  std::string_view id;
  core::Severity severity;
  std::string_view title;
  std::vector<Version> fixed_in;  // first fixed release per branch
  CveCondition condition = CveCondition::kNone;
  std::string_view advisory;      // upstream announcement
};

std::span<const CveEntry> CveTable();
const CveEntry* FindCve(std::string_view id);

}  // namespace riposte::audit
