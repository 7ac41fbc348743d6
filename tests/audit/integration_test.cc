// `riposte audit` against riposte-test-apiserver seeded with the clusters of tests/data/audit:
// the collector must see exactly what the offline snapshot holds (same golden JSON), the CLI
// must exit as documented. (An RBAC-limited identity, exit 2 with each denied resource named, is
// tested against the real kube-apiserver with real RBAC: tests/e2e/audit_test.cc.)

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

class AuditIntegrationTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    dir_ = riposte::testing::MakeTempDir("riposte-audit-it");
    ASSERT_FALSE(dir_.empty());
    server_ = std::make_unique<testapi::TestApiServerProcess>();
    server_->Seed(web::json::value::parse(testing::ReadFile(testing::DataPath("cluster_" + GetParam() + ".json"))));
    kubeconfig_ = server_->WriteKubeconfig(dir_ + "/kubeconfig");
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
  snap.source = "cluster_" + GetParam();
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
  EXPECT_EQ(r.exit_code, 1) << r.err;  // every seeded cluster is at risk
  EXPECT_TRUE(doc.at("unreadable").as_array().size() == 0);
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

// An identity RBAC limits ("rbac" in the offline golden test) is tested against the real
// kube-apiserver with the chart's ClusterRoles: tests/e2e/audit_test.cc.
INSTANTIATE_TEST_SUITE_P(Clusters, AuditIntegrationTest, ::testing::Values("vulnerable", "fixed", "mirror"));
INSTANTIATE_TEST_SUITE_P(Clusters, AuditScopedTest, ::testing::Values("vulnerable"));

}  // namespace
}  // namespace riposte::audit
