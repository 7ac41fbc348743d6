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
  pending_.Update(policy.name, 0, [&](Delta& d) {
    if (d.uid != policy.uid) {
      // Re-created under the same name: what was counted for the old object is not this one's.
      d = Delta{};
      d.uid = policy.uid;
    }
    ++d.matched;
    if (decision == Suppression::kNone) ++d.recorded;
    else ++d.suppressed[std::string(SuppressionName(decision))];
    if (!d.last_match || at > *d.last_match) d.last_match = at;
  });
}

size_t PolicyStatusCounters::pending_policies() const { return pending_.size(); }

PolicyStatusCounters::FlushStats PolicyStatusCounters::Flush() {
  return pending_.Flush([this](const std::string& name, const Delta& d, FlushStats* stats) {
    return Write(name, d, stats);
  });
}

StatusWriteResult PolicyStatusCounters::Write(const std::string& name, const Delta& d, FlushStats* stats) {
  std::string error;
  auto result = PatchStatusWithRetry(
      *client_, StatusTarget{&kube::resources::kResponsePolicies, "", name, d.uid},
      cached_ ? std::function<kube::ObjectPtr()>([&] { return cached_(name); }) : nullptr,
      [&](const value& current) { return PolicyStatusPatch(current, d.matched, d.recorded, d.suppressed, d.last_match); },
      kMaxAttempts, stats, &error);
  if (result == StatusWriteResult::kKeep)
    log::Warn("ResponsePolicy status counters not written; retrying at the next flush",
              {{"policy", name}, {"error", error}});
  return result;
}

}  // namespace riposte::controller
