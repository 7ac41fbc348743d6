#include "kube/work_queue.h"

namespace riposte::kube {

WorkQueue::WorkQueue(ClockPtr clock, std::unique_ptr<QueueRateLimiter> limiter)
    : clock_(clock ? std::move(clock) : DefaultClock()),
      limiter_(limiter ? std::move(limiter) : DefaultControllerRateLimiter(clock_)) {}

void WorkQueue::AddLocked(const std::string& key) {
  if (shutting_down_ || dirty_.count(key) != 0) return;
  dirty_.insert(key);
  // In flight: Done() re-queues it, so no two workers ever hold the same key.
  if (processing_.count(key) != 0) return;
  queue_.push(key);
  cv_.notify_one();
}

void WorkQueue::Add(const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  AddLocked(key);
}

void WorkQueue::AddAfter(const std::string& key, Clock::Duration delay) {
  std::lock_guard<std::mutex> lock(mu_);
  if (shutting_down_) return;
  if (delay <= Clock::Duration::zero()) {
    AddLocked(key);
    return;
  }
  const Clock::TimePoint when = clock_->Now() + delay;
  // Keep only the earliest pending time per key (client-go's waitingForQueue semantics).
  auto it = delayed_at_.find(key);
  if (it != delayed_at_.end() && it->second <= when) return;
  delayed_at_[key] = when;
  delayed_.push({when, seq_++, key});
  cv_.notify_all();  // a waiter may need an earlier wake-up
}

void WorkQueue::AddRateLimited(const std::string& key) { AddAfter(key, limiter_->When(key)); }
void WorkQueue::Forget(const std::string& key) { limiter_->Forget(key); }
int WorkQueue::NumRequeues(const std::string& key) { return limiter_->NumRequeues(key); }

void WorkQueue::PromoteDueLocked(Clock::TimePoint now) {
  while (!delayed_.empty() && delayed_.top().when <= now) {
    Delayed d = delayed_.top();
    delayed_.pop();
    auto it = delayed_at_.find(d.key);
    // Stale heap entries (superseded by an earlier AddAfter) are skipped.
    if (it == delayed_at_.end() || it->second != d.when) continue;
    delayed_at_.erase(it);
    AddLocked(d.key);
  }
}

std::optional<std::string> WorkQueue::PopLocked() {
  if (queue_.empty()) return std::nullopt;
  std::string key = std::move(queue_.front());
  queue_.pop();
  dirty_.erase(key);
  processing_.insert(key);
  return key;
}

std::optional<std::string> WorkQueue::Get() {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    PromoteDueLocked(clock_->Now());
    if (!queue_.empty()) return PopLocked();
    if (shutting_down_) return std::nullopt;
    if (delayed_.empty()) {
      cv_.wait(lock);
    } else {
      clock_->WaitUntil(cv_, lock, delayed_.top().when);
    }
  }
}

std::optional<std::string> WorkQueue::TryGet() {
  std::lock_guard<std::mutex> lock(mu_);
  PromoteDueLocked(clock_->Now());
  return PopLocked();
}

void WorkQueue::Done(const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  processing_.erase(key);
  if (dirty_.count(key) != 0) {
    queue_.push(key);
    cv_.notify_one();
  }
}

void WorkQueue::ShutDown() {
  std::lock_guard<std::mutex> lock(mu_);
  shutting_down_ = true;
  // Delayed keys are dropped: nobody will process them after shutdown.
  delayed_ = {};
  delayed_at_.clear();
  cv_.notify_all();
}

bool WorkQueue::ShuttingDown() const {
  std::lock_guard<std::mutex> lock(mu_);
  return shutting_down_;
}

size_t WorkQueue::Len() const {
  std::lock_guard<std::mutex> lock(mu_);
  return queue_.size();
}

size_t WorkQueue::DelayedLen() const {
  std::lock_guard<std::mutex> lock(mu_);
  return delayed_at_.size();
}

}  // namespace riposte::kube
