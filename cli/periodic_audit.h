#pragma once
// The exposure audit (audit/, the same collector and analysis as `riposte audit`) run by
// `riposte controller` every --audit-interval, exported as riposte_audit_* Prometheus metrics.
// It lives here, where the command puts the controller and the audit together, and reaches
// the controller only as a LeaderTask (controller/leader_task.h): controller/ does not depend
// on audit/.
//
// Only the Lease holder audits: a pass lists every Pod, Service, Ingress, ... in
// the cluster, and N replicas doing it would multiply that load for the same answer. It runs
// on its own thread (alert ingestion and reconcile never wait for it), once as soon as this
// replica becomes leader and then every interval; a pass in progress is abandoned when
// leadership is lost or the controller stops.
//
// A partial pass (a resource could not be listed, e.g. RBAC denied) or a failed one is counted
// and logged, but the result gauges keep the last complete pass: a pass that could not read
// Deployments would otherwise report "nothing at risk".

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

#include "audit/report.h"
#include "common/metrics.h"
#include "controller/guards.h"
#include "controller/leader_task.h"
#include "controller/periodic.h"
#include "kube/clock.h"

namespace riposte::cli {

using controller::PeriodicRunner;
using controller::WallClock;

// The smallest interval accepted: a pass reads the whole cluster.
inline constexpr std::chrono::minutes kMinAuditInterval{1};

// Parses --audit-interval: "0" (or "") = off, otherwise a duration of at least 1m.
bool ParseAuditInterval(const std::string& text, std::chrono::milliseconds* out, std::string* error);

// Parses --audit-memory-budget: "0" (or "") = off, otherwise bytes as a Kubernetes quantity
// without fractions ("96Mi", "1Gi", "500M", "1048576").
bool ParseMemoryBudget(const std::string& text, uint64_t* out, std::string* error);

// This process's resident set size in bytes (/proc/self/statm), 0 when it cannot be read.
uint64_t ResidentBytes();

struct PeriodicAuditConfig {
  std::chrono::milliseconds interval{0};
  std::function<bool()> is_leader;
  // One audit pass. `cancelled` turns true when the pass should be abandoned.
  std::function<audit::Report(const std::function<bool()>& cancelled)> run;
  kube::ClockPtr clock = kube::DefaultClock();  // durations and scheduling
  WallClock wall = [] { return std::chrono::system_clock::now(); };  // timestamps in metrics
  // The guard against the unexpected: a pass is abandoned as soon as the process's resident
  // memory exceeds this many bytes (0 = no budget). It is measured between list requests, so
  // it must leave room for one page above it; the chart sets it below the container limit so
  // an audit can never get the controller OOM-killed.
  uint64_t memory_budget_bytes = 0;
  std::function<uint64_t()> resident_bytes = ResidentBytes;
};

class PeriodicAudit {
 public:
  enum class Outcome { kComplete, kPartial, kFailed, kCancelled, kNotLeader, kOverBudget };

  explicit PeriodicAudit(PeriodicAuditConfig config);
  ~PeriodicAudit();  // Stop()
  PeriodicAudit(const PeriodicAudit&) = delete;
  PeriodicAudit& operator=(const PeriodicAudit&) = delete;

  // Replaces config.is_leader; only before Start (the controller provides it when it starts).
  void SetIsLeader(std::function<bool()> is_leader) { config_.is_leader = std::move(is_leader); }
  void Start();
  void Stop();  // abandons a pass in progress (after its current list request) and joins
  // From the leader-election callbacks (must not block): gaining the Lease audits at once.
  void LeadershipChanged(bool leading);

  // riposte_audit_* in Prometheus text while this replica leads, "" otherwise, so that one
  // series per metric exists across replicas.
  std::string RenderMetrics() const;
  std::string RenderAll() const { return registry_.Render(); }  // regardless of leadership

  // One pass now, on the calling thread (the loop's body; exposed for tests).
  Outcome RunOnce();
  // Scheduler ticks so far, passes and follower no-ops alike; once counted, the next is scheduled.
  uint64_t ticks() const { return runner_.runs(); }

 private:
  // Counts, exports and logs the result of a pass.
  Outcome Conclude(const audit::Report& report, const std::string& error, kube::Clock::TimePoint start,
                   uint64_t over_budget_at);

  PeriodicAuditConfig config_;
  metrics::Registry registry_;
  metrics::CounterFamily& runs_;
  metrics::CounterFamily& over_budget_;
  PeriodicRunner runner_;
};

std::string_view OutcomeName(PeriodicAudit::Outcome o);

// The audit as the controller's leader-only task: started and stopped with the controller,
// told of leadership changes, its metrics appended to the controller's /metrics.
controller::LeaderTask AsLeaderTask(PeriodicAudit* audit);

}  // namespace riposte::cli
