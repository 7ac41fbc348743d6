// The exposure audit against a real API server with the chart's audit ClusterRole: it lets
// `riposte audit` and the controller's periodic audit read everything they need (a complete
// report on a seeded cluster) and nothing more (secrets, gets, watches and writes are
// forbidden); without it the report says exactly what could not be read.

#include <gtest/gtest.h>

#include "tests/e2e/fixtures.h"
#include "tests/e2e/riposte_local.h"
#include "tests/e2e/suite.h"

namespace riposte::e2e {
namespace {

using web::json::value;
using namespace std::chrono_literals;

const std::string kAuditRole = std::string(kFullname) + "-controller-audit";

class Audit : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto& s = Suite::Get();
    // The audit ClusterRole comes with controller.auditInterval; the seeded legacy namespace
    // holds Ingresses from before the webhook, so the webhook does not judge it.
    s.UpgradeRelease({"--set", "controller.auditInterval=1m", "--set", "webhook.excludeNamespaces={kube-system,legacy-shop}"});
    auto seed = Json(ReadFile(std::string(RIPOSTE_TEST_DATA_DIR) + "/audit/cluster_vulnerable.json"));
    // ingress-nginx's own webhook has no pods here; failing closed it would refuse every
    // Ingress write in the cluster, so it is seeded with failurePolicy Ignore (the audit
    // reads the configuration, it does not call it).
    for (auto& item : seed["items"].as_array()) {
      if (Str(item, {"kind"}) == "ValidatingWebhookConfiguration") {
        item["webhooks"][0]["failurePolicy"] = value::string("Ignore");
      } else if (Find(item, {"metadata", "annotations", "nginx.ingress.kubernetes.io/auth-proxy-set-headers"}) != nullptr) {
        item["metadata"]["annotations"]["nginx.ingress.kubernetes.io/auth-proxy-set-headers"] =
            value::string("legacy-shop/auth-headers");
      }
    }
    seeded_ = Seed(seed, {{"shop", "legacy-shop"}});
    // An identity bound to the audit ClusterRole alone.
    auto& c = s.cluster();
    c.MustApi("POST", std::string("/api/v1/namespaces/") + kReleaseNamespace + "/serviceaccounts", R"({"metadata":{"name":"auditor"}})");
    c.MustApi("POST", "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings",
              R"({"metadata":{"name":"e2e-auditor"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":")" +
                  kAuditRole + R"("},"subjects":[{"kind":"ServiceAccount","name":"auditor","namespace":")" + kReleaseNamespace + R"("}]})");
    auditor_token_ = c.CreateToken(kReleaseNamespace, "auditor");
  }
  static void TearDownTestSuite() {
    auto& s = Suite::Get();
    s.cluster().Api("DELETE", "/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/ingress-nginx-admission");
    s.UpgradeRelease({"--set", "controller.auditInterval=", "--set", "webhook.excludeNamespaces={kube-system}"});
  }

  static CommandResult RunAudit(const std::string& token, const std::string& report) {
    auto& s = Suite::Get();
    std::string dir = s.NewDir("audit");
    auto kc = s.cluster().WriteKubeconfig(dir + "/kubeconfig", token);
    return RunCommand({s.binary(), "audit", "--kubeconfig", kc, "--format", "json", "--output", report}, "", {},
                      std::chrono::seconds(120));
  }

  static std::vector<std::string> seeded_;
  static std::string auditor_token_;
};
std::vector<std::string> Audit::seeded_;
std::string Audit::auditor_token_;

TEST_F(Audit, TheAuditRoleAloneIsEnoughForACompleteReport) {
  std::string report = Suite::Get().NewDir("audit-report") + "/report.json";
  auto r = RunAudit(auditor_token_, report);
  auto doc = Json(ReadFile(report));
  EXPECT_EQ(r.exit_code, 1) << "at risk, and complete: " << r.Describe();
  EXPECT_TRUE(doc.at("complete").as_bool()) << doc.at("unreadable").serialize();
  EXPECT_EQ(doc.at("unreadable").size(), 0u) << doc.at("unreadable").serialize();
  bool controller = false, evil = false, headers = false;
  for (const auto& c : doc.at("controllers").as_array())
    controller |= Str(c, {"workload", "name"}) == "ingress-nginx-controller" && c.at("atRisk").as_bool();
  for (const auto& i : doc.at("ingresses").as_array()) {
    evil |= Str(i, {"namespace"}) == "legacy-shop" && Str(i, {"name"}) == "evil-auth" && Str(i, {"worstSeverity"}) == "critical";
    // Found through the ConfigMap it references: the audit read configmaps.
    headers |= Str(i, {"namespace"}) == "legacy-shop" && Str(i, {"name"}) == "headers" && i.at("findings").as_integer() > 0;
  }
  EXPECT_TRUE(controller) << r.out;
  EXPECT_TRUE(evil) << doc.at("ingresses").serialize();
  EXPECT_TRUE(headers) << doc.at("ingresses").serialize();
}

TEST_F(Audit, TheAuditRoleGrantsNothingMore) {
  auto& c = Suite::Get().cluster();
  const std::string& t = auditor_token_;
  // What the audit needs: list, cluster-wide.
  for (const char* r : {"pods", "nodes", "services", "endpoints", "configmaps"}) EXPECT_TRUE(c.Can(t, "list", "", r)) << r;
  EXPECT_TRUE(c.Can(t, "list", "apps", "deployments"));
  EXPECT_TRUE(c.Can(t, "list", "admissionregistration.k8s.io", "validatingwebhookconfigurations"));
  // Nothing else: no secrets, no single-object reads, no watches, no writes.
  EXPECT_FALSE(c.Can(t, "list", "", "secrets"));
  EXPECT_FALSE(c.Can(t, "get", "", "secrets", "legacy-shop"));
  EXPECT_FALSE(c.Can(t, "get", "", "configmaps", "legacy-shop"));
  EXPECT_FALSE(c.Can(t, "watch", "", "pods"));
  EXPECT_FALSE(c.Can(t, "create", "", "pods", "legacy-shop"));
  EXPECT_FALSE(c.Can(t, "delete", "networking.k8s.io", "ingresses", "legacy-shop"));
  EXPECT_FALSE(c.Can(t, "list", "riposte.io", "responseactions"));
  // And the server agrees when asked for real.
  auto secrets = c.Api("GET", "/api/v1/secrets", "", "", t);
  EXPECT_EQ(secrets.status, 403) << secrets.body;
  EXPECT_NE(Str(Json(secrets.body), {"message"}).find("cannot list resource \"secrets\""), std::string::npos) << secrets.body;
  EXPECT_EQ(c.Api("GET", "/api/v1/namespaces/legacy-shop/configmaps/auth-headers", "", "", t).status, 403);
}

TEST_F(Audit, ThePeriodicAuditOfTheControllerIsComplete) {
  // The controller's Deployment now carries --audit-interval=1m: its first pass runs on
  // becoming leader, with the controller's ServiceAccount (controller + audit roles).
  LocalController controller("periodic-audit");
  auto metric = [&](const std::string& name) {
    std::string text = controller.Metrics();
    auto at = text.find("\n" + name + " ");
    return at == std::string::npos ? std::string() : text.substr(at + name.size() + 2, text.find('\n', at + 1) - at - name.size() - 2);
  };
  ASSERT_TRUE(Eventually([&] { return !metric("riposte_audit_last_run_success").empty(); }, 120s)) << controller.Metrics() << controller.Log();
  EXPECT_EQ(metric("riposte_audit_last_run_success"), "1") << controller.Metrics();
  EXPECT_EQ(metric("riposte_audit_complete"), "1") << controller.Metrics();
  EXPECT_NE(controller.Metrics().find("riposte_audit_at_risk_workloads{cve=\"CVE-2025-1974\"} 1"), std::string::npos)
      << controller.Metrics();
}

TEST_F(Audit, WithoutTheAuditRoleTheReportNamesWhatItCouldNotRead) {
  // The controller's own ClusterRole (no auditInterval binding for this identity): the audit
  // runs, and says what was denied instead of pretending to be complete.
  auto& c = Suite::Get().cluster();
  c.MustApi("POST", std::string("/api/v1/namespaces/") + kReleaseNamespace + "/serviceaccounts", R"({"metadata":{"name":"controller-like"}})");
  c.MustApi("POST", "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings",
            R"({"metadata":{"name":"e2e-controller-like"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":")" +
                std::string(kFullname) + R"(-controller"},"subjects":[{"kind":"ServiceAccount","name":"controller-like","namespace":")" +
                kReleaseNamespace + R"("}]})");
  std::string token = c.CreateToken(kReleaseNamespace, "controller-like");
  ASSERT_TRUE(Eventually([&] { return c.Can(token, "list", "", "pods"); }, 30s));
  std::string report = Suite::Get().NewDir("audit-partial") + "/report.json";
  auto r = RunAudit(token, report);
  EXPECT_EQ(r.exit_code, 2) << r.Describe();
  auto doc = Json(ReadFile(report));
  EXPECT_FALSE(doc.at("complete").as_bool());
  std::set<std::string> unreadable;
  for (const auto& u : doc.at("unreadable").as_array()) {
    unreadable.insert(Str(u, {"resource"}));
    EXPECT_EQ(Str(u, {"reason"}), "Forbidden") << u.serialize();
  }
  for (const char* r2 : {"services", "endpoints", "configmaps", "deployments", "ingresses", "validatingwebhookconfigurations"})
    EXPECT_TRUE(unreadable.count(r2)) << r2 << " in " << doc.at("unreadable").serialize();
  EXPECT_FALSE(unreadable.count("pods")) << "the controller role lists pods";
}

}  // namespace
}  // namespace riposte::e2e
