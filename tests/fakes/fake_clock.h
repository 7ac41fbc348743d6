#pragma once
// Hand-driven kube::Clock for tests of time-based code (work queue delays, rate limiters,
// leader election) without sleeping: time moves only when the test calls Advance().

#include <atomic>
#include <chrono>

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
    cv.wait_for(lock, std::chrono::milliseconds(1));
  }

 private:
  std::atomic<Duration::rep> now_{Duration(std::chrono::hours(1)).count()};
};

}  // namespace riposte::fakes
