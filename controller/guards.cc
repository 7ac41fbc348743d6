#include "controller/guards.h"

#include "controller/names.h"

namespace riposte::controller {

using Clock = std::chrono::system_clock;
using std::chrono::seconds;

std::string_view SuppressionName(Suppression s) {
  switch (s) {
    case Suppression::kNone: return "none";
    case Suppression::kProtectedNamespace: return "protected_namespace";
    case Suppression::kCooldown: return "cooldown";
    case Suppression::kPolicyRateLimit: return "policy_rate_limit";
    case Suppression::kDestructiveCap: return "destructive_cap";
    case Suppression::kBusy: return "busy";
  }
  return "unknown";
}

Guards::Guards(GuardConfig config, WallClock now) : config_(std::move(config)), now_(std::move(now)) {}

std::string Guards::Key(const std::string& policy, const std::string& ns, const std::string& pod) {
  return policy + "\n" + ns + "\n" + pod;
}

size_t Guards::CountSince(std::deque<Clock::time_point>& q, Clock::time_point since) {
  while (!q.empty() && q.front() <= since) q.pop_front();
  return q.size();
}

Guards::Ticket Guards::Suppress(Suppression reason, std::string message) {
  ++counts_[static_cast<int>(reason)];
  Ticket t;
  t.reason = reason;
  t.message = std::move(message);
  return t;
}

void Guards::Prune(Clock::time_point now) {
  for (auto it = targets_.begin(); it != targets_.end();) {
    if (!it->second.pending && it->second.expires <= now) it = targets_.erase(it);
    else ++it;
  }
}

Guards::Ticket Guards::Admit(const Policy& policy, const AlertTarget& target) {
  std::unique_lock lock(mu_);
  if (config_.protected_namespaces.count(target.ns) != 0)
    return Suppress(Suppression::kProtectedNamespace, "namespace " + target.ns + " is protected");
  const std::string key = Key(policy.name, target.ns, target.pod);
  // A response for the same target may be being recorded right now (by a concurrent
  // request): wait for its outcome rather than answer before it is durable.
  auto deadline = std::chrono::steady_clock::now() + config_.wait_for_inflight;
  while (true) {
    auto it = targets_.find(key);
    if (it == targets_.end() || !it->second.pending) break;
    if (settled_.wait_until(lock, deadline) == std::cv_status::timeout) {
      it = targets_.find(key);
      if (it != targets_.end() && it->second.pending)
        return Suppress(Suppression::kBusy, "a response for this target is still being recorded");
    }
  }
  const auto now = now_();
  auto it = targets_.find(key);
  if (it != targets_.end() && it->second.expires > now && policy.guards.cooldown_seconds > 0) {
    auto t = Suppress(Suppression::kCooldown,
                      "pod " + target.ns + "/" + target.pod + " already had a response from policy " + policy.name +
                          " within cooldownSeconds=" + std::to_string(policy.guards.cooldown_seconds));
    t.incident = it->second.name;
    return t;
  }
  const auto window_start = now - seconds(60);
  auto& recent = per_policy_[policy.name];
  if (CountSince(recent, window_start) >= static_cast<size_t>(policy.guards.max_actions_per_minute))
    return Suppress(Suppression::kPolicyRateLimit,
                    "policy " + policy.name + " reached maxActionsPerMinute=" +
                        std::to_string(policy.guards.max_actions_per_minute));
  if (policy.has_destructive && !policy.dry_run) {
    size_t used = CountSince(destructive_, window_start);
    if (used >= static_cast<size_t>(config_.max_destructive_per_minute))
      return Suppress(Suppression::kDestructiveCap,
                      "global cap of " + std::to_string(config_.max_destructive_per_minute) +
                          " destructive responses per minute reached");
    if (policy.guards.max_destructive_per_minute) {
      size_t mine = 0;
      for (const auto& t : recent)
        if (t > window_start) ++mine;
      if (mine >= static_cast<size_t>(*policy.guards.max_destructive_per_minute))
        return Suppress(Suppression::kDestructiveCap,
                        "policy " + policy.name + " reached maxDestructivePerMinute=" +
                            std::to_string(*policy.guards.max_destructive_per_minute));
    }
  }
  if (targets_.size() >= config_.max_tracked_targets) {
    Prune(now);
    if (targets_.size() >= config_.max_tracked_targets)
      return Suppress(Suppression::kBusy, "too many targets tracked; retry later");
  }
  auto& entry = targets_[key];
  entry.pending = true;
  entry.expires = now + seconds(policy.guards.cooldown_seconds);
  // Rate windows count the response immediately so a burst cannot overshoot while the
  // first ones are still being recorded; Abort gives the slot back.
  recent.push_back(now);
  bool destructive = policy.has_destructive && !policy.dry_run;
  if (destructive) destructive_.push_back(now);
  ticket_destructive_[key] = destructive;
  Ticket t;
  t.key = key;
  t.at = now;
  return t;
}

void Guards::Commit(const Ticket& ticket, const std::string& name) {
  std::lock_guard lock(mu_);
  auto it = targets_.find(ticket.key);
  if (it != targets_.end()) {
    it->second.pending = false;
    it->second.last = ticket.at;
    it->second.name = name;
  }
  ticket_destructive_.erase(ticket.key);
  settled_.notify_all();
}

void Guards::Abort(const Ticket& ticket) {
  std::lock_guard lock(mu_);
  auto it = targets_.find(ticket.key);
  if (it != targets_.end() && it->second.pending) {
    if (it->second.last == Clock::time_point{}) targets_.erase(it);
    else it->second.pending = false;
  }
  std::string policy = ticket.key.substr(0, ticket.key.find('\n'));
  auto remove_one = [&](std::deque<Clock::time_point>& q) {
    for (auto qi = q.rbegin(); qi != q.rend(); ++qi)
      if (*qi == ticket.at) {
        q.erase(std::next(qi).base());
        return;
      }
  };
  remove_one(per_policy_[policy]);
  auto d = ticket_destructive_.find(ticket.key);
  if (d != ticket_destructive_.end()) {
    if (d->second) remove_one(destructive_);
    ticket_destructive_.erase(d);
  }
  settled_.notify_all();
}

void Guards::ObserveExisting(const std::string& policy, const std::string& ns, const std::string& pod,
                             Clock::time_point created, int64_t cooldown_seconds, const std::string& name) {
  std::lock_guard lock(mu_);
  auto expires = created + seconds(cooldown_seconds);
  if (expires <= now_()) return;
  auto& e = targets_[Key(policy, ns, pod)];
  if (expires > e.expires) e.expires = expires;
  if (created > e.last || (created == e.last && e.name.empty())) {
    e.last = created;
    if (!name.empty()) e.name = name;
  }
}

std::string Guards::ResponseName(const Policy& policy, const AlertTarget& target, Clock::time_point at,
                                 const std::string& alert_id) {
  std::string discriminator;
  if (policy.guards.cooldown_seconds > 0) {
    auto secs = std::chrono::duration_cast<seconds>(at.time_since_epoch()).count();
    discriminator = std::to_string(secs / policy.guards.cooldown_seconds);
  } else {
    discriminator = alert_id;
  }
  std::string hash = HashHex(policy.name + "\n" + target.ns + "\n" + target.pod + "\n" + discriminator).substr(0, 10);
  // Keep the name a DNS label: readable policy prefix + hash.
  std::string prefix = DerivedName("", policy.name);
  if (prefix.size() > 40) prefix = prefix.substr(0, 40);
  while (!prefix.empty() && prefix.back() == '-') prefix.pop_back();
  return prefix + "-" + hash;
}

uint64_t Guards::suppressed(Suppression reason) const {
  std::lock_guard lock(mu_);
  return counts_[static_cast<int>(reason)];
}

size_t Guards::tracked_targets() const {
  std::lock_guard lock(mu_);
  return targets_.size();
}

}  // namespace riposte::controller
