#include "kube/leader_election.h"

#include <ctime>

#include "common/json_value.h"
#include "kube/api_time.h"
#include "common/log.h"

namespace riposte::kube {
namespace {

using web::json::value;

// The Lease fields leader election reads and writes (coordination.k8s.io/v1).
struct LeaseRecord {
  std::string holder;
  int64_t duration_s = 0;
  int64_t transitions = 0;
};

LeaseRecord ReadLease(const value& lease) {
  json::Reader spec = json::Reader(lease)["spec"];
  return {spec["holderIdentity"].StringOr(""), spec["leaseDurationSeconds"].IntOr(0), spec["leaseTransitions"].IntOr(0)};
}

// Sets the holder and times on `lease` (a new one, or the stored one with every other field kept).
void WriteLease(value& lease, const std::string& holder, int64_t duration_s, std::chrono::system_clock::time_point renew,
                std::optional<std::chrono::system_clock::time_point> acquire, std::optional<int64_t> transitions) {
  auto& spec = json::Mutable(lease, {"spec"});
  spec["holderIdentity"] = holder.empty() ? value::null() : value::string(holder);
  spec["leaseDurationSeconds"] = value::number(duration_s);
  spec["renewTime"] = value::string(FormatMicroTime(renew));
  if (acquire) spec["acquireTime"] = value::string(FormatMicroTime(*acquire));
  if (transitions) spec["leaseTransitions"] = value::number(*transitions);
}

std::string ResourceVersion(const value& obj) {
  return json::GetString(obj, {"metadata", "resourceVersion"}).value_or("");
}

}  // namespace

std::string ValidateLeaderElectionConfig(const LeaderElectionConfig& c) {
  if (c.lease_name.empty() || !ValidateObjectName(c.lease_name).empty()) return "lease name is missing or invalid";
  if (c.lease_namespace.empty() || !ValidateNamespaceName(c.lease_namespace).empty()) {
    return "lease namespace is missing or invalid";
  }
  if (c.identity.empty()) return "identity is empty";
  if (c.retry_period.count() <= 0) return "retry period must be positive";
  if (c.lease_duration <= c.renew_deadline) return "lease duration must be greater than the renew deadline";
  if (static_cast<double>(c.renew_deadline.count()) <= 1.2 * static_cast<double>(c.retry_period.count())) {
    return "renew deadline must be greater than 1.2 x retry period";
  }
  return "";
}

LeaderElector::LeaderElector(KubeClientPtr client, LeaderElectionConfig cfg, ClockPtr clock)
    : client_(std::move(client)), cfg_(std::move(cfg)), clock_(clock ? std::move(clock) : DefaultClock()) {}

LeaderElector::~LeaderElector() { Stop(); }

void LeaderElector::Start() {
  std::lock_guard<std::mutex> lock(mu_);
  if (running_) return;
  running_ = true;
  stop_ = false;
  thread_ = std::thread([this] { Run(); });
}

void LeaderElector::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!running_) return;
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  std::lock_guard<std::mutex> lock(mu_);
  running_ = false;
}

bool LeaderElector::IsLeader() const {
  if (!leading_.load()) return false;
  // Even while a renewal request hangs, leadership ends at the renew deadline.
  std::lock_guard<std::mutex> lock(mu_);
  return clock_->Now() - last_renew_ < cfg_.renew_deadline;
}

std::string LeaderElector::Leader() const {
  std::lock_guard<std::mutex> lock(mu_);
  return leader_;
}

void LeaderElector::SetLeading(bool leading) {
  if (leading_.exchange(leading) == leading) return;
  if (leading) {
    log::Info("leader election: started leading", {{"lease", cfg_.lease_namespace + "/" + cfg_.lease_name},
                                                   {"identity", cfg_.identity}});
    if (cfg_.on_started_leading) cfg_.on_started_leading();
  } else {
    log::Warn("leader election: stopped leading", {{"lease", cfg_.lease_namespace + "/" + cfg_.lease_name},
                                                   {"identity", cfg_.identity}});
    if (cfg_.on_stopped_leading) cfg_.on_stopped_leading();
  }
}

void LeaderElector::ObserveLeader(const std::string& holder) {
  bool changed = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (leader_ != holder) {
      leader_ = holder;
      changed = true;
    }
  }
  if (changed && cfg_.on_new_leader) cfg_.on_new_leader(holder);
}

bool LeaderElector::TryAcquireOrRenew() {
  const auto wall = std::chrono::system_clock::now();
  const int64_t duration_s =
      std::max<int64_t>(1, std::chrono::duration_cast<std::chrono::seconds>(cfg_.lease_duration).count());
  auto got = client_->Get(resources::kLeases, cfg_.lease_namespace, cfg_.lease_name);
  if (!got.ok()) {
    if (!IsNotFound(got.error())) {
      log::Warn("leader election: cannot read lease", {{"error", got.error().ToString()}});
      return false;
    }
    value lease = value::object();
    lease["apiVersion"] = value::string("coordination.k8s.io/v1");
    lease["kind"] = value::string("Lease");
    lease["metadata"] = value::object();
    lease["metadata"]["name"] = value::string(cfg_.lease_name);
    lease["metadata"]["namespace"] = value::string(cfg_.lease_namespace);
    WriteLease(lease, cfg_.identity, duration_s, wall, wall, 0);
    auto created = client_->Create(resources::kLeases, cfg_.lease_namespace, lease);
    if (!created.ok()) return false;
    std::lock_guard<std::mutex> lock(mu_);
    observed_record_ = json::Serialize(json::Find(created.value(), {"spec"}) ? *json::Find(created.value(), {"spec"}) : value());
    observed_time_ = clock_->Now();
    lease_rv_ = ResourceVersion(created.value());
    leader_ = cfg_.identity;
    return true;
  }
  value lease = std::move(got.value());
  const LeaseRecord rec = ReadLease(lease);
  const value* spec = json::Find(lease, {"spec"});
  // Expiry is judged by when *we* saw the record change, not by the remote renewTime, so
  // clock skew between replicas does not matter (as client-go does).
  const std::string record = spec != nullptr ? json::Serialize(*spec) : "";
  Clock::TimePoint observed;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (record != observed_record_) {
      observed_record_ = record;
      observed_time_ = clock_->Now();
    }
    observed = observed_time_;
  }
  ObserveLeader(rec.holder);
  const int64_t remote_duration = std::max<int64_t>(rec.duration_s, 1);
  if (!rec.holder.empty() && rec.holder != cfg_.identity &&
      clock_->Now() < observed + std::chrono::seconds(remote_duration)) {
    return false;  // held by someone else and not expired
  }
  const bool taking = rec.holder != cfg_.identity;
  WriteLease(lease, cfg_.identity, duration_s, wall, taking ? std::optional(wall) : std::nullopt,
             taking ? std::optional(rec.transitions + 1) : std::nullopt);
  auto updated = client_->Update(resources::kLeases, cfg_.lease_namespace, lease);
  if (!updated.ok()) {
    if (!IsConflict(updated.error())) {
      log::Warn("leader election: cannot update lease", {{"error", updated.error().ToString()}});
    }
    return false;
  }
  std::lock_guard<std::mutex> lock(mu_);
  const value* new_spec = json::Find(updated.value(), {"spec"});
  observed_record_ = new_spec != nullptr ? json::Serialize(*new_spec) : "";
  observed_time_ = clock_->Now();
  lease_rv_ = ResourceVersion(updated.value());
  leader_ = cfg_.identity;
  return true;
}

void LeaderElector::Release() {
  auto got = client_->Get(resources::kLeases, cfg_.lease_namespace, cfg_.lease_name);
  if (!got.ok()) return;
  value lease = std::move(got.value());
  if (ReadLease(lease).holder != cfg_.identity) return;
  // client-go ReleaseOnCancel: clear the holder and shorten the duration so a successor
  // acquires at its next retry instead of waiting for expiry.
  const auto wall = std::chrono::system_clock::now();
  WriteLease(lease, "", 1, wall, wall, std::nullopt);
  auto r = client_->Update(resources::kLeases, cfg_.lease_namespace, lease);
  if (!r.ok()) log::Warn("leader election: release failed", {{"error", r.error().ToString()}});
}
void LeaderElector::Run() {
  for (;;) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stop_) break;
    }
    const bool ok = TryAcquireOrRenew();
    const auto now = clock_->Now();
    if (ok) {
      {
        std::lock_guard<std::mutex> lock(mu_);
        last_renew_ = now;
      }
      SetLeading(true);
      ObserveLeader(cfg_.identity);
    } else if (leading_.load()) {
      std::string holder;
      Clock::TimePoint last;
      {
        std::lock_guard<std::mutex> lock(mu_);
        holder = leader_;
        last = last_renew_;
      }
      // Someone else holds it, or we could not renew in time: stop acting at once.
      if ((!holder.empty() && holder != cfg_.identity) || now - last >= cfg_.renew_deadline) SetLeading(false);
    }
    std::unique_lock<std::mutex> lock(mu_);
    Clock::TimePoint deadline = clock_->Now() + cfg_.retry_period;
    if (leading_.load()) deadline = std::min(deadline, last_renew_ + cfg_.renew_deadline);
    while (!stop_ && clock_->Now() < deadline) clock_->WaitUntil(cv_, lock, deadline);
    if (leading_.load() && clock_->Now() - last_renew_ >= cfg_.renew_deadline) {
      lock.unlock();
      SetLeading(false);
    }
  }
  if (leading_.load()) {
    SetLeading(false);
    if (cfg_.release_on_stop) Release();
  }
}

}  // namespace riposte::kube
