#pragma once
// Guards between a matched alert and a new ResponseAction, so a flood of alerts cannot be
// turned into a denial of service run by the attacker: protected namespaces, a per-target
// cooldown, a per-policy rate limit and a global cap on destructive responses per minute.
//
// The cooldown is also held across replicas and restarts: the informer feeds every existing
// ResponseAction in through ObserveExisting(), and ResponseAction names are derived from
// (policy, pod, cooldown window) so two replicas racing on the same alert collide on the
// name instead of acting twice.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <unordered_map>

#include "controller/alert.h"
#include "controller/policy.h"

namespace riposte::controller {

enum class Suppression {
  kNone,
  kProtectedNamespace,
  kCooldown,
  kPolicyRateLimit,
  kDestructiveCap,
  kBusy,  // could not decide in time (a racing response for the same target is in flight)
};
std::string_view SuppressionName(Suppression s);

struct GuardConfig {
  std::set<std::string> protected_namespaces{"kube-system"};
  int64_t max_destructive_per_minute = 10;
  size_t max_tracked_targets = 100000;  // memory cap on the cooldown table
  std::chrono::milliseconds wait_for_inflight{5000};
};

using WallClock = std::function<std::chrono::system_clock::time_point()>;

class Guards {
 public:
  explicit Guards(GuardConfig config, WallClock now = [] { return std::chrono::system_clock::now(); });

  struct Ticket {
    Suppression reason = Suppression::kNone;
    std::string message;
    std::string key;  // set when admitted: pass to Commit/Abort
    std::chrono::system_clock::time_point at;
    // kCooldown: the ResponseAction that holds the target's cooldown, when known; the alert
    // is attached to its incident record (controller/incidents.h).
    std::string incident;
  };

  // Decides whether `policy` may respond to `target` now. When admitted the target is
  // reserved: concurrent callers for the same (policy, target) wait (up to
  // wait_for_inflight) for Commit/Abort. Thread-safe.
  Ticket Admit(const Policy& policy, const AlertTarget& target);
  // The ResponseAction `name` is durably recorded: the cooldown starts.
  void Commit(const Ticket& ticket, const std::string& name = "");
  // Recording failed: release the reservation so a retry of the alert can respond.
  void Abort(const Ticket& ticket);
  // A ResponseAction seen in the API (from any replica, or before a restart).
  void ObserveExisting(const std::string& policy, const std::string& ns, const std::string& pod,
                       std::chrono::system_clock::time_point created, int64_t cooldown_seconds,
                       const std::string& name = "");

  // Deterministic ResponseAction name for an admitted response: the same policy, pod and
  // cooldown window give the same name on every replica. With no cooldown each alert gets
  // its own name.
  static std::string ResponseName(const Policy& policy, const AlertTarget& target,
                                  std::chrono::system_clock::time_point at, const std::string& alert_id);

  uint64_t suppressed(Suppression reason) const;
  size_t tracked_targets() const;

 private:
  struct Entry {
    bool pending = false;
    std::chrono::system_clock::time_point last;  // time of the last committed response
    std::chrono::system_clock::time_point expires;
    std::string name;  // the ResponseAction of `last`
  };
  static std::string Key(const std::string& policy, const std::string& ns, const std::string& pod);
  void Prune(std::chrono::system_clock::time_point now);
  static size_t CountSince(std::deque<std::chrono::system_clock::time_point>& q,
                           std::chrono::system_clock::time_point since);
  Ticket Suppress(Suppression reason, std::string message);

  GuardConfig config_;
  WallClock now_;
  mutable std::mutex mu_;
  std::condition_variable settled_;
  std::unordered_map<std::string, Entry> targets_;
  std::map<std::string, std::deque<std::chrono::system_clock::time_point>> per_policy_;
  std::deque<std::chrono::system_clock::time_point> destructive_;
  std::map<std::string, bool> ticket_destructive_;  // key -> counted in destructive_
  uint64_t counts_[6] = {};
};

}  // namespace riposte::controller
