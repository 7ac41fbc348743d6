// ConfigMap admission for real: the chart's webhook (webhook.configMaps, on by default) runs
// with the chart's read-only RBAC, watches Ingresses and ConfigMaps in kube-apiserver, and is
// called by it through the chart's configmaps.validate.riposte.io entry. Denials reach kubectl.

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "tests/e2e/fixtures.h"
#include "tests/e2e/https_client.h"
#include "tests/e2e/suite.h"

namespace riposte::e2e {
namespace {

using namespace std::chrono_literals;
using web::json::value;

constexpr const char* kNs = "configmaps";
constexpr const char* kDenied = "admission webhook \"configmaps.validate.riposte.io\" denied the request";
constexpr const char* kProxy = "nginx.ingress.kubernetes.io/auth-proxy-set-headers";

std::string ConfigMapYaml(const std::string& ns, const std::string& name, const std::string& key, const std::string& val) {
  value cm = value::object();
  cm["apiVersion"] = value::string("v1");
  cm["kind"] = value::string("ConfigMap");
  cm["metadata"]["name"] = value::string(name);
  cm["metadata"]["namespace"] = value::string(ns);
  cm["data"][key] = value::string(val);
  return cm.serialize();  // JSON is YAML for kubectl
}

std::string IngressJson(const std::string& name, const std::string& configmap) {
  auto ing = value::parse(R"({"apiVersion":"networking.k8s.io/v1","kind":"Ingress","metadata":{},
      "spec":{"ingressClassName":"nginx","rules":[{"host":"shop.example.com","http":{"paths":[
        {"path":"/","pathType":"Prefix","backend":{"service":{"name":"web","port":{"number":80}}}}]}}]}})");
  ing["metadata"]["name"] = value::string(name);
  ing["metadata"]["namespace"] = value::string(kNs);
  ing["metadata"]["annotations"][kProxy] = value::string(configmap);
  return ing.serialize();
}

// A quote ends proxy_set_header 'X-User' '...' early; the rest becomes nginx configuration.
const std::string kInjection = "x' ; } location /x { alias /var/run/secrets/; } #";

class ConfigMapAdmission : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    CreateNamespace(kNs);
    if (StatusOf("/api/v1/namespaces/ingress-nginx") == 404) CreateNamespace("ingress-nginx");
  }
  // The audit suite seeds ingress-nginx's own ConfigMap later: leave no object of that name.
  static void TearDownTestSuite() {
    Suite::Get().cluster().Api("DELETE", "/api/v1/namespaces/ingress-nginx/configmaps/ingress-nginx-controller");
  }
  void SetUp() override {
    // The webhook is ready (both caches listed) before anything here relies on its index.
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    while (HttpGet(suite.webhook_metrics_port(), "/readyz").first != 200 && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(50ms);
    }
    ASSERT_EQ(HttpGet(suite.webhook_metrics_port(), "/readyz").first, 200) << suite.webhook().Log();
  }
  // The webhook learns about a new Ingress through its watch: wait until a server-side dry run
  // of `yaml` is refused (no side effects), i.e. the reference is indexed.
  bool WaitUntilDenied(const std::string& yaml) {
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    while (std::chrono::steady_clock::now() < deadline) {
      auto r = suite.Kubectl({"apply", "--dry-run=server", "-f", "-"}, yaml);
      if (r.exit_code != 0 && r.err.find(kDenied) != std::string::npos) return true;
      std::this_thread::sleep_for(100ms);
    }
    return false;
  }
  Suite& suite = Suite::Get();
};

TEST_F(ConfigMapAdmission, EditingAReferencedConfigMapToInjectIsDenied) {
  auto ok = suite.Kubectl({"apply", "-f", "-"}, ConfigMapYaml(kNs, "auth-headers", "X-User", "$remote_user"));
  ASSERT_EQ(ok.exit_code, 0) << ok.Describe();
  auto ing = suite.Kubectl({"apply", "-f", "-"}, IngressJson("uses-headers", "auth-headers"));
  ASSERT_EQ(ing.exit_code, 0) << ing.Describe();

  const std::string poisoned = ConfigMapYaml(kNs, "auth-headers", "X-User", kInjection);
  ASSERT_TRUE(WaitUntilDenied(poisoned)) << "the Ingress's reference never reached the webhook's index";
  auto r = suite.Kubectl({"apply", "-f", "-"}, poisoned);
  EXPECT_NE(r.exit_code, 0) << r.Describe();
  EXPECT_NE(r.err.find("Error from server (Forbidden)"), std::string::npos) << r.Describe();
  EXPECT_NE(r.err.find(kDenied), std::string::npos) << r.Describe();
  EXPECT_NE(r.err.find("riposte denied this ConfigMap"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("RIP-CM-HEADER"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("read by Ingress configmaps/uses-headers"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("Fix:"), std::string::npos) << r.err;
  auto now = Get("/api/v1/namespaces/configmaps/configmaps/auth-headers");
  EXPECT_EQ(Str(now, {"data", "X-User"}), "$remote_user") << "the edit was not stored";

  // A legitimate edit of the same ConfigMap goes through.
  auto fine = suite.Kubectl({"apply", "-f", "-"}, ConfigMapYaml(kNs, "auth-headers", "X-User", "$remote_user, $http_x_team"));
  EXPECT_EQ(fine.exit_code, 0) << fine.Describe();
}

TEST_F(ConfigMapAdmission, EditingAnUnrelatedConfigMapIsAdmitted) {
  // The same text in a ConfigMap no Ingress references reaches no nginx.conf.
  auto r = suite.Kubectl({"apply", "-f", "-"}, ConfigMapYaml(kNs, "app-settings", "X-User", kInjection));
  EXPECT_EQ(r.exit_code, 0) << r.Describe();
  EXPECT_NE(r.out.find("configmap/app-settings"), std::string::npos) << r.out;
  EXPECT_EQ(r.err.find("Warning"), std::string::npos) << "no warning once synced: " << r.err;
}

TEST_F(ConfigMapAdmission, AnIngressPointingAtAPoisonedConfigMapIsDenied) {
  auto cm = suite.Kubectl({"apply", "-f", "-"}, ConfigMapYaml(kNs, "preloaded", "X-User", kInjection));
  ASSERT_EQ(cm.exit_code, 0) << cm.Describe();  // nobody references it yet
  auto r = suite.Kubectl({"apply", "-f", "-"}, IngressJson("points-at-poison", "preloaded"));
  EXPECT_NE(r.exit_code, 0) << r.Describe();
  EXPECT_NE(r.err.find("admission webhook \"ingress.validate.riposte.io\" denied the request"), std::string::npos)
      << r.Describe();
  EXPECT_NE(r.err.find("configmap configmaps/preloaded: X-User"), std::string::npos) << r.err;
}

TEST_F(ConfigMapAdmission, TurningOnSnippetsInTheControllerConfigMapIsDeniedWithTheFix) {
  auto ok = suite.Kubectl({"apply", "-f", "-"},
                          ConfigMapYaml("ingress-nginx", "ingress-nginx-controller", "allow-snippet-annotations", "false"));
  ASSERT_EQ(ok.exit_code, 0) << ok.Describe();
  auto r = suite.Kubectl({"-n", "ingress-nginx", "patch", "configmap", "ingress-nginx-controller", "--type=merge", "-p",
                          R"({"data":{"allow-snippet-annotations":"true"}})"});
  EXPECT_NE(r.exit_code, 0) << r.Describe();
  EXPECT_NE(r.err.find(kDenied), std::string::npos) << r.Describe();
  EXPECT_NE(r.err.find("RIP-CONTROLLER-SETTING (CVE-2021-25742, CVE-2023-5043)"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("Fix: set allow-snippet-annotations: \"false\" in ConfigMap ingress-nginx/ingress-nginx-controller"),
            std::string::npos)
      << r.err;
  auto now = Get("/api/v1/namespaces/ingress-nginx/configmaps/ingress-nginx-controller");
  EXPECT_EQ(Str(now, {"data", "allow-snippet-annotations"}), "false");
}

}  // namespace
}  // namespace riposte::e2e
