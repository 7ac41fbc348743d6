// The pod read made while a ResponseAction is created (controller/pod_prefetch.h).
#include "controller/pod_prefetch.h"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>

#include "common/json_value.h"
#include "kube/api_error.h"
#include "tests/fakes/fake_clock.h"
#include "tests/support/eventually.h"

namespace riposte::controller {
namespace {

using web::json::value;
using namespace std::chrono_literals;

// A read the test releases by hand.
struct Reads {
  std::mutex mu;
  std::condition_variable cv;
  bool open = false;
  std::atomic<int> calls{0};
  kube::Result<value> answer = value::parse(R"({"metadata":{"name":"web-1","uid":"u1"}})");

  PodPrefetcher::Read Fn() {
    return [this](const std::string&, const std::string&) -> kube::Result<value> {
      ++calls;
      std::unique_lock lock(mu);
      cv.wait(lock, [this] { return open; });
      return answer;
    };
  }
  void Open() {
    std::lock_guard lock(mu);
    open = true;
    cv.notify_all();
  }
};

TEST(PodPrefetch, TakeWaitsForTheReadInFlightAndHandsItOutOnce) {
  Reads reads;
  auto clock = std::make_shared<fakes::FakeClock>();
  PodPrefetcher p(reads.Fn(), clock);
  p.Start();
  ASSERT_TRUE(p.Prefetch("shop", "web-1"));
  ASSERT_TRUE(testing::Eventually([&] { return reads.calls == 1; }));
  EXPECT_FALSE(p.Prefetch("shop", "web-2")) << "one read at a time: the next alert is not prefetched";
  reads.Open();
  auto got = p.Take("shop", "web-1", 10s);
  ASSERT_TRUE(got.has_value());
  ASSERT_TRUE(got->has_value());
  EXPECT_EQ(json::GetString(**got, {"metadata", "uid"}), "u1");
  EXPECT_FALSE(p.Take("shop", "web-1", 0ms).has_value()) << "used once";
  EXPECT_FALSE(p.Take("shop", "web-2", 0ms).has_value()) << "never prefetched";
  p.Stop();
}

TEST(PodPrefetch, AMissingPodIsAnAnswerAndAFailedReadIsNot) {
  Reads reads;
  reads.Open();
  auto clock = std::make_shared<fakes::FakeClock>();
  PodPrefetcher p(reads.Fn(), clock);
  p.Start();
  reads.answer = kube::MakeError(kube::ErrorKind::kNotFound, "pods \"web-1\" not found");
  ASSERT_TRUE(p.Prefetch("shop", "web-1"));
  auto gone = p.Take("shop", "web-1", 10s);
  ASSERT_TRUE(gone.has_value());
  EXPECT_FALSE(gone->has_value());
  reads.answer = kube::MakeError(kube::ErrorKind::kServiceUnavailable, "down");
  ASSERT_TRUE(testing::Eventually([&] { return p.Prefetch("shop", "web-1"); }));
  EXPECT_FALSE(p.Take("shop", "web-1", 10s).has_value()) << "the reconciler reads it again itself";
  p.Stop();
}

TEST(PodPrefetch, AResultOlderThanItsMaximumAgeIsNotUsed) {
  Reads reads;
  reads.Open();
  auto clock = std::make_shared<fakes::FakeClock>();
  PodPrefetcher p(reads.Fn(), clock, 2s);
  p.Start();
  ASSERT_TRUE(p.Prefetch("shop", "web-1"));
  ASSERT_TRUE(testing::Eventually([&] { return reads.calls == 1; }));
  clock->Advance(3s);
  EXPECT_FALSE(p.Take("shop", "web-1", 10s).has_value());
  p.Stop();
}

TEST(PodPrefetch, StopReleasesAWaitingTake) {
  Reads reads;
  auto clock = std::make_shared<fakes::FakeClock>();
  PodPrefetcher p(reads.Fn(), clock);
  p.Start();
  ASSERT_TRUE(p.Prefetch("shop", "web-1"));
  ASSERT_TRUE(testing::Eventually([&] { return reads.calls == 1; }));
  std::atomic<bool> returned{false};
  std::thread taker([&] {
    EXPECT_FALSE(p.Take("shop", "web-1", 60s).has_value());
    returned = true;
  });
  std::thread stopper([&] { p.Stop(); });
  ASSERT_TRUE(testing::Eventually([&] { return returned.load(); })) << "Take returns when stopping, before the read ends";
  reads.Open();
  taker.join();
  stopper.join();
}

}  // namespace
}  // namespace riposte::controller
