// Admission for real: kube-apiserver calls the local `riposte webhook` through the chart's
// URL-form ValidatingWebhookConfiguration (webhook.url) with the chart's caBundle and serving
// certificate. Corpus attacks are refused and the denial reaches kubectl, benign Ingresses are
// admitted, UPDATE and server-side dry runs are judged, and failurePolicy does what the chart
// documents when the webhook is down.

#include <gtest/gtest.h>

#include <fstream>

#include "tests/e2e/fixtures.h"
#include "tests/e2e/suite.h"

namespace riposte::e2e {
namespace {

using web::json::value;
constexpr const char* kNs = "admission";
constexpr const char* kDenied = "admission webhook \"ingress.validate.riposte.io\" denied the request";

value IngressJson(const std::string& name, const value& annotations, const value* paths = nullptr,
                  const std::string& ns = kNs) {
  auto ing = value::parse(R"({"apiVersion":"networking.k8s.io/v1","kind":"Ingress","metadata":{},
      "spec":{"ingressClassName":"nginx","rules":[{"host":"shop.example.com","http":{"paths":[]}}]}})");
  ing["metadata"]["name"] = value::string(name);
  ing["metadata"]["namespace"] = value::string(ns);
  if (annotations.is_object() && annotations.size() > 0) ing["metadata"]["annotations"] = annotations;
  auto backend = value::parse(R"({"service":{"name":"web","port":{"number":80}}})");
  auto& out = ing["spec"]["rules"][0]["http"]["paths"];
  if (paths != nullptr) {
    for (const auto& p : paths->as_array()) {
      auto e = value::object();
      e["path"] = p.at("path");
      e["pathType"] = p.has_field("pathType") ? p.at("pathType") : value::string("ImplementationSpecific");
      e["backend"] = backend;
      out[out.size()] = e;
    }
  } else {
    out[0] = value::parse(R"({"path":"/","pathType":"Prefix"})");
    out[0]["backend"] = backend;
  }
  return ing;
}

std::string IngressPath(const std::string& name = "", const std::string& ns = kNs) {
  return std::string("/apis/networking.k8s.io/v1/namespaces/") + ns + "/ingresses" + (name.empty() ? "" : "/" + name);
}

// Corpus cases name their referenced objects as "default/...", so they are created in
// "default", as the offline corpus test places them; elsewhere they would be cross-namespace
// references (RIP-XNS-REF), which is a different decision.
constexpr const char* kCorpusNs = "default";

// A case whose annotations are all written for another "*.ingress.kubernetes.io" prefix stands
// for a controller started with that --annotations-prefix; the chart's webhook runs with the
// default prefix, so ingress-nginx would not read them and the webhook admits them (the offline
// corpus test judges them with their prefix configured).
bool WrittenForAnotherPrefix(const value& annotations) {
  const std::string ours = "nginx.ingress.kubernetes.io/";
  const std::string family = ".ingress.kubernetes.io";
  bool foreign = false;
  for (const auto& [key, v] : annotations.as_object()) {
    if (key.rfind(ours, 0) == 0) return false;
    const auto slash = key.find('/');
    if (slash == std::string::npos || slash < family.size()) continue;
    if (key.compare(slash - family.size(), family.size(), family) == 0) foreign = true;
  }
  return foreign;
}

class Admission : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { CreateNamespace(kNs); }
  Suite& suite = Suite::Get();
};

TEST_F(Admission, CorpusAttacksAreRefusedAndBenignIngressesAdmitted) {
  std::ifstream in(std::string(RIPOSTE_TEST_DATA_DIR) + "/corpus/ingress_cases.jsonl");
  int webhook_denied = 0, api_invalid = 0, admitted = 0, not_expressible = 0;
  std::string api_invalid_ids;
  for (std::string line; std::getline(in, line);) {
    if (line.empty()) continue;
    auto c = value::parse(line);
    std::string id = c.at("id").as_string();
    // What the API cannot carry to a webhook: the server assigns metadata.uid itself. Cases
    // with referenced ConfigMaps stay offline too (tests/core corpus test); ConfigMap
    // admission through the API is configmap_test.cc.
    if (c.has_field("metadata_uid") || c.has_field("referenced_configmaps")) {
      ++not_expressible;
      continue;
    }
    const value annotations = c.has_field("annotations") ? c.at("annotations") : value::object();
    bool reject = (c.at("expect").as_string() == "reject" || c.has_field("assumes")) &&
                  !WrittenForAnotherPrefix(annotations);
    const value* paths = c.has_field("paths") ? &c.at("paths") : nullptr;
    auto ing = IngressJson("corpus-" + id, annotations, paths, kCorpusNs);
    auto r = suite.cluster().Api("POST", IngressPath("", kCorpusNs), ing.serialize());
    if (!reject) {
      EXPECT_EQ(r.status, 201) << id << " (benign) was refused: " << r.body;
      if (r.status == 201) ++admitted;
      continue;
    }
    EXPECT_GE(r.status, 400) << id << " (attack) was admitted";
    if (r.status < 400) continue;
    std::string msg = Str(r.Json(), {"message"});
    if (msg.find(kDenied) != std::string::npos) {
      ++webhook_denied;
      EXPECT_EQ(r.status, 403) << id;
      EXPECT_NE(msg.find("riposte denied this Ingress"), std::string::npos) << id << ": " << msg;
      EXPECT_NE(msg.find("Fix:"), std::string::npos) << id << ": the denial says how to fix it: " << msg;
    } else {
      // kube-apiserver's own Ingress validation runs before validating webhooks and refuses
      // some malformed paths itself.
      EXPECT_EQ(r.status, 422) << id << ": " << r.body;
      EXPECT_NE(msg.find("is invalid"), std::string::npos) << id << ": " << msg;
      ++api_invalid;
      api_invalid_ids += " " + id;
    }
  }
  std::printf("[e2e] corpus through kube-apiserver: %d denied by the webhook, %d refused by API validation (%s), "
              "%d benign admitted, %d not expressible through the API\n",
              webhook_denied, api_invalid, api_invalid_ids.c_str(), admitted, not_expressible);
  EXPECT_GT(webhook_denied, 50);
  EXPECT_GT(admitted, 20);
}

TEST_F(Admission, DenialTextReachesKubectl) {
  auto attack = IngressJson("kubectl-attack", value::parse(
      R"({"nginx.ingress.kubernetes.io/auth-url":"http://example.com/#;\n}}}\nssl_engine /proc/47/fd/23;\n#"})"));
  auto r = suite.Kubectl({"apply", "-f", "-"}, attack.serialize());
  EXPECT_NE(r.exit_code, 0) << r.Describe();
  EXPECT_NE(r.err.find(std::string("Error from server (Forbidden)")), std::string::npos) << r.Describe();
  EXPECT_NE(r.err.find(kDenied), std::string::npos) << r.Describe();
  EXPECT_NE(r.err.find("auth-url"), std::string::npos) << "names the annotation: " << r.err;
  EXPECT_NE(r.err.find("CVE-2025-24514"), std::string::npos) << "names the CVE class: " << r.err;
  EXPECT_NE(r.err.find("Fix:"), std::string::npos) << r.err;
  EXPECT_EQ(StatusOf(IngressPath("kubectl-attack")), 404);

  auto benign = IngressJson("kubectl-benign", value::parse(R"({"nginx.ingress.kubernetes.io/ssl-redirect":"true"})"));
  auto ok = suite.Kubectl({"apply", "-f", "-"}, benign.serialize());
  EXPECT_EQ(ok.exit_code, 0) << ok.Describe();
  EXPECT_NE(ok.out.find("ingress.networking.k8s.io/kubectl-benign created"), std::string::npos) << ok.out;
}

TEST_F(Admission, UpdateIsJudged) {
  auto benign = IngressJson("update-me", value::parse(R"({"nginx.ingress.kubernetes.io/ssl-redirect":"true"})"));
  suite.cluster().MustApi("POST", IngressPath(), benign.serialize());
  double denied_before = suite.WebhookReviews("denied");
  auto r = suite.Kubectl({"-n", kNs, "annotate", "ingress", "update-me",
                          "nginx.ingress.kubernetes.io/configuration-snippet=content_by_lua_block { os.execute('id') }"});
  EXPECT_NE(r.exit_code, 0) << r.Describe();
  EXPECT_NE(r.err.find(kDenied), std::string::npos) << r.Describe();
  EXPECT_EQ(suite.WebhookReviews("denied"), denied_before + 1);
  auto now = Get(IngressPath("update-me"));
  EXPECT_EQ(Find(now, {"metadata", "annotations", "nginx.ingress.kubernetes.io/configuration-snippet"}), nullptr)
      << "the update was not stored: " << now.serialize();
  // A benign update passes.
  auto ok = suite.Kubectl({"-n", kNs, "annotate", "ingress", "update-me", "nginx.ingress.kubernetes.io/proxy-body-size=8m"});
  EXPECT_EQ(ok.exit_code, 0) << ok.Describe();
}

TEST_F(Admission, ServerSideDryRunIsJudgedWithoutSideEffects) {
  auto attack = IngressJson("dry-attack", value::parse(
      R"({"nginx.ingress.kubernetes.io/auth-tls-match-cn":"CN=x\"}}}\nssl_engine /tmp/x.so;\n#"})"));
  double denied = suite.WebhookReviews("denied"), allowed = suite.WebhookReviews("allowed");
  auto r = suite.Kubectl({"apply", "--dry-run=server", "-f", "-"}, attack.serialize());
  EXPECT_NE(r.exit_code, 0) << r.Describe();
  EXPECT_NE(r.err.find(kDenied), std::string::npos) << r.Describe();
  EXPECT_EQ(suite.WebhookReviews("denied"), denied + 1) << "the webhook judged the dry run";

  auto benign = IngressJson("dry-benign", value::parse(R"({"nginx.ingress.kubernetes.io/ssl-redirect":"true"})"));
  auto ok = suite.Kubectl({"apply", "--dry-run=server", "-f", "-"}, benign.serialize());
  EXPECT_EQ(ok.exit_code, 0) << ok.Describe();
  EXPECT_NE(ok.out.find("created (server dry run)"), std::string::npos) << ok.out;
  EXPECT_EQ(suite.WebhookReviews("allowed"), allowed + 1);
  EXPECT_EQ(StatusOf(IngressPath("dry-benign")), 404) << "nothing stored";
  EXPECT_EQ(StatusOf(IngressPath("dry-attack")), 404);
}

TEST_F(Admission, FailurePolicyWithTheWebhookStopped) {
  struct Restore {
    ~Restore() {
      auto& s = Suite::Get();
      try {
        s.UpgradeRelease({"--set", "webhook.failurePolicy=Fail"});
      } catch (const std::exception& e) {
        ADD_FAILURE() << e.what();
      }
      if (!s.webhook().Running()) s.StartWebhook();
    }
  } restore;
  suite.StopWebhook();
  // Fail (the default): nothing is admitted unchecked.
  auto benign = IngressJson("while-down", value::parse(R"({"nginx.ingress.kubernetes.io/ssl-redirect":"true"})"));
  auto r = suite.Kubectl({"apply", "-f", "-"}, benign.serialize());
  EXPECT_NE(r.exit_code, 0) << r.Describe();
  EXPECT_NE(r.err.find("failed calling webhook \"ingress.validate.riposte.io\""), std::string::npos) << r.Describe();
  EXPECT_EQ(StatusOf(IngressPath("while-down")), 404);
  // The release namespace is never judged, so Riposte can always be repaired.
  auto own = IngressJson("repair", value::object());
  own["metadata"]["namespace"] = value::string(kReleaseNamespace);
  EXPECT_EQ(suite.cluster().Api("POST", std::string("/apis/networking.k8s.io/v1/namespaces/") + kReleaseNamespace + "/ingresses",
                                own.serialize()).status, 201);
  // Ignore: admitted unchecked, as values.yaml documents.
  suite.UpgradeRelease({"--set", "webhook.failurePolicy=Ignore"});
  auto vwc = Get(std::string("/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/") + kFullname);
  ASSERT_EQ(Str(vwc.at("webhooks").at(0), {"failurePolicy"}), "Ignore");
  auto admitted = suite.Kubectl({"apply", "-f", "-"}, benign.serialize());
  EXPECT_EQ(admitted.exit_code, 0) << admitted.Describe();
  EXPECT_EQ(StatusOf(IngressPath("while-down")), 200);
}

}  // namespace
}  // namespace riposte::e2e
