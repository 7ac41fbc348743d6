#pragma once
// Reads one sample out of Prometheus text exposition, for assertions on /metrics output.

#include <optional>
#include <sstream>
#include <string>

namespace riposte::controller::testing {

// Value of the sample whose name-and-labels part is exactly `series`
// (e.g. `riposte_audit_at_risk_workloads{cve="CVE-2025-1974"}`); nullopt when absent.
inline std::optional<double> Sample(const std::string& text, const std::string& series) {
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.size() > series.size() && line.compare(0, series.size(), series) == 0 && line[series.size()] == ' ')
      return std::stod(line.substr(series.size() + 1));
  }
  return std::nullopt;
}

}  // namespace riposte::controller::testing
