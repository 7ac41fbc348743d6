#pragma once
// Rate limiting shared by the HTTP client (requests/s) and the work queue (requeues):
// a token bucket, per-item exponential backoff, and jittered backoff for retries.

#include <chrono>
#include <cstdint>
#include <mutex>
#include <random>
#include <string>
#include <unordered_map>

#include "kube/clock.h"

namespace riposte::kube {

// Token bucket: `qps` tokens per second, at most `burst` stored. Reserve() takes a token
// now or books the next one and says how long to wait for it.
class TokenBucket {
 public:
  TokenBucket(double qps, int burst, ClockPtr clock = DefaultClock());
  // Always succeeds; returns the delay before the reserved token becomes valid (0 if now).
  Clock::Duration Reserve();
  // Takes a token only when one is available now.
  bool TryAccept();
  double qps() const { return qps_; }

 private:
  void Refill(Clock::TimePoint now);
  const double qps_;
  const double burst_;
  ClockPtr clock_;
  std::mutex mu_;
  double tokens_;
  Clock::TimePoint last_;
};

// Exponential backoff with jitter: attempt n (0-based) waits a random duration in
// [d/2, d] where d = min(max, base * 2^n). Thread-safe.
class Backoff {
 public:
  Backoff(std::chrono::milliseconds base, std::chrono::milliseconds max, uint64_t seed = std::random_device{}());
  std::chrono::milliseconds Delay(int attempt);
  std::chrono::milliseconds UpperBound(int attempt) const;

 private:
  std::chrono::milliseconds base_, max_;
  std::mutex mu_;
  std::mt19937_64 rng_;
};

// Requeue delay policy of the work queue.
class QueueRateLimiter {
 public:
  virtual ~QueueRateLimiter() = default;
  virtual Clock::Duration When(const std::string& item) = 0;
  virtual void Forget(const std::string& item) = 0;
  virtual int NumRequeues(const std::string& item) = 0;
};

// base * 2^failures, capped (client-go's ItemExponentialFailureRateLimiter).
class ItemExponentialRateLimiter final : public QueueRateLimiter {
 public:
  ItemExponentialRateLimiter(Clock::Duration base, Clock::Duration max) : base_(base), max_(max) {}
  Clock::Duration When(const std::string& item) override;
  void Forget(const std::string& item) override;
  int NumRequeues(const std::string& item) override;

 private:
  Clock::Duration base_, max_;
  std::mutex mu_;
  std::unordered_map<std::string, int> failures_;
};

// Overall bucket on requeues (client-go's BucketRateLimiter).
class BucketRateLimiter final : public QueueRateLimiter {
 public:
  BucketRateLimiter(double qps, int burst, ClockPtr clock = DefaultClock()) : bucket_(qps, burst, std::move(clock)) {}
  Clock::Duration When(const std::string&) override { return bucket_.Reserve(); }
  void Forget(const std::string&) override {}
  int NumRequeues(const std::string&) override { return 0; }

 private:
  TokenBucket bucket_;
};

// The longest delay of both: per-item backoff (5ms .. 1000s) and a 10 qps / 100 burst bucket,
// as client-go's DefaultControllerRateLimiter.
class MaxOfRateLimiter final : public QueueRateLimiter {
 public:
  MaxOfRateLimiter(std::unique_ptr<QueueRateLimiter> a, std::unique_ptr<QueueRateLimiter> b)
      : a_(std::move(a)), b_(std::move(b)) {}
  Clock::Duration When(const std::string& item) override { return std::max(a_->When(item), b_->When(item)); }
  void Forget(const std::string& item) override { a_->Forget(item); b_->Forget(item); }
  int NumRequeues(const std::string& item) override { return std::max(a_->NumRequeues(item), b_->NumRequeues(item)); }

 private:
  std::unique_ptr<QueueRateLimiter> a_, b_;
};

std::unique_ptr<QueueRateLimiter> DefaultControllerRateLimiter(ClockPtr clock = DefaultClock());

}  // namespace riposte::kube
