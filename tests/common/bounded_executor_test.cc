// The bounded executor: tasks run on its workers, submitting never blocks, a full queue (by
// count or bytes) refuses at once, and stopping cancels what has not started.

#include "common/bounded_executor.h"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace riposte {
namespace {

using namespace std::chrono_literals;

// Holds every task in run() until released.
struct Gate {
  std::mutex mu;
  std::condition_variable cv;
  bool open = false;
  int entered = 0;
  void Enter() {
    std::unique_lock<std::mutex> lock(mu);
    ++entered;
    cv.notify_all();
    cv.wait(lock, [&] { return open; });
  }
  bool WaitEntered(int n) {
    std::unique_lock<std::mutex> lock(mu);
    return cv.wait_for(lock, 10s, [&] { return entered >= n; });
  }
  void Open() {
    {
      std::lock_guard<std::mutex> lock(mu);
      open = true;
    }
    cv.notify_all();
  }
};

TEST(BoundedExecutor, RunsTasksOnItsWorkersAndRefusesWhenFull) {
  BoundedExecutor ex({"t", 2, 1, 1 << 20});
  ex.Start();
  Gate gate;
  std::atomic<int> ran{0};
  auto task = [&] { return BoundedExecutor::Task{[&] { gate.Enter(); ++ran; }, nullptr, 10}; };
  ASSERT_TRUE(ex.TrySubmit(task()));
  ASSERT_TRUE(ex.TrySubmit(task()));
  ASSERT_TRUE(gate.WaitEntered(2));  // both workers busy
  ASSERT_TRUE(ex.TrySubmit(task()));  // queued
  EXPECT_FALSE(ex.TrySubmit(task()));  // full: refused at once
  auto st = ex.GetStats();
  EXPECT_EQ(st.running, 2u);
  EXPECT_EQ(st.queued, 1u);
  EXPECT_EQ(st.queued_bytes, 10u);
  EXPECT_EQ(st.rejected, 1u);
  gate.Open();
  for (int i = 0; i < 1000 && ex.GetStats().completed < 3; ++i) std::this_thread::sleep_for(10ms);
  EXPECT_EQ(ran.load(), 3);
  EXPECT_EQ(ex.GetStats().completed, 3u);
  ex.Stop();
  EXPECT_FALSE(ex.TrySubmit(task())) << "stopped";
}

TEST(BoundedExecutor, QueuedBytesAreBounded) {
  BoundedExecutor ex({"t", 1, 100, 1000});
  ex.Start();
  Gate gate;
  ASSERT_TRUE(ex.TrySubmit({[&] { gate.Enter(); }, nullptr, 5000}));  // straight to the idle worker
  ASSERT_TRUE(gate.WaitEntered(1));
  EXPECT_TRUE(ex.TrySubmit({[] {}, nullptr, 600}));
  EXPECT_FALSE(ex.TrySubmit({[] {}, nullptr, 600})) << "1,200 queued bytes > 1,000";
  EXPECT_TRUE(ex.TrySubmit({[] {}, nullptr, 400}));
  EXPECT_EQ(ex.GetStats().queued_bytes, 1000u);
  gate.Open();
}

TEST(BoundedExecutor, StopCancelsQueuedTasksAndWaitsForRunningOnes) {
  BoundedExecutor ex({"t", 1, 10, 1 << 20});
  ex.Start();
  Gate gate;
  std::atomic<int> ran{0}, cancelled{0};
  ASSERT_TRUE(ex.TrySubmit({[&] { gate.Enter(); ++ran; }, [&] { ++cancelled; }, 0}));
  ASSERT_TRUE(gate.WaitEntered(1));
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(ex.TrySubmit({[&] { ++ran; }, [&] { ++cancelled; }, 0}));
  std::thread stopper([&] { ex.Stop(); });
  // The queued ones are cancelled without waiting for the running one.
  ASSERT_TRUE([&] {
    for (int i = 0; i < 1000 && cancelled.load() < 3; ++i) std::this_thread::sleep_for(10ms);
    return cancelled.load() == 3;
  }());
  EXPECT_EQ(ran.load(), 0);
  gate.Open();
  stopper.join();
  EXPECT_EQ(ran.load(), 1);
  EXPECT_EQ(ex.GetStats().cancelled, 3u);
}

TEST(BoundedExecutor, AThrowingTaskDoesNotKillItsWorker) {
  BoundedExecutor ex({"t", 1, 10, 1 << 20});
  ex.Start();
  std::atomic<int> ran{0};
  ASSERT_TRUE(ex.TrySubmit({[] { throw std::runtime_error("boom"); }, nullptr, 0}));
  ASSERT_TRUE(ex.TrySubmit({[&] { ++ran; }, nullptr, 0}));
  // Stop would cancel what is still queued: wait for both to be done.
  for (int i = 0; i < 1000 && ex.GetStats().completed < 2; ++i) std::this_thread::sleep_for(10ms);
  EXPECT_EQ(ex.GetStats().completed, 2u);
  EXPECT_EQ(ran.load(), 1);
  ex.Stop();
}

}  // namespace
}  // namespace riposte
