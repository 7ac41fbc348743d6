#pragma once
// A function run on its own thread every `interval` (measured from the end of one run to the
// start of the next, so a slow run never stacks up behind itself), that can be asked to run
// now and stops promptly: Stop() wakes the thread and waits only for a run in progress.
// Time comes from a kube::Clock so tests drive it by hand.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "kube/clock.h"

namespace riposte::controller {

class PeriodicRunner {
 public:
  PeriodicRunner(std::chrono::milliseconds interval, std::function<void()> fn,
                 kube::ClockPtr clock = kube::DefaultClock());
  ~PeriodicRunner();  // Stop()
  PeriodicRunner(const PeriodicRunner&) = delete;
  PeriodicRunner& operator=(const PeriodicRunner&) = delete;

  // Starts the thread; the first run is immediate or one interval later. Idempotent.
  void Start(bool run_immediately);
  // The next run starts as soon as the current one (if any) has finished.
  void RunSoon();
  // Wakes the thread and joins it after the run in progress, if any. Idempotent.
  void Stop();
  bool stopping() const { return stop_.load(); }
  // Completed runs; once a run is counted the next deadline is set.
  uint64_t runs() const { return runs_.load(); }

 private:
  void Loop(kube::Clock::TimePoint next);

  const std::chrono::milliseconds interval_;
  std::function<void()> fn_;
  kube::ClockPtr clock_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool soon_ = false;
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> runs_{0};
  std::thread thread_;
};

}  // namespace riposte::controller
