#include "webhook/decision.h"

#include <algorithm>

#include "webhook/admission.h"

namespace riposte::webhook {

const char* OutcomeName(Outcome o) {
  switch (o) {
    case Outcome::kAllowed: return "allowed";
    case Outcome::kDenied: return "denied";
    case Outcome::kWarned: return "warned";
    case Outcome::kAudited: return "audited";
    case Outcome::kInvalid: return "invalid";
    case Outcome::kError: return "error";
  }
  return "error";
}

std::string FormatFinding(const core::Finding& f) {
  std::string s;
  s.reserve(f.rule_id.size() + f.field.size() + f.message.size() + f.remediation.size() + 48);
  s += f.rule_id;
  if (!f.cves.empty()) {
    s += " (";
    for (size_t i = 0; i < f.cves.size(); ++i) {
      if (i) s += ", ";
      s += f.cves[i];
    }
    s += ')';
  }
  if (!f.field.empty()) {
    s += " at ";
    s += f.field;
  }
  s += ": ";
  s += f.message;
  if (!f.remediation.empty()) {
    s += " Fix: ";
    s += f.remediation;
  }
  return s;
}

Decision Decide(core::Mode mode, const std::vector<core::Finding>& findings, std::string_view kind) {
  Decision d;
  if (findings.empty()) return d;
  for (const auto& f : findings) {
    if (std::find(d.rule_ids.begin(), d.rule_ids.end(), f.rule_id) == d.rule_ids.end()) d.rule_ids.push_back(f.rule_id);
  }
  switch (mode) {
    case core::Mode::kEnforce: {
      d.outcome = Outcome::kDenied;
      d.allowed = false;
      d.code = 403;
      std::string msg;
      msg.reserve(kMaxMessageBytes);
      msg += "riposte denied this ";
      msg += kind.empty() ? std::string_view("object") : kind;
      msg += " (";
      msg += std::to_string(findings.size());
      msg += findings.size() == 1 ? " finding):" : " findings):";
      size_t shown = 0;
      std::string line;
      for (const auto& f : findings) {
        std::string text = FormatFinding(f);
        line.assign(" [");
        line += std::to_string(shown + 1);
        line += "] ";
        if (text.size() <= 1024) line += text;
        else line += Truncate(text, 1024);
        // Keep room for the "and N more" tail so the message never exceeds the bound.
        if (msg.size() + line.size() > kMaxMessageBytes - 64 && shown > 0) break;
        msg += line;
        ++shown;
      }
      if (shown < findings.size()) msg += " ... and " + std::to_string(findings.size() - shown) + " more";
      d.message = std::move(msg);
      break;
    }
    case core::Mode::kWarn:
      d.outcome = Outcome::kWarned;
      for (const auto& f : findings) d.warnings.push_back("riposte: " + FormatFinding(f));
      break;
    case core::Mode::kAudit:
      d.outcome = Outcome::kAudited;
      break;
  }
  return d;
}

}  // namespace riposte::webhook
