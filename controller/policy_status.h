#pragma once
// ResponsePolicy status counters (status.alertsMatched, alertsSuppressed, suppressedByReason,
// responsesRecorded, lastMatchTime): what each policy matched and what its guards suppressed,
// visible with `kubectl get rpol`.
//
// Alerts only bump in-memory deltas; Flush() (every --policy-status-interval, default 5s)
// writes each policy with pending deltas once, as a merge patch on the status subresource. A
// flood of alerts therefore costs at most one write per policy per interval, never one per
// alert.
//
// Every replica ingests alerts, so every replica flushes its own deltas: it adds them to the
// counts currently stored and patches with the object's resourceVersion as a precondition. A
// concurrent write (another replica, the leader's conditions) makes the patch fail with 409;
// the flush re-reads and retries, so no replica's counts overwrite another's. Deltas that
// could not be written (API down, Forbidden) are kept for the next flush; deltas of a policy
// that was deleted (or deleted and re-created: different uid) are dropped.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "controller/guards.h"
#include "controller/policy.h"
#include "controller/status_batch.h"
#include "kube/informer.h"
#include "kube/kube_client.h"

namespace riposte::controller {

class PolicyStatusCounters {
 public:
  // `cached` (optional) returns the informer's copy of a policy by name; it saves a GET per
  // flush, and a stale copy only costs a 409 and a live re-read.
  explicit PolicyStatusCounters(kube::KubeClientPtr client,
                                std::function<kube::ObjectPtr(const std::string& name)> cached = {});

  // One decision of `policy` on a matched alert: kNone = a response was recorded.
  void Record(const Policy& policy, Suppression decision, std::chrono::system_clock::time_point at);

  using FlushStats = StatusFlushStats;
  FlushStats Flush();
  size_t pending_policies() const;

  // Max attempts per policy and flush when the stored object keeps changing under us.
  static constexpr int kMaxAttempts = 4;

 private:
  struct Delta {
    std::string uid;
    uint64_t matched = 0;
    uint64_t recorded = 0;
    std::map<std::string, uint64_t> suppressed;  // reason -> count
    std::optional<std::chrono::system_clock::time_point> last_match;
    void Merge(const Delta& o);
  };
  StatusWriteResult Write(const std::string& name, const Delta& d, FlushStats* stats);

  kube::KubeClientPtr client_;
  std::function<kube::ObjectPtr(const std::string&)> cached_;
  PendingStatusDeltas<Delta> pending_;
};

// The merge patch that adds `matched`, ... to the counters in `current` (a ResponsePolicy;
// missing or malformed status fields count as 0) and carries its resourceVersion.
web::json::value PolicyStatusPatch(const web::json::value& current, uint64_t matched, uint64_t recorded,
                                   const std::map<std::string, uint64_t>& suppressed,
                                   std::optional<std::chrono::system_clock::time_point> last_match);

}  // namespace riposte::controller
