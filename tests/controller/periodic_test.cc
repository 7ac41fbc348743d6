// PeriodicRunner on a hand-driven clock: first run now or one interval later, RunSoon, the
// interval counted from the end of a run, and Stop waiting only for the run in progress.

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <vector>

#include "controller/periodic.h"
#include "tests/support/eventually.h"
#include "tests/fakes/fake_clock.h"

namespace riposte::controller {
namespace {

using namespace std::chrono_literals;
using riposte::testing::Eventually;

struct Recorder {
  std::shared_ptr<fakes::FakeClock> clock = std::make_shared<fakes::FakeClock>();
  std::mutex mu;
  std::vector<kube::Clock::TimePoint> at;
  std::function<void()> fn() {
    return [this] {
      std::lock_guard lock(mu);
      at.push_back(clock->Now());
    };
  }
  size_t count() {
    std::lock_guard lock(mu);
    return at.size();
  }
  kube::Clock::TimePoint time(size_t i) {
    std::lock_guard lock(mu);
    return at.at(i);
  }
};

TEST(PeriodicRunner, FirstRunAfterOneIntervalThenEveryInterval) {
  Recorder rec;
  const auto t0 = rec.clock->Now();
  PeriodicRunner runner(60s, rec.fn(), rec.clock);
  runner.Start(false);
  rec.clock->Advance(59s);
  rec.clock->Advance(1s);
  ASSERT_TRUE(Eventually([&] { return runner.runs() == 1; }, 5s));
  EXPECT_GE(rec.time(0), t0 + 60s) << "ran before the interval had passed";
  rec.clock->Advance(60s);
  ASSERT_TRUE(Eventually([&] { return rec.count() == 2; }, 5s));
  EXPECT_GE(rec.time(1), rec.time(0) + 60s);
  runner.Stop();
  EXPECT_EQ(runner.runs(), 2u);
}

TEST(PeriodicRunner, ImmediateStartAndRunSoonDoNotWaitForTheClock) {
  Recorder rec;
  const auto t0 = rec.clock->Now();
  PeriodicRunner runner(10min, rec.fn(), rec.clock);
  runner.Start(true);
  ASSERT_TRUE(Eventually([&] { return rec.count() == 1; }, 5s));
  runner.RunSoon();
  ASSERT_TRUE(Eventually([&] { return rec.count() == 2; }, 5s));
  EXPECT_EQ(rec.time(0), t0);
  EXPECT_EQ(rec.time(1), t0) << "RunSoon must not wait for the interval";
}

TEST(PeriodicRunner, RunSoonBeforeStartIsKept) {
  Recorder rec;
  PeriodicRunner runner(10min, rec.fn(), rec.clock);
  runner.RunSoon();  // e.g. leadership gained before the audit thread started
  runner.Start(false);
  ASSERT_TRUE(Eventually([&] { return rec.count() == 1; }, 5s));
}

TEST(PeriodicRunner, StopWaitsForTheRunInProgressAndTellsItToHurry) {
  auto clock = std::make_shared<fakes::FakeClock>();
  std::atomic<bool> entered{false}, saw_stopping{false};
  PeriodicRunner* self = nullptr;
  PeriodicRunner runner(1min, [&] {
    entered = true;
    // A long job polls stopping() between steps, as the audit does between resources.
    saw_stopping = Eventually([&] { return self->stopping(); }, 10s);
  }, clock);
  self = &runner;
  runner.Start(true);
  ASSERT_TRUE(Eventually([&] { return entered.load(); }, 5s));
  runner.Stop();
  EXPECT_TRUE(saw_stopping);
  EXPECT_EQ(runner.runs(), 1u);
  runner.Stop();  // idempotent
}

TEST(PeriodicRunner, AThrowingJobDoesNotKillTheLoop) {
  auto clock = std::make_shared<fakes::FakeClock>();
  std::atomic<int> calls{0};
  PeriodicRunner runner(1min, [&] {
    if (++calls == 1) throw std::runtime_error("boom");
  }, clock);
  runner.Start(true);
  ASSERT_TRUE(Eventually([&] { return runner.runs() == 1; }, 5s));
  clock->Advance(1min);
  ASSERT_TRUE(Eventually([&] { return calls.load() == 2; }, 5s));
}

}  // namespace
}  // namespace riposte::controller
