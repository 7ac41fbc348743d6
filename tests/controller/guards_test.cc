// Guards with a hand-driven wall clock: cooldown, rate limits, destructive cap, protected
// namespaces, restart/replica persistence via observed ResponseActions, and floods.

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "controller/guards.h"
#include "controller/names.h"

namespace riposte::controller {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::system_clock;

struct FakeWall {
  Clock::time_point t = Clock::time_point(std::chrono::seconds(1795256127));
  WallClock fn() {
    return [this] { return t; };
  }
};

Policy MakePolicy(const std::string& name, bool destructive, int64_t cooldown = 300, int64_t rate = 10) {
  Policy p;
  p.name = name;
  p.has_destructive = destructive;
  p.guards.cooldown_seconds = cooldown;
  p.guards.max_actions_per_minute = rate;
  return p;
}

AlertTarget Pod(const std::string& name, const std::string& ns = "shop") { return {ns, name, ""}; }

TEST(Guards, FloodForOnePodGivesExactlyOneResponse) {
  FakeWall wall;
  Guards g({}, wall.fn());
  auto p = MakePolicy("contain", true);
  int admitted = 0;
  for (int i = 0; i < 1000; ++i) {
    auto t = g.Admit(p, Pod("web-1"));
    if (t.reason == Suppression::kNone) {
      ++admitted;
      g.Commit(t);
    } else {
      EXPECT_EQ(t.reason, Suppression::kCooldown);
    }
  }
  EXPECT_EQ(admitted, 1);
  EXPECT_EQ(g.suppressed(Suppression::kCooldown), 999u);
}

TEST(Guards, ConcurrentFloodWaitsForTheInflightResponse) {
  FakeWall wall;
  Guards g({}, wall.fn());
  auto p = MakePolicy("contain", false);
  std::atomic<int> admitted{0}, cooldown{0};
  std::vector<std::thread> threads;
  for (int th = 0; th < 8; ++th)
    threads.emplace_back([&] {
      for (int i = 0; i < 125; ++i) {
        auto t = g.Admit(p, Pod("web-1"));
        if (t.reason == Suppression::kNone) {
          ++admitted;
          g.Commit(t);
        } else if (t.reason == Suppression::kCooldown) {
          ++cooldown;
        }
      }
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(admitted.load(), 1);
  EXPECT_EQ(cooldown.load(), 999);
}

TEST(Guards, AbortReleasesTheTargetSoTheRetryCanRespond) {
  FakeWall wall;
  Guards g({}, wall.fn());
  auto p = MakePolicy("contain", true);
  auto t = g.Admit(p, Pod("web-1"));
  ASSERT_EQ(t.reason, Suppression::kNone);
  g.Abort(t);  // e.g. the API was unreachable; the sender gets 503 and retries
  auto again = g.Admit(p, Pod("web-1"));
  EXPECT_EQ(again.reason, Suppression::kNone);
}

TEST(Guards, CooldownExpiresAndIsPerPolicyAndPod) {
  FakeWall wall;
  Guards g({}, wall.fn());
  auto p = MakePolicy("contain", false, 300);
  auto q = MakePolicy("other", false, 300);
  g.Commit(g.Admit(p, Pod("web-1")));
  EXPECT_EQ(g.Admit(p, Pod("web-1")).reason, Suppression::kCooldown);
  auto t2 = g.Admit(p, Pod("web-2"));
  EXPECT_EQ(t2.reason, Suppression::kNone);
  g.Commit(t2);
  auto t3 = g.Admit(q, Pod("web-1"));
  EXPECT_EQ(t3.reason, Suppression::kNone);
  g.Commit(t3);
  wall.t += 299s;
  EXPECT_EQ(g.Admit(p, Pod("web-1")).reason, Suppression::kCooldown);
  wall.t += 2s;
  EXPECT_EQ(g.Admit(p, Pod("web-1")).reason, Suppression::kNone);
}

TEST(Guards, PolicyRateLimitIsASlidingMinute) {
  FakeWall wall;
  Guards g({}, wall.fn());
  auto p = MakePolicy("contain", false, 300, 3);
  for (int i = 0; i < 3; ++i) g.Commit(g.Admit(p, Pod("web-" + std::to_string(i))));
  EXPECT_EQ(g.Admit(p, Pod("web-9")).reason, Suppression::kPolicyRateLimit);
  wall.t += 61s;
  EXPECT_EQ(g.Admit(p, Pod("web-9")).reason, Suppression::kNone);
}

TEST(Guards, GlobalDestructiveCapSparesNonDestructiveAndDryRunPolicies) {
  FakeWall wall;
  GuardConfig cfg;
  cfg.max_destructive_per_minute = 2;
  Guards g(cfg, wall.fn());
  auto kill = MakePolicy("kill", true, 300, 100);
  auto kill2 = MakePolicy("kill2", true, 300, 100);
  g.Commit(g.Admit(kill, Pod("a")));
  g.Commit(g.Admit(kill2, Pod("b")));
  auto t = g.Admit(kill, Pod("c"));
  EXPECT_EQ(t.reason, Suppression::kDestructiveCap);
  EXPECT_NE(t.message.find("2 destructive"), std::string::npos);
  auto label = MakePolicy("label", false, 300, 100);
  EXPECT_EQ(g.Admit(label, Pod("c")).reason, Suppression::kNone);
  auto dry = MakePolicy("dry", true, 300, 100);
  dry.dry_run = true;
  EXPECT_EQ(g.Admit(dry, Pod("d")).reason, Suppression::kNone);
  wall.t += 61s;
  EXPECT_EQ(g.Admit(kill, Pod("c")).reason, Suppression::kNone);
}

TEST(Guards, PolicyDestructiveCap) {
  FakeWall wall;
  Guards g({}, wall.fn());
  auto p = MakePolicy("kill", true, 300, 100);
  p.guards.max_destructive_per_minute = 1;
  g.Commit(g.Admit(p, Pod("a")));
  EXPECT_EQ(g.Admit(p, Pod("b")).reason, Suppression::kDestructiveCap);
}

TEST(Guards, AbortGivesBackRateSlots) {
  FakeWall wall;
  GuardConfig cfg;
  cfg.max_destructive_per_minute = 1;
  Guards g(cfg, wall.fn());
  auto p = MakePolicy("kill", true, 300, 1);
  g.Abort(g.Admit(p, Pod("a")));
  EXPECT_EQ(g.Admit(p, Pod("b")).reason, Suppression::kNone);
}

TEST(Guards, ProtectedNamespaces) {
  FakeWall wall;
  GuardConfig cfg;
  cfg.protected_namespaces = {"kube-system", "riposte-system"};
  Guards g(cfg, wall.fn());
  auto p = MakePolicy("contain", false);
  EXPECT_EQ(g.Admit(p, Pod("coredns-1", "kube-system")).reason, Suppression::kProtectedNamespace);
  EXPECT_EQ(g.Admit(p, Pod("riposte-0", "riposte-system")).reason, Suppression::kProtectedNamespace);
  EXPECT_EQ(g.suppressed(Suppression::kProtectedNamespace), 2u);
}

TEST(Guards, ObservedResponseActionsHoldTheCooldownAcrossRestarts) {
  FakeWall wall;
  Guards g({}, wall.fn());  // a fresh process: nothing in memory
  auto p = MakePolicy("contain", false, 300);
  g.ObserveExisting("contain", "shop", "web-1", wall.t - 100s, 300);  // from the informer
  g.ObserveExisting("contain", "shop", "web-2", wall.t - 400s, 300);  // already expired
  EXPECT_EQ(g.Admit(p, Pod("web-1")).reason, Suppression::kCooldown);
  EXPECT_EQ(g.Admit(p, Pod("web-2")).reason, Suppression::kNone);
}

TEST(Guards, InflightThatNeverSettlesEndsBusyNotDuplicated) {
  FakeWall wall;
  GuardConfig cfg;
  cfg.wait_for_inflight = 20ms;
  Guards g(cfg, wall.fn());
  auto p = MakePolicy("contain", false);
  auto first = g.Admit(p, Pod("web-1"));
  ASSERT_EQ(first.reason, Suppression::kNone);
  EXPECT_EQ(g.Admit(p, Pod("web-1")).reason, Suppression::kBusy);
  g.Commit(first);
  EXPECT_EQ(g.Admit(p, Pod("web-1")).reason, Suppression::kCooldown);
}

TEST(Guards, TrackedTargetsAreBounded) {
  FakeWall wall;
  GuardConfig cfg;
  cfg.max_tracked_targets = 10;
  Guards g(cfg, wall.fn());
  auto p = MakePolicy("contain", false, 5, 10000);
  for (int i = 0; i < 10; ++i) g.Commit(g.Admit(p, Pod("p" + std::to_string(i))));
  EXPECT_EQ(g.Admit(p, Pod("p10")).reason, Suppression::kBusy);
  wall.t += 6s;  // entries expire and are pruned on demand
  EXPECT_EQ(g.Admit(p, Pod("p10")).reason, Suppression::kNone);
  EXPECT_LE(g.tracked_targets(), 10u);
}

TEST(Guards, ResponseNamesAreDeterministicPerCooldownWindow) {
  auto p = MakePolicy("ingressnightmare-exploitation-with-a-very-long-policy-name", true, 300);
  Clock::time_point t(std::chrono::seconds(1795256100));
  auto a = Guards::ResponseName(p, Pod("web-1"), t, "uuid-1");
  EXPECT_TRUE(IsDnsLabel(a)) << a;
  EXPECT_EQ(a, Guards::ResponseName(p, Pod("web-1"), t + 10s, "uuid-2"));  // same window
  EXPECT_NE(a, Guards::ResponseName(p, Pod("web-2"), t, "uuid-1"));
  EXPECT_NE(a, Guards::ResponseName(p, Pod("web-1"), t + 300s, "uuid-1"));
  auto no_cooldown = MakePolicy("p", true, 0);
  EXPECT_NE(Guards::ResponseName(no_cooldown, Pod("web-1"), t, "u1"),
            Guards::ResponseName(no_cooldown, Pod("web-1"), t, "u2"));
}

}  // namespace
}  // namespace riposte::controller
