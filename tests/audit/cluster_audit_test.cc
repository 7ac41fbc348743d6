// The bounded audit (audit/cluster_audit.h) against the API test double, for the faults a real
// server is not made to produce on demand: a listing failing part-way, denied ConfigMaps, and
// what it asks the server for. Equality with the full collection on the seeded clusters is
// tested against riposte-test-apiserver (integration_test.cc) and kube-apiserver (tests/e2e).

#include <gtest/gtest.h>

#include <set>

#include "audit/cluster_audit.h"
#include "audit/collector.h"
#include "audit/render.h"
#include "tests/audit/audit_test_util.h"
#include "tests/fakes/fake_kube_client.h"

namespace riposte::audit {
namespace {

using web::json::value;

kube::ApiError Error(kube::ErrorKind kind, int code, std::string reason, std::string message) {
  kube::ApiError e;
  e.kind = kind;
  e.code = code;
  e.reason = std::move(reason);
  e.message = std::move(message);
  return e;
}

class ClusterAuditTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fake_ = std::make_shared<fakes::FakeKubeClient>();
    value list = value::parse(testing::ReadFile(testing::DataPath("cluster_vulnerable.json")));
    for (const auto& obj : list.at("items").as_array()) {
      const std::string* key = KeyForKind(obj.at("kind").as_string());
      if (key == nullptr) continue;  // Namespaces: the fake needs none
      fake_->Seed(*ResourceForKey(*key), obj);
    }
  }

  AnalyzeOptions Options() const {
    return {.checker = std::make_shared<testing::FakeChecker>(), .generated_at = "", .migration = true};
  }
  std::string Full(const CollectOptions& c) { return RenderJson(Analyze(Collect(*fake_, c), Options())); }
  std::string Bounded(const CollectOptions& c) { return RenderJson(AuditCluster(*fake_, c, Options())); }

  std::shared_ptr<fakes::FakeKubeClient> fake_;
};

TEST_F(ClusterAuditTest, SameReportAsTheFullCollection) {
  EXPECT_EQ(Full({.ns = "", .page_size = 1}), Bounded({.ns = "", .page_size = 1}));
  EXPECT_EQ(Full({.ns = "", .page_size = 500}), Bounded({.ns = "", .page_size = 500}));
}

// ConfigMaps are read by name, never listed whole: the full list is what grows with the cluster.
TEST_F(ClusterAuditTest, ConfigMapsAreReadByNameOnly) {
  fake_->ClearActions();
  Bounded({.ns = "", .page_size = 500});
  auto lists = fake_->ActionsFor("list", "configmaps");
  ASSERT_FALSE(lists.empty());
  size_t whole = 0;
  for (const auto& a : lists) whole += a.ns.empty() ? 1 : 0;
  EXPECT_EQ(whole, 1u) << "one probe of the cluster-wide list (limit 1), the rest by name";
}

// A listing that fails after its first page: the resource is unreadable, and nothing of the
// Ingresses judged before the failure is reported, as when a whole list fails.
TEST_F(ClusterAuditTest, IngressListFailingPartWayIsUnreadable) {
  int ingress_lists = 0;
  fake_->AddReactor([&](const fakes::Action& a) -> std::optional<kube::Result<value>> {
    if (a.verb == "list" && a.resource == "ingresses.networking.k8s.io" && ++ingress_lists == 2) {
      return kube::Result<value>(Error(kube::ErrorKind::kServiceUnavailable, 503, "ServiceUnavailable",
                                                "the server is currently unable to handle the request"));
    }
    return std::nullopt;
  });
  Report report = AuditCluster(*fake_, {.ns = "", .page_size = 1}, Options());
  ASSERT_GE(ingress_lists, 2);
  ASSERT_EQ(report.unreadable.size(), 1u);
  EXPECT_EQ(report.unreadable[0].resource, "ingresses");
  EXPECT_EQ(report.unreadable[0].code, 503);
  EXPECT_TRUE(report.ingresses.empty());
  for (const auto& f : report.findings) EXPECT_NE(f.object.kind, "Ingress") << f.id;
  ASSERT_TRUE(report.migration.has_value());
  EXPECT_TRUE(report.migration->ingresses.empty());
  EXPECT_EQ(report.ExitCode(), 2);
}

// A continue token that expires part-way (410) restarts the Ingress listing; what was judged
// before is dropped, so no Ingress is counted twice.
TEST_F(ClusterAuditTest, IngressListingRestartedAfterAnExpiredContinueTokenCountsEachOnce) {
  int ingress_lists = 0;
  fake_->AddReactor([&](const fakes::Action& a) -> std::optional<kube::Result<value>> {
    if (a.verb == "list" && a.resource == "ingresses.networking.k8s.io" && ++ingress_lists == 2) {
      return kube::Result<value>(Error(kube::ErrorKind::kGone, 410, "Expired", "The provided continue parameter is too old"));
    }
    return std::nullopt;
  });
  const std::string full = Full({.ns = "", .page_size = 1});
  ASSERT_GE(ingress_lists, 2);
  ingress_lists = 0;
  Report report = AuditCluster(*fake_, {.ns = "", .page_size = 1}, Options());
  ASSERT_GE(ingress_lists, 3) << "the listing started over";
  EXPECT_TRUE(report.unreadable.empty());
  EXPECT_EQ(RenderJson(report), full);
  std::set<std::string> seen;
  for (const auto& r : report.ingresses) EXPECT_TRUE(seen.insert(r.ingress.ns + "/" + r.ingress.name).second);
}

TEST_F(ClusterAuditTest, ConfigMapsDeniedAsInTheFullCollection) {
  const kube::ApiError denied = Error(kube::ErrorKind::kForbidden, 403, "Forbidden",
                                     "configmaps is forbidden: User \"audit\" cannot list resource \"configmaps\"");
  fake_->FailNext("list", "configmaps", denied, 1);
  const std::string full = Full({.ns = "", .page_size = 2});
  fake_->FailNext("list", "configmaps", denied, 1);
  const std::string bounded = Bounded({.ns = "", .page_size = 2});
  EXPECT_EQ(full, bounded);
  EXPECT_NE(bounded.find("unreadable/configmaps"), std::string::npos);
}

// A ConfigMap read by name failing after the probe succeeded is reported, not taken as absent.
TEST_F(ClusterAuditTest, ConfigMapReadFailingAfterTheProbeIsUnreadable) {
  int configmap_lists = 0;
  fake_->AddReactor([&](const fakes::Action& a) -> std::optional<kube::Result<value>> {
    if (a.verb == "list" && a.resource == "configmaps" && ++configmap_lists >= 2) {
      return kube::Result<value>(Error(kube::ErrorKind::kServerError, 500, "InternalError", "etcd timeout"));
    }
    return std::nullopt;
  });
  Report report = AuditCluster(*fake_, {.ns = "", .page_size = 500}, Options());
  ASSERT_GE(configmap_lists, 2) << "the controller's --configmap is read by name";
  ASSERT_EQ(report.unreadable.size(), 1u);
  EXPECT_EQ(report.unreadable[0].resource, "configmaps");
  EXPECT_EQ(report.unreadable[0].code, 500);
}

}  // namespace
}  // namespace riposte::audit
