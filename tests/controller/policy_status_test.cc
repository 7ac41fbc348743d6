// ResponsePolicy status counters against the fake kube client: alerts are counted in memory
// and written once per policy and flush (never once per alert), added to what is stored, with
// a resourceVersion precondition so replicas never overwrite each other's counts; failed
// writes are retried at the next flush and deleted policies are forgotten.

#include <gtest/gtest.h>

#include "controller/periodic.h"
#include "controller/policy_status.h"
#include "tests/controller/controller_process.h"
#include "tests/support/eventually.h"
#include "tests/fakes/fake_clock.h"
#include "tests/fakes/fake_kube_client.h"

namespace riposte::controller {
namespace {

using namespace std::chrono_literals;
using web::json::value;
using riposte::testing::Eventually;
using Wall = std::chrono::system_clock;

const kube::Resource& kRes = kube::resources::kResponsePolicies;
const std::string kGR = kRes.GroupResource();
const Wall::time_point kT0 = Wall::time_point(std::chrono::seconds(1795000000));

class PolicyStatusTest : public ::testing::Test {
 protected:
  void SetUp() override { fake = std::make_shared<fakes::FakeKubeClient>(); }

  Policy Seed(const std::string& name, const std::string& status_json = "") {
    auto obj = value::parse(R"({"apiVersion":"riposte.io/v1alpha1","kind":"ResponsePolicy","metadata":{"name":")" +
                            name + R"("},"spec":{"match":{},"actions":[{"type":"event"}]}})");
    if (!status_json.empty()) obj["status"] = value::parse(status_json);
    auto stored = fake->Seed(kRes, obj);
    Policy p;
    p.name = name;
    p.uid = stored.at("metadata").at("uid").as_string();
    return p;
  }
  value Status(const std::string& name) { return fake->Peek(kRes, "", name).value().at("status"); }
  size_t StatusPatches() {
    size_t n = 0;
    for (const auto& a : fake->ActionsFor("patch", kGR)) n += a.subresource == "status" ? 1 : 0;
    return n;
  }
  // The same flood the integration test sends: 20 alerts for one pod, the first responded to.
  void Flood(PolicyStatusCounters& c, const Policy& p, int n = 20) {
    for (int i = 0; i < n; ++i) c.Record(p, i == 0 ? Suppression::kNone : Suppression::kCooldown, kT0 + std::chrono::seconds(i));
  }

  std::shared_ptr<fakes::FakeKubeClient> fake;
};

TEST_F(PolicyStatusTest, AFloodIsOneWritePerPolicyAndFlush) {
  auto p = Seed("contain");
  PolicyStatusCounters c(fake);
  Flood(c, p);
  EXPECT_EQ(StatusPatches(), 0u) << "alerts must not write to the API themselves";
  auto st = c.Flush();
  EXPECT_EQ(st.written, 1u);
  EXPECT_EQ(StatusPatches(), 1u);
  auto s = Status("contain");
  EXPECT_EQ(s.at("alertsMatched").as_integer(), 20);
  EXPECT_EQ(s.at("alertsSuppressed").as_integer(), 19);
  EXPECT_EQ(s.at("responsesRecorded").as_integer(), 1);
  EXPECT_EQ(s.at("suppressedByReason").at("cooldown").as_integer(), 19);
  EXPECT_EQ(s.at("suppressedByReason").size(), 1u);
  EXPECT_EQ(s.at("lastMatchTime").as_string(), FormatRfc3339(kT0 + 19s));
  // Nothing new: nothing written.
  fake->ClearActions();
  EXPECT_EQ(c.Flush().written, 0u);
  EXPECT_TRUE(fake->Actions().empty());
}

TEST_F(PolicyStatusTest, AddsToStoredCountsAndKeepsTheConditions) {
  auto p = Seed("contain", R"({"alertsMatched":5,"alertsSuppressed":4,"responsesRecorded":1,
      "suppressedByReason":{"cooldown":3,"policy_rate_limit":1},"lastMatchTime":"2030-01-01T00:00:00Z",
      "conditions":[{"type":"Ready","status":"True"}],"observedGeneration":1})");
  PolicyStatusCounters c(fake);
  Flood(c, p, 3);
  c.Record(p, Suppression::kProtectedNamespace, kT0);
  ASSERT_EQ(c.Flush().written, 1u);
  auto s = Status("contain");
  EXPECT_EQ(s.at("alertsMatched").as_integer(), 9);
  EXPECT_EQ(s.at("alertsSuppressed").as_integer(), 7);
  EXPECT_EQ(s.at("responsesRecorded").as_integer(), 2);
  EXPECT_EQ(s.at("suppressedByReason").at("cooldown").as_integer(), 5);
  EXPECT_EQ(s.at("suppressedByReason").at("policy_rate_limit").as_integer(), 1);
  EXPECT_EQ(s.at("suppressedByReason").at("protected_namespace").as_integer(), 1);
  EXPECT_EQ(s.at("lastMatchTime").as_string(), "2030-01-01T00:00:00Z") << "a later stored match time is kept";
  EXPECT_EQ(s.at("conditions").at(0).at("type").as_string(), "Ready");
  EXPECT_EQ(s.at("observedGeneration").as_integer(), 1);
}

TEST_F(PolicyStatusTest, MalformedStoredCountsReadAsZero) {
  auto p = Seed("contain", R"({"alertsMatched":"many","suppressedByReason":{"cooldown":-4,"x":"y"},"lastMatchTime":"yesterday"})");
  PolicyStatusCounters c(fake);
  Flood(c, p, 2);
  ASSERT_EQ(c.Flush().written, 1u);
  auto s = Status("contain");
  EXPECT_EQ(s.at("alertsMatched").as_integer(), 2);
  EXPECT_EQ(s.at("suppressedByReason").at("cooldown").as_integer(), 1);
  EXPECT_FALSE(s.at("suppressedByReason").has_field("x"));
  EXPECT_EQ(s.at("lastMatchTime").as_string(), FormatRfc3339(kT0 + 1s));
}

TEST_F(PolicyStatusTest, ReplicasWithStaleCachesNeverOverwriteEachOther) {
  auto p = Seed("contain");
  const value before = fake->Peek(kRes, "", "contain").value();
  // Replica B reads through a cache that still holds the object as it was before A's write.
  PolicyStatusCounters a(fake);
  PolicyStatusCounters b(fake, [&](const std::string&) { return std::make_shared<const value>(before); });
  Flood(a, p, 20);
  Flood(b, p, 7);
  ASSERT_EQ(a.Flush().written, 1u);
  auto st = b.Flush();
  EXPECT_EQ(st.written, 1u);
  EXPECT_EQ(st.conflicts, 1u) << "the stale copy must be refused by the resourceVersion precondition";
  auto s = Status("contain");
  EXPECT_EQ(s.at("alertsMatched").as_integer(), 27);
  EXPECT_EQ(s.at("suppressedByReason").at("cooldown").as_integer(), 25);
  EXPECT_EQ(s.at("responsesRecorded").as_integer(), 2);
}

TEST_F(PolicyStatusTest, FailedWritesAreKeptForTheNextFlush) {
  auto p = Seed("contain");
  PolicyStatusCounters c(fake);
  Flood(c, p, 20);
  fake->FailNext("patch", kGR, kube::MakeError(kube::ErrorKind::kServiceUnavailable, "apiserver overloaded"));
  auto st = c.Flush();
  EXPECT_EQ(st.written, 0u);
  EXPECT_EQ(st.failed, 1u);
  EXPECT_EQ(c.pending_policies(), 1u);
  EXPECT_FALSE(fake->Peek(kRes, "", "contain").value().has_field("status"));
  Flood(c, p, 5);  // more alerts meanwhile
  ASSERT_EQ(c.Flush().written, 1u);
  EXPECT_EQ(Status("contain").at("alertsMatched").as_integer(), 25);
  EXPECT_EQ(Status("contain").at("responsesRecorded").as_integer(), 2);
  EXPECT_EQ(c.pending_policies(), 0u);
}

TEST_F(PolicyStatusTest, EndlessConflictsGiveUpForThisFlushOnly) {
  auto p = Seed("contain");
  PolicyStatusCounters c(fake);
  Flood(c, p, 3);
  fake->FailNext("patch", kGR, kube::MakeError(kube::ErrorKind::kConflict, "modified"), PolicyStatusCounters::kMaxAttempts);
  auto st = c.Flush();
  EXPECT_EQ(st.conflicts, static_cast<size_t>(PolicyStatusCounters::kMaxAttempts));
  EXPECT_EQ(st.failed, 1u);
  EXPECT_EQ(StatusPatches(), static_cast<size_t>(PolicyStatusCounters::kMaxAttempts));
  ASSERT_EQ(c.Flush().written, 1u);
  EXPECT_EQ(Status("contain").at("alertsMatched").as_integer(), 3);
}

TEST_F(PolicyStatusTest, DeletedOrRecreatedPoliciesAreForgotten) {
  Policy gone;
  gone.name = "gone";
  gone.uid = "uid-of-a-deleted-policy";
  auto old = Seed("recreated");
  old.uid = "uid-before-recreate";  // what the alerts were counted against
  PolicyStatusCounters c(fake);
  Flood(c, gone, 2);
  Flood(c, old, 2);
  auto st = c.Flush();
  EXPECT_EQ(st.dropped, 2u);
  EXPECT_EQ(st.written, 0u);
  EXPECT_EQ(StatusPatches(), 0u);
  EXPECT_EQ(c.pending_policies(), 0u);
  EXPECT_FALSE(fake->Peek(kRes, "", "recreated").value().has_field("status"));
}

TEST_F(PolicyStatusTest, PeriodicFlushOnAHandDrivenClock) {
  auto p = Seed("contain");
  PolicyStatusCounters c(fake);
  auto clock = std::make_shared<fakes::FakeClock>();
  PeriodicRunner flusher(5s, [&] { c.Flush(); }, clock);
  flusher.Start(false);
  Flood(c, p, 20);
  EXPECT_EQ(StatusPatches(), 0u);  // the clock has not moved: no flush yet
  clock->Advance(5s);
  ASSERT_TRUE(Eventually([&] { return flusher.runs() == 1; }, 5s));
  EXPECT_EQ(StatusPatches(), 1u);
  Flood(c, p, 20);
  clock->Advance(5s);
  ASSERT_TRUE(Eventually([&] { return flusher.runs() == 2; }, 5s));
  flusher.Stop();
  EXPECT_EQ(StatusPatches(), 2u) << "40 alerts, two intervals: two writes";
  EXPECT_EQ(Status("contain").at("alertsMatched").as_integer(), 40);
}

}  // namespace
}  // namespace riposte::controller
