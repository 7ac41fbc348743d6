#include "kube/leader_election.h"

#include "common/log.h"
#include "kube/objects.h"

namespace riposte::kube {
namespace json = web::json;

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
    Lease lease;
    lease.set_api_version("coordination.k8s.io/v1").set_kind("Lease");
    lease.set_name(cfg_.lease_name).set_namespace(cfg_.lease_namespace);
    lease.set_holder_identity(cfg_.identity)
        .set_lease_duration_seconds(duration_s)
        .set_acquire_time(wall)
        .set_renew_time(wall)
        .set_lease_transitions(0);
    auto created = client_->Create(resources::kLeases, cfg_.lease_namespace, lease.json());
    if (!created.ok()) return false;
    std::lock_guard<std::mutex> lock(mu_);
    observed_record_ = created.value().serialize();
    observed_time_ = clock_->Now();
    lease_rv_ = Lease(created.value()).resource_version();
    leader_ = cfg_.identity;
    return true;
  }
  Lease lease(std::move(got.value()));
  const std::string holder = lease.holder_identity();
  const json::value spec = lease.json().has_field("spec") ? lease.json().at("spec") : json::value::object();
  // Expiry is judged by when *we* saw the record change, not by the remote renewTime, so
  // clock skew between replicas does not matter (as client-go does).
  const std::string record = spec.serialize();
  Clock::TimePoint observed;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (record != observed_record_) {
      observed_record_ = record;
      observed_time_ = clock_->Now();
    }
    observed = observed_time_;
  }
  ObserveLeader(holder);
  const int64_t remote_duration = std::max<int64_t>(lease.lease_duration_seconds(), 1);
  if (!holder.empty() && holder != cfg_.identity &&
      clock_->Now() < observed + std::chrono::seconds(remote_duration)) {
    return false;  // held by someone else and not expired
  }
  if (holder != cfg_.identity) {
    lease.set_acquire_time(wall).set_lease_transitions(lease.lease_transitions() + 1);
  }
  lease.set_holder_identity(cfg_.identity).set_lease_duration_seconds(duration_s).set_renew_time(wall);
  auto updated = client_->Update(resources::kLeases, cfg_.lease_namespace, lease.json());
  if (!updated.ok()) {
    if (!IsConflict(updated.error())) {
      log::Warn("leader election: cannot update lease", {{"error", updated.error().ToString()}});
    }
    return false;
  }
  std::lock_guard<std::mutex> lock(mu_);
  observed_record_ = updated.value().has_field("spec") ? updated.value().at("spec").serialize() : "";
  observed_time_ = clock_->Now();
  lease_rv_ = Lease(updated.value()).resource_version();
  leader_ = cfg_.identity;
  return true;
}

void LeaderElector::Release() {
  auto got = client_->Get(resources::kLeases, cfg_.lease_namespace, cfg_.lease_name);
  if (!got.ok()) return;
  Lease lease(std::move(got.value()));
  if (lease.holder_identity() != cfg_.identity) return;
  // client-go ReleaseOnCancel: clear the holder and shorten the duration so a successor
  // acquires at its next retry instead of waiting for expiry.
  const auto wall = std::chrono::system_clock::now();
  lease.set_holder_identity("").set_lease_duration_seconds(1).set_renew_time(wall).set_acquire_time(wall);
  auto r = client_->Update(resources::kLeases, cfg_.lease_namespace, lease.json());
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
