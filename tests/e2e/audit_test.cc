// The exposure audit against a real API server with the chart's audit ClusterRole: it lets
// `riposte audit` and the controller's periodic audit read everything they need (a complete
// report on a seeded cluster) and nothing more (secrets, gets, watches and writes are
// forbidden); without it the report says exactly what could not be read.

#include <gtest/gtest.h>

#include <optional>
#include <set>

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
    // ingress-nginx's own namespace too: its controller ConfigMap is seeded with snippets on,
    // which the webhook's ConfigMap admission would refuse.
    s.UpgradeRelease({"--set", "controller.auditInterval=1m", "--set",
                      "webhook.excludeNamespaces={kube-system,legacy-shop,ingress-nginx}"});
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
  // Riposte's installation as the chart renders it, read with the audit role alone: the
  // excluded namespaces from the namespaceSelector. legacy-shop is excluded, so the virtual
  // patch is partial. The suite's webhook runs outside the cluster (webhook.url), so its policy
  // is not something the audit can see, and it says so.
  const value& rip = doc.at("riposteWebhook");
  EXPECT_FALSE(rip.at("policy").at("known").as_bool()) << rip.serialize();
  EXPECT_NE(Str(rip, {"policy", "error"}).find("called by URL"), std::string::npos) << rip.serialize();
  std::set<std::string> excluded;
  for (const auto& n : rip.at("scope").at("excludedNamespaces").as_array()) excluded.insert(n.as_string());
  EXPECT_TRUE(excluded.count("legacy-shop") && excluded.count("kube-system") && excluded.count(kReleaseNamespace))
      << rip.serialize();
  for (const auto& c : doc.at("controllers").as_array()) {
    if (Str(c, {"workload", "name"}) != "ingress-nginx-controller") continue;
    EXPECT_EQ(Str(c, {"virtualPatch", "state"}), "partly-mitigated") << c.at("virtualPatch").serialize();
    EXPECT_NE(c.at("virtualPatch").serialize().find("namespaceSelector excludes namespace(s) ingress-nginx, legacy-shop"), std::string::npos)
        << c.at("virtualPatch").serialize();
    EXPECT_TRUE(c.at("endOfLife").at("retired").as_bool());
    // CVE-2025-15566 (header ConfigMaps) is blockable at admission by the chart's configmaps
    // entry; with its default failurePolicy Ignore it counts as partial, never as a full patch.
    bool seen = false;
    for (const auto& m : c.at("mitigations").as_array()) {
      if (Str(m, {"cve"}) != "CVE-2025-15566") continue;
      seen = true;
      EXPECT_TRUE(m.at("admissionBlockable").as_bool()) << m.serialize();
      EXPECT_EQ(Str(m, {"state"}), "partly-mitigated") << m.serialize();
    }
    EXPECT_TRUE(seen) << c.at("mitigations").serialize();
  }
  // The configmaps entry as the chart renders it, read with the audit role alone.
  const value& cms = rip.at("configMaps");
  EXPECT_FALSE(Str(cms, {"webhook"}).empty()) << cms.serialize();
  EXPECT_TRUE(cms.at("coversConfigMaps").as_bool()) << cms.serialize();
  EXPECT_EQ(Str(cms, {"failurePolicy"}), "Ignore") << cms.serialize();
}

// The golden comparison on a real server: the bounded audit (what `riposte audit` runs) and the
// full collection (what --save-snapshot keeps, the collection before the audit was bounded)
// must give the same report, in small pages (continue tokens of the real server), with the
// migration inventory, and with the audit role alone (ConfigMaps read by name through list).
TEST_F(Audit, TheBoundedAuditReportsExactlyWhatTheFullCollectionReports) {
  auto& s = Suite::Get();
  std::string dir = s.NewDir("audit-golden");
  auto kc = s.cluster().WriteKubeconfig(dir + "/kubeconfig", auditor_token_);
  auto run = [&](std::vector<std::string> extra) {
    std::vector<std::string> argv = {s.binary(), "audit", "--kubeconfig", kc, "--format", "json", "--no-timestamp",
                                     "--migration", "--page-size", "2"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    auto r = RunCommand(argv, "", {}, std::chrono::seconds(120));
    EXPECT_EQ(r.exit_code, 1) << r.Describe();
    return r.out;
  };
  const std::string bounded = run({});
  const std::string full = run({"--save-snapshot", dir + "/snapshot.json"});
  ASSERT_FALSE(bounded.empty());
  EXPECT_EQ(bounded, full);
  auto doc = Json(bounded);
  EXPECT_TRUE(doc.at("complete").as_bool()) << doc.at("unreadable").serialize();
  EXPECT_GE(doc.at("findings").size(), 10u);
  EXPECT_GE(doc.at("ingresses").size(), 3u);
  // The saved snapshot holds every object of the cluster; the bounded pass kept a few.
  auto snapshot = Json(ReadFile(dir + "/snapshot.json"));
  EXPECT_GT(snapshot.at("resources").at("configmaps").size(), 1u);
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

// An identity holding the controller's own ClusterRole and not the audit role.
std::string ControllerRoleOnlyToken() {
  auto& c = Suite::Get().cluster();
  if (c.Api("GET", std::string("/api/v1/namespaces/") + kReleaseNamespace + "/serviceaccounts/controller-like").status == 404) {
    c.MustApi("POST", std::string("/api/v1/namespaces/") + kReleaseNamespace + "/serviceaccounts", R"({"metadata":{"name":"controller-like"}})");
    c.MustApi("POST", "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings",
              R"({"metadata":{"name":"e2e-controller-like"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":")" +
                  std::string(kFullname) + R"(-controller"},"subjects":[{"kind":"ServiceAccount","name":"controller-like","namespace":")" +
                  kReleaseNamespace + R"("}]})");
  }
  std::string token = c.CreateToken(kReleaseNamespace, "controller-like");
  EXPECT_TRUE(Eventually([&] { return c.Can(token, "list", "", "pods"); }, 30s));
  return token;
}

const char* const kNeedsAuditRole[] = {"services", "endpoints", "configmaps", "deployments", "ingresses",
                                       "validatingwebhookconfigurations"};
const char* const kControllerRoleLists[] = {"pods", "nodes", "daemonsets", "networkpolicies"};

TEST_F(Audit, WithoutTheAuditRoleTheReportNamesWhatItCouldNotRead) {
  // The audit runs, and says exactly what was denied instead of passing for complete.
  std::string dir = Suite::Get().NewDir("audit-partial");
  auto& s = Suite::Get();
  auto kc = s.cluster().WriteKubeconfig(dir + "/kubeconfig", ControllerRoleOnlyToken());
  auto r = RunCommand({s.binary(), "audit", "--kubeconfig", kc, "--format", "json", "--output", dir + "/report.json",
                       "--save-snapshot", dir + "/snap.json"}, "", {}, std::chrono::seconds(120));
  EXPECT_EQ(r.exit_code, 2) << r.Describe();
  auto doc = Json(ReadFile(dir + "/report.json"));
  EXPECT_EQ(doc.at("exitCode").as_integer(), r.exit_code);
  EXPECT_FALSE(doc.at("complete").as_bool());
  std::set<std::string> unreadable;
  for (const auto& u : doc.at("unreadable").as_array()) {
    std::string res = Str(u, {"resource"});
    unreadable.insert(res);
    EXPECT_EQ(Str(u, {"reason"}), "Forbidden") << u.serialize();
    EXPECT_EQ(u.at("code").as_integer(), 403) << u.serialize();
    // kube-apiserver's own words, naming the identity.
    EXPECT_NE(Str(u, {"message"}).find("User \"system:serviceaccount:riposte-system:controller-like\" cannot list resource \"" +
                                       res + "\""), std::string::npos) << u.serialize();
  }
  for (const char* res : kNeedsAuditRole) EXPECT_TRUE(unreadable.count(res)) << res << " in " << doc.at("unreadable").serialize();
  for (const char* res : kControllerRoleLists) EXPECT_FALSE(unreadable.count(res)) << res;
  EXPECT_NE(r.err.find(std::to_string(unreadable.size()) + " resource(s) could not be read"), std::string::npos) << r.err;
  // The partial snapshot replays offline to the same verdict.
  auto replay = RunCommand({s.binary(), "audit", "--snapshot", dir + "/snap.json", "--format", "json", "--no-timestamp"});
  EXPECT_EQ(replay.exit_code, r.exit_code) << replay.Describe();
  EXPECT_EQ(Json(replay.out).at("findings"), doc.at("findings"));
}

TEST_F(Audit, WithoutTheAuditRoleThePeriodicPassIsPartialVisibleAndHarmless) {
  LocalControllerOptions o;
  o.identity = "audit-partial";
  o.token_override = ControllerRoleOnlyToken();
  o.flags = {{"--audit-interval", "1m"}};
  LocalController controller("audit-partial", o);
  auto sample = [&](const std::string& name) -> std::optional<double> {
    std::string text = controller.Metrics();
    auto at = text.find("\n" + name + " ");
    if (at == std::string::npos) return std::nullopt;
    return std::stod(text.substr(at + name.size() + 2));
  };
  ASSERT_TRUE(Eventually([&] { return sample("riposte_audit_runs_total{result=\"partial\"}").value_or(0) >= 1; }, 120s))
      << controller.Metrics() << controller.Log();
  EXPECT_EQ(sample("riposte_audit_last_run_success"), 0);
  EXPECT_EQ(sample("riposte_audit_complete"), 0);
  for (const char* res : kNeedsAuditRole)
    EXPECT_EQ(sample(std::string("riposte_audit_unreadable_resources{resource=\"") + res + "\"}"), 1) << res;
  for (const char* res : kControllerRoleLists)
    EXPECT_EQ(sample(std::string("riposte_audit_unreadable_resources{resource=\"") + res + "\"}"), 0) << res;
  EXPECT_FALSE(sample("riposte_audit_at_risk_workloads{cve=\"CVE-2025-1974\"}").has_value())
      << "no complete pass yet: no at-risk values to show";
  EXPECT_EQ(sample("riposte_audit_last_success_timestamp_seconds"), 0);
  EXPECT_NE(controller.Log().find("audit incomplete"), std::string::npos) << controller.Log();
  EXPECT_NE(controller.Log().find("deployments (Forbidden 403)"), std::string::npos) << controller.Log();
  // Responses still work under the same identity.
  CreateResponsePolicy("audit-partial", R"({"mode":"dryRun","match":{"rules":["Terminal shell in container"],"namespaces":["legacy-shop"]},
      "actions":[{"type":"event"}],"guards":{"cooldownSeconds":300}})");
  ASSERT_TRUE(WaitPolicyCompiled("audit-partial")) << controller.Log();
  std::string alert = FalcoEvent(0);
  for (auto [from, to] : {std::pair<std::string, std::string>{"k8s.ns.name\": \"shop\"", "k8s.ns.name\": \"legacy-shop\""}})
    alert.replace(alert.find(from), from.size(), to);
  auto r = controller.PostAlert(alert);
  EXPECT_EQ(r.status, 201) << r.body << controller.Log();
  EXPECT_EQ(controller.Ops("/readyz").first, 200);
  Suite::Get().cluster().Api("DELETE", PolicyPath("audit-partial"));
}

}  // namespace
}  // namespace riposte::e2e
