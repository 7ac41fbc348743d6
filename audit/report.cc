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
