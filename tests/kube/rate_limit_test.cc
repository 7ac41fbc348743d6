#include "kube/rate_limit.h"

#include <gtest/gtest.h>

#include <set>

#include "tests/fakes/fake_clock.h"

namespace riposte::kube {
namespace {
using std::chrono::milliseconds;

TEST(TokenBucketTest, BurstThenSteadyRate) {
  auto clock = std::make_shared<fakes::FakeClock>();
  TokenBucket b(10.0, 3, clock);
  EXPECT_TRUE(b.TryAccept());
  EXPECT_TRUE(b.TryAccept());
  EXPECT_TRUE(b.TryAccept());
  EXPECT_FALSE(b.TryAccept());
  clock->Advance(milliseconds(100));
  EXPECT_TRUE(b.TryAccept());
  EXPECT_FALSE(b.TryAccept());
  // Tokens never accumulate beyond the burst.
  clock->Advance(std::chrono::seconds(60));
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(b.TryAccept());
  EXPECT_FALSE(b.TryAccept());
}

TEST(TokenBucketTest, ReserveQueuesCallersAtTheRate) {
  auto clock = std::make_shared<fakes::FakeClock>();
  TokenBucket b(5.0, 1, clock);
  EXPECT_EQ(b.Reserve(), Clock::Duration::zero());
  EXPECT_EQ(std::chrono::duration_cast<milliseconds>(b.Reserve()).count(), 200);
  EXPECT_EQ(std::chrono::duration_cast<milliseconds>(b.Reserve()).count(), 400);
  clock->Advance(milliseconds(400));
  EXPECT_EQ(std::chrono::duration_cast<milliseconds>(b.Reserve()).count(), 200);
}

TEST(TokenBucketTest, NonPositiveQpsDisablesLimiting) {
  TokenBucket b(0, 1);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(b.Reserve(), Clock::Duration::zero());
}

TEST(BackoffTest, JitterStaysWithinBoundsAndCaps) {
  Backoff b(milliseconds(100), milliseconds(5000), 42);
  for (int attempt = 0; attempt < 12; ++attempt) {
    const auto hi = b.UpperBound(attempt);
    EXPECT_EQ(hi.count(), std::min<int64_t>(100LL << attempt, 5000));
    for (int i = 0; i < 200; ++i) {
      const auto d = b.Delay(attempt);
      EXPECT_GE(d.count(), hi.count() / 2);
      EXPECT_LE(d.count(), hi.count());
    }
  }
  EXPECT_EQ(b.UpperBound(1000).count(), 5000);
}

TEST(BackoffTest, JitterActuallyVaries) {
  Backoff b(milliseconds(1000), milliseconds(1000), 7);
  std::set<int64_t> seen;
  for (int i = 0; i < 50; ++i) seen.insert(b.Delay(0).count());
  EXPECT_GT(seen.size(), 10u);
}

TEST(QueueRateLimiterTest, ItemExponentialDoublesAndForgets) {
  ItemExponentialRateLimiter r(milliseconds(5), milliseconds(1000));
  EXPECT_EQ(r.When("a"), milliseconds(5));
  EXPECT_EQ(r.When("a"), milliseconds(10));
  EXPECT_EQ(r.When("a"), milliseconds(20));
  EXPECT_EQ(r.When("b"), milliseconds(5));
  EXPECT_EQ(r.NumRequeues("a"), 3);
  for (int i = 0; i < 20; ++i) r.When("a");
  EXPECT_EQ(r.When("a"), milliseconds(1000));
  r.Forget("a");
  EXPECT_EQ(r.NumRequeues("a"), 0);
  EXPECT_EQ(r.When("a"), milliseconds(5));
}

TEST(QueueRateLimiterTest, MaxOfTakesOverallBucketIntoAccount) {
  auto clock = std::make_shared<fakes::FakeClock>();
  MaxOfRateLimiter r(std::make_unique<ItemExponentialRateLimiter>(milliseconds(1), milliseconds(1000)),
                     std::make_unique<BucketRateLimiter>(10.0, 2, clock));
  EXPECT_EQ(r.When("a"), milliseconds(1));
  EXPECT_EQ(r.When("b"), milliseconds(1));
  // Bucket exhausted: the third distinct item waits for the bucket, not its own backoff.
  EXPECT_EQ(std::chrono::duration_cast<milliseconds>(r.When("c")).count(), 100);
}

}  // namespace
}  // namespace riposte::kube
