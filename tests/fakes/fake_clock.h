#pragma once
// Hand-driven kube::Clock for tests of time-based code (work queue delays, rate limiters,
// leader election) without sleeping: time moves only when the test calls Advance().

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <thread>

#include "kube/clock.h"

namespace riposte::fakes {

class FakeClock final : public kube::Clock {
 public:
  TimePoint Now() const override { return TimePoint(Duration(now_.load())); }
  void Advance(Duration d) { now_ += d.count(); }
  // Waiters re-check Now() every millisecond of real time, so Advance() from another
  // thread is noticed promptly without the clock having to know every condition variable.
  void WaitUntil(std::condition_variable& cv, std::unique_lock<std::mutex>& lock, TimePoint deadline) override {
    if (Now() >= deadline) return;
    {
      std::lock_guard<std::mutex> w(waiters_mu_);
      waiters_[std::this_thread::get_id()] = {deadline, std::chrono::steady_clock::now()};
    }
    cv.wait_for(lock, std::chrono::milliseconds(1));
  }
  // Threads parked in WaitUntil on a deadline still in the future. A test advances time only
  // once everything it drives is parked: a thread still computing its next deadline would
  // otherwise compute it from the advanced time and skip a step.
  int Waiting() const {
    std::lock_guard<std::mutex> w(waiters_mu_);
    const auto recent = std::chrono::steady_clock::now() - std::chrono::milliseconds(50);
    int n = 0;
    for (const auto& [id, wait] : waiters_)
      if (wait.deadline > Now() && wait.at > recent) ++n;
    return n;
  }

 private:
  struct Wait {
    TimePoint deadline;
    std::chrono::steady_clock::time_point at;  // real time of the last WaitUntil call
  };
  std::atomic<Duration::rep> now_{Duration(std::chrono::hours(1)).count()};
  mutable std::mutex waiters_mu_;
  std::map<std::thread::id, Wait> waiters_;
};

}  // namespace riposte::fakes
