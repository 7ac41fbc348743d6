// Leader election against the fake client on a hand-driven clock: time moves only when a
// test advances it, so every bound is checked exactly (in fake time) and no test depends on
// how busy the machine is.
#include "kube/leader_election.h"

#include <gtest/gtest.h>

#include <atomic>

#include "common/json_value.h"
#include "tests/fakes/fake_clock.h"
#include "tests/fakes/fake_kube_client.h"
#include "tests/kube/test_util.h"
#include "tests/support/eventually.h"

namespace riposte::kube {
namespace {
using std::chrono::milliseconds;
using riposte::testing::Eventually;

struct Probe {
  explicit Probe(std::shared_ptr<fakes::FakeClock> c) : clock(std::move(c)) {}
  std::shared_ptr<fakes::FakeClock> clock;
  std::atomic<int> started{0}, stopped{0};
  std::mutex mu;
  std::vector<std::string> leaders;
  Clock::TimePoint stopped_at{};  // fake time
};

LeaderElectionConfig Config(const std::string& id, Probe* p) {
  LeaderElectionConfig c;
  c.lease_namespace = "riposte-system";
  c.lease_name = "riposte-controller";
  c.identity = id;
  c.lease_duration = milliseconds(15000);
  c.renew_deadline = milliseconds(10000);
  c.retry_period = milliseconds(2000);
  c.on_started_leading = [p] { ++p->started; };
  c.on_stopped_leading = [p] {
    std::lock_guard<std::mutex> lock(p->mu);
    p->stopped_at = p->clock->Now();
    ++p->stopped;
  };
  c.on_new_leader = [p](const std::string& id2) {
    std::lock_guard<std::mutex> lock(p->mu);
    p->leaders.push_back(id2);
  };
  return c;
}

class LeaderElectionTest : public ::testing::Test {
 protected:
  size_t LeaseReads() { return fake->ActionsFor("get", "leases.coordination.k8s.io").size(); }
  // Advances fake time by `d` once every running elector waits for its next attempt, and
  // waits until each has made the attempt that was due (each starts with a read of the Lease).
  void Advance(Clock::Duration d, size_t electors = 1) {
    ASSERT_TRUE(Eventually([&] { return clock->Waiting() >= static_cast<int>(electors); }));
    const size_t reads = LeaseReads();
    clock->Advance(d);
    ASSERT_TRUE(Eventually([&] { return LeaseReads() >= reads + electors; }));
  }
  // The stored Lease's spec.
  struct Stored {
    std::string holder;
    int64_t duration_s, transitions;
  };
  Stored Lease() {
    auto v = fake->Peek(resources::kLeases, "riposte-system", "riposte-controller").value();
    return {riposte::json::GetString(v, {"spec", "holderIdentity"}).value_or(""),
            riposte::json::GetInt(v, {"spec", "leaseDurationSeconds"}).value_or(0),
            riposte::json::GetInt(v, {"spec", "leaseTransitions"}).value_or(0)};
  }
  // Another writer takes the Lease (retried on conflict, as any writer of it would).
  void TakeOver(const std::string& holder, int64_t duration_s) {
    ASSERT_TRUE(Eventually([&] {
      auto got = fake->Get(resources::kLeases, "riposte-system", "riposte-controller");
      if (!got.ok()) return false;
      auto lease = got.value();
      lease["spec"]["holderIdentity"] = web::json::value::string(holder);
      lease["spec"]["leaseDurationSeconds"] = web::json::value::number(duration_s);
      return fake->Update(resources::kLeases, "riposte-system", lease).ok();
    }));
  }

  std::shared_ptr<fakes::FakeKubeClient> fake = std::make_shared<fakes::FakeKubeClient>();
  std::shared_ptr<fakes::FakeClock> clock = std::make_shared<fakes::FakeClock>();
};

TEST_F(LeaderElectionTest, ValidatesTimings) {
  Probe p(clock);
  auto c = Config("a", &p);
  EXPECT_EQ(ValidateLeaderElectionConfig(c), "");
  c.renew_deadline = c.lease_duration;
  EXPECT_NE(ValidateLeaderElectionConfig(c), "");
  c = Config("a", &p);
  c.retry_period = milliseconds(9000);
  EXPECT_NE(ValidateLeaderElectionConfig(c), "");
  c = Config("", &p);
  EXPECT_NE(ValidateLeaderElectionConfig(c), "");
  c = Config("a", &p);
  c.lease_name = "Bad_Name";
  EXPECT_NE(ValidateLeaderElectionConfig(c), "");
}

TEST_F(LeaderElectionTest, OneOfTwoLeadsAndTheOtherKnowsWho) {
  Probe pa(clock), pb(clock);
  LeaderElector a(fake, Config("a", &pa), clock);
  LeaderElector b(fake, Config("b", &pb), clock);
  a.Start();
  ASSERT_TRUE(Eventually([&] { return a.IsLeader(); })) << "the first attempt needs no time to pass";
  b.Start();
  ASSERT_TRUE(Eventually([&] { return b.Leader() == "a"; }));
  // Ten retry periods (20 s, past b's view of the lease duration): a renews each time, so b
  // never sees the Lease expire and never leads.
  for (int i = 0; i < 10; ++i) {
    Advance(milliseconds(2000), 2);
    ASSERT_FALSE(b.IsLeader()) << i;
    ASSERT_TRUE(a.IsLeader()) << i;
  }
  EXPECT_EQ(pa.started, 1);
  EXPECT_EQ(pb.started, 0);
  EXPECT_EQ(Lease().holder, "a");
  EXPECT_EQ(Lease().duration_s, 15);
  b.Stop();
  a.Stop();
}

// Stopping within one retry period of the takeover, measured in fake time: the leader
// observes the new holder at its next attempt.
TEST_F(LeaderElectionTest, LeaderStopsWithinOneRetryPeriodWhenTheLeaseIsTakenOver) {
  Probe pa(clock);
  auto cfg = Config("a", &pa);
  LeaderElector a(fake, cfg, clock);
  a.Start();
  ASSERT_TRUE(Eventually([&] { return a.IsLeader(); }));
  const auto taken = clock->Now();
  TakeOver("intruder", 30);
  Advance(cfg.retry_period);
  ASSERT_TRUE(Eventually([&] { return pa.stopped == 1; }));
  {
    std::lock_guard<std::mutex> lock(pa.mu);
    EXPECT_LE(pa.stopped_at - taken, cfg.retry_period);
  }
  EXPECT_FALSE(a.IsLeader());
  EXPECT_EQ(a.Leader(), "intruder");
  a.Stop();
  // A stopped non-leader must not touch someone else's Lease.
  EXPECT_EQ(Lease().holder, "intruder");
}

// Renewals fail (the API is unreachable): leadership ends exactly at the renew deadline,
// before the Lease could expire for another replica, even though no attempt succeeds.
TEST_F(LeaderElectionTest, LeaderStopsAtTheRenewDeadlineWhenRenewalsFail) {
  Probe pa(clock);
  auto cfg = Config("a", &pa);
  LeaderElector a(fake, cfg, clock);
  a.Start();
  ASSERT_TRUE(Eventually([&] { return a.IsLeader(); }));
  fake->FailNext("get", "leases.coordination.k8s.io", MakeError(ErrorKind::kServiceUnavailable, "down"), 1000000);
  const auto last_renewal = clock->Now();
  for (int i = 0; i < 4; ++i) {  // 8 s of failed attempts: still within the deadline
    Advance(cfg.retry_period);
    EXPECT_TRUE(a.IsLeader()) << i;
  }
  EXPECT_EQ(pa.stopped, 0);
  ASSERT_TRUE(Eventually([&] { return clock->Waiting() >= 1; }));
  clock->Advance(cfg.renew_deadline - (clock->Now() - last_renewal));
  EXPECT_FALSE(a.IsLeader()) << "IsLeader() turns false at the deadline itself, not at the next attempt";
  ASSERT_TRUE(Eventually([&] { return pa.stopped == 1; }));
  std::lock_guard<std::mutex> lock(pa.mu);
  EXPECT_EQ(pa.stopped_at - last_renewal, cfg.renew_deadline);
  EXPECT_LT(pa.stopped_at - last_renewal, cfg.lease_duration);
}

TEST_F(LeaderElectionTest, ReleaseOnStopLetsTheOtherTakeOverAtItsNextRetry) {
  Probe pa(clock), pb(clock);
  auto ca = Config("a", &pa);
  ca.lease_duration = milliseconds(30000);  // without release, b would wait 30 s
  LeaderElector a(fake, ca, clock);
  LeaderElector b(fake, Config("b", &pb), clock);
  a.Start();
  ASSERT_TRUE(Eventually([&] { return a.IsLeader(); }));
  b.Start();
  ASSERT_TRUE(Eventually([&] { return b.Leader() == "a"; }));
  a.Stop();
  EXPECT_EQ(pa.stopped, 1);
  EXPECT_EQ(Lease().holder, "") << "released";
  Advance(milliseconds(2000));  // b's next retry
  ASSERT_TRUE(Eventually([&] { return b.IsLeader(); }));
  EXPECT_EQ(Lease().holder, "b");
  EXPECT_EQ(Lease().transitions, 1);
  b.Stop();
}

// A Lease held by someone else is taken only after it has not changed for its whole
// duration, judged by this replica's own clock.
TEST_F(LeaderElectionTest, AnAbandonedLeaseIsTakenAfterItsDuration) {
  ASSERT_TRUE(fake->Create(resources::kLeases, "riposte-system", web::json::value::parse(R"({
      "apiVersion":"coordination.k8s.io/v1","kind":"Lease","metadata":{"name":"riposte-controller","namespace":"riposte-system"},
      "spec":{"holderIdentity":"gone","leaseDurationSeconds":15}})")).ok());
  Probe pb(clock);
  LeaderElector b(fake, Config("b", &pb), clock);
  b.Start();
  ASSERT_TRUE(Eventually([&] { return b.Leader() == "gone"; }));
  for (int i = 0; i < 7; ++i) {  // 14 s: not yet expired
    Advance(milliseconds(2000));
    ASSERT_FALSE(b.IsLeader()) << i;
  }
  Advance(milliseconds(2000));  // 16 s without a change
  ASSERT_TRUE(Eventually([&] { return b.IsLeader(); }));
  EXPECT_EQ(Lease().holder, "b");
  b.Stop();
}

}  // namespace
}  // namespace riposte::kube
