#pragma once
// One incident record per target: an alert for a pod whose ResponseAction still holds the
// cooldown is not only suppressed, it is attached to that ResponseAction's status.incident
// (alert count, first/last seen, per-rule counts, the last few outputs).
//
// Alerts only add to an in-memory delta per ResponseAction; Flush() (with the ResponsePolicy
// counters, every --policy-status-interval, or sooner when many incidents are pending) writes
// each ResponseAction once, as a merge patch on the status subresource with the stored
// resourceVersion as a precondition, and retries a 409 on a fresh read (controller/
// status_batch.h, shared with policy_status.h). A flood of alerts therefore costs at most one
// write per ResponseAction per interval.
//
// Memory is bounded whatever the alert rate: at most `max_pending` ResponseActions with
// pending deltas (an alert for one more is dropped and counted), at most `max_rules` rule
// names per delta and per stored record (the rest count under otherRulesCount), and at most
// `max_outputs` outputs of at most `max_output_bytes` each.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <string>

#include <cpprest/json.h>

#include "controller/alert.h"
#include "controller/status_batch.h"
#include "controller/types.h"
#include "kube/informer.h"
#include "kube/kube_client.h"

namespace riposte::controller {

struct IncidentLimits {
  size_t max_pending = 1024;       // ResponseActions with unwritten alerts
  size_t max_rules = 16;           // rule names kept per record (top by count) and per delta
  size_t max_outputs = 5;          // last outputs kept
  size_t max_output_bytes = 512;   // each output, cut on a UTF-8 boundary
  size_t max_rule_bytes = 256;     // each rule name
  size_t flush_soon_at = 256;      // pending ResponseActions that ask for an early flush
};

// What arrived for one ResponseAction since the last flush.
struct IncidentDelta {
  std::string uid;  // not known at ingest: "" (status_batch.h)
  uint64_t alerts = 0;
  std::optional<std::chrono::system_clock::time_point> first, last;
  std::map<std::string, uint64_t> rules;  // at most max_rules names
  uint64_t other_rules = 0;
  std::deque<IncidentOutput> outputs;  // oldest first, at most max_outputs
  size_t max_rules = 16, max_outputs = 5;

  void Add(const std::string& rule, std::chrono::system_clock::time_point at, IncidentOutput output);
  // `newer` arrived after this delta.
  void Merge(const IncidentDelta& newer);
};

// The stored record plus `delta`. Without a stored record the ResponseAction's own alert
// (spec.alert) starts it, so alertCount counts every alert of the incident.
IncidentSummary MergeIncident(const ResponseAction& stored, const IncidentDelta& delta, const IncidentLimits& limits);
// The merge patch for status.incident, with `stored`'s resourceVersion as a precondition.
web::json::value IncidentPatch(const web::json::value& stored, const IncidentDelta& delta,
                               const IncidentLimits& limits);

class IncidentAggregator {
 public:
  using CachedFn = std::function<kube::ObjectPtr(const std::string& ns, const std::string& name)>;
  explicit IncidentAggregator(kube::KubeClientPtr client, IncidentLimits limits = {}, CachedFn cached = {});

  // Attaches `alert` to the incident of ResponseAction ns/name. False when it was dropped
  // because max_pending ResponseActions already wait for a flush.
  bool Attach(const std::string& ns, const std::string& response_action, const Alert& alert);
  StatusFlushStats Flush();
  // Called (outside any lock) when the pending ResponseActions reach flush_soon_at.
  void SetFlushSoon(std::function<void()> fn) { flush_soon_ = std::move(fn); }

  size_t pending() const { return pending_.size(); }
  uint64_t attached() const { return attached_.load(); }
  uint64_t dropped() const { return dropped_.load(); }
  const IncidentLimits& limits() const { return limits_; }

  static constexpr int kMaxAttempts = 4;

 private:
  kube::KubeClientPtr client_;
  IncidentLimits limits_;
  CachedFn cached_;
  std::function<void()> flush_soon_;
  PendingStatusDeltas<IncidentDelta> pending_;
  std::atomic<uint64_t> attached_{0}, dropped_{0};
};

}  // namespace riposte::controller
