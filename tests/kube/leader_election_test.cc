// Leader election against the fake client (real clock, short timings; waits use deadlines).
#include "kube/leader_election.h"

#include <gtest/gtest.h>

#include <atomic>

#include "kube/objects.h"
#include "tests/fakes/fake_kube_client.h"
#include "tests/kube/test_util.h"

namespace riposte::kube {
namespace {
using std::chrono::milliseconds;
using testing::Eventually;

struct Probe {
  std::atomic<int> started{0}, stopped{0};
  std::mutex mu;
  std::vector<std::string> leaders;
  std::chrono::steady_clock::time_point stopped_at{};
};

LeaderElectionConfig Config(const std::string& id, Probe* p) {
  LeaderElectionConfig c;
  c.lease_namespace = "riposte-system";
  c.lease_name = "riposte-controller";
  c.identity = id;
  c.lease_duration = milliseconds(2000);
  c.renew_deadline = milliseconds(1000);
  c.retry_period = milliseconds(100);
  c.on_started_leading = [p] { ++p->started; };
  c.on_stopped_leading = [p] {
    std::lock_guard<std::mutex> lock(p->mu);
    p->stopped_at = std::chrono::steady_clock::now();
    ++p->stopped;
  };
  c.on_new_leader = [p](const std::string& id2) {
    std::lock_guard<std::mutex> lock(p->mu);
    p->leaders.push_back(id2);
  };
  return c;
}

TEST(LeaderElectionTest, ValidatesTimings) {
  Probe p;
  auto c = Config("a", &p);
  EXPECT_EQ(ValidateLeaderElectionConfig(c), "");
  c.renew_deadline = c.lease_duration;
  EXPECT_NE(ValidateLeaderElectionConfig(c), "");
  c = Config("a", &p);
  c.retry_period = milliseconds(900);
  EXPECT_NE(ValidateLeaderElectionConfig(c), "");
  c = Config("", &p);
  EXPECT_NE(ValidateLeaderElectionConfig(c), "");
  c = Config("a", &p);
  c.lease_name = "Bad_Name";
  EXPECT_NE(ValidateLeaderElectionConfig(c), "");
}

TEST(LeaderElectionTest, OneOfTwoLeadsAndTheOtherKnowsWho) {
  auto fake = std::make_shared<fakes::FakeKubeClient>();
  Probe pa, pb;
  LeaderElector a(fake, Config("a", &pa));
  LeaderElector b(fake, Config("b", &pb));
  a.Start();
  ASSERT_TRUE(Eventually([&] { return a.IsLeader(); }));
  b.Start();
  ASSERT_TRUE(Eventually([&] { return b.Leader() == "a"; }));
  // b keeps campaigning for several retry periods without ever leading.
  const auto until = std::chrono::steady_clock::now() + milliseconds(500);
  while (std::chrono::steady_clock::now() < until) {
    ASSERT_FALSE(b.IsLeader());
    std::this_thread::sleep_for(milliseconds(20));
  }
  EXPECT_TRUE(a.IsLeader());
  EXPECT_EQ(pa.started, 1);
  EXPECT_EQ(pb.started, 0);
  auto lease = fake->Peek(resources::kLeases, "riposte-system", "riposte-controller");
  ASSERT_TRUE(lease.has_value());
  EXPECT_EQ(Lease(*lease).holder_identity(), "a");
  EXPECT_EQ(Lease(*lease).lease_duration_seconds(), 2);
  b.Stop();
  a.Stop();
}

TEST(LeaderElectionTest, LeaderStopsWithinRenewDeadlineWhenLeaseIsTakenOver) {
  auto fake = std::make_shared<fakes::FakeKubeClient>();
  Probe pa;
  auto cfg = Config("a", &pa);
  LeaderElector a(fake, cfg);
  a.Start();
  ASSERT_TRUE(Eventually([&] { return a.IsLeader(); }));
  // a renews every retry period, so the write can meet a newer resourceVersion (409): read
  // and write again, as any other writer of the Lease would.
  auto taken = std::chrono::steady_clock::now();
  ASSERT_TRUE(Eventually([&] {
    auto got = fake->Get(resources::kLeases, "riposte-system", "riposte-controller");
    if (!got.ok()) return false;
    Lease lease(got.value());
    lease.set_holder_identity("intruder").set_renew_time(std::chrono::system_clock::now()).set_lease_duration_seconds(30);
    taken = std::chrono::steady_clock::now();
    return fake->Update(resources::kLeases, "riposte-system", lease.json()).ok();
  }));
  ASSERT_TRUE(Eventually([&] { return pa.stopped == 1; }, milliseconds(5000)));
  {
    std::lock_guard<std::mutex> lock(pa.mu);
    EXPECT_LT(pa.stopped_at - taken, cfg.renew_deadline);
  }
  EXPECT_FALSE(a.IsLeader());
  EXPECT_EQ(a.Leader(), "intruder");
  a.Stop();
  // A stopped non-leader must not touch someone else's Lease.
  auto after = fake->Peek(resources::kLeases, "riposte-system", "riposte-controller");
  EXPECT_EQ(Lease(*after).holder_identity(), "intruder");
}

TEST(LeaderElectionTest, LeaderStopsWhenRenewalsFailForTheRenewDeadline) {
  auto fake = std::make_shared<fakes::FakeKubeClient>();
  Probe pa;
  auto cfg = Config("a", &pa);
  LeaderElector a(fake, cfg);
  a.Start();
  ASSERT_TRUE(Eventually([&] { return a.IsLeader(); }));
  fake->FailNext("get", "leases.coordination.k8s.io", MakeError(ErrorKind::kServiceUnavailable, "down"), 1000000);
  const auto outage = std::chrono::steady_clock::now();
  ASSERT_TRUE(Eventually([&] { return pa.stopped == 1; }, milliseconds(5000)));
  std::lock_guard<std::mutex> lock(pa.mu);
  // The safety property: it stops before its Lease could expire and be taken by another
  // replica (nominally after renew_deadline + one retry period; the rest is scheduling slack).
  EXPECT_LT(pa.stopped_at - outage, cfg.lease_duration);
  EXPECT_FALSE(a.IsLeader());
}

TEST(LeaderElectionTest, ReleaseOnStopLetsTheOtherTakeOverQuickly) {
  auto fake = std::make_shared<fakes::FakeKubeClient>();
  Probe pa, pb;
  auto ca = Config("a", &pa);
  ca.lease_duration = milliseconds(30000);  // without release, b would wait 30 s
  ca.renew_deadline = milliseconds(1000);
  LeaderElector a(fake, ca);
  LeaderElector b(fake, Config("b", &pb));
  a.Start();
  ASSERT_TRUE(Eventually([&] { return a.IsLeader(); }));
  b.Start();
  ASSERT_TRUE(Eventually([&] { return b.Leader() == "a"; }));
  const auto stop_at = std::chrono::steady_clock::now();
  a.Stop();
  EXPECT_EQ(pa.stopped, 1);
  ASSERT_TRUE(Eventually([&] { return b.IsLeader(); }, milliseconds(5000)));
  EXPECT_LT(std::chrono::steady_clock::now() - stop_at, milliseconds(2000));
  auto lease = fake->Peek(resources::kLeases, "riposte-system", "riposte-controller");
  EXPECT_EQ(Lease(*lease).holder_identity(), "b");
  EXPECT_EQ(Lease(*lease).lease_transitions(), 1);
  b.Stop();
}

}  // namespace
}  // namespace riposte::kube
