// `riposte verify` against the real kube-apiserver: it passes on the suite's install (the chart's
// release with the webhook called by the API server and a controller holding the Lease), and
// it fails with the right reason for each broken install: no webhook configuration,
// failurePolicy Ignore with the webhook down, the namespace excluded by the namespaceSelector,
// a different webhook doing the denying, a caBundle that does not sign the serving certificate.
// The chart's `helm test` runs the same check from its own pod (played by ClusterEmulator),
// under its own ServiceAccount. The verify dry runs store nothing (audit log).

#include <gtest/gtest.h>

#include <future>

#include "common/http_server.h"
#include "tests/support/certs.h"
#include "tests/e2e/cluster_emulator.h"
#include "tests/e2e/fixtures.h"
#include "tests/e2e/riposte_local.h"
#include "tests/e2e/suite.h"

namespace riposte::e2e {
namespace {

using web::json::value;
using namespace std::chrono_literals;

constexpr const char* kTestNs = "verify-e2e";
const std::string kVwcPath = std::string("/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/") + kFullname;

class Verify : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    CreateNamespace(kTestNs);
    LocalControllerOptions o;
    o.identity = "verify-e2e";
    controller_ = new LocalController("verify", o);
  }
  static void TearDownTestSuite() {
    delete controller_;
    controller_ = nullptr;
  }

  // riposte verify as the administrator, out of cluster; the controller's readiness is read
  // from the local controller's metrics listener (no pods, so no endpoints to read it from).
  CommandResult RunVerify(std::vector<std::string> extra = {}) {
    std::vector<std::string> argv = {suite.binary(), "verify", "--kubeconfig", suite.cluster().admin_kubeconfig(),
                                     "--name", kFullname, "--namespace", kReleaseNamespace, "--test-namespace", kTestNs,
                                     "--controller-address", "127.0.0.1:" + std::to_string(controller_->metrics_port())};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return RunCommand(argv, "", {}, 90s);
  }

  // The line of one check in the table: "NAME  RESULT  DETAIL".
  static std::string Line(const CommandResult& r, const std::string& check) {
    size_t at = r.out.find("\n" + check + " ");
    if (at == std::string::npos) return "";
    return r.out.substr(at + 1, r.out.find('\n', at + 1) - at - 1);
  }
  static bool Failed(const CommandResult& r, const std::string& check) {
    return Line(r, check).find(" FAIL ") != std::string::npos;
  }

  Suite& suite = Suite::Get();
  static LocalController* controller_;
};
LocalController* Verify::controller_ = nullptr;

TEST_F(Verify, PassesOnAGoodInstallAndStoresNothing) {
  auto r = RunVerify();
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  for (const char* check : {"webhook-configuration", "namespace-selected", "attack-denied", "benign-admitted", "ca-bundle",
                            "webhook-ready", "controller-lease", "controller-ready"}) {
    EXPECT_NE(Line(r, check).find(" ok "), std::string::npos) << check << ":\n" << r.out;
  }
  EXPECT_NE(Line(r, "attack-denied").find("denied by ingress.validate.riposte.io: RIP-ANN-CONTROL, RIP-ANN-DIRECTIVE"),
            std::string::npos) << r.out;
  EXPECT_NE(Line(r, "ca-bundle").find("verifies against caBundle for 127.0.0.1"), std::string::npos) << r.out;
  EXPECT_NE(Line(r, "controller-lease").find("held by verify-e2e"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("PROTECTED: Riposte denies Ingress injection in namespace verify-e2e"), std::string::npos) << r.out;

  auto json = RunVerify({"--format", "json"});
  ASSERT_EQ(json.exit_code, 0) << json.Describe();
  auto v = Json(json.out);
  EXPECT_TRUE(v.at("protected").as_bool());
  EXPECT_EQ(v.at("checks").size(), 8u);

  // Both runs sent their Ingresses as dry runs: the API server stored none of them.
  suite.cluster().FlushAudit();
  int creates = 0;
  for (const auto& e : suite.cluster().AuditEvents()) {
    if (e.resource != "ingresses" || e.verb != "create" || e.ns != kTestNs) continue;
    ++creates;
    EXPECT_TRUE(e.dry_run) << e.request_uri;
  }
  EXPECT_EQ(creates, 4);
  auto list = Get(std::string("/apis/networking.k8s.io/v1/namespaces/") + kTestNs + "/ingresses");
  EXPECT_EQ(list.at("items").size(), 0u) << list.serialize();
}

TEST_F(Verify, FailsWhenTheWebhookConfigurationIsAbsent) {
  struct Restore {
    ~Restore() { Suite::Get().UpgradeRelease({}); }  // helm recreates what is missing
  } restore;
  suite.cluster().MustApi("DELETE", kVwcPath);
  auto r = RunVerify();
  EXPECT_EQ(r.exit_code, 1) << r.Describe();
  EXPECT_TRUE(Failed(r, "webhook-configuration")) << r.out;
  EXPECT_NE(r.out.find("ValidatingWebhookConfiguration e2e-riposte not found: the API server sends no Ingress to Riposte"),
            std::string::npos) << r.out;
  EXPECT_NE(r.out.find("attack-denied: the attack Ingress was admitted: there is no Riposte webhook configuration e2e-riposte"),
            std::string::npos) << r.out;
  EXPECT_NE(r.out.find("fix: install Riposte (helm upgrade --install"), std::string::npos) << r.out;
}

TEST_F(Verify, FailsWhenFailurePolicyIsIgnoreAndTheWebhookIsDown) {
  struct Restore {
    ~Restore() {
      auto& s = Suite::Get();
      s.UpgradeRelease({"--set", "webhook.failurePolicy=Fail"});
      if (!s.webhook().Running()) s.StartWebhook();
    }
  } restore;
  suite.UpgradeRelease({"--set", "webhook.failurePolicy=Ignore"});
  suite.StopWebhook();
  auto r = RunVerify();
  EXPECT_EQ(r.exit_code, 1) << r.Describe();
  EXPECT_TRUE(Failed(r, "webhook-ready")) << r.out;
  EXPECT_NE(Line(r, "webhook-ready").find("cannot connect to 127.0.0.1:" + std::to_string(suite.webhook_port())),
            std::string::npos) << r.out;
  EXPECT_NE(r.out.find("attack-denied: the attack Ingress was admitted: Riposte's webhook cannot be called (webhook-ready) "
                       "and failurePolicy is Ignore"),
            std::string::npos) << r.out;
  EXPECT_NE(r.out.find("keep webhook.failurePolicy=Fail"), std::string::npos) << r.out;
  EXPECT_FALSE(Failed(r, "benign-admitted")) << "Ignore admits everything: " << r.out;
}

TEST_F(Verify, FailsWhenTheNamespaceIsExcluded) {
  struct Restore {
    ~Restore() { Suite::Get().UpgradeRelease({"--set", "webhook.excludeNamespaces={kube-system}"}); }
  } restore;
  suite.UpgradeRelease({"--set", std::string("webhook.excludeNamespaces={kube-system,") + kTestNs + "}"});
  auto r = RunVerify();
  EXPECT_EQ(r.exit_code, 1) << r.Describe();
  EXPECT_TRUE(Failed(r, "namespace-selected")) << r.out;
  EXPECT_NE(r.out.find("namespace verify-e2e is excluded by the webhook's namespaceSelector (kubernetes.io/metadata.name "
                       "notin (kube-system,riposte-system,verify-e2e))"),
            std::string::npos) << r.out;
  EXPECT_NE(r.out.find("attack-denied: the attack Ingress was admitted: namespace verify-e2e is excluded by the namespaceSelector"),
            std::string::npos) << r.out;
  EXPECT_NE(r.out.find("remove it from webhook.excludeNamespaces"), std::string::npos) << r.out;
}

// Another admission webhook that refuses every Ingress, as a blanket policy engine might.
class DenyAllWebhook {
 public:
  DenyAllWebhook() {
    auto cert = riposte::testing::SelfSignedServerCert("127.0.0.1");
    ca_ = cert.cert_pem;
    std::string dir = Suite::Get().NewDir("deny-all");
    WriteFile(dir + "/tls.crt", cert.cert_pem);
    WriteFile(dir + "/tls.key", cert.key_pem);
    http::ServerOptions o;
    o.name = "deny-all";
    o.listen = "127.0.0.1:0";
    o.tls = http::TlsOptions{dir + "/tls.crt", dir + "/tls.key", "", std::chrono::milliseconds(1000)};
    server_ = http::NewServer(o);
    server_->AddRoute({"/deny", {"POST"}, [](const http::Request& req) {
                         auto review = value::parse(req.body);
                         value out = value::parse(R"({"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview",
                           "response":{"allowed":false,"status":{"code":403,"message":"Ingresses are frozen by policy"}}})");
                         out["response"]["uid"] = review.at("request").at("uid");
                         http::Response r;
                         r.body = out.serialize();
                         return r;
                       }, {}});
    std::string error;
    if (!server_->Start(&error)) throw std::runtime_error("deny-all webhook: " + error);
    value vwc = value::parse(R"({"apiVersion":"admissionregistration.k8s.io/v1","kind":"ValidatingWebhookConfiguration",
      "metadata":{"name":"e2e-deny-all"},"webhooks":[{"name":"deny-all.policy.example.com","admissionReviewVersions":["v1"],
      "sideEffects":"None","failurePolicy":"Fail","clientConfig":{},"rules":[{"apiGroups":["networking.k8s.io"],
      "apiVersions":["v1"],"operations":["CREATE","UPDATE"],"resources":["ingresses"]}],
      "namespaceSelector":{"matchLabels":{"kubernetes.io/metadata.name":"verify-e2e"}}}]})");
    vwc["webhooks"][0]["clientConfig"]["url"] = value::string("https://127.0.0.1:" + std::to_string(server_->Port()) + "/deny");
    vwc["webhooks"][0]["clientConfig"]["caBundle"] = value::string(Base64Encode(ca_));
    Suite::Get().cluster().MustApi("POST", "/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations", vwc.serialize());
  }
  ~DenyAllWebhook() {
    Suite::Get().cluster().Api("DELETE", "/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/e2e-deny-all");
    server_->Stop();
  }

 private:
  std::string ca_;
  http::ServerPtr server_;
};

TEST_F(Verify, FailsWhenADifferentWebhookDoesTheDenying) {
  struct Restore {
    ~Restore() {
      auto& s = Suite::Get();
      s.UpgradeRelease({"--set", "webhook.failurePolicy=Fail"});
      if (!s.webhook().Running()) s.StartWebhook();
    }
  } restore;
  // Riposte is down (and lets writes through); the other webhook still refuses the attack, so
  // a plain `kubectl apply` of it would look protected.
  suite.UpgradeRelease({"--set", "webhook.failurePolicy=Ignore"});
  suite.StopWebhook();
  DenyAllWebhook other;
  auto r = RunVerify();
  EXPECT_EQ(r.exit_code, 1) << r.Describe();
  EXPECT_TRUE(Failed(r, "attack-denied")) << r.out;
  EXPECT_NE(r.out.find("attack-denied: denied by deny-all.policy.example.com, not by Riposte (Riposte's webhook cannot be "
                       "called (webhook-ready) and failurePolicy is Ignore"),
            std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Ingresses are frozen by policy"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("benign-admitted: a benign Ingress was denied by deny-all.policy.example.com (not Riposte)"),
            std::string::npos) << r.out;
  EXPECT_NE(Line(r, "ca-bundle").find(" skip "), std::string::npos) << "another webhook's answer proves nothing about Riposte's TLS:\n" << r.out;
}

TEST_F(Verify, FailsWhenTheCaBundleDoesNotSignTheServingCertificate) {
  struct Restore {
    ~Restore() { Suite::Get().UpgradeRelease({}); }
  } restore;
  auto other = riposte::testing::SelfSignedServerCert("not-riposte-ca").cert_pem;
  value patch = value::parse(R"([{"op":"replace","path":"/webhooks/0/clientConfig/caBundle"}])");
  patch[0]["value"] = value::string(Base64Encode(other));
  suite.cluster().MustApi("PATCH", kVwcPath, patch.serialize(), "application/json-patch+json");
  auto r = RunVerify();
  EXPECT_EQ(r.exit_code, 1) << r.Describe();
  EXPECT_TRUE(Failed(r, "ca-bundle")) << r.out;
  EXPECT_NE(Line(r, "ca-bundle").find("does not verify against caBundle for 127.0.0.1"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("attack-denied: refused only because the API server could not call Riposte's webhook"),
            std::string::npos) << r.out;
  EXPECT_NE(r.out.find("x509"), std::string::npos) << "the API server's own certificate error is shown:\n" << r.out;
}

// `helm test`: the chart's test pod runs `riposte verify` under the test's own ServiceAccount.
// ClusterEmulator plays the scheduler and kubelet for it (no Deployments are played here: the
// suite runs the webhook and controller itself). Substitution: the pod's readiness check of the
// controller goes to the local controller's metrics port, since no controller pods exist to
// publish endpoints.
TEST_F(Verify, HelmTestPassesAndFailsWithTheReason) {
  EmulatorOptions eo;
  eo.binary = suite.binary();
  eo.namespaces = {kReleaseNamespace};
  eo.dir = suite.NewDir("helm-test");
  eo.controllers = false;
  int metrics = controller_->metrics_port();
  eo.adjust = [metrics](const value&, std::vector<std::string>& argv) {
    argv.push_back("--controller-address=127.0.0.1:" + std::to_string(metrics));
  };
  ClusterEmulator emulator(suite.cluster(), eo);
  auto test = suite.Helm({"test", kRelease, "-n", kReleaseNamespace, "--timeout", "120s"});
  EXPECT_EQ(test.exit_code, 0) << test.Describe() << emulator.Describe();
  EXPECT_NE(test.out.find("TEST SUITE:     e2e-riposte-verify"), std::string::npos) << test.out;
  EXPECT_NE(test.out.find("Phase:          Succeeded"), std::string::npos) << test.out;
  std::string log = emulator.PodLog(kReleaseNamespace, std::string(kFullname) + "-verify");
  EXPECT_NE(log.find("PROTECTED: Riposte denies Ingress injection in namespace default"), std::string::npos) << log;
  // A passing test removes its RBAC; the pod stays for `helm test --logs`.
  EXPECT_EQ(StatusOf(std::string("/apis/rbac.authorization.k8s.io/v1/clusterroles/") + kFullname + "-verify"), 404);
  EXPECT_EQ(StatusOf("/apis/rbac.authorization.k8s.io/v1/namespaces/default/roles/" + std::string(kFullname) + "-verify-ingresses"), 404);

  // With the webhook down and failurePolicy Ignore the same test fails, with the reason in its log.
  struct Restore {
    ~Restore() {
      auto& s = Suite::Get();
      s.UpgradeRelease({"--set", "webhook.failurePolicy=Fail"});
      if (!s.webhook().Running()) s.StartWebhook();
    }
  } restore;
  suite.UpgradeRelease({"--set", "webhook.failurePolicy=Ignore"});
  suite.StopWebhook();
  auto failed = suite.Helm({"test", kRelease, "-n", kReleaseNamespace, "--timeout", "120s"});
  EXPECT_NE(failed.exit_code, 0) << failed.Describe();
  EXPECT_NE(failed.out.find("Phase:          Failed"), std::string::npos) << failed.Describe();
  log = emulator.PodLog(kReleaseNamespace, std::string(kFullname) + "-verify");
  EXPECT_NE(log.find("NOT PROTECTED"), std::string::npos) << log;
  EXPECT_NE(log.find("failurePolicy is Ignore"), std::string::npos) << log;
  EXPECT_TRUE(emulator.Errors().empty()) << emulator.Describe();
  // Clean up what a failed test leaves for inspection.
  suite.Kubectl({"delete", "clusterrole,clusterrolebinding", std::string(kFullname) + "-verify", "--ignore-not-found"});
  suite.Kubectl({"-n", "default", "delete", "role,rolebinding", std::string(kFullname) + "-verify-ingresses", "--ignore-not-found"});
  suite.Kubectl({"-n", kReleaseNamespace, "delete", "pod,serviceaccount,role,rolebinding", std::string(kFullname) + "-verify",
                 "--ignore-not-found", "--grace-period=0"});
}

}  // namespace
}  // namespace riposte::e2e
