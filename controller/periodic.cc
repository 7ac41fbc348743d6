#include "controller/periodic.h"

#include <exception>

#include "common/log.h"

namespace riposte::controller {

PeriodicRunner::PeriodicRunner(std::chrono::milliseconds interval, std::function<void()> fn, kube::ClockPtr clock)
    : interval_(interval), fn_(std::move(fn)), clock_(std::move(clock)) {}

PeriodicRunner::~PeriodicRunner() { Stop(); }

void PeriodicRunner::Start(bool run_immediately) {
  std::lock_guard lock(mu_);
  if (thread_.joinable() || stop_) return;
  // The first deadline is taken here, not on the new thread, so it is one interval from Start().
  const auto first = clock_->Now() + (run_immediately ? kube::Clock::Duration::zero() : interval_);
  thread_ = std::thread([this, first] { Loop(first); });
}

void PeriodicRunner::RunSoon() {
  {
    std::lock_guard lock(mu_);
    soon_ = true;
  }
  cv_.notify_all();
}

void PeriodicRunner::Stop() {
  std::thread t;
  {
    std::lock_guard lock(mu_);
    stop_ = true;
    t = std::move(thread_);
  }
  cv_.notify_all();
  if (t.joinable()) t.join();
}

void PeriodicRunner::Loop(kube::Clock::TimePoint next) {
  std::unique_lock lock(mu_);
  while (true) {
    while (!stop_ && !soon_ && clock_->Now() < next) clock_->WaitUntil(cv_, lock, next);
    if (stop_) return;
    soon_ = false;
    lock.unlock();
    try {
      fn_();
    } catch (const std::exception& e) {
      // A periodic job must not take the process down; the next tick tries again.
      log::Error("periodic job failed", {{"error", e.what()}});
    } catch (...) {
      log::Error("periodic job failed", {{"error", "unknown exception"}});
    }
    lock.lock();
    next = clock_->Now() + interval_;
    ++runs_;  // after `next`: a caller that saw the count may move the clock on
  }
}

}  // namespace riposte::controller
