#include "controller/policy_status.h"

#include <algorithm>
#include <cstdint>

#include "common/log.h"
#include "common/json_value.h"
#include "controller/codec.h"

namespace riposte::controller {

using web::json::value;

value PolicyStatusPatch(const value& current, uint64_t matched, uint64_t recorded,
                        const std::map<std::string, uint64_t>& suppressed,
                        std::optional<std::chrono::system_clock::time_point> last_match) {
  ResponsePolicy stored;
  json::Errors ignored;  // only status and metadata are read here
  DecodeResponsePolicy(current, &stored, &ignored);
  return EncodePolicyCountersPatch(stored, PolicyCounts{matched, recorded, suppressed, last_match});
}

void PolicyStatusCounters::Delta::Merge(const Delta& o) {
  matched += o.matched;
  recorded += o.recorded;
  for (const auto& [reason, n] : o.suppressed) suppressed[reason] += n;
  if (o.last_match && (!last_match || *o.last_match > *last_match)) last_match = o.last_match;
}

PolicyStatusCounters::PolicyStatusCounters(kube::KubeClientPtr client,
                                           std::function<kube::ObjectPtr(const std::string&)> cached)
    : client_(std::move(client)), cached_(std::move(cached)) {}

void PolicyStatusCounters::Record(const Policy& policy, Suppression decision,
                                  std::chrono::system_clock::time_point at) {
  std::lock_guard lock(mu_);
  Delta& d = pending_[policy.name];
  if (d.uid != policy.uid) {
    // Re-created under the same name: what was counted for the old object is not this one's.
    d = Delta{};
    d.uid = policy.uid;
  }
  ++d.matched;
  if (decision == Suppression::kNone) ++d.recorded;
  else ++d.suppressed[std::string(SuppressionName(decision))];
  if (!d.last_match || at > *d.last_match) d.last_match = at;
}

size_t PolicyStatusCounters::pending_policies() const {
  std::lock_guard lock(mu_);
  return pending_.size();
}

PolicyStatusCounters::FlushStats PolicyStatusCounters::Flush() {
  std::map<std::string, Delta> work;
  {
    std::lock_guard lock(mu_);
    work.swap(pending_);  // alerts keep counting into a fresh map while we write
  }
  FlushStats stats;
  for (const auto& [name, delta] : work) {
    switch (Write(name, delta, &stats)) {
      case WriteResult::kWritten:
        ++stats.written;
        break;
      case WriteResult::kDrop:
        ++stats.dropped;
        break;
      case WriteResult::kKeep: {
        ++stats.failed;
        std::lock_guard lock(mu_);
        auto [it, inserted] = pending_.try_emplace(name, delta);
        if (!inserted) {
          if (it->second.uid == delta.uid) it->second.Merge(delta);
          // else: the policy was re-created meanwhile; the old deltas are not its counts.
        }
        break;
      }
    }
  }
  return stats;
}

PolicyStatusCounters::WriteResult PolicyStatusCounters::Write(const std::string& name, const Delta& d,
                                                              FlushStats* stats) {
  std::string last_error;
  for (int attempt = 0; attempt < kMaxAttempts; ++attempt) {
    value current;
    kube::ObjectPtr cached = attempt == 0 && cached_ ? cached_(name) : nullptr;
    if (cached) {
      current = *cached;
    } else {
      auto got = client_->Get(kube::resources::kResponsePolicies, "", name);
      if (!got.ok()) {
        if (kube::IsNotFound(got.error())) return WriteResult::kDrop;
        last_error = got.error().ToString();
        break;
      }
      current = got.value();
    }
    if (!d.uid.empty() && json::GetString(current, {"metadata", "uid"}).value_or("") != d.uid) {
      if (cached) continue;  // the cache may lag a re-create: decide on a live read
      return WriteResult::kDrop;
    }
    auto patch = PolicyStatusPatch(current, d.matched, d.recorded, d.suppressed, d.last_match);
    auto r = client_->Patch(kube::resources::kResponsePolicies, "", name, patch, {},
                            "status");
    if (r.ok()) return WriteResult::kWritten;
    if (kube::IsNotFound(r.error())) return WriteResult::kDrop;
    if (kube::IsConflict(r.error())) {
      ++stats->conflicts;
      continue;
    }
    last_error = r.error().ToString();
    break;
  }
  if (last_error.empty()) last_error = "resourceVersion kept changing (" + std::to_string(kMaxAttempts) + " conflicts)";
  log::Warn("ResponsePolicy status counters not written; retrying at the next flush",
            {{"policy", name}, {"error", last_error}});
  return WriteResult::kKeep;
}

}  // namespace riposte::controller
