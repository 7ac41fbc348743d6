#pragma once
// What the controller's periodic audit (--audit-interval) exports: gauges in the shared
// common/metrics.h registry (ExportMetrics), or standalone Prometheus text (RenderPrometheus).

#include <map>
#include <string>

#include "audit/analyze.h"
#include "audit/collector.h"
#include "audit/report.h"
#include "common/metrics.h"

namespace riposte::audit {

// CVE id -> number of controller workloads exposed to it (every CVE of the table is present,
// 0 when none), for riposte_audit_at_risk_workloads{cve="..."}.
std::map<std::string, size_t> AtRiskWorkloadsByCve(const Report& report);

// (CVE id, mitigation state) -> controller workloads exposed to the CVE in that state; every
// CVE of the table with every state (0 included), for
// riposte_audit_cve_mitigation_workloads{cve,state}.
std::map<std::pair<std::string, std::string>, size_t> ExposedWorkloadsByMitigation(const Report& report);

// Gateway API class -> Ingresses served by ingress-nginx whose hardest annotation is of that
// class ("core", "extended", "implementation-specific", "none"; all present), for
// riposte_audit_migration_ingresses{gateway_class}. Empty when the report has no inventory.
std::map<std::string, size_t> MigrationIngressesByClass(const Report& report);

// riposte_audit_at_risk_workloads{cve}, riposte_audit_cve_mitigation_workloads{cve,state},
// riposte_audit_end_of_life_workloads, riposte_audit_migration_ingresses{gateway_class} (when
// the report has an inventory), riposte_audit_findings{severity}, riposte_audit_complete,
// riposte_audit_riposte_webhook_enforcing — with HELP/TYPE lines.
std::string RenderPrometheus(const Report& report);

// Sets the families of RenderPrometheus in `registry` (registered on first use; calling it
// after every pass overwrites the previous values; every label set is written on every pass,
// so none goes stale).
void ExportMetrics(const Report& report, metrics::Registry& registry);

// One audit pass for the controller: collect, analyze with the engine (when built in) and
// build the migration inventory (for riposte_audit_migration_ingresses).
Report RunAudit(kube::KubeClient& client, const CollectOptions& collect, const std::string& generated_at = "");

}  // namespace riposte::audit
