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

// riposte_audit_at_risk_workloads{cve}, riposte_audit_findings{severity},
// riposte_audit_complete, riposte_audit_riposte_webhook_enforcing — with HELP/TYPE lines.
std::string RenderPrometheus(const Report& report);

// Sets riposte_audit_at_risk_workloads{cve}, riposte_audit_findings{severity},
// riposte_audit_complete and riposte_audit_riposte_webhook_enforcing in `registry` (families are
// registered on first use; calling it after every pass overwrites the previous values).
void ExportMetrics(const Report& report, metrics::Registry& registry);

// One audit pass for the controller: collect, analyze with the engine (when built in).
Report RunAudit(kube::KubeClient& client, const CollectOptions& collect, const std::string& generated_at = "");

}  // namespace riposte::audit
