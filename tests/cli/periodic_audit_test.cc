// The controller's periodic audit with scripted passes and a hand-driven clock: only the
// leader audits, complete passes are exported, partial/failed passes are counted and keep the
// last complete results, leadership loss and shutdown abandon a pass, and the schedule is
// "on becoming leader, then every interval".

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <atomic>
#include <deque>
#include <mutex>
#include <set>

#include "audit/collector.h"
#include "audit/snapshot.h"
#include "cli/periodic_audit.h"
#include "tests/controller/controller_process.h"
#include "tests/support/eventually.h"
#include "tests/controller/metrics_text.h"
#include "tests/fakes/fake_clock.h"
#include "tests/fakes/fake_kube_client.h"

namespace riposte::cli {
namespace {


using namespace std::chrono_literals;
using controller::testing::Sample;
using riposte::testing::Eventually;

audit::Report AtRisk(std::vector<std::string> cves, size_t critical = 1) {
  audit::Report r;
  audit::Controller c;
  c.workload = {"Deployment", "ingress-nginx", "ingress-nginx-controller"};
  c.version = "v1.11.4";
  c.cves = std::move(cves);
  c.at_risk = true;
  r.controllers.push_back(c);
  for (size_t i = 0; i < critical; ++i) {
    audit::AuditFinding f;
    f.id = "f" + std::to_string(i);
    f.severity = core::Severity::kCritical;
    r.findings.push_back(f);
  }
  return r;
}

audit::Report Partial(std::vector<std::string> unreadable) {
  audit::Report r;  // what an RBAC-limited pass sees: nothing at risk, because it saw nothing
  for (auto& u : unreadable) r.unreadable.push_back({u, "Forbidden", 403, "forbidden"});
  return r;
}

struct Harness {
  std::shared_ptr<fakes::FakeClock> clock = std::make_shared<fakes::FakeClock>();
  std::atomic<bool> leader{true};
  std::mutex mu;
  std::deque<std::function<audit::Report(const std::function<bool()>&)>> script;
  std::atomic<int> calls{0};
  std::chrono::system_clock::time_point wall = std::chrono::system_clock::time_point(std::chrono::seconds(1795000000));

  PeriodicAuditConfig Config(std::chrono::milliseconds interval = 10min) {
    PeriodicAuditConfig c;
    c.interval = interval;
    c.is_leader = [this] { return leader.load(); };
    c.clock = clock;
    c.wall = [this] {
      std::lock_guard lock(mu);
      return wall;
    };
    c.run = [this](const std::function<bool()>& cancelled) {
      std::function<audit::Report(const std::function<bool()>&)> next;
      {
        std::lock_guard lock(mu);
        if (!script.empty()) {
          next = script.front();
          script.pop_front();
        }
      }
      ++calls;
      clock->Advance(3s);  // the pass takes 3 s of controller time
      return next ? next(cancelled) : audit::Report{};
    };
    return c;
  }
  void Then(audit::Report r) {
    std::lock_guard lock(mu);
    script.push_back([r](const std::function<bool()>&) { return r; });
  }
  void Then(std::function<audit::Report(const std::function<bool()>&)> fn) {
    std::lock_guard lock(mu);
    script.push_back(std::move(fn));
  }
  void AdvanceWall(std::chrono::seconds s) {
    std::lock_guard lock(mu);
    wall += s;
  }
};

const std::string kCve1974 = "riposte_audit_at_risk_workloads{cve=\"CVE-2025-1974\"}";

TEST(PeriodicAudit, FollowersDoNotAuditOrExport) {
  Harness h;
  h.leader = false;
  PeriodicAudit pa(h.Config());
  EXPECT_EQ(pa.RunOnce(), PeriodicAudit::Outcome::kNotLeader);
  EXPECT_EQ(h.calls.load(), 0);
  EXPECT_EQ(pa.RenderMetrics(), "");
}

TEST(PeriodicAudit, CompletePassExportsAtRiskWorkloadsByCve) {
  Harness h;
  h.Then(AtRisk({"CVE-2025-1097", "CVE-2025-1974"}, 2));
  PeriodicAudit pa(h.Config());
  ASSERT_EQ(pa.RunOnce(), PeriodicAudit::Outcome::kComplete);
  const std::string m = pa.RenderMetrics();
  EXPECT_EQ(Sample(m, kCve1974), 1) << m;
  EXPECT_EQ(Sample(m, "riposte_audit_at_risk_workloads{cve=\"CVE-2025-1097\"}"), 1);
  EXPECT_EQ(Sample(m, "riposte_audit_at_risk_workloads{cve=\"CVE-2026-4342\"}"), 0) << "every CVE of the table, 0 included";
  EXPECT_EQ(Sample(m, "riposte_audit_findings{severity=\"critical\"}"), 2);
  EXPECT_EQ(Sample(m, "riposte_audit_complete"), 1);
  EXPECT_EQ(Sample(m, "riposte_audit_last_run_success"), 1);
  EXPECT_EQ(Sample(m, "riposte_audit_runs_total{result=\"complete\"}"), 1);
  EXPECT_EQ(Sample(m, "riposte_audit_last_run_duration_seconds"), 3);
  EXPECT_EQ(Sample(m, "riposte_audit_last_run_timestamp_seconds"), 1795000000);
  EXPECT_EQ(Sample(m, "riposte_audit_last_success_timestamp_seconds"), 1795000000);
  EXPECT_EQ(Sample(m, "riposte_audit_interval_seconds"), 600);
  EXPECT_EQ(Sample(m, "riposte_audit_unreadable_resources{resource=\"configmaps\"}"), 0);
}

TEST(PeriodicAudit, PartialPassIsVisibleButKeepsTheLastCompleteResults) {
  Harness h;
  h.Then(AtRisk({"CVE-2025-1974"}));
  h.Then(Partial({"configmaps", "deployments"}));
  PeriodicAudit pa(h.Config());
  ASSERT_EQ(pa.RunOnce(), PeriodicAudit::Outcome::kComplete);
  h.AdvanceWall(600s);
  ASSERT_EQ(pa.RunOnce(), PeriodicAudit::Outcome::kPartial);
  const std::string m = pa.RenderMetrics();
  EXPECT_EQ(Sample(m, kCve1974), 1) << "a pass that could not read Deployments must not say 'nothing at risk'\n" << m;
  EXPECT_EQ(Sample(m, "riposte_audit_findings{severity=\"critical\"}"), 1);
  EXPECT_EQ(Sample(m, "riposte_audit_complete"), 0);
  EXPECT_EQ(Sample(m, "riposte_audit_last_run_success"), 0);
  EXPECT_EQ(Sample(m, "riposte_audit_runs_total{result=\"partial\"}"), 1);
  EXPECT_EQ(Sample(m, "riposte_audit_unreadable_resources{resource=\"configmaps\"}"), 1);
  EXPECT_EQ(Sample(m, "riposte_audit_unreadable_resources{resource=\"deployments\"}"), 1);
  EXPECT_EQ(Sample(m, "riposte_audit_unreadable_resources{resource=\"pods\"}"), 0);
  EXPECT_EQ(Sample(m, "riposte_audit_last_run_timestamp_seconds"), 1795000600);
  EXPECT_EQ(Sample(m, "riposte_audit_last_success_timestamp_seconds"), 1795000000) << "age of the kept results";
}

TEST(PeriodicAudit, NoReadableResourceOrAnExceptionIsAFailure) {
  Harness h;
  h.Then(AtRisk({"CVE-2025-1974"}));
  h.Then(Partial(audit::SnapshotResources()));  // API down: every list failed
  h.Then([](const std::function<bool()>&) -> audit::Report { throw std::runtime_error("bad_alloc-ish"); });
  h.Then(audit::Report{});  // recovered, and the controller was upgraded meanwhile
  PeriodicAudit pa(h.Config());
  ASSERT_EQ(pa.RunOnce(), PeriodicAudit::Outcome::kComplete);
  EXPECT_EQ(pa.RunOnce(), PeriodicAudit::Outcome::kFailed);
  EXPECT_EQ(pa.RunOnce(), PeriodicAudit::Outcome::kFailed);
  std::string m = pa.RenderMetrics();
  EXPECT_EQ(Sample(m, "riposte_audit_runs_total{result=\"failed\"}"), 2);
  EXPECT_EQ(Sample(m, kCve1974), 1);
  EXPECT_EQ(Sample(m, "riposte_audit_last_run_success"), 0);
  ASSERT_EQ(pa.RunOnce(), PeriodicAudit::Outcome::kComplete);
  m = pa.RenderMetrics();
  EXPECT_EQ(Sample(m, kCve1974), 0) << "a complete pass replaces the kept values";
  EXPECT_EQ(Sample(m, "riposte_audit_complete"), 1);
  EXPECT_EQ(Sample(m, "riposte_audit_last_run_success"), 1);
  EXPECT_EQ(Sample(m, "riposte_audit_unreadable_resources{resource=\"pods\"}"), 0);
}

TEST(PeriodicAudit, LosingLeadershipMidPassAbandonsItWithoutExporting) {
  Harness h;
  h.Then([&h](const std::function<bool()>& cancelled) {
    h.leader = false;  // another replica took the Lease while we were listing
    EXPECT_TRUE(cancelled());
    return AtRisk({"CVE-2025-1974"});
  });
  PeriodicAudit pa(h.Config());
  EXPECT_EQ(pa.RunOnce(), PeriodicAudit::Outcome::kCancelled);
  h.leader = true;
  const std::string m = pa.RenderMetrics();
  EXPECT_FALSE(Sample(m, kCve1974).has_value()) << m;
  EXPECT_EQ(Sample(m, "riposte_audit_runs_total{result=\"cancelled\"}"), 1);
  EXPECT_FALSE(Sample(m, "riposte_audit_last_run_success").has_value());
}

TEST(PeriodicAudit, AuditsOnBecomingLeaderThenEveryInterval) {
  Harness h;
  h.leader = false;
  PeriodicAudit pa(h.Config(10min));
  pa.Start();
  ASSERT_TRUE(Eventually([&] { return pa.ticks() == 1; }, 5s));  // the start-up tick of a follower
  EXPECT_EQ(h.calls.load(), 0);
  h.leader = true;
  pa.LeadershipChanged(true);
  ASSERT_TRUE(Eventually([&] { return pa.ticks() == 2; }, 5s));
  EXPECT_EQ(h.calls.load(), 1) << "no pass on becoming leader";
  // The next pass is due one interval after the first ended.
  h.clock->Advance(10min);
  ASSERT_TRUE(Eventually([&] { return pa.ticks() == 3; }, 5s));
  EXPECT_EQ(h.calls.load(), 2);
  // A follower's ticks do nothing.
  h.leader = false;
  pa.LeadershipChanged(false);
  h.clock->Advance(10min);
  ASSERT_TRUE(Eventually([&] { return pa.ticks() == 4; }, 5s));
  EXPECT_EQ(h.calls.load(), 2);
  pa.Stop();
}

TEST(PeriodicAudit, StopAbandonsAPassInProgress) {
  Harness h;
  std::atomic<bool> entered{false};
  h.Then([&](const std::function<bool()>& cancelled) {
    entered = true;
    // Like Collect between two list requests: give up once cancelled.
    EXPECT_TRUE(Eventually([&] { return cancelled(); }, 10s));
    return AtRisk({"CVE-2025-1974"});
  });
  PeriodicAudit pa(h.Config());
  pa.Start();
  ASSERT_TRUE(Eventually([&] { return entered.load(); }, 5s));
  pa.Stop();
  const std::string m = pa.RenderAll();
  EXPECT_EQ(Sample(m, "riposte_audit_runs_total{result=\"cancelled\"}"), 1) << m;
  EXPECT_FALSE(Sample(m, kCve1974).has_value());
}

TEST(AuditInterval, ZeroOrEmptyIsOffAndAMinuteIsTheFloor) {
  std::chrono::milliseconds out{-1};
  std::string err;
  ASSERT_TRUE(ParseAuditInterval("0", &out, &err)) << err;
  EXPECT_EQ(out, 0ms);
  ASSERT_TRUE(ParseAuditInterval("", &out, &err)) << err;
  EXPECT_EQ(out, 0ms);
  ASSERT_TRUE(ParseAuditInterval("1m", &out, &err)) << err;
  EXPECT_EQ(out, 1min);
  ASSERT_TRUE(ParseAuditInterval("10m", &out, &err)) << err;
  EXPECT_EQ(out, 10min);
  ASSERT_TRUE(ParseAuditInterval("24h", &out, &err)) << err;
  EXPECT_EQ(out, 24h);
}

TEST(AuditInterval, BelowAMinuteOrMalformedIsAClearError) {
  std::chrono::milliseconds out{7};
  std::string err;
  EXPECT_FALSE(ParseAuditInterval("59s", &out, &err));
  EXPECT_NE(err.find("--audit-interval: 59s is too short; use 0 (off) or at least 1m"), std::string::npos) << err;
  EXPECT_FALSE(ParseAuditInterval("30", &out, &err));
  EXPECT_NE(err.find("--audit-interval: missing unit"), std::string::npos) << err;
  EXPECT_FALSE(ParseAuditInterval("1x", &out, &err));
  EXPECT_NE(err.find("unknown unit"), std::string::npos) << err;
  EXPECT_EQ(out, 7ms) << "a refused value must not be stored";
}

}  // namespace
}  // namespace riposte::cli

namespace riposte::cli {
namespace {


// The chart grants the audit exactly files/audit-rbac.yaml: `list` on every resource the
// collector lists (a missing one would make every pass partial), nothing else (no secrets, no
// writes). The integration test runs a pass with these rules against the API test server.
TEST(AuditRbac, ChartRulesCoverExactlyWhatTheCollectorLists) {
  auto doc = YAML::LoadFile(std::string(RIPOSTE_SOURCE_DIR) + "/helm/riposte/files/audit-rbac.yaml");
  std::set<std::pair<std::string, std::string>> granted;  // (group, resource) with list
  for (const auto& rule : doc["rules"]) {
    for (const auto& verb : rule["verbs"]) EXPECT_EQ(verb.as<std::string>(), "list") << "the audit only lists";
    for (const auto& g : rule["apiGroups"])
      for (const auto& r : rule["resources"]) granted.emplace(g.as<std::string>(), r.as<std::string>());
  }
  std::set<std::pair<std::string, std::string>> needed;
  for (const auto& key : audit::SnapshotResources()) {
    const kube::Resource* res = audit::ResourceForKey(key);
    ASSERT_NE(res, nullptr) << key;
    needed.emplace(res->group(), res->plural());
  }
  EXPECT_EQ(granted, needed);
  EXPECT_FALSE(granted.count({"", "secrets"}));
}

}  // namespace
}  // namespace riposte::cli

namespace riposte::cli {
namespace {


// How a pass is abandoned: the collector asks `cancelled` before each resource and marks the
// rest unreadable, so an abandoned snapshot can never pass for a complete one.
TEST(AuditCollect, CancellationStopsListingAndMarksTheRestUnreadable) {
  auto fake = std::make_shared<fakes::FakeKubeClient>();
  int asked = 0;
  audit::CollectOptions opts;
  opts.cancelled = [&] { return ++asked > 2; };  // cancelled after two resources
  auto snap = audit::Collect(*fake, opts);
  const auto& keys = audit::SnapshotResources();
  EXPECT_EQ(fake->ActionsFor("list").size(), 2u);
  ASSERT_EQ(snap.errors.size(), keys.size() - 2);
  for (size_t i = 2; i < keys.size(); ++i) EXPECT_EQ(snap.errors.at(keys[i]).reason, "Cancelled") << keys[i];
}

}  // namespace
}  // namespace riposte::cli
