#include "audit/migration.h"

#include <fstream>
#include <regex>
#include <set>

#include <gtest/gtest.h>

#include "audit/gateway_mapping.h"
#include "audit/metrics.h"
#include "audit/render.h"
#include "core/annotation_types.h"
#include "tests/audit/audit_test_util.h"

namespace riposte::audit {
namespace {

using web::json::value;
using G = GatewayClass;

// ---- the mapping table -------------------------------------------------------------------

TEST(GatewayMapping, EmbeddedTableParses) {
  EXPECT_EQ(GatewayMappingError(), "");
  EXPECT_FALSE(GatewayMappingTable().empty());
  EXPECT_NE(GatewayMappingBasis().find("Gateway API v1.6.1"), std::string::npos) << GatewayMappingBasis();
}

TEST(GatewayMapping, EveryAnnotationTheEngineKnowsIsClassified) {
  std::set<std::string> engine;
  for (const auto& t : core::AllAnnotationTypes()) {
    engine.insert(std::string(t.name));
    const GatewayMapping* m = FindGatewayMapping(t.name);
    ASSERT_NE(m, nullptr) << t.name << " has no Gateway API classification (audit/data/gateway_mapping.json)";
    EXPECT_NE(m->gateway_class, G::kUnrecognized) << t.name;
    EXPECT_FALSE(m->gateway_feature.empty()) << t.name;
    EXPECT_FALSE(m->source.empty()) << t.name;
  }
  for (const auto& m : GatewayMappingTable()) {
    EXPECT_EQ(engine.count(m.annotation), 1u) << m.annotation << " is classified but not an annotation the engine knows";
  }
}

TEST(GatewayMapping, SnippetsAreBlockers) {
  for (const char* name : {"configuration-snippet", "server-snippet", "auth-snippet", "modsecurity-snippet",
                           "stream-snippet"}) {
    ASSERT_NE(FindGatewayMapping(name), nullptr) << name;
    EXPECT_EQ(FindGatewayMapping(name)->gateway_class, G::kNone) << name;
  }
}

TEST(GatewayMapping, ValuesThatDecideTheClass) {
  auto cls = [](const char* name, const char* v) {
    std::string reason;
    return ClassifyAnnotation(*FindGatewayMapping(name), v, &reason);
  };
  EXPECT_EQ(cls("rewrite-target", "/"), G::kExtended);
  EXPECT_EQ(cls("rewrite-target", "/$2"), G::kNone);
  EXPECT_EQ(cls("rewrite-target", "/api/${1}"), G::kNone);
  EXPECT_EQ(cls("rewrite-target", "/cost$"), G::kExtended);  // "$" without a group number
  EXPECT_EQ(cls("backend-protocol", "HTTPS"), G::kExtended);
  EXPECT_EQ(cls("backend-protocol", "GRPC"), G::kCore);
  EXPECT_EQ(cls("backend-protocol", " fcgi "), G::kNone);
  EXPECT_EQ(cls("backend-protocol", "AJP"), G::kNone);
  EXPECT_EQ(cls("permanent-redirect-code", "301"), G::kCore);
  EXPECT_EQ(cls("permanent-redirect-code", "308"), G::kExtended);
  EXPECT_EQ(cls("temporal-redirect-code", "307"), G::kExtended);
  EXPECT_EQ(cls("use-regex", "true"), G::kImplementationSpecific);
  EXPECT_EQ(cls("use-regex", "false"), G::kCore);
  std::string reason;
  ClassifyAnnotation(*FindGatewayMapping("rewrite-target"), "/$1", &reason);
  EXPECT_NE(reason.find("capture groups"), std::string::npos);
}

// docs/migration.md is the readable twin of the data file: one row per annotation, same class.
TEST(GatewayMapping, DocumentedInMigrationMd) {
  std::ifstream in(std::string(RIPOSTE_TEST_DATA_DIR) + "/../../docs/migration.md");
  ASSERT_TRUE(in) << "docs/migration.md missing";
  std::string line;
  std::map<std::string, std::string> documented;
  const std::regex row(R"(^\| `([a-z0-9-]+)` \| (core|extended|implementation-specific|none) \|)");
  while (std::getline(in, line)) {
    std::smatch m;
    if (std::regex_search(line, m, row)) documented[m[1]] = m[2];
  }
  EXPECT_EQ(documented.size(), GatewayMappingTable().size());
  for (const auto& m : GatewayMappingTable()) {
    auto it = documented.find(m.annotation);
    ASSERT_NE(it, documented.end()) << m.annotation << " missing from docs/migration.md";
    EXPECT_EQ(it->second, GatewayClassName(m.gateway_class)) << m.annotation;
  }
}

// ---- the inventory -----------------------------------------------------------------------

value IngressJson(const std::string& ns, const std::string& name, const std::string& cls, const value& annotations) {
  value v = value::parse(R"({"apiVersion":"networking.k8s.io/v1","kind":"Ingress","metadata":{},
    "spec":{"rules":[{"host":"a.example.com","http":{"paths":[{"path":"/","pathType":"Prefix",
    "backend":{"service":{"name":"web","port":{"number":80}}}}]}}]}})");
  v["metadata"]["namespace"] = value::string(ns);
  v["metadata"]["name"] = value::string(name);
  v["metadata"]["annotations"] = annotations;
  if (!cls.empty()) v["spec"]["ingressClassName"] = value::string(cls);
  return v;
}

Report WithMigration(const ClusterSnapshot& snap) {
  return Analyze(snap, {.checker = std::make_shared<testing::FakeChecker>(), .generated_at = "", .migration = true});
}

ClusterSnapshot MigrationCluster() {
  ClusterSnapshot snap = testing::LoadCluster("fixed");
  auto& ings = snap.objects[res::kIngresses];
  ings.push_back(IngressJson("blog", "legacy", "nginx", value::parse(R"({
    "nginx.ingress.kubernetes.io/configuration-snippet": "more_set_headers \"X-Frame-Options: DENY\";",
    "nginx.ingress.kubernetes.io/rewrite-target": "/$2",
    "nginx.ingress.kubernetes.io/use-regex": "true",
    "nginx.ingress.kubernetes.io/limit-rps": "10",
    "nginx.ingress.kubernetes.io/not-a-real-one": "x",
    "kubectl.kubernetes.io/last-applied-configuration": "{}"})")));
  ings.push_back(IngressJson("shop", "canary", "nginx", value::parse(R"({
    "nginx.ingress.kubernetes.io/canary": "true",
    "nginx.ingress.kubernetes.io/canary-weight": "10"})")));
  ings.push_back(IngressJson("shop", "plain", "", value::object()));
  ings.push_back(IngressJson("shop", "other-controller", "traefik", value::parse(R"({
    "nginx.ingress.kubernetes.io/server-snippet": "x"})")));
  return snap;
}

TEST(MigrationInventory, OnlyWhenAsked) {
  EXPECT_FALSE(testing::AnalyzeWithFake(MigrationCluster()).migration.has_value());
  EXPECT_TRUE(WithMigration(MigrationCluster()).migration.has_value());
}

TEST(MigrationInventory, ClassifiesEachIngressServedByIngressNginx) {
  Report r = WithMigration(MigrationCluster());
  const MigrationInventory& inv = *r.migration;
  std::vector<std::string> names;
  for (const auto& i : inv.ingresses) names.push_back(i.ns + "/" + i.name);
  // other-controller's class is served by no ingress-nginx controller of the cluster.
  EXPECT_EQ(names, (std::vector<std::string>{"blog/blog", "blog/legacy", "shop/canary", "shop/plain"}));
  const MigrationIngress& legacy = inv.ingresses[1];
  EXPECT_EQ(legacy.hardest, G::kNone);
  ASSERT_EQ(legacy.annotations.size(), 5u);  // the kubectl annotation is not ingress-nginx's
  std::map<std::string, G> by_name;
  for (const auto& a : legacy.annotations) by_name[a.annotation] = a.gateway_class;
  EXPECT_EQ(by_name["configuration-snippet"], G::kNone);
  EXPECT_EQ(by_name["rewrite-target"], G::kNone);
  EXPECT_EQ(by_name["use-regex"], G::kImplementationSpecific);
  EXPECT_EQ(by_name["limit-rps"], G::kImplementationSpecific);
  EXPECT_EQ(by_name["not-a-real-one"], G::kUnrecognized);
  EXPECT_EQ(inv.ingresses[2].hardest, G::kCore);   // canary weights
  EXPECT_EQ(inv.ingresses[3].hardest, G::kCore);   // no annotations at all
  EXPECT_EQ(inv.ingresses[0].hardest, G::kExtended);  // ssl-redirect
}

TEST(MigrationInventory, PerNamespaceCountsAndBlockers) {
  Report r = WithMigration(MigrationCluster());
  const MigrationInventory& inv = *r.migration;
  ASSERT_EQ(inv.namespaces.size(), 2u);
  const MigrationNamespace& blog = inv.namespaces[0];
  EXPECT_EQ(blog.ns, "blog");
  EXPECT_EQ(blog.ingresses, 2u);
  EXPECT_EQ(blog.ingresses_by_hardest[static_cast<size_t>(G::kNone)], 1u);
  EXPECT_EQ(blog.ingresses_by_hardest[static_cast<size_t>(G::kExtended)], 1u);
  EXPECT_EQ(blog.blockers, 2u);
  EXPECT_EQ(blog.annotations_by_class[static_cast<size_t>(G::kUnrecognized)], 1u);
  const MigrationNamespace& shop = inv.namespaces[1];
  EXPECT_EQ(shop.ingresses, 2u);
  EXPECT_EQ(shop.blockers, 0u);
  ASSERT_EQ(inv.blockers.size(), 2u);
  EXPECT_EQ(inv.blockers[0].annotation, "configuration-snippet");
  EXPECT_EQ(inv.blockers[1].annotation, "rewrite-target");
  EXPECT_NE(inv.blockers[1].reason.find("capture groups"), std::string::npos);
  EXPECT_EQ(inv.ingresses_by_hardest[static_cast<size_t>(G::kCore)], 2u);
  // Every annotation in use once, with the table's class for the key and its feature.
  ASSERT_EQ(inv.annotations.size(), 8u);
  for (const auto& a : inv.annotations) {
    EXPECT_EQ(a.uses, 1u) << a.annotation;
    if (a.annotation == "rewrite-target") {
      EXPECT_EQ(a.gateway_class, G::kExtended);  // the blocked use is a per-value refinement
      EXPECT_FALSE(a.gateway_feature.empty());
    }
    if (a.annotation == "not-a-real-one") {
      EXPECT_EQ(a.gateway_class, G::kUnrecognized);
    }
  }
}

TEST(MigrationInventory, AnnotationUsesAreCountedAcrossIngresses) {
  ClusterSnapshot snap = MigrationCluster();
  for (const char* name : {"one", "two", "three"}) {
    snap.objects[res::kIngresses].push_back(
        IngressJson("shop", name, "nginx", value::parse(R"({"nginx.ingress.kubernetes.io/limit-rps": "5"})")));
  }
  Report r = WithMigration(snap);
  for (const auto& a : r.migration->annotations) {
    if (a.annotation == "limit-rps") {
      EXPECT_EQ(a.uses, 4u);
    }
  }
}

TEST(MigrationInventory, CustomAnnotationPrefix) {
  ClusterSnapshot snap = MigrationCluster();
  auto& args = snap.objects[res::kDeployments][0]["spec"]["template"]["spec"]["containers"][0]["args"];
  args[args.size()] = value::string("--annotations-prefix=corp.example");
  snap.objects[res::kIngresses].push_back(
      IngressJson("shop", "corp", "nginx", value::parse(R"({"corp.example/server-snippet": "x"})")));
  Report r = WithMigration(snap);
  for (const auto& i : r.migration->ingresses) {
    if (i.name == "corp") {
      ASSERT_EQ(i.annotations.size(), 1u);
      EXPECT_EQ(i.annotations[0].annotation, "server-snippet");
    }
    if (i.name == "legacy") {
      EXPECT_TRUE(i.annotations.empty());  // nginx.ingress.kubernetes.io/* is not read
    }
  }
}

TEST(MigrationInventory, NoControllerSeenFallsBackToTheNginxClass) {
  ClusterSnapshot snap = MigrationCluster();
  snap.objects[res::kDeployments].clear();
  snap.objects[res::kPods].clear();
  Report r = WithMigration(snap);
  ASSERT_TRUE(r.controllers.empty());
  std::vector<std::string> names;
  for (const auto& i : r.migration->ingresses) {
    names.push_back(i.name);
    EXPECT_EQ(i.controllers, std::vector<std::string>{"controller not seen"});
  }
  // "plain" has no class and no ingress-nginx annotation; "other-controller" is traefik's.
  EXPECT_EQ(names, (std::vector<std::string>{"blog", "legacy", "canary"}));
}

TEST(MigrationInventory, RenderedInEveryFormatAndEscaped) {
  ClusterSnapshot snap = MigrationCluster();
  snap.objects[res::kIngresses].push_back(IngressJson("shop", "x<script>alert(1)</script>", "nginx", value::parse(R"({
    "nginx.ingress.kubernetes.io/server-snippet": "x", "nginx.ingress.kubernetes.io/a\nb": "y"})")));
  Report r = WithMigration(snap);
  std::string text = RenderText(r);
  EXPECT_NE(text.find("== Migration to Gateway API =="), std::string::npos);
  EXPECT_NE(text.find("    blog/legacy: configuration-snippet -- "), std::string::npos) << text;
  EXPECT_NE(text.find("    blog: 2 Ingress(es) (0 core, 1 extended, 0 implementation-specific, 1 none), 2 blocker(s)"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("a\\nb (unrecognized)"), std::string::npos);  // no forged line
  std::string html = RenderHtml(r);
  EXPECT_NE(html.find("id=\"migration\""), std::string::npos);
  EXPECT_EQ(html.find("<script>alert"), std::string::npos);
  EXPECT_NE(html.find("x&lt;script&gt;alert(1)&lt;&#47;script&gt;"), std::string::npos);
  value doc = ReportToJson(r);
  const value& m = doc.at("migration");
  EXPECT_EQ(m.at("summary").at("ingresses").as_integer(), 5);
  EXPECT_EQ(m.at("blockers").size(), 3u);
  EXPECT_EQ(m.at("namespaces").at(0).at("namespace").as_string(), "blog");
  EXPECT_FALSE(ReportToJson(testing::AnalyzeWithFake(MigrationCluster())).has_field("migration"));
}

TEST(MigrationInventory, Metrics) {
  Report r = WithMigration(MigrationCluster());
  auto by_class = MigrationIngressesByClass(r);
  EXPECT_EQ(by_class.at("core"), 2u);
  EXPECT_EQ(by_class.at("extended"), 1u);
  EXPECT_EQ(by_class.at("implementation-specific"), 0u);
  EXPECT_EQ(by_class.at("none"), 1u);
  EXPECT_NE(RenderPrometheus(r).find("riposte_audit_migration_ingresses{gateway_class=\"none\"} 1\n"), std::string::npos);
  EXPECT_EQ(RenderPrometheus(testing::AnalyzeWithFake(MigrationCluster())).find("riposte_audit_migration_ingresses"),
            std::string::npos);
}

// A golden of the whole inventory for the seeded clusters, reviewed like the others.
TEST(MigrationInventory, GoldenJson) {
  Report r = WithMigration(MigrationCluster());
  testing::ExpectGolden("migration.json", PrettyJson(MigrationJson(*r.migration)));
}

}  // namespace
}  // namespace riposte::audit
