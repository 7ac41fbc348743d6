// `riposte audit` against riposte-test-apiserver seeded with the clusters of tests/data/audit:
// the collector must see exactly what the offline snapshot holds (same golden JSON), the CLI
// must exit as documented, and an RBAC-limited identity yields exit 2 with each denied
// resource named.

#include <gtest/gtest.h>

#include <filesystem>

#include "audit/collector.h"
#include "audit/render.h"
#include "kube/config.h"
#include "tests/apiserver/test_apiserver_process.h"
#include "tests/audit/audit_test_util.h"
#include "tests/support/files.h"
#include "tests/support/process.h"

namespace riposte::audit {
namespace {

// Everything but configmaps, networkpolicies and validatingwebhookconfigurations.
constexpr const char* kLimitedUsers = R"({"users":[{"token":"auditor-token","name":"auditor","rules":[
  {"verbs":["list","get"],"apiGroups":[""],"resources":["pods","nodes","services","endpoints","namespaces"]},
  {"verbs":["list","get"],"apiGroups":["apps"],"resources":["deployments","daemonsets"]},
  {"verbs":["list","get"],"apiGroups":["networking.k8s.io"],"resources":["ingresses"]}]}]})";

class AuditIntegrationTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    dir_ = riposte::testing::MakeTempDir("riposte-audit-it");
    ASSERT_FALSE(dir_.empty());
    server_ = std::make_unique<testapi::TestApiServerProcess>();
    const std::string scenario = GetParam() == "rbac" ? "vulnerable" : GetParam();
    server_->Seed(web::json::value::parse(testing::ReadFile(testing::DataPath("cluster_" + scenario + ".json"))));
    server_->AddUsers(web::json::value::parse(kLimitedUsers));
    kubeconfig_ = server_->WriteKubeconfig(dir_ + "/kubeconfig", GetParam() == "rbac" ? "auditor-token" : "");
  }
  void TearDown() override {
    server_.reset();
    std::filesystem::remove_all(dir_);
  }

  ClusterSnapshot CollectLive() {
    kube::KubeconfigOptions opts;
    opts.path = kubeconfig_;
    auto config = kube::LoadKubeconfig(opts);
    EXPECT_TRUE(config.ok());
    auto client = kube::NewKubeClient(config.value());
    EXPECT_TRUE(client.ok());
    return Collect(*client.value(), {.ns = "", .page_size = 2});  // small pages exercise paging
  }

  std::string dir_, kubeconfig_;
  std::unique_ptr<testapi::TestApiServerProcess> server_;
};

TEST_P(AuditIntegrationTest, LiveReportMatchesGolden) {
  ClusterSnapshot snap = CollectLive();
  snap.source = "cluster_" + std::string(GetParam() == "rbac" ? "vulnerable" : GetParam());
  Report report = testing::AnalyzeWithFake(snap);
  // Same golden files as the offline analysis: the collector must see what the seed holds.
  testing::ExpectGolden(GetParam() + ".json", RenderJson(report));
}

TEST_P(AuditIntegrationTest, CliExitCodeAndJson) {
  auto r = riposte::testing::RunProcess({RIPOSTE_BINARY, "audit", "--kubeconfig", kubeconfig_, "--format", "json",
                                "--output", dir_ + "/report.json", "--save-snapshot", dir_ + "/snap.json"},
                               std::chrono::seconds(120), dir_);
  auto doc = web::json::value::parse(testing::ReadFile(dir_ + "/report.json"));
  EXPECT_EQ(doc.at("exitCode").as_integer(), r.exit_code);
  if (GetParam() == "rbac") {
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_NE(r.err.find("3 resource(s) could not be read"), std::string::npos) << r.err;
    auto& unread = doc.at("unreadable").as_array();
    ASSERT_EQ(unread.size(), 3u);
    std::vector<std::string> names;
    for (const auto& u : unread) {
      names.push_back(u.at("resource").as_string());
      EXPECT_EQ(u.at("code").as_integer(), 403);
      EXPECT_EQ(u.at("reason").as_string(), "Forbidden");
    }
    EXPECT_EQ(names, (std::vector<std::string>{"configmaps", "networkpolicies", "validatingwebhookconfigurations"}));
  } else {
    EXPECT_EQ(r.exit_code, 1) << r.err;  // every seeded cluster is at risk
    EXPECT_TRUE(doc.at("unreadable").as_array().size() == 0);
  }
  EXPECT_TRUE(doc.at("atRisk").as_bool());
  EXPECT_GE(doc.at("controllers").size(), 1u);
  // The saved snapshot replays offline to the same report.
  auto replay = riposte::testing::RunProcess({RIPOSTE_BINARY, "audit", "--snapshot", dir_ + "/snap.json", "--format", "json",
                                     "--no-timestamp"},
                                    std::chrono::seconds(60), dir_);
  EXPECT_EQ(replay.exit_code, r.exit_code) << replay.err;
  auto again = web::json::value::parse(replay.out);
  EXPECT_EQ(again.at("findings"), doc.at("findings"));
}

// One scoped run is enough: only the vulnerable cluster is instantiated for it.
class AuditScopedTest : public AuditIntegrationTest {};

TEST_P(AuditScopedTest, NamespaceScope) {
  auto r = riposte::testing::RunProcess({RIPOSTE_BINARY, "audit", "--kubeconfig", kubeconfig_, "--namespace", "ingress-nginx",
                                "--format", "json", "--no-timestamp"},
                               std::chrono::seconds(120), dir_);
  auto doc = web::json::value::parse(r.out);
  EXPECT_EQ(doc.at("namespace").as_string(), "ingress-nginx");
  EXPECT_EQ(doc.at("controllers").size(), 1u);
  EXPECT_EQ(doc.at("ingresses").size(), 0u);  // the Ingresses live in "shop"
  EXPECT_TRUE(doc.at("atRisk").as_bool());
}

INSTANTIATE_TEST_SUITE_P(Clusters, AuditIntegrationTest, ::testing::Values("vulnerable", "fixed", "mirror", "rbac"));
INSTANTIATE_TEST_SUITE_P(Clusters, AuditScopedTest, ::testing::Values("vulnerable"));

}  // namespace
}  // namespace riposte::audit
