#include "cli/periodic_audit.h"

#include <malloc.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
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
    case PeriodicAudit::Outcome::kOverBudget: return "over_budget";
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

bool ParseMemoryBudget(const std::string& text, uint64_t* out, std::string* error) {
  static const std::pair<const char*, uint64_t> kSuffixes[] = {
      {"Ki", 1ull << 10}, {"Mi", 1ull << 20}, {"Gi", 1ull << 30}, {"Ti", 1ull << 40},
      {"k", 1000ull},     {"M", 1000000ull},  {"G", 1000000000ull}, {"T", 1000000000000ull}};
  if (text.empty()) {
    *out = 0;
    return true;
  }
  size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
  const std::string suffix = text.substr(digits);
  uint64_t unit = suffix.empty() ? 1 : 0;
  for (const auto& [s, u] : kSuffixes) {
    if (suffix == s) unit = u;
  }
  if (digits == 0 || digits > 15 || unit == 0) {
    *error = "--audit-memory-budget: \"" + text + "\" is not a byte quantity (0 = off, or e.g. 192Mi, 1Gi, 500M)";
    return false;
  }
  const uint64_t n = std::stoull(text.substr(0, digits));
  if (n > UINT64_MAX / unit) {
    *error = "--audit-memory-budget: " + text + " is too large";
    return false;
  }
  *out = n * unit;
  return true;
}

uint64_t ResidentBytes() {
  std::FILE* f = std::fopen("/proc/self/statm", "r");
  if (f == nullptr) return 0;
  unsigned long long size = 0, resident = 0;
  const int n = std::fscanf(f, "%llu %llu", &size, &resident);
  std::fclose(f);
  if (n != 2) return 0;
  return static_cast<uint64_t>(resident) * static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
}

PeriodicAudit::PeriodicAudit(PeriodicAuditConfig config)
    : config_(std::move(config)),
      runs_(registry_.AddCounter("riposte_audit_runs_total",
                                 "Periodic audit passes by result (complete, partial, failed, cancelled, over_budget).",
                                 {"result"})),
      over_budget_(registry_.AddCounter("riposte_audit_memory_budget_exceeded_total",
                                        "Audit passes abandoned because resident memory exceeded --audit-memory-budget.")),
      runner_(config_.interval, [this] { RunOnce(); }, config_.clock) {
  registry_.AddGauge("riposte_audit_interval_seconds", "Configured --audit-interval.")
      .With()
      .Set(std::chrono::duration<double>(config_.interval).count());
  registry_.AddGauge("riposte_audit_memory_budget_bytes", "Configured --audit-memory-budget (0 = none).")
      .With()
      .Set(static_cast<double>(config_.memory_budget_bytes));
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
  std::atomic<uint64_t> over_budget_at{0};  // resident bytes when the budget was found exceeded
  auto over_budget = [&] {
    if (config_.memory_budget_bytes == 0) return false;
    if (over_budget_at.load() != 0) return true;
    const uint64_t rss = config_.resident_bytes ? config_.resident_bytes() : 0;
    if (rss <= config_.memory_budget_bytes) return false;
    over_budget_at.store(rss);
    return true;
  };
  auto cancelled = [&] { return runner_.stopping() || !config_.is_leader() || over_budget(); };
  const auto start = config_.clock->Now();
  std::string error;
  {
    audit::Report report;
    try {
      report = config_.run(cancelled);
    } catch (const std::exception& e) {
      error = e.what();
    } catch (...) {
      error = "unknown exception";
    }
    const Outcome outcome = Conclude(report, error, start, over_budget_at.load());
    report = {};
    // What the pass held goes back to the system at once, not at the next allocation peak.
    ::malloc_trim(0);
    return outcome;
  }
}

PeriodicAudit::Outcome PeriodicAudit::Conclude(const audit::Report& report, const std::string& error,
                                               kube::Clock::TimePoint start, uint64_t over_budget_at) {
  const double secs = std::chrono::duration<double>(config_.clock->Now() - start).count();
  if (error.empty() && over_budget_at != 0) {
    // Nothing of this pass is exported: it stopped part-way and is incomplete.
    over_budget_.With().Inc();
    registry_.AddGauge("riposte_audit_last_run_timestamp_seconds",
                       "Unix time the last audit pass ended, whatever its result.")
        .With()
        .Set(Seconds(config_.wall()));
    registry_.AddGauge("riposte_audit_last_run_duration_seconds", "Duration of the last audit pass.").With().Set(secs);
    registry_.AddGauge("riposte_audit_last_run_success",
                       "1 when the last audit pass read and judged everything, 0 when it was partial or failed.")
        .With()
        .Set(0);
    runs_.With({std::string(OutcomeName(Outcome::kOverBudget))}).Inc();
    log::Warn("audit abandoned: memory budget exceeded; keeping the last complete results",
              {{"residentBytes", std::to_string(over_budget_at)},
               {"budgetBytes", std::to_string(config_.memory_budget_bytes)},
               {"durationSeconds", Fixed(secs)}});
    return Outcome::kOverBudget;
  }
  if (error.empty() && (runner_.stopping() || !config_.is_leader())) {
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
