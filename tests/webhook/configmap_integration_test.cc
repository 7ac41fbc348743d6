// ConfigMap admission against riposte-test-apiserver (a real HTTPS process on a random
// loopback port): the guard's informers list and watch it, the admission handler answers
// reviews built here. Behaviour during the initial sync is forced with an injected delay.

#include <gtest/gtest.h>
#include <simdjson.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <thread>

#include "common/metrics.h"
#include "kube/config.h"
#include "kube/resource.h"
#include "tests/apiserver/test_apiserver_process.h"
#include "tests/support/eventually.h"
#include "webhook/configmap_guard.h"
#include "webhook/handler.h"
#include "webhook/policy_watcher.h"

namespace riposte::webhook {
namespace {

using namespace std::chrono_literals;
using riposte::testing::Eventually;
// Every wait in this file had this deadline before it used the shared helper.
constexpr std::chrono::milliseconds kWait = 15s;
using web::json::value;

constexpr const char* kProxy = "nginx.ingress.kubernetes.io/auth-proxy-set-headers";

std::string Quote(const std::string& s) { return value::string(s).serialize(); }

std::string DataJson(const std::vector<std::pair<std::string, std::string>>& data) {
  value d = value::object();
  for (const auto& [k, v] : data) d[k] = value::string(v);
  return d.serialize();
}

std::string ConfigMapReview(const std::string& ns, const std::string& name,
                            const std::vector<std::pair<std::string, std::string>>& data,
                            const std::string& labels = "{}") {
  return R"({"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u-cm","kind":{"group":"","version":"v1","kind":"ConfigMap"},"operation":"UPDATE","namespace":)" +
         Quote(ns) + R"(,"name":)" + Quote(name) + R"(,"object":{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":)" +
         Quote(name) + R"(,"namespace":)" + Quote(ns) + R"(,"labels":)" + labels + R"(},"data":)" + DataJson(data) + "}}}";
}

std::string IngressReview(const std::string& ns, const std::string& name, const std::string& annotations) {
  return R"({"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u-ing","kind":{"group":"networking.k8s.io","version":"v1","kind":"Ingress"},"operation":"CREATE","namespace":)" +
         Quote(ns) + R"(,"name":)" + Quote(name) + R"(,"object":{"apiVersion":"networking.k8s.io/v1","kind":"Ingress","metadata":{"name":)" +
         Quote(name) + R"(,"namespace":)" + Quote(ns) + R"(,"annotations":)" + annotations +
         R"(},"spec":{"ingressClassName":"nginx","rules":[{"host":"shop.example.com"}]}}}})";
}

struct Verdict {
  bool allowed = false;
  std::string message;
  std::vector<std::string> warnings;
};

Verdict Parse(const std::string& body) {
  Verdict v;
  simdjson::dom::parser p;
  simdjson::dom::element e = p.parse(body).value();
  v.allowed = e["response"]["allowed"].get_bool().value();
  std::string_view msg;
  if (!e["response"]["status"]["message"].get(msg)) v.message = std::string(msg);
  simdjson::dom::array w;
  if (!e["response"]["warnings"].get(w)) {
    for (auto x : w) v.warnings.emplace_back(std::string_view(x.get_string().value()));
  }
  return v;
}

class ConfigMapAdmission : public ::testing::Test {
 protected:
  void SetUp() override {
    kube::KubeconfigOptions o;
    o.path = server_.WriteKubeconfig();
    auto cfg = kube::LoadKubeconfig(o);
    ASSERT_TRUE(cfg.ok()) << cfg.error().message;
    auto c = kube::NewKubeClient(cfg.value());
    ASSERT_TRUE(c.ok()) << c.error().message;
    client_ = c.value();
    auto r = server_.Api("POST", "/api/v1/namespaces", R"({"apiVersion":"v1","kind":"Namespace","metadata":{"name":"team"}})");
    ASSERT_EQ(r.status, 201) << r.body;
  }

  void StartGuard(const std::string& policy_text = "") {
    if (!policy_text.empty()) {
      policy_path_ = server_.dir() + "/policy.yaml";
      std::ofstream(policy_path_) << policy_text;
    }
    policy_ = std::make_unique<PolicyWatcher>(policy_path_, &registry_);
    std::string error;
    ASSERT_TRUE(policy_->LoadInitial(&error)) << error;
    ConfigMapGuardOptions opts;
    opts.informer.min_backoff = 20ms;
    opts.informer.max_backoff = 200ms;
    guard_ = std::make_unique<ConfigMapGuard>(client_, policy_.get(), &registry_, opts);
    handler_ = std::make_unique<AdmissionHandler>(policy_.get(), &registry_, guard_.get());
    guard_->Start();
  }

  void Create(const std::string& path, const value& obj) {
    auto r = server_.Api("POST", path, obj.serialize());
    ASSERT_TRUE(r.status == 201 || r.status == 200) << r.status << " " << r.body;
  }

  void CreateIngress(const std::string& ns, const std::string& name, const std::string& cm) {
    value ing = value::parse(R"({"apiVersion":"networking.k8s.io/v1","kind":"Ingress","metadata":{},"spec":{"ingressClassName":"nginx"}})");
    ing["metadata"]["name"] = value::string(name);
    ing["metadata"]["namespace"] = value::string(ns);
    ing["metadata"]["annotations"][kProxy] = value::string(cm);
    ing["metadata"]["annotations"]["nginx.ingress.kubernetes.io/ssl-redirect"] = value::string("true");
    Create("/apis/networking.k8s.io/v1/namespaces/" + ns + "/ingresses", ing);
  }

  void CreateConfigMap(const std::string& ns, const std::string& name, const std::vector<std::pair<std::string, std::string>>& data) {
    value cm = value::object();
    cm["apiVersion"] = value::string("v1");
    cm["kind"] = value::string("ConfigMap");
    cm["metadata"]["name"] = value::string(name);
    cm["metadata"]["namespace"] = value::string(ns);
    cm["data"] = value::parse(DataJson(data));
    Create("/api/v1/namespaces/" + ns + "/configmaps", cm);
  }

  Verdict Review(const std::string& body) {
    http::Request req;
    req.method = "POST";
    req.body = body;
    return Parse(handler_->Handle(req).body);
  }

  double Metric(const std::string& line_prefix) {
    const std::string text = "\n" + registry_.Render();
    const size_t at = text.find("\n" + line_prefix + " ");
    if (at == std::string::npos) return -1;
    return std::stod(text.substr(at + line_prefix.size() + 2));
  }

  testapi::TestApiServerProcess server_;
  kube::KubeClientPtr client_;
  metrics::Registry registry_;
  std::string policy_path_;
  std::unique_ptr<PolicyWatcher> policy_;
  std::unique_ptr<ConfigMapGuard> guard_;
  std::unique_ptr<AdmissionHandler> handler_;
};

TEST_F(ConfigMapAdmission, EditOfAReferencedConfigMapIsJudgedPerPlacement) {
  CreateIngress("team", "app", "hdrs");
  StartGuard();
  ASSERT_TRUE(Eventually([&] { return guard_->Synced(); }, kWait));
  EXPECT_EQ(guard_->NotReadyReason(), "");
  ASSERT_TRUE(guard_->index().Referenced("team/hdrs"));

  // A quote breaks out of proxy_set_header 'X-User' '...': denied, naming the reader.
  Verdict bad = Review(ConfigMapReview("team", "hdrs", {{"X-User", "x' ; include /etc/passwd; #"}}));
  EXPECT_FALSE(bad.allowed);
  EXPECT_NE(bad.message.find("riposte denied this ConfigMap"), std::string::npos) << bad.message;
  EXPECT_NE(bad.message.find("RIP-CM-HEADER"), std::string::npos) << bad.message;
  EXPECT_NE(bad.message.find("read by Ingress team/app through " + std::string(kProxy)), std::string::npos) << bad.message;
  EXPECT_NE(bad.message.find("Fix: "), std::string::npos);

  Verdict good = Review(ConfigMapReview("team", "hdrs", {{"X-User", "$remote_user"}}));
  EXPECT_TRUE(good.allowed) << good.message;
  EXPECT_TRUE(good.warnings.empty());
}

TEST_F(ConfigMapAdmission, UnreferencedConfigMapIsAdmittedWithoutJudging) {
  CreateIngress("team", "app", "hdrs");
  StartGuard();
  ASSERT_TRUE(Eventually([&] { return guard_->Synced(); }, kWait));
  // The same content as the denied one above, in a ConfigMap nobody references; and the same
  // name in another namespace.
  for (const auto& [ns, name] : {std::pair<std::string, std::string>{"team", "other"}, {"elsewhere", "hdrs"}}) {
    Verdict v = Review(ConfigMapReview(ns, name, {{"X-User", "x' ; include /etc/passwd; #"}}));
    EXPECT_TRUE(v.allowed) << ns << "/" << name << ": " << v.message;
    EXPECT_TRUE(v.warnings.empty());
  }
  EXPECT_EQ(Metric("riposte_admission_configmap_reviews_total{kind=\"unreferenced\"}"), 2);
  EXPECT_EQ(Metric("riposte_admission_configmap_reviews_total{kind=\"referenced\"}"), 0);
}

TEST_F(ConfigMapAdmission, IndexFollowsIngressUpdatesAndDeletes) {
  CreateIngress("team", "app", "hdrs");
  StartGuard();
  ASSERT_TRUE(Eventually([&] { return guard_->Synced(); }, kWait));
  const std::string bad_review = ConfigMapReview("team", "hdrs", {{"X-User", "x'"}});
  EXPECT_FALSE(Review(bad_review).allowed);

  // Repointed at another ConfigMap: the old one is no longer read by ingress-nginx.
  auto r = server_.Api("PATCH", "/apis/networking.k8s.io/v1/namespaces/team/ingresses/app",
                       R"({"metadata":{"annotations":{")" + std::string(kProxy) + R"(":"hdrs-v2"}}})",
                       "application/merge-patch+json");
  ASSERT_EQ(r.status, 200) << r.body;
  ASSERT_TRUE(Eventually([&] { return guard_->index().Referenced("team/hdrs-v2"); }, kWait));
  EXPECT_FALSE(guard_->index().Referenced("team/hdrs"));
  EXPECT_TRUE(Review(bad_review).allowed);
  EXPECT_FALSE(Review(ConfigMapReview("team", "hdrs-v2", {{"X-User", "x'"}})).allowed);

  r = server_.Api("DELETE", "/apis/networking.k8s.io/v1/namespaces/team/ingresses/app");
  ASSERT_EQ(r.status, 200) << r.body;
  ASSERT_TRUE(Eventually([&] { return !guard_->index().Referenced("team/hdrs-v2"); }, kWait));
  EXPECT_TRUE(Review(ConfigMapReview("team", "hdrs-v2", {{"X-User", "x'"}})).allowed);
}

TEST_F(ConfigMapAdmission, IngressPointingAtAPoisonedConfigMapIsDenied) {
  // Poisoned before anything referenced it: the cache dropped its data, so it is read once
  // from the API when an Ingress names it.
  CreateConfigMap("team", "poison", {{"X-User", "x' ; load_module /tmp/x.so; #"}});
  CreateConfigMap("team", "clean", {{"X-User", "$remote_user"}});
  CreateIngress("team", "existing", "clean");
  StartGuard();
  ASSERT_TRUE(Eventually([&] { return guard_->Synced(); }, kWait));
  EXPECT_EQ(guard_->CachedConfigMapsWithData(), 1u) << "only the referenced ConfigMap keeps its data";

  Verdict v = Review(IngressReview("team", "new", R"({")" + std::string(kProxy) + R"(":"poison"})"));
  EXPECT_FALSE(v.allowed);
  EXPECT_NE(v.message.find("configmap team/poison: X-User"), std::string::npos) << v.message;
  EXPECT_EQ(Metric("riposte_webhook_configmap_api_reads_total"), 1);

  // Referenced and cached: read through the cache, no API read.
  Verdict ok = Review(IngressReview("team", "new2", R"({")" + std::string(kProxy) + R"(":"clean"})"));
  EXPECT_TRUE(ok.allowed) << ok.message;
  EXPECT_EQ(Metric("riposte_webhook_configmap_api_reads_total"), 1);

  // A ConfigMap that does not exist: nothing to judge (ingress-nginx reads nothing either);
  // the API is asked, since the cache may not have seen a ConfigMap created a moment ago.
  EXPECT_TRUE(Review(IngressReview("team", "new3", R"({")" + std::string(kProxy) + R"(":"missing"})")).allowed);
  EXPECT_EQ(Metric("riposte_webhook_configmap_api_reads_total"), 2);
}

// `kubectl apply -f` of a poisoned ConfigMap and the Ingress naming it, back to back: the
// Ingress review may arrive before the ConfigMap's watch event.
TEST_F(ConfigMapAdmission, IngressRightAfterItsConfigMapIsJudgedWithIt) {
  StartGuard();
  ASSERT_TRUE(Eventually([&] { return guard_->Synced(); }, kWait));
  // Held back: the ConfigMap's watch event cannot have reached the cache yet.
  server_.InjectDelay("/api/v1/configmaps", 5000, 1, "watch");
  server_.DropWatches();
  CreateConfigMap("team", "fresh", {{"X-User", "x' ; load_module /tmp/x.so; #"}});
  Verdict v = Review(IngressReview("team", "fresh-ing", R"({")" + std::string(kProxy) + R"(":"fresh"})"));
  EXPECT_FALSE(v.allowed);
  EXPECT_NE(v.message.find("configmap team/fresh: X-User"), std::string::npos) << v.message;
}

TEST_F(ConfigMapAdmission, ControllerConfigMapIsGuardedInEnforceMode) {
  StartGuard();
  ASSERT_TRUE(Eventually([&] { return guard_->Synced(); }, kWait));
  Verdict v = Review(ConfigMapReview("ingress-nginx", "ingress-nginx-controller", {{"allow-snippet-annotations", "true"}}));
  EXPECT_FALSE(v.allowed);
  EXPECT_NE(v.message.find("RIP-CONTROLLER-SETTING (CVE-2021-25742, CVE-2023-5043)"), std::string::npos) << v.message;
  EXPECT_NE(v.message.find("Fix: set allow-snippet-annotations: \"false\" in ConfigMap ingress-nginx/ingress-nginx-controller"),
            std::string::npos)
      << v.message;
  EXPECT_TRUE(Review(ConfigMapReview("ingress-nginx", "ingress-nginx-controller", {{"allow-snippet-annotations", "false"}}))
                  .allowed);
  EXPECT_FALSE(Review(ConfigMapReview("ingress-nginx", "ingress-nginx-controller",
                                      {{"http-snippet", "init_by_lua_block { os.execute('id') }"}}))
                   .allowed);
}

TEST_F(ConfigMapAdmission, ControllerConfigMapByLabelsIsWarnedInWarnMode) {
  StartGuard("mode: warn\ncontrollerConfigMaps:\n  names: []\n  matchLabels: {app.kubernetes.io/name: ingress-nginx}\n");
  ASSERT_TRUE(Eventually([&] { return guard_->Synced(); }, kWait));
  Verdict v = Review(ConfigMapReview("edge", "nginx-conf", {{"enable-annotation-validation", "false"}},
                                     R"({"app.kubernetes.io/name":"ingress-nginx"})"));
  EXPECT_TRUE(v.allowed);
  ASSERT_EQ(v.warnings.size(), 1u);
  EXPECT_NE(v.warnings[0].find("RIP-CONTROLLER-SETTING (CVE-2023-5044)"), std::string::npos) << v.warnings[0];
  // Without the label it is an ordinary, unreferenced ConfigMap.
  EXPECT_TRUE(Review(ConfigMapReview("edge", "nginx-conf", {{"enable-annotation-validation", "false"}})).warnings.empty());
}

TEST_F(ConfigMapAdmission, NotReadyUntilBothCachesSyncAndWarnsMeanwhile) {
  CreateIngress("team", "app", "hdrs");
  // ConfigMap lists hang for a while: the Ingress cache syncs, the ConfigMap one does not.
  server_.InjectDelay("/api/v1/configmaps", 3000, 1, "list");
  StartGuard();
  ASSERT_TRUE(Eventually([&] { return guard_->NotReadyReason() == "ConfigMap cache not synced"; }, kWait))
      << guard_->NotReadyReason();
  EXPECT_FALSE(guard_->Synced());
  // Meanwhile: unreferenced ConfigMaps are admitted with a warning that they were not
  // checked, referenced ones (the Ingress index is complete) and the controller's are judged.
  Verdict v = Review(ConfigMapReview("team", "unrelated", {{"k", "v"}}));
  EXPECT_TRUE(v.allowed);
  ASSERT_EQ(v.warnings.size(), 1u);
  EXPECT_NE(v.warnings[0].find("not synced"), std::string::npos);
  EXPECT_FALSE(Review(ConfigMapReview("team", "hdrs", {{"X-User", "x'"}})).allowed);
  EXPECT_FALSE(Review(ConfigMapReview("ingress-nginx", "ingress-nginx-controller", {{"allow-snippet-annotations", "true"}})).allowed);
  ASSERT_TRUE(Eventually([&] { return guard_->Synced(); }, kWait));
  EXPECT_EQ(guard_->NotReadyReason(), "");
}

TEST_F(ConfigMapAdmission, PolicyReloadReindexes) {
  CreateIngress("team", "app", "hdrs");
  StartGuard("mode: enforce\n");
  ASSERT_TRUE(Eventually([&] { return guard_->Synced(); }, kWait));
  ASSERT_TRUE(guard_->index().Referenced("team/hdrs"));
  // The namespace becomes exempt: ingress-nginx still reads the ConfigMap, but the policy no
  // longer judges that Ingress, so neither is its ConfigMap.
  std::ofstream(policy_path_) << "mode: enforce\nexemptNamespaces: [team]\n";
  ASSERT_TRUE(policy_->Poll());
  EXPECT_TRUE(Review(ConfigMapReview("team", "hdrs", {{"X-User", "x'"}})).allowed);
  EXPECT_FALSE(guard_->index().Referenced("team/hdrs"));
}

}  // namespace
}  // namespace riposte::webhook
