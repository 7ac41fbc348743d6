#pragma once
// Reads the target pod while its ResponseAction is being created, so the leader's first
// action does not wait for a read of its own: the alert's create and the pod read run at the
// same time, and acting starts with the create's answer. The read has no side effect; the
// plan made from it is bound to what was read (uid and resourceVersion preconditions).
//
// One thread and at most one read queued: when alerts come faster than reads complete, the
// extra ones are not prefetched (the reconciler reads the pod itself), so a flood adds no more
// than one read at a time to the API server's load. A result is used once, and only while it
// is younger than `max_age`.

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include <cpprest/json.h>

#include "kube/clock.h"
#include "kube/result.h"

namespace riposte::controller {

class PodPrefetcher {
 public:
  using Read = std::function<kube::Result<web::json::value>(const std::string& ns, const std::string& name)>;
  PodPrefetcher(Read read, kube::ClockPtr clock, std::chrono::milliseconds max_age = std::chrono::seconds(2));
  ~PodPrefetcher();  // Stop()
  PodPrefetcher(const PodPrefetcher&) = delete;
  PodPrefetcher& operator=(const PodPrefetcher&) = delete;

  void Start();
  void Stop();

  // Queues a read of ns/pod unless one is already queued or running (never blocks).
  // Returns whether it was queued.
  bool Prefetch(const std::string& ns, const std::string& pod);

  // The pod as read by a prefetch of ns/pod, waiting up to `wait` for one in flight:
  // nullopt when there is none (or it failed, or is too old); a null inner value when the pod
  // does not exist. The result is handed out once.
  std::optional<std::optional<web::json::value>> Take(const std::string& ns, const std::string& pod,
                                                      std::chrono::milliseconds wait);

 private:
  struct Entry {
    bool done = false;
    bool ok = false;
    std::optional<web::json::value> pod;
    kube::Clock::TimePoint started;
  };
  void Loop();

  Read read_;
  kube::ClockPtr clock_;
  const std::chrono::milliseconds max_age_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::optional<std::string> queued_;   // key of the read to do next
  bool busy_ = false;                   // a read is running
  std::map<std::string, Entry> entries_;  // key -> result (or pending)
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace riposte::controller
