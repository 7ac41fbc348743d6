#pragma once
// Leader election on a coordination.k8s.io/v1 Lease, following client-go's leaderelection:
// acquire when the Lease is free or expired, renew every retry_period with optimistic
// concurrency (resourceVersion), give up leadership as soon as a renewal has not succeeded
// for renew_deadline or another holder is observed, and release on Stop() so a successor
// does not wait for expiry.
//
// Callbacks run on the elector's thread and must not block; workers check IsLeader() (or
// react to on_stopped_leading) before acting.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "kube/clock.h"
#include "kube/kube_client.h"

namespace riposte::kube {

struct LeaderElectionConfig {
  std::string lease_namespace;
  std::string lease_name;
  std::string identity;  // unique per process, e.g. pod name + random suffix
  std::chrono::milliseconds lease_duration{15000};
  std::chrono::milliseconds renew_deadline{10000};
  std::chrono::milliseconds retry_period{2000};
  bool release_on_stop = true;
  std::function<void()> on_started_leading;
  std::function<void()> on_stopped_leading;
  std::function<void(const std::string& identity)> on_new_leader;  // "" = unknown / none
};

// Returns a message when the timings are unusable (lease_duration > renew_deadline >
// retry_period * 1.2 as in client-go, all positive, identity and names set).
std::string ValidateLeaderElectionConfig(const LeaderElectionConfig& cfg);

class LeaderElector {
 public:
  LeaderElector(KubeClientPtr client, LeaderElectionConfig cfg, ClockPtr clock = DefaultClock());
  ~LeaderElector();  // Stop()
  LeaderElector(const LeaderElector&) = delete;
  LeaderElector& operator=(const LeaderElector&) = delete;

  void Start();  // background thread; idempotent
  // Stops campaigning; if leading, fires on_stopped_leading and releases the Lease.
  void Stop();
  bool IsLeader() const;
  // Identity of the current holder as last observed ("" when unknown or free).
  std::string Leader() const;
  const LeaderElectionConfig& config() const { return cfg_; }

 private:
  void Run();
  bool TryAcquireOrRenew();
  void SetLeading(bool leading);
  void ObserveLeader(const std::string& holder);
  void Release();

  KubeClientPtr client_;
  LeaderElectionConfig cfg_;
  ClockPtr clock_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::thread thread_;
  bool running_ = false;
  bool stop_ = false;
  std::atomic<bool> leading_{false};
  std::string leader_;
  Clock::TimePoint last_renew_{};
  // Observed state of the Lease, for expiry decisions that do not trust remote clocks.
  std::string observed_record_;
  Clock::TimePoint observed_time_{};
  std::string lease_rv_;
};

using LeaderElectorPtr = std::shared_ptr<LeaderElector>;

}  // namespace riposte::kube
