#include "audit/report.h"

#include <tuple>

namespace riposte::audit {

std::string_view CategoryName(Category c) {
  switch (c) {
    case Category::kCve: return "cve";
    case Category::kSetting: return "setting";
    case Category::kReachability: return "reachability";
    case Category::kIngress: return "ingress";
    case Category::kConfigMap: return "configmap";
    case Category::kRiposte: return "riposte";
    case Category::kUnreadable: return "unreadable";
    case Category::kEndOfLife: return "eol";
  }
  return "unknown";
}

std::string_view MitigationStateName(MitigationState s) {
  switch (s) {
    case MitigationState::kUnmitigated: return "unmitigated";
    case MitigationState::kPartlyMitigated: return "partly-mitigated";
    case MitigationState::kMitigated: return "mitigated";
  }
  return "unknown";
}

std::string_view GatewayClassName(GatewayClass c) {
  switch (c) {
    case GatewayClass::kCore: return "core";
    case GatewayClass::kExtended: return "extended";
    case GatewayClass::kImplementationSpecific: return "implementation-specific";
    case GatewayClass::kNone: return "none";
    case GatewayClass::kUnrecognized: return "unrecognized";
  }
  return "unknown";
}

bool ObjectRef::operator<(const ObjectRef& o) const {
  return std::tie(kind, ns, name) < std::tie(o.kind, o.ns, o.name);
}

std::string ObjectRef::ToString() const {
  std::string out = kind + " ";
  if (!ns.empty()) out += ns + "/";
  return out + name;
}

bool Report::at_risk() const {
  for (const auto& f : findings) {
    if (f.severity == core::Severity::kHigh || f.severity == core::Severity::kCritical) return true;
  }
  return false;
}

std::array<size_t, 4> Report::CountsBySeverity() const {
  std::array<size_t, 4> counts{};
  for (const auto& f : findings) ++counts[static_cast<size_t>(f.severity)];
  return counts;
}

const CveMitigation* Report::MitigationOf(const AuditFinding& f) const {
  if (f.rule_id != "AUD-CVE" || f.cves.size() != 1) return nullptr;
  for (const auto& c : controllers) {
    if (!(c.workload == f.object)) continue;
    const std::string id = c.workload.kind + "/" + c.workload.ns + "/" + c.workload.name + "/" + c.container + "/" +
                           f.cves.front();
    if (id != f.id) continue;
    for (const auto& m : c.mitigations) {
      if (m.cve == f.cves.front()) return &m;
    }
  }
  return nullptr;
}

int Report::ExitCode() const {
  if (!complete() || !engine_available) return 2;
  return at_risk() ? 1 : 0;
}

}  // namespace riposte::audit

namespace riposte::audit {

std::string_view SeverityLabel(core::Severity s) {
  switch (s) {
    case core::Severity::kLow: return "low";
    case core::Severity::kMedium: return "medium";
    case core::Severity::kHigh: return "high";
    case core::Severity::kCritical: return "critical";
  }
  return "unknown";
}

}  // namespace riposte::audit
