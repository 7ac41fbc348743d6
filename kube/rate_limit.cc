#include "kube/rate_limit.h"

#include <algorithm>
#include <cmath>

namespace riposte::kube {

TokenBucket::TokenBucket(double qps, int burst, ClockPtr clock)
    : qps_(qps), burst_(std::max(1, burst)), clock_(std::move(clock)), tokens_(burst_), last_(clock_->Now()) {}

void TokenBucket::Refill(Clock::TimePoint now) {
  if (now > last_) {
    const double secs = std::chrono::duration<double>(now - last_).count();
    tokens_ = std::min(burst_, tokens_ + secs * qps_);
    last_ = now;
  }
}

Clock::Duration TokenBucket::Reserve() {
  if (qps_ <= 0) return Clock::Duration::zero();
  std::lock_guard<std::mutex> lock(mu_);
  Refill(clock_->Now());
  tokens_ -= 1.0;  // may go negative: that debt is the queue of reservations
  if (tokens_ >= 0) return Clock::Duration::zero();
  return std::chrono::duration_cast<Clock::Duration>(std::chrono::duration<double>(-tokens_ / qps_));
}

bool TokenBucket::TryAccept() {
  if (qps_ <= 0) return true;
  std::lock_guard<std::mutex> lock(mu_);
  Refill(clock_->Now());
  if (tokens_ < 1.0) return false;
  tokens_ -= 1.0;
  return true;
}

Backoff::Backoff(std::chrono::milliseconds base, std::chrono::milliseconds max, uint64_t seed)
    : base_(std::max(base, std::chrono::milliseconds(1))), max_(std::max(max, base_)), rng_(seed) {}

std::chrono::milliseconds Backoff::UpperBound(int attempt) const {
  const int shift = std::clamp(attempt, 0, 40);
  const double d = static_cast<double>(base_.count()) * std::ldexp(1.0, shift);
  return d >= static_cast<double>(max_.count()) ? max_ : std::chrono::milliseconds(static_cast<int64_t>(d));
}

std::chrono::milliseconds Backoff::Delay(int attempt) {
  const int64_t hi = UpperBound(attempt).count();
  const int64_t lo = hi / 2;
  std::lock_guard<std::mutex> lock(mu_);
  // Equal jitter: never less than half the step, so retries stay spread but still back off.
  std::uniform_int_distribution<int64_t> dist(lo, hi);
  return std::chrono::milliseconds(dist(rng_));
}

Clock::Duration ItemExponentialRateLimiter::When(const std::string& item) {
  std::lock_guard<std::mutex> lock(mu_);
  const int n = failures_[item]++;
  const double d = static_cast<double>(base_.count()) * std::ldexp(1.0, std::min(n, 62));
  if (d >= static_cast<double>(max_.count())) return max_;
  return Clock::Duration(static_cast<Clock::Duration::rep>(d));
}

void ItemExponentialRateLimiter::Forget(const std::string& item) {
  std::lock_guard<std::mutex> lock(mu_);
  failures_.erase(item);
}

int ItemExponentialRateLimiter::NumRequeues(const std::string& item) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = failures_.find(item);
  return it == failures_.end() ? 0 : it->second;
}

std::unique_ptr<QueueRateLimiter> DefaultControllerRateLimiter(ClockPtr clock) {
  return std::make_unique<MaxOfRateLimiter>(
      std::make_unique<ItemExponentialRateLimiter>(std::chrono::milliseconds(5), std::chrono::seconds(1000)),
      std::make_unique<BucketRateLimiter>(10.0, 100, std::move(clock)));
}

}  // namespace riposte::kube
