#include "audit/analyze.h"

#include <algorithm>

#include <gtest/gtest.h>

#include "audit/render.h"
#include "tests/audit/audit_test_util.h"

namespace riposte::audit {
namespace {

using testing::AnalyzeWithFake;
using testing::LoadCluster;

const AuditFinding* FindById(const Report& r, const std::string& id) {
  for (const auto& f : r.findings) {
    if (f.id == id) return &f;
  }
  return nullptr;
}

bool Has(const std::vector<std::string>& v, const std::string& s) { return std::find(v.begin(), v.end(), s) != v.end(); }

TEST(AnalyzeVulnerable, ControllerVersionCvesAndExposure) {
  Report r = AnalyzeWithFake(LoadCluster("vulnerable"));
  ASSERT_EQ(r.controllers.size(), 1u);
  const Controller& c = r.controllers[0];
  EXPECT_EQ(c.workload.ToString(), "Deployment ingress-nginx/ingress-nginx-controller");
  EXPECT_EQ(c.version, "v1.11.4");  // tag wins over the digest
  EXPECT_EQ(c.nodes, std::vector<std::string>{"node-a"});
  EXPECT_EQ(c.recommended_version, "v1.15.1");
  for (const char* cve : {"CVE-2025-1974", "CVE-2025-1097", "CVE-2025-1098", "CVE-2025-24513", "CVE-2025-24514",
                          "CVE-2025-15566", "CVE-2026-1580", "CVE-2026-24512", "CVE-2026-3288", "CVE-2026-4342",
                          "CVE-2021-25742", "CVE-2023-5043", "CVE-2023-5044", "CVE-2022-4886"}) {
    EXPECT_TRUE(Has(c.cves, cve)) << cve;
  }
  // Fixed long before v1.11.4 and not re-opened by a setting.
  for (const char* cve : {"CVE-2021-25745", "CVE-2021-25746", "CVE-2021-25748"}) EXPECT_FALSE(Has(c.cves, cve)) << cve;
  ASSERT_EQ(c.services.size(), 2u);
  EXPECT_EQ(c.services[0].name, "ingress-nginx-controller");
  EXPECT_TRUE(c.services[0].exposed);
  EXPECT_EQ(c.services[0].external, std::vector<std::string>{"203.0.113.10"});
  EXPECT_TRUE(c.services[1].admission);  // targetPort "webhook" resolves to 8443
  EXPECT_FALSE(c.services[1].exposed);
  EXPECT_EQ(c.admission_port, 8443);
  EXPECT_FALSE(c.admission_restricted);
  EXPECT_EQ(c.validating_webhook, "ingress-nginx-admission");
  EXPECT_EQ(c.settings.configmap, "ingress-nginx/ingress-nginx-controller");  // $(POD_NAMESPACE) expanded
  EXPECT_EQ(c.settings.allow_snippet_annotations, true);
  EXPECT_TRUE(c.at_risk);

  const AuditFinding* nightmare =
      FindById(r, "Deployment/ingress-nginx/ingress-nginx-controller/controller/CVE-2025-1974");
  ASSERT_NE(nightmare, nullptr);
  EXPECT_EQ(nightmare->severity, core::Severity::kCritical);
  EXPECT_NE(nightmare->detail.find("reachable from every pod"), std::string::npos);
  EXPECT_NE(nightmare->remediation.find("upgrade to v1.11.5"), std::string::npos);
  EXPECT_EQ(r.findings.front().severity, core::Severity::kCritical);  // sorted worst first
  EXPECT_TRUE(r.at_risk());
  EXPECT_EQ(r.ExitCode(), 1);
}

TEST(AnalyzeVulnerable, ExistingIngressesAndReferencedConfigMaps) {
  Report r = AnalyzeWithFake(LoadCluster("vulnerable"));
  ASSERT_EQ(r.ingresses.size(), 3u);
  EXPECT_EQ(r.ingresses[0].ingress.name, "evil-auth");
  EXPECT_EQ(r.ingresses[0].findings, 1u);
  EXPECT_EQ(r.ingresses[0].worst, "critical");
  EXPECT_EQ(r.ingresses[0].controllers, std::vector<std::string>{"Deployment ingress-nginx/ingress-nginx-controller"});
  EXPECT_EQ(r.ingresses[1].ingress.name, "headers");
  EXPECT_EQ(r.ingresses[1].findings, 1u);
  EXPECT_EQ(r.ingresses[2].ingress.name, "web");
  EXPECT_EQ(r.ingresses[2].findings, 0u);
  EXPECT_EQ(r.ingresses[2].backends, std::vector<std::string>{"web"});
  const AuditFinding* cm =
      FindById(r, "Ingress/shop/headers/FAKE-CONFIGMAP/configmap shop/auth-headers: X-Forwarded-User");
  ASSERT_NE(cm, nullptr);
  EXPECT_EQ(cm->category, Category::kConfigMap);
  EXPECT_EQ(cm->cves, std::vector<std::string>{"CVE-2025-15566"});
  EXPECT_FALSE(r.riposte.installed);
  EXPECT_NE(FindById(r, "riposte/webhook/not-installed"), nullptr);
}

TEST(AnalyzeFixed, NetworkPolicyRestrictsAdmissionAndRiposteEnforces) {
  Report r = AnalyzeWithFake(LoadCluster("fixed"));
  ASSERT_EQ(r.controllers.size(), 1u);
  const Controller& c = r.controllers[0];
  EXPECT_EQ(c.version, "v1.12.1");
  EXPECT_TRUE(c.admission_restricted);
  EXPECT_EQ(c.network_policies, std::vector<std::string>{"edge-ingress-admission-only-apiserver"});
  EXPECT_FALSE(Has(c.cves, "CVE-2025-1974"));
  EXPECT_FALSE(Has(c.cves, "CVE-2025-24514"));
  EXPECT_FALSE(Has(c.cves, "CVE-2021-25742"));  // snippets off in the ConfigMap
  // v1.12.1 predates the later fixes: still exposed to those.
  EXPECT_TRUE(Has(c.cves, "CVE-2025-15566"));
  EXPECT_TRUE(Has(c.cves, "CVE-2026-24512"));
  EXPECT_EQ(c.recommended_version, "v1.15.1");
  for (const auto& f : r.findings) EXPECT_NE(f.category, Category::kSetting) << f.id;
  EXPECT_TRUE(r.riposte.installed);
  EXPECT_TRUE(r.riposte.enforcing);
  EXPECT_EQ(r.riposte.service, "riposte/riposte-webhook");
}

TEST(AnalyzeFixed, OpenRuleForAdmissionPortDefeatsThePolicy) {
  ClusterSnapshot snap = LoadCluster("fixed");
  auto& np = snap.objects[res::kNetworkPolicies].at(0);
  np["spec"]["ingress"][1]["from"] = web::json::value::parse(R"([{"ipBlock":{"cidr":"0.0.0.0/0"}}])");
  Report r = AnalyzeWithFake(snap);
  EXPECT_FALSE(r.controllers[0].admission_restricted);
  EXPECT_NE(FindById(r, "Deployment/edge/edge-ingress/controller/admission-open"), nullptr);
}

TEST(AnalyzeFixed, PolicyForOtherPodsDoesNotCount) {
  ClusterSnapshot snap = LoadCluster("fixed");
  auto& np = snap.objects[res::kNetworkPolicies].at(0);
  np["spec"]["podSelector"] = web::json::value::parse(R"({"matchLabels":{"app":"other"}})");
  Report r = AnalyzeWithFake(snap);
  EXPECT_FALSE(r.controllers[0].admission_restricted);
  EXPECT_TRUE(r.controllers[0].network_policies.empty());
}

TEST(AnalyzeFixed, VulnerableVersionBehindPolicyIsHighNotCritical) {
  ClusterSnapshot snap = LoadCluster("fixed");
  snap.objects[res::kDeployments][0]["spec"]["template"]["spec"]["containers"][0]["image"] =
      web::json::value::string("registry.k8s.io/ingress-nginx/controller:v1.12.0");
  Report r = AnalyzeWithFake(snap);
  const AuditFinding* f = FindById(r, "Deployment/edge/edge-ingress/controller/CVE-2025-1974");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->severity, core::Severity::kHigh);
  EXPECT_NE(f->detail.find("restricted by NetworkPolicy edge-ingress-admission-only-apiserver"), std::string::npos);
}

TEST(AnalyzeMirror, MirrorImagesDaemonSetAndDigestOnly) {
  Report r = AnalyzeWithFake(LoadCluster("mirror"));
  ASSERT_EQ(r.controllers.size(), 2u);
  const Controller& ds = r.controllers[0];
  EXPECT_EQ(ds.workload.ToString(), "DaemonSet ingress-mirror/mirror-ingress");
  EXPECT_EQ(ds.version, "v1.13.0");
  EXPECT_EQ(ds.nodes, (std::vector<std::string>{"node-d", "node-e"}));
  EXPECT_EQ(ds.admission_port, 0);
  EXPECT_FALSE(Has(ds.cves, "CVE-2025-1974"));  // no admission webhook listening
  EXPECT_TRUE(ds.services.at(0).exposed);        // externalIPs
  const Controller& pod = r.controllers[1];
  EXPECT_EQ(pod.workload.ToString(), "Pod ingress-mirror/debug-controller");
  EXPECT_EQ(pod.version, "unknown");
  EXPECT_NE(pod.version_note.find("digest only"), std::string::npos);
  EXPECT_NE(FindById(r, "Pod/ingress-mirror/debug-controller/controller/version-unknown"), nullptr);
  EXPECT_TRUE(r.riposte.installed);
  EXPECT_FALSE(r.riposte.enforcing);
  EXPECT_EQ(r.riposte.failure_policy, "Ignore");
  EXPECT_EQ(r.riposte.problems.size(), 2u);  // fail-open and no endpoints
}

TEST(AnalyzeRbacLimited, ReportsEachUnreadableResourceAndExits2) {
  ClusterSnapshot snap = LoadCluster("vulnerable");
  testing::DenyLikeLimitedIdentity(&snap);
  Report r = AnalyzeWithFake(snap);
  ASSERT_EQ(r.unreadable.size(), 3u);
  EXPECT_EQ(r.unreadable[0].resource, "configmaps");
  EXPECT_EQ(r.unreadable[0].code, 403);
  EXPECT_EQ(r.ExitCode(), 2);
  EXPECT_TRUE(r.at_risk());  // what was readable is still reported
  ASSERT_EQ(r.controllers.size(), 1u);
  EXPECT_NE(r.controllers[0].settings.sources.at(0).find("unreadable"), std::string::npos);
  EXPECT_NE(FindById(r, "unreadable/networkpolicies"), nullptr);
  EXPECT_FALSE(r.riposte.installed);
  EXPECT_EQ(FindById(r, "riposte/webhook/not-installed"), nullptr);  // unknown, not absent
}

TEST(AnalyzeEngine, WithoutEngineIngressesAreListedAndRunIsIncomplete) {
  Report r = Analyze(LoadCluster("fixed"), {});
  EXPECT_FALSE(r.engine_available);
  EXPECT_EQ(r.ingresses.size(), 1u);
  EXPECT_EQ(r.ExitCode(), 2);
}

TEST(AnalyzeEdgeCases, WrongShapesNeverThrow) {
  ClusterSnapshot snap;
  std::string error;
  ASSERT_TRUE(ParseSnapshot(R"({"resources":{
    "deployments":[{"metadata":5,"spec":{"template":{"spec":{"containers":[{"image":7,"args":"x"},
       {"image":"registry.k8s.io/ingress-nginx/controller:v1.11.0","args":[1,null,"--validating-webhook=:99999"]}]}}}}],
    "pods":[{"spec":{"containers":"no"}}],
    "services":[{"metadata":{"namespace":""},"spec":{"selector":[],"ports":[{"port":"x"}]}}],
    "networkpolicies":[{"spec":{"podSelector":{"matchExpressions":[{"key":"a","operator":"Bogus"}]}}}],
    "ingresses":[{"metadata":{"annotations":{"a":5}},"spec":{"rules":[{"http":{"paths":7}}]}}],
    "validatingwebhookconfigurations":[{"webhooks":[{"name":"x.riposte.io","rules":5}]}]}})",
                            "weird", &snap, &error))
      << error;
  Report r = AnalyzeWithFake(snap);
  ASSERT_EQ(r.controllers.size(), 1u);
  EXPECT_EQ(r.controllers[0].admission_port, 0);  // out-of-range port is not a webhook
  EXPECT_EQ(r.ingresses.size(), 1u);
  EXPECT_TRUE(r.riposte.installed);
  EXPECT_FALSE(r.riposte.covers_ingress);
  EXPECT_FALSE(RenderJson(r).empty());
}

// Golden JSON per seeded cluster (timestamp omitted; findings sorted).
class GoldenTest : public ::testing::TestWithParam<std::string> {};

TEST_P(GoldenTest, JsonMatchesGolden) {
  ClusterSnapshot snap = LoadCluster(GetParam() == "rbac" ? "vulnerable" : GetParam());
  if (GetParam() == "rbac") testing::DenyLikeLimitedIdentity(&snap);
  Report r = AnalyzeWithFake(snap);
  testing::ExpectGolden(GetParam() + ".json", RenderJson(r));
  // Deterministic: a second run renders byte-identical output.
  EXPECT_EQ(RenderJson(AnalyzeWithFake(snap)), RenderJson(r));
}

INSTANTIATE_TEST_SUITE_P(Clusters, GoldenTest, ::testing::Values("vulnerable", "fixed", "mirror", "rbac"));

}  // namespace
}  // namespace riposte::audit
