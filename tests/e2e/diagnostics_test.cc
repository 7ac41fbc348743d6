// What a user sees when the controller is started out of cluster against an installation that
// is not right: a --namespace that does not exist, a Lease RBAC does not allow, CRDs that are
// not installed. Each gives one clear log line, the reason on /readyz and the fix, and the
// controller recovers by itself once the fix is applied.

#include <gtest/gtest.h>

#include <regex>

#include "tests/support/certs.h"
#include "tests/e2e/fixtures.h"
#include "tests/e2e/https_client.h"
#include "tests/e2e/riposte_local.h"
#include "tests/e2e/suite.h"

namespace riposte::e2e {
namespace {

using web::json::value;
using namespace std::chrono_literals;

int Count(const std::string& text, const std::string& needle) {
  int n = 0;
  for (size_t at = 0; (at = text.find(needle, at)) != std::string::npos; at += needle.size()) ++n;
  return n;
}

// /readyz answers 503 in the shared error shape; the reason is its message.
std::string NotReadyMessage(const std::string& body) {
  try {
    auto v = value::parse(body);
    return v.at("error").at("message").as_string();
  } catch (const std::exception&) {
    return "(not the error shape) " + body;
  }
}

TEST(Diagnostics, NamespaceThatDoesNotExist) {
  LocalControllerOptions o;
  o.identity = "diag-namespace";
  o.flags = {{"--namespace", "riposte-missing"}};
  o.wait_ready = false;
  LocalController controller("diag-namespace", o);
  ASSERT_TRUE(controller.WaitForLog("preflight: namespace \\\"riposte-missing\\\" does not exist", 30s)) << controller.Log();
  auto ready = controller.Ops("/readyz");
  EXPECT_EQ(ready.first, 503);
  const std::string why = NotReadyMessage(ready.second);
  EXPECT_NE(why.find("namespace \"riposte-missing\" does not exist"), std::string::npos) << ready.second;
  EXPECT_NE(why.find("fix: create it (kubectl create namespace riposte-missing)"), std::string::npos) << ready.second;
  EXPECT_EQ(Count(controller.Log(), "does not exist"), 1) << "one line, not one per retry:\n" << controller.Log();
  // Alerts cannot be acted on: answered 503 so the sender retries.
  EXPECT_EQ(controller.PostAlert(FalcoEvent(0)).status, 503);
  // The fix, applied while it runs.
  CreateNamespace("riposte-missing");
  EXPECT_TRUE(controller.WaitReady(60s)) << controller.Ops("/readyz").second << controller.Log();
  EXPECT_TRUE(controller.WaitForLog("preflight: resolved", 10s)) << controller.Log();
}

TEST(Diagnostics, LeaseTheControllerMayNotCreate) {
  auto& c = Suite::Get().cluster();
  // The chart's ClusterRole without the Lease rule, bound to an identity of its own.
  auto role = c.MustApi("GET", std::string("/apis/rbac.authorization.k8s.io/v1/clusterroles/") + kFullname + "-controller");
  auto rules = value::array();
  for (const auto& r : role.at("rules").as_array())
    if (r.at("apiGroups").at(0).as_string() != "coordination.k8s.io") rules[rules.size()] = r;
  auto limited = value::object();
  limited["metadata"] = value::object();
  limited["metadata"]["name"] = value::string("e2e-no-lease");
  limited["rules"] = rules;
  c.MustApi("POST", "/apis/rbac.authorization.k8s.io/v1/clusterroles", limited.serialize());
  c.MustApi("POST", std::string("/api/v1/namespaces/") + kReleaseNamespace + "/serviceaccounts", R"({"metadata":{"name":"no-lease"}})");
  c.MustApi("POST", "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings",
            R"({"metadata":{"name":"e2e-no-lease"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"e2e-no-lease"},
                "subjects":[{"kind":"ServiceAccount","name":"no-lease","namespace":")" + std::string(kReleaseNamespace) + R"("}]})");
  std::string token = c.CreateToken(kReleaseNamespace, "no-lease");
  ASSERT_TRUE(Eventually([&] { return c.Can(token, "list", "", "pods"); }, 30s));
  LocalControllerOptions o;
  o.identity = "diag-lease";
  o.token_override = token;
  o.wait_ready = false;
  o.flags = {{"--lease-name", "diag-lease"}};
  LocalController controller("diag-lease", o);
  ASSERT_TRUE(controller.WaitForLog("preflight: RBAC denies the controller", 30s)) << controller.Log();
  auto ready = controller.Ops("/readyz");
  EXPECT_EQ(ready.first, 503);
  const std::string why = NotReadyMessage(ready.second);
  EXPECT_NE(why.find("get, list, watch, create, update leases.coordination.k8s.io in namespace \"riposte-system\""),
            std::string::npos) << ready.second;
  EXPECT_NE(why.find("fix: bind the controller's ServiceAccount to the ClusterRole the chart renders"),
            std::string::npos) << ready.second;
  EXPECT_EQ(Count(controller.Log(), "RBAC denies the controller"), 1) << controller.Log();
}

TEST(Diagnostics, CrdsNotInstalled) {
  // A cluster of its own: the suite's has the CRDs.
  EnvtestCluster bare;
  auto& suite = Suite::Get();
  std::string dir = suite.NewDir("diag-crds");
  bare.MustApi("POST", "/api/v1/namespaces", R"({"metadata":{"name":"riposte-system"}})");
  // The chart's ServiceAccount and RBAC, without its CRDs.
  auto rendered = suite.Helm({"template", kRelease, suite.ChartPath(), "-n", kReleaseNamespace,
                              "--show-only", "templates/controller-serviceaccount.yaml",
                              "--show-only", "templates/controller-rbac.yaml"});
  ASSERT_EQ(rendered.exit_code, 0) << rendered.Describe();
  auto applied = RunCommand({suite.cluster().binaries().kubectl, "apply", "-f", "-"}, rendered.out,
                            {{"KUBECONFIG", bare.admin_kubeconfig()}, {"HOME", bare.dir() + "/home"}});
  ASSERT_EQ(applied.exit_code, 0) << applied.Describe();
  std::string token = bare.CreateToken(kReleaseNamespace, std::string(kFullname) + "-controller");
  auto kubeconfig = bare.WriteKubeconfig(dir + "/kubeconfig", token);
  auto tls = riposte::testing::SelfSignedServerCert("127.0.0.1");
  WriteFile(dir + "/tls.crt", tls.cert_pem);
  WriteFile(dir + "/tls.key", tls.key_pem);
  WriteFile(dir + "/token", "diagnostics-token-0123456789abcdef\n");
  ManagedProcess controller;
  controller.Start({suite.binary(), "controller", "--kubeconfig", kubeconfig, "--namespace", kReleaseNamespace,
                    "--alerts-listen", "127.0.0.1:0", "--metrics-listen", "127.0.0.1:0", "--alerts-tls-cert", dir + "/tls.crt",
                    "--alerts-tls-key", dir + "/tls.key", "--alerts-token-file", dir + "/token",
                    "--lease-duration-seconds", "3", "--log-format", "json"},
                   dir + "/controller.log");
  ASSERT_TRUE(controller.WaitForLog("preflight: the Riposte CRDs are not installed", 30s)) << controller.Log();
  std::smatch m;
  std::string log = controller.Log();
  ASSERT_TRUE(std::regex_search(log, m, std::regex("metrics listening on .* \\(port ([0-9]+)\\)"))) << log;
  int metrics = std::stoi(m[1]);
  auto ready = HttpGet(metrics, "/readyz");
  EXPECT_EQ(ready.first, 503);
  EXPECT_NE(ready.second.find("does not serve responsepolicies.riposte.io and responseactions.riposte.io"), std::string::npos)
      << ready.second;
  EXPECT_NE(ready.second.find("fix: kubectl apply -f manifests/crds/"), std::string::npos) << ready.second;
  EXPECT_EQ(Count(controller.Log(), "preflight: the Riposte CRDs are not installed"), 1) << controller.Log();
  // The fix, as the message says.
  auto crds = RunCommand({suite.cluster().binaries().kubectl, "apply", "-f", suite.source_dir() + "/manifests/crds/"}, "",
                         {{"KUBECONFIG", bare.admin_kubeconfig()}, {"HOME", bare.dir() + "/home"}});
  ASSERT_EQ(crds.exit_code, 0) << crds.Describe();
  EXPECT_TRUE(Eventually([&] { return HttpGet(metrics, "/readyz").first == 200; }, 90s))
      << HttpGet(metrics, "/readyz").second << controller.Log();
  // The next preflight pass (every 5 s while a problem stands) notices the fix.
  EXPECT_TRUE(controller.WaitForLog("preflight: resolved", 30s)) << controller.Log();
  controller.Stop();
  ExpectNoSanitizerReport(controller.Log(), "riposte controller");
}

}  // namespace
}  // namespace riposte::e2e
