// The kube/ client library against the real kube-apiserver, where the API test double
// simplifies (docs/testing.md, "Known differences"): eviction through a PodDisruptionBudget, graceful deletion of a pod bound to a node, and
// typed errors built from the server's own Status bodies (validation causes, RBAC denials).

#include <gtest/gtest.h>

#include "kube/config.h"
#include "kube/kube_client.h"
#include "tests/e2e/fixtures.h"
#include "tests/e2e/suite.h"

namespace riposte::e2e {
namespace {

using web::json::value;
namespace k = riposte::kube;

k::KubeClientPtr Client(const std::string& kubeconfig) {
  k::KubeconfigOptions o;
  o.path = kubeconfig;
  auto cfg = k::LoadKubeconfig(o);
  EXPECT_TRUE(cfg.ok()) << cfg.error().message;
  auto c = cfg.value();
  c.qps = 0;
  c.retry.max_attempts = 1;  // the server's answers, not the client's retries
  auto client = k::NewKubeClient(c);
  EXPECT_TRUE(client.ok()) << client.error().message;
  return client.value();
}

class KubeClientE2E : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    CreateNamespace("kube-client");
    CreateNode("kube-client-node");
  }
  k::KubeClientPtr admin_ = Client(Suite::Get().cluster().admin_kubeconfig());
};

TEST_F(KubeClientE2E, EvictionGoesThroughTheDisruptionBudget) {
  auto w = CreateReplicaSet("kube-client", "evictee", 2, "kube-client-node");
  CreatePdb("kube-client", "evictee", w.selector, 2, 2, 0);
  auto blocked = admin_->Evict("kube-client", w.pods[0], {});
  ASSERT_FALSE(blocked.ok());
  EXPECT_EQ(blocked.error().kind, k::ErrorKind::kTooManyRequests) << blocked.error().ToString();
  EXPECT_EQ(blocked.error().code, 429);
  EXPECT_EQ(blocked.error().message, "Cannot evict pod as it would violate the pod's disruption budget.");
  ASSERT_FALSE(blocked.error().details.causes.empty());
  EXPECT_EQ(blocked.error().details.causes[0].type, "DisruptionBudget");
  EXPECT_NE(blocked.error().details.causes[0].message.find("The disruption budget evictee needs 2 healthy pods"),
            std::string::npos) << blocked.error().ToString();

  SetPdbStatus("kube-client", "evictee", 2, 1);
  ASSERT_TRUE(admin_->Evict("kube-client", w.pods[0], {}).ok());
  // Evicted with the pod's own grace period: bound to a node, it is Terminating until a
  // kubelet confirms (the double deletes at once). The budget recorded the disruption.
  auto pod = admin_->Get(k::resources::kPods, "kube-client", w.pods[0]);
  ASSERT_TRUE(pod.ok()) << pod.error().ToString();
  EXPECT_FALSE(Str(pod.value(), {"metadata", "deletionTimestamp"}).empty());
  auto pdb = Get("/apis/policy/v1/namespaces/kube-client/poddisruptionbudgets/evictee");
  EXPECT_EQ(pdb.at("status").at("disruptionsAllowed").as_integer(), 0);
  EXPECT_NE(Find(pdb, {"status", "disruptedPods", w.pods[0].c_str()}), nullptr) << pdb.serialize();
  // A pod already being deleted is evicted without asking the budget again.
  EXPECT_TRUE(admin_->Evict("kube-client", w.pods[0], {}).ok());
  auto ghost = admin_->Evict("kube-client", "no-such-pod", {});
  ASSERT_FALSE(ghost.ok());
  EXPECT_TRUE(k::IsNotFound(ghost.error()));
}

TEST_F(KubeClientE2E, GracefulDeletionAndDryRun) {
  auto w = CreateReplicaSet("kube-client", "graceful", 1, "kube-client-node");
  k::DeleteOptions dry;
  dry.dry_run = true;
  ASSERT_TRUE(admin_->Delete(k::resources::kPods, "kube-client", w.pods[0], dry).ok());
  EXPECT_TRUE(Str(admin_->Get(k::resources::kPods, "kube-client", w.pods[0]).value(), {"metadata", "deletionTimestamp"}).empty());
  k::DeleteOptions graceful;
  graceful.grace_period_seconds = 30;
  auto terminating = admin_->Delete(k::resources::kPods, "kube-client", w.pods[0], graceful);
  ASSERT_TRUE(terminating.ok()) << terminating.error().ToString();
  EXPECT_FALSE(Str(terminating.value(), {"metadata", "deletionTimestamp"}).empty()) << "the object, still there";
  k::DeleteOptions now;
  now.grace_period_seconds = 0;
  ASSERT_TRUE(admin_->Delete(k::resources::kPods, "kube-client", w.pods[0], now).ok());
  auto gone = admin_->Get(k::resources::kPods, "kube-client", w.pods[0]);
  ASSERT_FALSE(gone.ok());
  EXPECT_TRUE(k::IsNotFound(gone.error()));
}

TEST_F(KubeClientE2E, TypedErrorsCarryTheServersStatus) {
  auto invalid = admin_->Create(k::resources::kPods, "kube-client",
                                value::parse(R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"no-containers"},"spec":{}})"));
  ASSERT_FALSE(invalid.ok());
  EXPECT_EQ(invalid.error().kind, k::ErrorKind::kInvalid);
  bool containers = false;
  for (const auto& c : invalid.error().details.causes) containers |= c.field == "spec.containers";
  EXPECT_TRUE(containers) << invalid.error().ToString();

  auto& c = Suite::Get().cluster();
  c.MustApi("POST", "/api/v1/namespaces/kube-client/serviceaccounts", R"({"metadata":{"name":"nobody"}})");
  auto nobody = Client(c.WriteKubeconfig(Suite::Get().NewDir("kube-client") + "/kubeconfig",
                                         c.CreateToken("kube-client", "nobody"), "kube-client"));
  auto denied = nobody->List(k::resources::kPods, "kube-client");
  ASSERT_FALSE(denied.ok());
  EXPECT_TRUE(k::IsForbidden(denied.error()));
  EXPECT_EQ(denied.error().message,
            "pods is forbidden: User \"system:serviceaccount:kube-client:nobody\" cannot list resource \"pods\" in API "
            "group \"\" in the namespace \"kube-client\"");
  EXPECT_FALSE(denied.error().Retryable());
}

}  // namespace
}  // namespace riposte::e2e
