#include "audit/analyze.h"

#include <algorithm>
#include <tuple>
#include <utility>

#include "audit/analysis_state.h"
#include "audit/controller_discovery.h"
#include "audit/eol.h"
#include "audit/ingress_judging.h"
#include "audit/migration.h"
#include "audit/mitigation.h"
#include "audit/riposte_install.h"
#include "audit/riposte_webhook_check.h"

namespace riposte::audit {

namespace {

using core::Severity;
using analysis::AnalysisState;

class Analyzer {
 public:
  Analyzer(const ClusterSnapshot& snap, const AnalyzeOptions& opts, const IngressFeed* feed)
      : st_(snap, opts, feed) {}

  Report Run() {
    st_.report.source = st_.snap.source;
    st_.report.namespace_scope = st_.snap.namespace_scope;
    st_.report.generated_at = st_.opts.generated_at;
    for (const auto& [resource, err] : st_.snap.errors) st_.AddUnreadable(resource, err);
    analysis::FindControllers(st_);
    for (auto& c : st_.candidates) analysis::AnalyzeController(st_, c);
    if (st_.feed != nullptr) {
      analysis::JudgeFeed(st_);
    } else {
      analysis::JudgeIngresses(st_);
    }
    analysis::CheckRiposteWebhook(st_);
    // Later passes work on the analysed report (plus the snapshot for objects it does not keep).
    ReadRiposteInstall(st_.snap, &st_.report.riposte);
    AssessMitigation(st_.report);
    AddEndOfLifeFindings(st_.report);
    if (st_.opts.migration) {
      st_.report.migration = BuildMigrationInventory(st_.feed != nullptr ? st_.fed : st_.snap, st_.report);
    }
    Finish();
    return std::move(st_.report);
  }

 private:
  void Finish() {
    for (auto& ctrl : st_.report.controllers) {
      ctrl.at_risk = std::any_of(st_.report.findings.begin(), st_.report.findings.end(), [&](const AuditFinding& f) {
        return f.object == ctrl.workload && (f.severity == Severity::kHigh || f.severity == Severity::kCritical);
      });
    }
    std::sort(st_.report.controllers.begin(), st_.report.controllers.end(), [](const Controller& a, const Controller& b) {
      return std::tie(a.workload, a.container) < std::tie(b.workload, b.container);
    });
    std::sort(st_.report.findings.begin(), st_.report.findings.end(), [](const AuditFinding& a, const AuditFinding& b) {
      if (a.severity != b.severity) return a.severity > b.severity;
      return std::tie(a.object, a.id) < std::tie(b.object, b.id);
    });
    std::sort(st_.report.unreadable.begin(), st_.report.unreadable.end(),
              [](const UnreadableResource& a, const UnreadableResource& b) { return a.resource < b.resource; });
  }

  AnalysisState st_;
};

}  // namespace

Report Analyze(const ClusterSnapshot& snapshot, const AnalyzeOptions& options) {
  return Analyzer(snapshot, options, nullptr).Run();
}

Report Analyze(const ClusterSnapshot& snapshot, const AnalyzeOptions& options, const IngressFeed& ingresses) {
  return Analyzer(snapshot, options, &ingresses).Run();
}

}  // namespace riposte::audit
