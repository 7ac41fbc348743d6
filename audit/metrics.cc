#include "audit/metrics.h"

#include "audit/cluster_audit.h"

#include <sstream>

#include "audit/cve_table.h"

namespace riposte::audit {

namespace {
constexpr MitigationState kStates[] = {MitigationState::kUnmitigated, MitigationState::kPartlyMitigated,
                                       MitigationState::kMitigated};
constexpr const char* kMitigationHelp =
    "ingress-nginx controller workloads exposed to a CVE, by whether Riposte's webhook blocks it at admission.";
constexpr const char* kEolHelp = "ingress-nginx controller workloads found: every one runs the retired controller.";
constexpr const char* kMigrationHelp =
    "Ingresses served by ingress-nginx by the Gateway API class of their hardest annotation.";
}  // namespace

std::map<std::string, size_t> AtRiskWorkloadsByCve(const Report& report) {
  std::map<std::string, size_t> out;
  for (const auto& cve : CveTable()) out[std::string(cve.id)] = 0;
  for (const auto& c : report.controllers) {
    for (const auto& id : c.cves) ++out[id];
  }
  return out;
}

std::map<std::pair<std::string, std::string>, size_t> ExposedWorkloadsByMitigation(const Report& report) {
  std::map<std::pair<std::string, std::string>, size_t> out;
  for (const auto& cve : CveTable()) {
    for (auto st : kStates) out[{std::string(cve.id), std::string(MitigationStateName(st))}] = 0;
  }
  for (const auto& c : report.controllers) {
    for (const auto& m : c.mitigations) ++out[{m.cve, std::string(MitigationStateName(m.state))}];
  }
  return out;
}

std::map<std::string, size_t> MigrationIngressesByClass(const Report& report) {
  std::map<std::string, size_t> out;
  if (!report.migration) return out;
  for (auto c : {GatewayClass::kCore, GatewayClass::kExtended, GatewayClass::kImplementationSpecific, GatewayClass::kNone}) {
    out[std::string(GatewayClassName(c))] = report.migration->ingresses_by_hardest[static_cast<size_t>(c)];
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
  out << "# HELP riposte_audit_cve_mitigation_workloads " << kMitigationHelp << "\n"
      << "# TYPE riposte_audit_cve_mitigation_workloads gauge\n";
  for (const auto& [key, n] : ExposedWorkloadsByMitigation(report)) {
    out << "riposte_audit_cve_mitigation_workloads{cve=\"" << key.first << "\",state=\"" << key.second << "\"} " << n
        << "\n";
  }
  out << "# HELP riposte_audit_end_of_life_workloads " << kEolHelp << "\n"
      << "# TYPE riposte_audit_end_of_life_workloads gauge\n"
      << "riposte_audit_end_of_life_workloads " << report.controllers.size() << "\n";
  if (report.migration) {
    out << "# HELP riposte_audit_migration_ingresses " << kMigrationHelp << "\n"
        << "# TYPE riposte_audit_migration_ingresses gauge\n";
    for (const auto& [cls, n] : MigrationIngressesByClass(report)) {
      out << "riposte_audit_migration_ingresses{gateway_class=\"" << cls << "\"} " << n << "\n";
    }
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
  auto& mitigation = registry.AddGauge("riposte_audit_cve_mitigation_workloads", kMitigationHelp, {"cve", "state"});
  for (const auto& [key, n] : ExposedWorkloadsByMitigation(report)) {
    mitigation.With({key.first, key.second}).Set(static_cast<double>(n));
  }
  registry.AddGauge("riposte_audit_end_of_life_workloads", kEolHelp).With().Set(static_cast<double>(report.controllers.size()));
  if (report.migration) {
    auto& migration = registry.AddGauge("riposte_audit_migration_ingresses", kMigrationHelp, {"gateway_class"});
    for (const auto& [cls, n] : MigrationIngressesByClass(report)) migration.With({cls}).Set(static_cast<double>(n));
  }
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
  return AuditCluster(client, collect, {.checker = NewEngineChecker(), .generated_at = generated_at, .migration = true});
}

}  // namespace riposte::audit
