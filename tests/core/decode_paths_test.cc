// One Ingress decoder for scan, webhook and audit: the same object read through each path
// (scan from YAML, the webhook from an AdmissionReview, the audit from the API's JSON) yields
// identical findings.
#include <gtest/gtest.h>
// After gtest: cpprest defines macros (U) that clash with gtest internals.
#include <cpprest/json.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "audit/ingress_checker.h"
#include "core/engine.h"
#include "core/kubectl_reader.h"
#include "core/manifest_loader.h"
#include "core/text.h"
#include "webhook/admission.h"

namespace riposte::core {
namespace {

namespace fs = std::filesystem;

std::string Slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class Lookup : public ConfigMapLookup {
 public:
  explicit Lookup(const ManifestSet& set) {
    for (const auto& o : set.objects) {
      if (o.kind == "ConfigMap") maps_[o.configmap.ns + "/" + o.configmap.name] = &o.configmap;
    }
  }
  const ConfigMap* Find(const std::string& ns, const std::string& name) const override {
    auto it = maps_.find(ns + "/" + name);
    return it == maps_.end() ? nullptr : it->second;
  }

 private:
  std::map<std::string, const ConfigMap*> maps_;
};

std::string Key(const std::vector<Finding>& findings) {
  std::string out;
  for (const auto& f : findings) {
    out += f.rule_id + "|" + std::string(SeverityName(f.severity)) + "|" + f.field + "|" + f.message + "|";
    for (const auto& c : f.cves) out += c + ",";
    out += "\n";
  }
  return out;
}

TEST(DecodePaths, ScanWebhookAndAuditYieldIdenticalFindings) {
  const std::string data = RIPOSTE_TEST_DATA_DIR;
  std::vector<fs::path> files = {fs::path(data) / "../../examples/attacks.yaml", fs::path(data) / "../../examples/benign.yaml"};
  for (const auto& e : fs::directory_iterator(data + "/realworld")) {
    if (e.path().extension() == ".yaml") files.push_back(e.path());
  }
  const Engine engine(DefaultPolicy());
  size_t compared = 0, with_findings = 0;
  for (const auto& file : files) {
    const std::string text = Slurp(file);
    const ManifestSet set = ParseManifests(text, "default");
    ASSERT_TRUE(set.errors.empty()) << file << ": " << set.errors[0].message;
    const Lookup lookup(set);
    // What kubectl would send for each Ingress, in file order (the same order as `set`).
    const ReadResult raw = ReadKubectlManifests(text, {"Ingress"});
    std::vector<const ManifestObject*> ingresses;
    for (const auto& o : set.objects) {
      if (o.kind == "Ingress") ingresses.push_back(&o);
    }
    ASSERT_EQ(raw.objects.size(), ingresses.size()) << file;
    for (size_t i = 0; i < ingresses.size(); ++i) {
      const Ingress& scanned = ingresses[i]->ingress;
      const std::string& json = raw.objects[i].json;

      const std::string review =
          R"({"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u","kind":)"
          R"({"group":"networking.k8s.io","version":"v1","kind":"Ingress"},"operation":"CREATE","namespace":)" +
          JsonQuote(scanned.ns) + R"(,"object":)" + json + "}}";
      const webhook::ParseResult parsed = webhook::ParseAdmissionReview(review);
      ASSERT_EQ(parsed.status, webhook::ParseStatus::kOk) << parsed.error;

      Ingress audited = audit::IngressFromJson(web::json::value::parse(json));
      if (audited.ns.empty()) audited.ns = scanned.ns;  // the API server always fills it

      const std::string from_scan = Key(engine.Check(scanned, &lookup));
      EXPECT_EQ(Key(engine.Check(parsed.request.ingress, &lookup)), from_scan) << file << " " << scanned.name << " (webhook)";
      EXPECT_EQ(Key(engine.Check(audited, &lookup)), from_scan) << file << " " << scanned.name << " (audit)";
      ++compared;
      if (!from_scan.empty()) ++with_findings;
    }
  }
  EXPECT_GT(compared, 50u);
  EXPECT_GT(with_findings, 5u) << "the attack examples must be among the compared objects";
}

}  // namespace
}  // namespace riposte::core

namespace riposte::core {
namespace {

std::string Review(const std::string& operation, const std::string& object, const std::string& old_object) {
  return R"({"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u","kind":)"
         R"({"group":"networking.k8s.io","version":"v1","kind":"Ingress"},"namespace":"team","operation":")" +
         operation + R"(","object":)" + object + (old_object.empty() ? "" : R"(,"oldObject":)" + old_object) + "}}";
}

TEST(DecodePaths, WebhookJudgesAnUpdateThatChangesTheClass) {
  const std::string evil = R"({"metadata":{"name":"x","annotations":{"nginx.ingress.kubernetes.io/auth-url":"http://x/;\nssl_engine y;"}},)"
                           R"("spec":{"ingressClassName":"alb"}})";
  const Engine engine(DefaultPolicy());
  auto judged = [&](const std::string& review) {
    const auto parsed = webhook::ParseAdmissionReview(review);
    EXPECT_EQ(parsed.status, webhook::ParseStatus::kOk) << parsed.error;
    return !engine.Check(parsed.request.ingress).empty();
  };
  EXPECT_FALSE(judged(Review("CREATE", evil, ""))) << "another controller's class";
  EXPECT_FALSE(judged(Review("UPDATE", evil, R"({"spec":{"ingressClassName":"alb"}})")));
  EXPECT_TRUE(judged(Review("UPDATE", evil, R"({"spec":{"ingressClassName":"nginx"}})"))) << "moved away from nginx";
  EXPECT_TRUE(judged(Review("UPDATE", evil, R"({"metadata":{"annotations":{"kubernetes.io/ingress.class":"nginx"}}})")));
  EXPECT_TRUE(judged(Review("UPDATE", evil, R"({"metadata":{}})"))) << "gained a class";
  const auto parsed = webhook::ParseAdmissionReview(Review("UPDATE", evil, R"({"spec":{"ingressClassName":"nginx"}})"));
  ASSERT_TRUE(parsed.request.ingress.previous_class.has_value());
  EXPECT_EQ(*parsed.request.ingress.previous_class, "nginx");
  EXPECT_FALSE(webhook::ParseAdmissionReview(Review("CREATE", evil, "")).request.ingress.previous_class.has_value());
}

}  // namespace
}  // namespace riposte::core

namespace riposte::core {
namespace {

// The profiles' resources: scan (YAML -> kubectl's JSON -> the resource decoder) and the
// webhook (the same JSON inside an AdmissionReview) yield identical findings.
TEST(DecodePaths, ProfileResourcesScanAndWebhookAgree) {
  auto policy = std::make_shared<Policy>();
  policy->f5_nginx_ingress.enabled = true;
  policy->nginx_gateway_fabric.enabled = true;
  const Engine engine(policy);
  std::set<std::string, std::less<>> kinds;
  for (const auto& k : AllResourceKinds()) kinds.emplace(k.kind);
  size_t compared = 0, with_findings = 0;
  for (const char* dir : {"f5-nginx-ingress", "nginx-gateway-fabric"}) {
    for (const char* file : {"benign.yaml", "benign-snippets.yaml", "attacks.yaml"}) {
      const std::string path = std::string(RIPOSTE_TEST_DATA_DIR) + "/profiles/" + dir + "/" + file;
      const std::string text = Slurp(path);
      const ManifestSet set = ParseManifests(text, "default");
      ASSERT_TRUE(set.errors.empty()) << path;
      std::vector<const ManifestObject*> resources;
      for (const auto& o : set.objects) {
        if (o.resource.kind != nullptr) resources.push_back(&o);
      }
      const ReadResult raw = ReadKubectlManifests(text, kinds);
      ASSERT_EQ(raw.objects.size(), resources.size()) << path;
      for (size_t i = 0; i < resources.size(); ++i) {
        const NginxResource& scanned = resources[i]->resource;
        const std::string group(scanned.kind->group);
        const std::string review =
            R"({"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u","kind":{"group":)" +
            JsonQuote(group) + R"(,"version":"v1","kind":)" + JsonQuote(scanned.kind->kind) +
            R"(},"operation":"CREATE","namespace":)" + JsonQuote(scanned.ns) + R"(,"object":)" + raw.objects[i].json + "}}";
        const webhook::ParseResult parsed = webhook::ParseAdmissionReview(review);
        ASSERT_EQ(parsed.status, webhook::ParseStatus::kOk) << parsed.error;
        const std::string from_scan = Key(engine.Check(scanned));
        EXPECT_EQ(Key(engine.Check(parsed.request.resource)), from_scan) << path << " " << scanned.name;
        ++compared;
        if (!from_scan.empty()) ++with_findings;
      }
    }
  }
  EXPECT_GT(compared, 100u);
  EXPECT_GT(with_findings, 30u);
}

}  // namespace
}  // namespace riposte::core
