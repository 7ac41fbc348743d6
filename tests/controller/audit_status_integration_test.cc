// End to end, the real `riposte controller` against the API test server:
// - --audit-interval: the leader audits the seeded vulnerable cluster (tests/data/audit) at
//   start-up and /metrics shows the at-risk workloads by CVE. (With and without the chart's
//   audit ClusterRole, under real RBAC: tests/e2e/audit_test.cc.)
// - ResponsePolicy status counters: a flood for one pod shows up as matched/suppressed counts,
//   written in a handful of API calls, summed over two replicas.
// - Flag validation of the new flags.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "audit/cve_table.h"
#include "tests/apiserver/test_apiserver_process.h"
#include "tests/support/eventually.h"
#include "tests/support/files.h"
#include "tests/support/process.h"
#include "tests/controller/controller_process.h"
#include "tests/controller/metrics_text.h"

namespace riposte::controller {
namespace {

using web::json::value;
using testing::ControllerProcess;
using testing::ControllerProcessOptions;
using testing::Sample;
using riposte::testing::Eventually;
using namespace std::chrono_literals;

std::string ReadText(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string CorpusLine(size_t i) {
  std::ifstream in(std::string(RIPOSTE_TEST_DATA_DIR) + "/corpus/falco_events.jsonl");
  std::string line;
  for (size_t k = 0; k <= i; ++k) std::getline(in, line);
  return line;
}

constexpr const char* kPod = "web-7d9c8f-abcde";
const std::string kCve1974 = "riposte_audit_at_risk_workloads{cve=\"CVE-2025-1974\"}";

class AuditAndStatusIntegration : public ::testing::Test {
 protected:
  void SetUp() override {
    server = std::make_unique<testapi::TestApiServerProcess>();
    ASSERT_NO_THROW(testing::InstallCrds(*server, RIPOSTE_SOURCE_DIR));
    server->Seed(value::parse(ReadText(std::string(RIPOSTE_TEST_DATA_DIR) + "/audit/cluster_vulnerable.json")));
    // The alert target: a pod in the seeded "shop" namespace; and the controller's namespace.
    server->Seed(value::parse(std::string(R"({"items":[
        {"apiVersion":"v1","kind":"Namespace","metadata":{"name":"riposte-system"}},
        {"apiVersion":"v1","kind":"Pod","metadata":{"name":")") + kPod + R"(","namespace":"shop","labels":{"app":"web"}},
         "spec":{"nodeName":"node-a","containers":[{"name":"web","image":"nginx:1.27"}]},
         "status":{"phase":"Running","conditions":[{"type":"Ready","status":"True"}]}}]})"));
  }

  std::unique_ptr<ControllerProcess> Start(std::vector<std::string> extra, const std::string& token = "",
                                           const std::string& identity = "test-controller") {
    const std::string dir = server->dir() + "/" + identity;
    std::filesystem::create_directories(dir);
    ControllerProcessOptions o;
    o.kubeconfig = server->WriteKubeconfig(dir + "/kubeconfig", token);
    o.extra_args = std::move(extra);
    o.identity = identity;
    auto c = std::make_unique<ControllerProcess>(dir, o);
    c->Start();
    EXPECT_TRUE(c->WaitReady(20s)) << c->log();
    return c;
  }

  void CreatePolicy(const ControllerProcess& c, const std::string& name) {
    auto p = value::parse(R"({"apiVersion":"riposte.io/v1alpha1","kind":"ResponsePolicy","metadata":{"name":")" + name +
                          R"("},"spec":{"match":{"rules":["Terminal shell in container"],"namespaces":["shop"]},
                              "actions":[{"type":"event"}],"guards":{"cooldownSeconds":300}}})");
    auto r = server->Api("POST", "/apis/riposte.io/v1alpha1/responsepolicies", p.serialize());
    ASSERT_LT(r.status, 300) << r.body;
    ASSERT_TRUE(Eventually([&] {
      auto g = server->Api("GET", "/apis/riposte.io/v1alpha1/responsepolicies/" + name);
      return g.status == 200 && g.Json().has_field("status") && g.Json().at("status").has_field("conditions");
    }, 20s)) << c.log();
  }

  value PolicyStatus(const std::string& name) {
    auto g = server->Api("GET", "/apis/riposte.io/v1alpha1/responsepolicies/" + name);
    if (g.status != 200 || !g.Json().has_field("status")) return value::object();
    return g.Json().at("status");
  }

  static int64_t Int(const value& v, const char* key) {
    return v.has_field(key) && v.at(key).is_number() ? v.at(key).as_number().to_int64() : -1;
  }

  std::string Metrics(const ControllerProcess& c) { return c.GetOps("/metrics").second; }

  std::unique_ptr<testapi::TestApiServerProcess> server;
};

TEST_F(AuditAndStatusIntegration, LeaderAuditsAtStartupAndExportsAtRiskWorkloadsByCve) {
  auto c = Start({"--audit-interval", "1m"});
  std::string m;
  ASSERT_TRUE(Eventually([&] {
    m = Metrics(*c);
    return Sample(m, "riposte_audit_runs_total{result=\"complete\"}").value_or(0) >= 1;
  }, 60s)) << m << "\n" << c->log();
  // Exactly the CVEs the offline analysis of the same cluster finds (golden file), 0 for the rest.
  auto golden = value::parse(ReadText(std::string(RIPOSTE_TEST_DATA_DIR) + "/audit/golden/vulnerable.json"));
  std::set<std::string> exposed;
  for (const auto& id : golden.at("controllers").at(0).at("cves").as_array()) exposed.insert(id.as_string());
  ASSERT_TRUE(exposed.count("CVE-2025-1974"));
  for (const auto& cve : audit::CveTable()) {
    const std::string id(cve.id);
    EXPECT_EQ(Sample(m, "riposte_audit_at_risk_workloads{cve=\"" + id + "\"}"), exposed.count(id) ? 1 : 0) << id;
  }
  EXPECT_GE(Sample(m, "riposte_audit_findings{severity=\"critical\"}").value_or(0), 1) << m;
  EXPECT_EQ(Sample(m, "riposte_audit_complete"), 1);
  EXPECT_EQ(Sample(m, "riposte_audit_last_run_success"), 1);
  EXPECT_EQ(Sample(m, "riposte_audit_riposte_webhook_enforcing"), 0);
  EXPECT_EQ(Sample(m, "riposte_audit_unreadable_resources{resource=\"deployments\"}"), 0);
  EXPECT_EQ(Sample(m, "riposte_audit_interval_seconds"), 60);
  const double now = static_cast<double>(std::chrono::duration_cast<std::chrono::seconds>(
                                             std::chrono::system_clock::now().time_since_epoch()).count());
  EXPECT_NEAR(Sample(m, "riposte_audit_last_success_timestamp_seconds").value_or(0), now, 120);
  EXPECT_NE(c->log().find("audit complete"), std::string::npos);
  EXPECT_NE(c->log().find("\"workload\":\"Deployment ingress-nginx/ingress-nginx-controller\",\"image\":"),
            std::string::npos) << c->log();
  // For the docs, not asserted: how long one pass over the seeded cluster took.
  std::printf("audit pass over cluster_vulnerable: %.4f s\n",
              Sample(m, "riposte_audit_last_run_duration_seconds").value_or(-1));
  // Alert ingestion is unaffected.
  auto r = c->PostAlert(CorpusLine(0));
  EXPECT_EQ(r.status, 200) << r.body;  // no policy: answered and counted
  // SIGTERM stops the audit thread with everything else (a hang fails the test by timeout).
  c->Stop();
  const std::string log = c->log();
  EXPECT_NE(log.find("controller stopping"), std::string::npos) << log;
  EXPECT_EQ(log.find("Sanitizer"), std::string::npos) << log;
}

// With and without the chart's audit ClusterRole (real RBAC, the chart's rendered roles) the
// periodic audit is tested against the real kube-apiserver: tests/e2e/audit_test.cc.

TEST_F(AuditAndStatusIntegration, AuditOffExportsNothing) {
  auto c = Start({});
  const std::string m = Metrics(*c);
  EXPECT_EQ(m.find("riposte_audit_"), std::string::npos) << m;
  EXPECT_NE(c->log().find("\"auditInterval\":\"off\""), std::string::npos) << c->log();
}

TEST_F(AuditAndStatusIntegration, PolicyStatusCountsAFloodInAFewWrites) {
  auto c = Start({});
  CreatePolicy(*c, "shells");
  server->ResetStats();
  int created = 0, suppressed = 0;
  for (int i = 0; i < 20; ++i) {
    auto r = c->PostAlert(CorpusLine(0));
    ASSERT_LT(r.status, 300) << r.body;
    created += r.status == 201;
    suppressed += r.Json().at("suppressed").size() == 1;
  }
  EXPECT_EQ(created, 1);
  EXPECT_EQ(suppressed, 19);
  value st;
  ASSERT_TRUE(Eventually([&] {
    st = PolicyStatus("shells");
    return Int(st, "alertsMatched") == 20;
  }, 30s)) << st.serialize() << "\n" << c->log();
  EXPECT_EQ(Int(st, "alertsSuppressed"), 19);
  EXPECT_EQ(Int(st, "responsesRecorded"), 1);
  EXPECT_EQ(st.at("suppressedByReason").at("cooldown").as_integer(), 19);
  EXPECT_EQ(st.at("suppressedByReason").size(), 1u);
  EXPECT_TRUE(st.has_field("lastMatchTime") && !st.at("lastMatchTime").as_string().empty());
  EXPECT_TRUE(st.has_field("conditions")) << "counters must not clobber the Ready condition";
  // Batched: 20 alerts, at most a couple of flushes (default interval 5 s) — not 20 writes.
  const auto stats = server->Stats();
  int64_t writes = 0;
  for (const auto& [key, n] : stats.at("byObject").as_object()) {
    if (key.rfind("patch responsepolicies", 0) == 0 && key.find("/status shells") != std::string::npos)
      writes += n.as_number().to_int64();
  }
  EXPECT_GE(writes, 1) << stats.serialize();
  EXPECT_LE(writes, 3) << stats.serialize();
  const std::string m = Metrics(*c);
  EXPECT_GE(Sample(m, "riposte_policy_status_writes_total{result=\"written\"}").value_or(0), 1) << m;
}

TEST_F(AuditAndStatusIntegration, TwoReplicasCountsAddUp) {
  auto a = Start({"--policy-status-interval", "1s"}, "", "replica-a");
  auto b = Start({"--policy-status-interval", "1s"}, "", "replica-b");
  CreatePolicy(*a, "shells");
  // Both replicas must know the policy before the flood: B answers "matched" once its cache
  // has it (that one alert is counted too; unmatched ones are not).
  ASSERT_TRUE(Eventually([&] {
    auto r = b->PostAlert(CorpusLine(0));
    return r.status < 300 && r.Json().at("matched").as_bool();
  }, 10s));
  for (int i = 0; i < 10; ++i) {
    ASSERT_LT(a->PostAlert(CorpusLine(0)).status, 300);
    ASSERT_LT(b->PostAlert(CorpusLine(0)).status, 300);
  }
  value st;
  ASSERT_TRUE(Eventually([&] {
    st = PolicyStatus("shells");
    return Int(st, "alertsMatched") >= 21;
  }, 30s)) << st.serialize() << "\n" << a->log() << "\n" << b->log();
  EXPECT_EQ(Int(st, "alertsMatched"), 21) << st.serialize();
  EXPECT_EQ(Int(st, "alertsSuppressed") + Int(st, "responsesRecorded"), 21);
  EXPECT_GE(Int(st, "alertsSuppressed"), 19) << "one response per pod, whichever replica recorded it";
}

// The process refuses bad values before touching the cluster or opening a port.
TEST(ControllerFlags, AuditAndStatusIntervalsAreValidated) {
  const std::string dir = riposte::testing::MakeTempDir("riposte-ctl-flags");
  ASSERT_FALSE(dir.empty());
  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  const std::vector<Case> cases = {
      {{"--audit-interval", "30s"}, "--audit-interval: 30s is too short; use 0 (off) or at least 1m"},
      {{"--audit-interval", "10"}, "--audit-interval: missing unit in duration \"10\""},
      {{"--audit-interval=5d"}, "unknown unit \"d\""},
      {{"--policy-status-interval", "100ms"}, "--policy-status-interval must be between 1s and 10m"},
      {{"--policy-status-interval", "soon"}, "--policy-status-interval: invalid duration"},
  };
  for (const auto& c : cases) {
    std::vector<std::string> argv = {RIPOSTE_BINARY, "controller"};
    argv.insert(argv.end(), c.args.begin(), c.args.end());
    auto r = riposte::testing::RunProcess(argv, 30s, dir);
    EXPECT_EQ(r.exit_code, 2) << c.args[0];
    EXPECT_NE(r.err.find(c.message), std::string::npos) << r.err;
  }
  auto help = riposte::testing::RunProcess({RIPOSTE_BINARY, "controller", "--help"}, 30s, dir);
  EXPECT_NE(help.out.find("--audit-interval"), std::string::npos) << help.out;
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace riposte::controller
