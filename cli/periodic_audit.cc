#include "cli/periodic_audit.h"

#include <exception>

#include "audit/metrics.h"
#include "audit/snapshot.h"
#include "common/log.h"
#include "controller/duration.h"

namespace riposte::cli {

using controller::FormatDuration;
using controller::ParseDuration;

namespace {

double Seconds(std::chrono::system_clock::time_point t) {
  return std::chrono::duration<double>(t.time_since_epoch()).count();
}

std::string Fixed(double v, int digits = 3) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

// "configmaps (Forbidden 403), networkpolicies (Forbidden 403)"
std::string DescribeUnreadable(const audit::Report& report) {
  std::string out;
  for (const auto& u : report.unreadable) {
    if (!out.empty()) out += ", ";
    out += u.resource + " (" + u.reason + (u.code ? " " + std::to_string(u.code) : "") + ")";
  }
  return out;
}

}  // namespace

std::string_view OutcomeName(PeriodicAudit::Outcome o) {
  switch (o) {
    case PeriodicAudit::Outcome::kComplete: return "complete";
    case PeriodicAudit::Outcome::kPartial: return "partial";
    case PeriodicAudit::Outcome::kFailed: return "failed";
    case PeriodicAudit::Outcome::kCancelled: return "cancelled";
    case PeriodicAudit::Outcome::kNotLeader: return "not_leader";
  }
  return "unknown";
}

bool ParseAuditInterval(const std::string& text, std::chrono::milliseconds* out, std::string* error) {
  if (text.empty()) {
    *out = std::chrono::milliseconds(0);
    return true;
  }
  std::string why;
  auto d = ParseDuration(text, &why);
  if (!d) {
    *error = "--audit-interval: " + why;
    return false;
  }
  if (d->count() != 0 && *d < kMinAuditInterval) {
    *error = "--audit-interval: " + text + " is too short; use 0 (off) or at least 1m (each audit lists the whole cluster)";
    return false;
  }
  *out = *d;
  return true;
}

PeriodicAudit::PeriodicAudit(PeriodicAuditConfig config)
    : config_(std::move(config)),
      runs_(registry_.AddCounter("riposte_audit_runs_total",
                                 "Periodic audit passes by result (complete, partial, failed, cancelled).", {"result"})),
      runner_(config_.interval, [this] { RunOnce(); }, config_.clock) {
  registry_.AddGauge("riposte_audit_interval_seconds", "Configured --audit-interval.")
      .With()
      .Set(std::chrono::duration<double>(config_.interval).count());
}

PeriodicAudit::~PeriodicAudit() { Stop(); }

void PeriodicAudit::Start() {
  log::Info("periodic audit enabled", {{"interval", FormatDuration(config_.interval)}});
  runner_.Start(true);
}

void PeriodicAudit::Stop() { runner_.Stop(); }

void PeriodicAudit::LeadershipChanged(bool leading) {
  if (leading) runner_.RunSoon();
}

std::string PeriodicAudit::RenderMetrics() const {
  if (!config_.is_leader || !config_.is_leader()) return "";
  return registry_.Render();
}

PeriodicAudit::Outcome PeriodicAudit::RunOnce() {
  if (!config_.is_leader || !config_.is_leader()) return Outcome::kNotLeader;
  auto cancelled = [this] { return runner_.stopping() || !config_.is_leader(); };
  const auto start = config_.clock->Now();
  audit::Report report;
  std::string error;
  try {
    report = config_.run(cancelled);
  } catch (const std::exception& e) {
    error = e.what();
  } catch (...) {
    error = "unknown exception";
  }
  const double secs = std::chrono::duration<double>(config_.clock->Now() - start).count();
  if (error.empty() && cancelled()) {
    // Not a failure: shutdown or another replica took over. Nothing of this pass is exported.
    runs_.With({"cancelled"}).Inc();
    log::Info("audit abandoned", {{"reason", runner_.stopping() ? "shutdown" : "lost leadership"},
                                  {"durationSeconds", Fixed(secs)}});
    return Outcome::kCancelled;
  }
  Outcome outcome;
  const auto& resources = audit::SnapshotResources();
  if (!error.empty() || report.unreadable.size() >= resources.size()) outcome = Outcome::kFailed;
  else if (report.ExitCode() == 2) outcome = Outcome::kPartial;  // unreadable resources or no engine
  else outcome = Outcome::kComplete;

  // Unlabelled gauges are exposed (as 0) from registration on, so they are registered at the
  // first pass: before it, "last run success 0" would read as a failure.
  const double now = Seconds(config_.wall());
  // The pass summary is published after its results and log lines, so whoever sees a new run
  // counted also sees what that run produced.
  const auto publish_summary = [&] {
    registry_.AddGauge("riposte_audit_last_run_timestamp_seconds",
                       "Unix time the last audit pass ended, whatever its result.")
        .With()
        .Set(now);
    registry_.AddGauge("riposte_audit_last_run_duration_seconds", "Duration of the last audit pass.").With().Set(secs);
    registry_.AddGauge("riposte_audit_last_run_success",
                       "1 when the last audit pass read and judged everything, 0 when it was partial or failed.")
        .With()
        .Set(outcome == Outcome::kComplete ? 1 : 0);
    runs_.With({std::string(OutcomeName(outcome))}).Inc();
  };
  auto& last_success = registry_.AddGauge(
      "riposte_audit_last_success_timestamp_seconds",
      "Unix time the last complete audit pass ended (the time of the at-risk and findings values); 0 = none yet.");
  if (error.empty()) {
    auto& unreadable = registry_.AddGauge("riposte_audit_unreadable_resources",
                                          "1 for each resource the last audit pass could not list (e.g. RBAC denied).",
                                          {"resource"});
    for (const auto& r : resources) {
      bool bad = false;
      for (const auto& u : report.unreadable) bad = bad || u.resource == r;
      unreadable.With({r}).Set(bad ? 1 : 0);
    }
  }
  if (outcome == Outcome::kComplete) {
    audit::ExportMetrics(report, registry_);
    last_success.With().Set(now);
    size_t at_risk = 0;
    for (const auto& c : report.controllers) {
      if (!c.at_risk) continue;
      ++at_risk;
      // One line per exposed workload and pass: what to upgrade, without opening the report.
      std::string cves;
      for (const auto& id : c.cves) cves += (cves.empty() ? "" : ",") + id;
      log::Warn("audit: ingress-nginx controller at risk",
                {{"workload", c.workload.ToString()}, {"image", c.image}, {"version", c.version},
                 {"cves", cves}, {"recommendedVersion", c.recommended_version}});
    }
    const auto counts = report.CountsBySeverity();
    log::Info("audit complete", {{"atRisk", report.at_risk() ? "true" : "false"},
                                 {"controllers", std::to_string(report.controllers.size())},
                                 {"controllersAtRisk", std::to_string(at_risk)},
                                 {"findings", std::to_string(report.findings.size())},
                                 {"critical", std::to_string(counts[static_cast<size_t>(core::Severity::kCritical)])},
                                 {"high", std::to_string(counts[static_cast<size_t>(core::Severity::kHigh)])},
                                 {"durationSeconds", Fixed(secs)}});
    publish_summary();
    return outcome;
  }
  // Keep the last complete results; say what is missing.
  registry_.AddGauge("riposte_audit_complete", "1 when every resource could be read and judged.").With().Set(0);
  std::string what = !error.empty() ? error
                     : !report.unreadable.empty() ? "unreadable: " + DescribeUnreadable(report)
                                                  : "check engine not built in; Ingresses not judged";
  log::Write(outcome == Outcome::kFailed ? log::Level::kError : log::Level::kWarn,
             outcome == Outcome::kFailed ? "audit failed; keeping the last complete results"
                                         : "audit incomplete; keeping the last complete results",
             {{"error", what}, {"durationSeconds", Fixed(secs)}});
  publish_summary();
  return outcome;
}

controller::LeaderTask AsLeaderTask(PeriodicAudit* audit) {
  controller::LeaderTask t;
  t.name = "periodic-audit";
  // The audit asks the controller whether it leads through its own is_leader, set here.
  t.start = [audit](std::function<bool()> is_leader) {
    audit->SetIsLeader(std::move(is_leader));
    audit->Start();
  };
  t.stop = [audit] { audit->Stop(); };
  t.leadership_changed = [audit](bool leading) { audit->LeadershipChanged(leading); };
  t.render_metrics = [audit] { return audit->RenderMetrics(); };
  return t;
}

}  // namespace riposte::cli
