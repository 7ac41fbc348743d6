#pragma once
// Time source for the work queue, rate limiters and leader election, so their tests can
// drive time by hand (tests/fakes/fake_clock.h) instead of sleeping.

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>

namespace riposte::kube {

class Clock {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;
  using Duration = std::chrono::steady_clock::duration;
  virtual ~Clock() = default;
  virtual TimePoint Now() const = 0;
  // Waits on `cv` (with `lock` held) until notified or until Now() >= deadline. May return
  // early; callers re-check their condition.
  virtual void WaitUntil(std::condition_variable& cv, std::unique_lock<std::mutex>& lock, TimePoint deadline) = 0;
};
using ClockPtr = std::shared_ptr<Clock>;

class SteadyClock final : public Clock {
 public:
  TimePoint Now() const override { return std::chrono::steady_clock::now(); }
  void WaitUntil(std::condition_variable& cv, std::unique_lock<std::mutex>& lock, TimePoint deadline) override {
    cv.wait_until(lock, deadline);
  }
};

ClockPtr DefaultClock();

}  // namespace riposte::kube
