#include "kube/work_queue.h"

#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <thread>

#include "tests/fakes/fake_clock.h"

namespace riposte::kube {
namespace {
using std::chrono::milliseconds;

class WorkQueueTest : public ::testing::Test {
 protected:
  std::shared_ptr<fakes::FakeClock> clock_ = std::make_shared<fakes::FakeClock>();
  WorkQueue q_{clock_, std::make_unique<ItemExponentialRateLimiter>(milliseconds(10), milliseconds(1000))};
};

TEST_F(WorkQueueTest, DeduplicatesQueuedKeysAndKeepsOrder) {
  q_.Add("a");
  q_.Add("b");
  q_.Add("a");
  EXPECT_EQ(q_.Len(), 2u);
  EXPECT_EQ(q_.TryGet(), "a");
  EXPECT_EQ(q_.TryGet(), "b");
  EXPECT_EQ(q_.TryGet(), std::nullopt);
}

TEST_F(WorkQueueTest, KeyAddedWhileProcessingIsRequeuedAfterDoneNotHandedOutTwice) {
  q_.Add("a");
  ASSERT_EQ(q_.TryGet(), "a");
  q_.Add("a");
  q_.Add("a");
  EXPECT_EQ(q_.TryGet(), std::nullopt);  // never concurrently
  q_.Done("a");
  EXPECT_EQ(q_.TryGet(), "a");
  q_.Done("a");
  EXPECT_EQ(q_.TryGet(), std::nullopt);  // added twice while in flight -> processed once more
}

TEST_F(WorkQueueTest, AddAfterWaitsForTheClock) {
  q_.AddAfter("a", milliseconds(500));
  q_.AddAfter("b", milliseconds(100));
  EXPECT_EQ(q_.TryGet(), std::nullopt);
  EXPECT_EQ(q_.DelayedLen(), 2u);
  clock_->Advance(milliseconds(100));
  EXPECT_EQ(q_.TryGet(), "b");
  EXPECT_EQ(q_.TryGet(), std::nullopt);
  clock_->Advance(milliseconds(400));
  EXPECT_EQ(q_.TryGet(), "a");
}

TEST_F(WorkQueueTest, EarlierAddAfterWinsAndDuplicatesCollapse) {
  q_.AddAfter("a", milliseconds(500));
  q_.AddAfter("a", milliseconds(50));
  q_.AddAfter("a", milliseconds(800));
  EXPECT_EQ(q_.DelayedLen(), 1u);
  clock_->Advance(milliseconds(50));
  EXPECT_EQ(q_.TryGet(), "a");
  q_.Done("a");
  clock_->Advance(milliseconds(1000));
  EXPECT_EQ(q_.TryGet(), std::nullopt);  // the later entries were superseded
}

TEST_F(WorkQueueTest, AddRateLimitedBacksOffPerItemUntilForget) {
  q_.AddRateLimited("a");  // 10ms
  clock_->Advance(milliseconds(9));
  EXPECT_EQ(q_.TryGet(), std::nullopt);
  clock_->Advance(milliseconds(1));
  ASSERT_EQ(q_.TryGet(), "a");
  q_.Done("a");
  q_.AddRateLimited("a");  // 20ms
  clock_->Advance(milliseconds(19));
  EXPECT_EQ(q_.TryGet(), std::nullopt);
  clock_->Advance(milliseconds(1));
  ASSERT_EQ(q_.TryGet(), "a");
  q_.Done("a");
  EXPECT_EQ(q_.NumRequeues("a"), 2);
  q_.Forget("a");
  EXPECT_EQ(q_.NumRequeues("a"), 0);
  q_.AddRateLimited("a");
  clock_->Advance(milliseconds(10));
  EXPECT_EQ(q_.TryGet(), "a");
}

TEST_F(WorkQueueTest, ShutDownWakesBlockedGetAndDrains) {
  std::atomic<bool> got_null{false};
  std::thread t([&] { got_null = !q_.Get().has_value(); });
  q_.ShutDown();
  t.join();
  EXPECT_TRUE(got_null);
  q_.Add("late");
  EXPECT_EQ(q_.TryGet(), std::nullopt);
  EXPECT_TRUE(q_.ShuttingDown());
}

TEST_F(WorkQueueTest, QueuedKeysAreStillHandedOutAfterShutDown) {
  q_.Add("a");
  q_.ShutDown();
  EXPECT_EQ(q_.Get(), "a");
  EXPECT_EQ(q_.Get(), std::nullopt);
}

TEST_F(WorkQueueTest, BlockedGetWakesWhenDelayedItemBecomesDue) {
  q_.AddAfter("a", milliseconds(200));
  std::optional<std::string> got;
  std::thread t([&] { got = q_.Get(); });
  clock_->Advance(milliseconds(200));
  t.join();
  EXPECT_EQ(got, "a");
}

TEST(WorkQueueConcurrencyTest, NoKeyIsProcessedByTwoWorkersAtOnce) {
  WorkQueue q;
  std::mutex mu;
  std::set<std::string> in_flight;
  std::atomic<int> violations{0}, processed{0};
  std::vector<std::thread> workers;
  for (int w = 0; w < 4; ++w) {
    workers.emplace_back([&] {
      while (auto key = q.Get()) {
        {
          std::lock_guard<std::mutex> lock(mu);
          if (!in_flight.insert(*key).second) ++violations;
        }
        std::this_thread::yield();
        {
          std::lock_guard<std::mutex> lock(mu);
          in_flight.erase(*key);
        }
        ++processed;
        q.Done(*key);
      }
    });
  }
  for (int i = 0; i < 20000; ++i) q.Add("k" + std::to_string(i % 7));
  // Wait (bounded) for the queue to drain before shutting down.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < deadline) {
    {
      std::lock_guard<std::mutex> lock(mu);
      if (q.Len() == 0 && in_flight.empty()) break;
    }
    std::this_thread::yield();
  }
  q.ShutDown();
  for (auto& t : workers) t.join();
  EXPECT_EQ(violations, 0);
  EXPECT_GE(processed, 7);
}

}  // namespace
}  // namespace riposte::kube
