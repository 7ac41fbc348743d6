#include "audit/metrics.h"

#include <sstream>

#include "audit/cve_table.h"

namespace riposte::audit {

std::map<std::string, size_t> AtRiskWorkloadsByCve(const Report& report) {
  std::map<std::string, size_t> out;
  for (const auto& cve : CveTable()) out[std::string(cve.id)] = 0;
  for (const auto& c : report.controllers) {
    for (const auto& id : c.cves) ++out[id];
  }
  return out;
}

std::string RenderPrometheus(const Report& report) {
  std::ostringstream out;
  out << "# HELP riposte_audit_at_risk_workloads ingress-nginx controller workloads exposed to a CVE.\n"
         "# TYPE riposte_audit_at_risk_workloads gauge\n";
  for (const auto& [cve, n] : AtRiskWorkloadsByCve(report)) {
    out << "riposte_audit_at_risk_workloads{cve=\"" << cve << "\"} " << n << "\n";
  }
  out << "# HELP riposte_audit_findings Audit findings by severity.\n"
         "# TYPE riposte_audit_findings gauge\n";
  auto counts = report.CountsBySeverity();
  for (core::Severity s : {core::Severity::kCritical, core::Severity::kHigh, core::Severity::kMedium, core::Severity::kLow}) {
    out << "riposte_audit_findings{severity=\"" << SeverityLabel(s) << "\"} " << counts[static_cast<size_t>(s)] << "\n";
  }
  out << "# HELP riposte_audit_complete 1 when every resource could be read and judged.\n"
         "# TYPE riposte_audit_complete gauge\n"
      << "riposte_audit_complete " << (report.ExitCode() != 2 ? 1 : 0) << "\n"
      << "# HELP riposte_audit_riposte_webhook_enforcing 1 when Riposte's admission webhook is enforcing.\n"
         "# TYPE riposte_audit_riposte_webhook_enforcing gauge\n"
      << "riposte_audit_riposte_webhook_enforcing " << (report.riposte.enforcing ? 1 : 0) << "\n";
  return out.str();
}

void ExportMetrics(const Report& report, metrics::Registry& registry) {
  auto& by_cve = registry.AddGauge("riposte_audit_at_risk_workloads",
                                   "ingress-nginx controller workloads exposed to a CVE.", {"cve"});
  for (const auto& [cve, n] : AtRiskWorkloadsByCve(report)) by_cve.With({cve}).Set(static_cast<double>(n));
  auto& findings = registry.AddGauge("riposte_audit_findings", "Audit findings by severity.", {"severity"});
  auto counts = report.CountsBySeverity();
  for (core::Severity s : {core::Severity::kCritical, core::Severity::kHigh, core::Severity::kMedium, core::Severity::kLow}) {
    findings.With({std::string(SeverityLabel(s))}).Set(static_cast<double>(counts[static_cast<size_t>(s)]));
  }
  registry.AddGauge("riposte_audit_complete", "1 when every resource could be read and judged.")
      .With()
      .Set(report.ExitCode() != 2 ? 1.0 : 0.0);
  registry.AddGauge("riposte_audit_riposte_webhook_enforcing", "1 when Riposte's admission webhook is enforcing.")
      .With()
      .Set(report.riposte.enforcing ? 1.0 : 0.0);
}

Report RunAudit(kube::KubeClient& client, const CollectOptions& collect, const std::string& generated_at) {
  ClusterSnapshot snap = Collect(client, collect);
  return Analyze(snap, {.checker = NewEngineChecker(), .generated_at = generated_at});
}

}  // namespace riposte::audit
