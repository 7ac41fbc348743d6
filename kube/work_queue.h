#pragma once
// Keyed work queue for level-based reconcilers (client-go workqueue semantics):
//  - a key is queued at most once (Add while queued is a no-op);
//  - a key is never handed to two workers at once: Add while it is being processed marks it
//    dirty and it is queued again when the worker calls Done;
//  - AddAfter delays, AddRateLimited delays by the rate limiter, Forget resets its backoff;
//  - ShutDown wakes every Get, which then returns nullopt once the queue drains.

#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <optional>
#include <queue>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "kube/clock.h"
#include "kube/rate_limit.h"

namespace riposte::kube {

class WorkQueue {
 public:
  explicit WorkQueue(ClockPtr clock = DefaultClock(), std::unique_ptr<QueueRateLimiter> limiter = nullptr);
  WorkQueue(const WorkQueue&) = delete;
  WorkQueue& operator=(const WorkQueue&) = delete;

  void Add(const std::string& key);
  void AddAfter(const std::string& key, Clock::Duration delay);
  void AddRateLimited(const std::string& key);
  void Forget(const std::string& key);
  int NumRequeues(const std::string& key);

  // Blocks until a key is ready or the queue is shut down and drained (-> nullopt).
  std::optional<std::string> Get();
  // Non-blocking variant (tests, polling loops).
  std::optional<std::string> TryGet();
  // Marks the key processed; re-queues it if it was added meanwhile.
  void Done(const std::string& key);

  void ShutDown();
  bool ShuttingDown() const;
  size_t Len() const;          // keys ready to be handed out
  size_t DelayedLen() const;   // keys waiting for AddAfter/AddRateLimited

 private:
  struct Delayed {
    Clock::TimePoint when;
    uint64_t seq;
    std::string key;
    bool operator>(const Delayed& o) const { return when != o.when ? when > o.when : seq > o.seq; }
  };
  void AddLocked(const std::string& key);
  void PromoteDueLocked(Clock::TimePoint now);
  std::optional<std::string> PopLocked();

  ClockPtr clock_;
  std::unique_ptr<QueueRateLimiter> limiter_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::queue<std::string> queue_;
  std::unordered_set<std::string> dirty_;       // queued or to be re-queued after Done
  std::unordered_set<std::string> processing_;
  std::priority_queue<Delayed, std::vector<Delayed>, std::greater<>> delayed_;
  std::unordered_map<std::string, Clock::TimePoint> delayed_at_;  // earliest pending time per key
  uint64_t seq_ = 0;
  bool shutting_down_ = false;
};

using WorkQueuePtr = std::shared_ptr<WorkQueue>;

}  // namespace riposte::kube
