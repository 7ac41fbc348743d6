#include "audit/mitigation.h"

#include <algorithm>
#include <set>

#include <gtest/gtest.h>

#include "audit/cve_table.h"
#include "audit/render.h"
#include "core/annotation_types.h"
#include "core/rules.h"
#include "tests/audit/audit_test_util.h"

namespace riposte::audit {
namespace {

using testing::AnalyzeWithFake;
using testing::LoadCluster;
using web::json::value;
using S = MitigationState;

// ---- the table ---------------------------------------------------------------------------

TEST(VirtualPatchTable, OneEntryPerCveOfTheAuditTable) {
  std::set<std::string> table;
  for (const auto& e : VirtualPatchTable()) EXPECT_TRUE(table.insert(std::string(e.cve)).second) << e.cve;
  std::set<std::string> cves;
  for (const auto& c : CveTable()) cves.insert(std::string(c.id));
  EXPECT_EQ(table, cves);
}

TEST(VirtualPatchTable, RulesExistAndAreStillEmitted) {
  for (const auto& e : VirtualPatchTable()) {
    const bool blockable = e.vector != AttackVector::kAdmissionPort;
    EXPECT_EQ(blockable, !e.rules.empty()) << e.cve;
    for (auto id : e.rules) {
      EXPECT_NE(core::FindRule(id), nullptr) << e.cve << " names unknown rule " << id;
      EXPECT_NE(id, core::rule_ids::kSyntax) << "reserved rule, never emitted";
    }
  }
}

// The engine's own attributions (rule catalogue and annotation type table) agree with the
// table: every CVE the engine claims to catch is admission-blockable here, with the only
// exception the CVE whose delivery no webhook sees: CVE-2025-1974's payload class
// (ssl_engine / load_module text) is caught by RIP-ANN-DIRECTIVE when it comes through the
// API server, but the CVE itself is the direct request to ingress-nginx's admission port.
// CVE-2025-15566 (RIP-CM-HEADER) is blockable through the webhook's configmaps entry.
TEST(VirtualPatchTable, AgreesWithTheEngineAttributions) {
  std::set<std::string> engine;
  for (const auto& r : core::AllRules()) {
    // The successor profiles' rules (F5 NGINX Ingress Controller, NGINX Gateway Fabric) name
    // those controllers' CVEs; the audit's table is about ingress-nginx (docs/profiles.md).
    if (r.id.rfind("RIP-NIC-", 0) == 0 || r.id.rfind("RIP-NGF-", 0) == 0) continue;
    for (auto cve : r.cves) engine.insert(std::string(cve));
  }
  for (const auto& t : core::AllAnnotationTypes()) {
    for (auto cve : t.cves) engine.insert(std::string(cve));
  }
  const std::set<std::string> not_blockable_by_design = {"CVE-2025-1974"};
  for (const auto& cve : engine) {
    const VirtualPatch* vp = FindVirtualPatch(cve);
    ASSERT_NE(vp, nullptr) << cve << " is attributed by the engine but missing from the audit's tables";
    const bool blockable = !vp->rules.empty();
    EXPECT_EQ(blockable, not_blockable_by_design.count(cve) == 0) << cve;
  }
}

// ---- per cluster -------------------------------------------------------------------------

const CveMitigation* Find(const Controller& c, const std::string& cve) {
  for (const auto& m : c.mitigations) {
    if (m.cve == cve) return &m;
  }
  return nullptr;
}

bool AnyReason(const std::vector<std::string>& reasons, const std::string& needle) {
  return std::any_of(reasons.begin(), reasons.end(), [&](const std::string& r) { return r.find(needle) != std::string::npos; });
}

TEST(Mitigation, NoRiposteMeansEveryExposedCveIsUnmitigated) {
  Report r = AnalyzeWithFake(LoadCluster("vulnerable"));
  const Controller& c = r.controllers.at(0);
  EXPECT_EQ(c.mitigations.size(), c.cves.size());
  for (const auto& m : c.mitigations) {
    EXPECT_EQ(m.state, S::kUnmitigated) << m.cve;
    EXPECT_TRUE(m.summary.starts_with("exposed and unmitigated")) << m.summary;
  }
  EXPECT_EQ(c.virtual_patch, S::kUnmitigated);
  EXPECT_TRUE(AnyReason(c.virtual_patch_reasons, "not installed"));
  const CveMitigation* nightmare = Find(c, "CVE-2025-1974");
  ASSERT_NE(nightmare, nullptr);
  EXPECT_FALSE(nightmare->admission_blockable);
  EXPECT_TRUE(AnyReason(nightmare->reasons, "not blockable at admission"));
  EXPECT_TRUE(AnyReason(nightmare->reasons, "restrict port 8443 to the API server"));
  EXPECT_TRUE(Find(c, "CVE-2025-24513") != nullptr && !Find(c, "CVE-2025-24513")->admission_blockable);
}

TEST(Mitigation, EnforcingOnEveryNamespaceMitigatesTheBlockableClasses) {
  Report r = AnalyzeWithFake(LoadCluster("fixed"));
  EXPECT_TRUE(r.riposte.policy.known) << r.riposte.policy.error;
  EXPECT_EQ(r.riposte.policy.mode, "enforce");
  EXPECT_EQ(r.riposte.scope.excluded_namespaces, (std::vector<std::string>{"kube-system", "riposte"}));
  const Controller& c = r.controllers.at(0);
  EXPECT_EQ(c.virtual_patch, S::kMitigated);
  EXPECT_TRUE(c.virtual_patch_reasons.empty());
  for (const char* cve : {"CVE-2026-1580", "CVE-2026-24512", "CVE-2026-3288", "CVE-2026-4342"}) {
    const CveMitigation* m = Find(c, cve);
    ASSERT_NE(m, nullptr) << cve;
    EXPECT_EQ(m->state, S::kMitigated) << cve;
    EXPECT_EQ(m->mitigated_by, "riposte");
    EXPECT_TRUE(m->summary.starts_with("exposed but mitigated by Riposte (enforce, all namespaces)")) << m->summary;
  }
  // The ConfigMap-borne CVE needs the configmaps entry, which this installation lacks.
  const CveMitigation* cm = Find(c, "CVE-2025-15566");
  ASSERT_NE(cm, nullptr);
  EXPECT_EQ(cm->state, S::kUnmitigated);
  EXPECT_TRUE(cm->admission_blockable);
  EXPECT_TRUE(AnyReason(cm->reasons, "has no entry for configmaps")) << cm->summary;
  // The admission DoS is mitigated in part by the NetworkPolicy, not by Riposte.
  const CveMitigation* dos = Find(c, "CVE-2026-24514");
  ASSERT_NE(dos, nullptr);
  EXPECT_EQ(dos->state, S::kPartlyMitigated);
  EXPECT_EQ(dos->mitigated_by, "networkpolicy");
  // The finding carries the state, in JSON too.
  for (const auto& f : r.findings) {
    if (f.id == "Deployment/edge/edge-ingress/controller/CVE-2026-24512") {
      ASSERT_NE(r.MitigationOf(f), nullptr);
      EXPECT_EQ(r.MitigationOf(f)->state, S::kMitigated);
    }
  }
  value doc = ReportToJson(r);
  EXPECT_EQ(doc.at("summary").at("exposedCvesByMitigation").at("mitigated").as_integer(), 4);
}

// Variations of the fixed cluster's Riposte installation, one failure mode each.
class MitigationVariant : public ::testing::Test {
 protected:
  void SetUp() override { snap_ = LoadCluster("fixed"); }
  value& Policy() {
    for (auto& cm : snap_.objects[res::kConfigMaps]) {
      if (cm["metadata"]["name"].as_string() == "riposte-policy") return cm;
    }
    throw std::runtime_error("no policy ConfigMap in cluster_fixed.json");
  }
  void SetPolicy(const std::string& yaml) { Policy()["data"]["policy.yaml"] = value::string(yaml); }
  value& Hook() {
    for (auto& vwc : snap_.objects[res::kValidatingWebhookConfigurations]) {
      if (vwc["metadata"]["name"].as_string() == "riposte") return vwc["webhooks"][0];
    }
    throw std::runtime_error("no riposte VWC");
  }
  // The chart's configmaps entry (webhook.configMaps) with `failure_policy`, and the webhook
  // running --configmap-index as the chart then makes it.
  value& AddConfigMapsEntry(const std::string& failure_policy) {
    for (auto& vwc : snap_.objects[res::kValidatingWebhookConfigurations]) {
      if (vwc["metadata"]["name"].as_string() != "riposte") continue;
      value entry = vwc["webhooks"][0];
      entry["name"] = value::string("configmaps.validate.riposte.io");
      entry["failurePolicy"] = value::string(failure_policy);
      entry["rules"] = value::parse(
          R"([{"apiGroups":[""],"apiVersions":["v1"],"operations":["CREATE","UPDATE"],"resources":["configmaps"]}])");
      value& hooks = vwc["webhooks"];
      hooks[hooks.size()] = entry;
      WebhookArgs()[WebhookArgs().size()] = value::string("--configmap-index");
      return hooks[hooks.size() - 1];
    }
    throw std::runtime_error("no riposte VWC");
  }
  value& WebhookArgs() { return snap_.objects[res::kDeployments][1]["spec"]["template"]["spec"]["containers"][0]["args"]; }
  value& ControllerArgs() { return snap_.objects[res::kDeployments][0]["spec"]["template"]["spec"]["containers"][0]["args"]; }
  void AddControllerArg(const std::string& arg) {
    value& args = ControllerArgs();
    args[args.size()] = value::string(arg);
  }
  Controller Run() {
    report_ = AnalyzeWithFake(snap_);
    for (const auto& c : report_.controllers) {
      if (c.workload.name == "edge-ingress") return c;
    }
    ADD_FAILURE() << "controller not found";
    return {};
  }
  ClusterSnapshot snap_;
  Report report_;
};

TEST_F(MitigationVariant, WarnModeIsPartly) {
  SetPolicy("mode: warn\n");
  Controller c = Run();
  EXPECT_EQ(c.virtual_patch, S::kPartlyMitigated);
  EXPECT_EQ(Find(c, "CVE-2026-24512")->state, S::kPartlyMitigated);
  EXPECT_TRUE(AnyReason(Find(c, "CVE-2026-24512")->reasons, "policy mode warn"));
  EXPECT_TRUE(Find(c, "CVE-2026-24512")->summary.starts_with("partly mitigated by Riposte ("));
}

TEST_F(MitigationVariant, AuditModeIsUnmitigated) {
  SetPolicy("mode: audit\n");
  Controller c = Run();
  EXPECT_EQ(c.virtual_patch, S::kUnmitigated);
  EXPECT_EQ(Find(c, "CVE-2026-3288")->state, S::kUnmitigated);
  EXPECT_TRUE(AnyReason(Find(c, "CVE-2026-3288")->reasons, "policy mode audit"));
}

TEST_F(MitigationVariant, ExemptNamespaceIsPartlyButSystemNamespacesAreByDesign) {
  SetPolicy("exemptNamespaces: [kube-system, riposte]\n");
  EXPECT_EQ(Run().virtual_patch, S::kMitigated);
  SetPolicy("exemptNamespaces: [kube-system, blog]\n");
  Controller c = Run();
  EXPECT_EQ(c.virtual_patch, S::kPartlyMitigated);
  EXPECT_TRUE(AnyReason(c.virtual_patch_reasons, "exemptNamespaces in the policy: blog"));
}

TEST_F(MitigationVariant, NamespaceSelectorExclusionIsPartly) {
  Hook()["namespaceSelector"]["matchExpressions"][0]["values"] = value::parse(R"(["riposte","kube-system","blog"])");
  Controller c = Run();
  EXPECT_EQ(Find(c, "CVE-2026-24512")->state, S::kPartlyMitigated);
  EXPECT_TRUE(AnyReason(c.virtual_patch_reasons, "namespaceSelector excludes namespace(s) blog"));
}

TEST_F(MitigationVariant, ExclusionOutsideTheWatchedNamespaceDoesNotCount) {
  Hook()["namespaceSelector"]["matchExpressions"][0]["values"] = value::parse(R"(["riposte","blog"])");
  AddControllerArg("--watch-namespace=$(POD_NAMESPACE)");  // the controller serves "edge" only
  Controller c = Run();
  EXPECT_EQ(c.watch_namespace, "edge");
  EXPECT_EQ(c.virtual_patch, S::kMitigated);
}

TEST_F(MitigationVariant, NamespaceSelectorOnOtherLabelsCannotBeVerified) {
  Hook()["namespaceSelector"]["matchLabels"] = value::parse(R"({"riposte.io/enforce":"true"})");
  Controller c = Run();
  EXPECT_EQ(c.virtual_patch, S::kPartlyMitigated);
  EXPECT_TRUE(AnyReason(c.virtual_patch_reasons, "selects by label (riposte.io/enforce=true)"));
  EXPECT_EQ(report_.riposte.scope.label_conditions, std::vector<std::string>{"riposte.io/enforce=true"});
}

TEST_F(MitigationVariant, OnlyNamedNamespacesIsPartly) {
  Hook()["namespaceSelector"] =
      value::parse(R"({"matchExpressions":[{"key":"kubernetes.io/metadata.name","operator":"In","values":["blog"]}]})");
  Controller c = Run();
  EXPECT_EQ(c.virtual_patch, S::kPartlyMitigated);
  EXPECT_TRUE(AnyReason(c.virtual_patch_reasons, "sends only namespace(s) blog"));
}

TEST_F(MitigationVariant, ObjectSelectorIsABypassForTheIngressAuthor) {
  Hook()["objectSelector"] = value::parse(R"({"matchExpressions":[{"key":"riposte.io/skip","operator":"DoesNotExist"}]})");
  Controller c = Run();
  EXPECT_EQ(c.virtual_patch, S::kPartlyMitigated);
  EXPECT_TRUE(AnyReason(c.virtual_patch_reasons, "objectSelector (!riposte.io/skip)"));
}

TEST_F(MitigationVariant, FailOpenIsPartlyAndFailOpenWithoutEndpointsIsUnmitigated) {
  Hook()["failurePolicy"] = value::string("Ignore");
  EXPECT_EQ(Run().virtual_patch, S::kPartlyMitigated);
  snap_.objects[res::kEndpoints].clear();
  Controller c = Run();
  EXPECT_EQ(c.virtual_patch, S::kUnmitigated);
  EXPECT_TRUE(AnyReason(c.virtual_patch_reasons, "no ready endpoints"));
}

TEST_F(MitigationVariant, WebhookNotCoveringIngressUpdatesIsUnmitigated) {
  Hook()["rules"][0]["operations"] = value::parse(R"(["CREATE"])");
  EXPECT_EQ(Run().virtual_patch, S::kUnmitigated);
}

TEST_F(MitigationVariant, ClassNotInThePolicyIsUnmitigated) {
  SetPolicy("ingressClasses: [internal]\n");
  Controller c = Run();
  EXPECT_EQ(Find(c, "CVE-2026-24512")->state, S::kUnmitigated);
  EXPECT_TRUE(AnyReason(c.virtual_patch_reasons, "leaves out this controller's class \"nginx\""));
}

TEST_F(MitigationVariant, AnnotationPrefixMismatchLeavesAnnotationsUnjudgedButNotPaths) {
  AddControllerArg("--annotations-prefix=ingress.corp.example");
  Controller c = Run();
  EXPECT_EQ(c.annotations_prefix, "ingress.corp.example");
  EXPECT_EQ(Find(c, "CVE-2026-3288")->state, S::kUnmitigated);   // rewrite-target: an annotation
  EXPECT_EQ(Find(c, "CVE-2026-24512")->state, S::kMitigated);    // paths need no prefix
  EXPECT_TRUE(AnyReason(Find(c, "CVE-2026-3288")->reasons, "annotationPrefix nginx.ingress.kubernetes.io"));
}

TEST_F(MitigationVariant, DisabledRules) {
  SetPolicy("rules:\n  RIP-PATH-CHARS: {enabled: false}\n  RIP-ANN-TYPE: {enabled: false}\n");
  Controller c = Run();
  EXPECT_EQ(Find(c, "CVE-2026-24512")->state, S::kUnmitigated);       // its only rule
  EXPECT_EQ(Find(c, "CVE-2026-1580")->state, S::kPartlyMitigated);    // RIP-ANN-CONTROL remains
  EXPECT_EQ(c.virtual_patch, S::kPartlyMitigated);
  EXPECT_EQ(report_.riposte.policy.disabled_rules, (std::vector<std::string>{"RIP-ANN-TYPE", "RIP-PATH-CHARS"}));
}

TEST_F(MitigationVariant, SnippetsAllowedSomewhereIsPartlyForTheSnippetCves) {
  // v1.8.0 predates the snippet defaults: exposed to the snippet CVEs.
  snap_.objects[res::kDeployments][0]["spec"]["template"]["spec"]["containers"][0]["image"] =
      value::string("registry.k8s.io/ingress-nginx/controller:v1.8.0");
  for (auto& cm : snap_.objects[res::kConfigMaps]) {
    if (cm["metadata"]["name"].as_string() == "edge-ingress") cm["data"]["allow-snippet-annotations"] = value::string("true");
  }
  SetPolicy("snippets: {namespaces: [blog]}\n");
  Controller c = Run();
  const CveMitigation* m = Find(c, "CVE-2023-5043");
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->state, S::kPartlyMitigated);
  EXPECT_TRUE(AnyReason(m->reasons, "allows snippets in namespace(s) blog"));
  SetPolicy("snippets: {allow: true}\n");
  EXPECT_TRUE(AnyReason(Find(Run(), "CVE-2021-25742")->reasons, "allows snippets in every namespace"));
}

TEST_F(MitigationVariant, OpenAdmissionPortCapsEveryClassAtPartly) {
  // v1.12.0 is exposed to CVE-2025-1974: the same payloads can skip the API server.
  snap_.objects[res::kDeployments][0]["spec"]["template"]["spec"]["containers"][0]["image"] =
      value::string("registry.k8s.io/ingress-nginx/controller:v1.12.0");
  Controller c = Run();
  const CveMitigation* m = Find(c, "CVE-2025-24514");
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->state, S::kPartlyMitigated);
  EXPECT_TRUE(AnyReason(m->reasons, "straight to the controller's admission port (CVE-2025-1974)"));
  const CveMitigation* nightmare = Find(c, "CVE-2025-1974");
  ASSERT_NE(nightmare, nullptr);
  EXPECT_EQ(nightmare->state, S::kPartlyMitigated);  // the NetworkPolicy, not Riposte
  EXPECT_EQ(nightmare->mitigated_by, "networkpolicy");
}

TEST_F(MitigationVariant, ConfigMapsEntryFailingClosedMitigatesTheConfigMapCve) {
  AddConfigMapsEntry("Fail");
  Controller c = Run();
  EXPECT_EQ(report_.riposte.configmaps.webhook, "configmaps.validate.riposte.io");
  EXPECT_TRUE(report_.riposte.configmaps.covers);
  EXPECT_TRUE(report_.riposte.policy.configmap_index);
  EXPECT_EQ(report_.riposte.configmaps.scope.excluded_namespaces, (std::vector<std::string>{"kube-system", "riposte"}));
  const CveMitigation* m = Find(c, "CVE-2025-15566");
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->state, S::kMitigated) << m->summary;
  EXPECT_TRUE(m->admission_blockable);
  EXPECT_EQ(m->rules, std::vector<std::string>{"RIP-CM-HEADER"});
  EXPECT_TRUE(m->summary.starts_with("exposed but mitigated by Riposte (enforce, all namespaces): RIP-CM-HEADER"))
      << m->summary;
  // Not a reason to lower the Ingress classes: the entry is read on its own.
  EXPECT_EQ(c.virtual_patch, S::kMitigated);
}

TEST_F(MitigationVariant, ConfigMapsEntryFailingOpenIsPartly) {
  AddConfigMapsEntry("Ignore");  // the chart's default
  Controller c = Run();
  const CveMitigation* m = Find(c, "CVE-2025-15566");
  EXPECT_EQ(m->state, S::kPartlyMitigated);
  EXPECT_TRUE(AnyReason(m->reasons, "entry configmaps.validate.riposte.io: failurePolicy Ignore: ConfigMaps are "
                                    "admitted unchecked whenever the webhook cannot be reached"))
      << m->summary;
  // Without ready endpoints every ConfigMap passes.
  snap_.objects[res::kEndpoints].clear();
  EXPECT_EQ(Find(Run(), "CVE-2025-15566")->state, S::kUnmitigated);
}

TEST_F(MitigationVariant, ConfigMapsEntryNotCoveringUpdatesIsUnmitigated) {
  AddConfigMapsEntry("Fail")["rules"][0]["operations"] = value::parse(R"(["CREATE"])");
  Controller c = Run();
  EXPECT_FALSE(report_.riposte.configmaps.covers);
  EXPECT_EQ(Find(c, "CVE-2025-15566")->state, S::kUnmitigated);
  EXPECT_TRUE(AnyReason(Find(c, "CVE-2025-15566")->reasons, "does not send CREATE and UPDATE of configmaps"));
  EXPECT_EQ(Find(c, "CVE-2026-24512")->state, S::kMitigated);  // the Ingress entry is untouched
}

TEST_F(MitigationVariant, ConfigMapsEntryNamespaceCoverageIsItsOwn) {
  AddConfigMapsEntry("Fail")["namespaceSelector"]["matchExpressions"][0]["values"] =
      value::parse(R"(["riposte","kube-system","blog"])");
  Controller c = Run();
  EXPECT_EQ(Find(c, "CVE-2025-15566")->state, S::kPartlyMitigated);
  EXPECT_TRUE(AnyReason(Find(c, "CVE-2025-15566")->reasons,
                        "entry configmaps.validate.riposte.io: namespaceSelector excludes namespace(s) blog"));
  EXPECT_EQ(Find(c, "CVE-2026-24512")->state, S::kMitigated);
}

TEST_F(MitigationVariant, ConfigMapsEntryNeedsTheWebhookIndex) {
  AddConfigMapsEntry("Fail");
  value& args = WebhookArgs();
  args = value::parse(R"(["webhook","--policy=/etc/riposte/policy/policy.yaml"])");
  Controller c = Run();
  EXPECT_FALSE(report_.riposte.policy.configmap_index);
  EXPECT_EQ(Find(c, "CVE-2025-15566")->state, S::kUnmitigated);
  EXPECT_TRUE(AnyReason(Find(c, "CVE-2025-15566")->reasons, "without --configmap-index"));
}

TEST_F(MitigationVariant, ConfigMapsEntryListedFirstDoesNotPassForTheIngressEntry) {
  value& vwc = [&]() -> value& {
    for (auto& v : snap_.objects[res::kValidatingWebhookConfigurations]) {
      if (v["metadata"]["name"].as_string() == "riposte") return v;
    }
    throw std::runtime_error("no riposte VWC");
  }();
  AddConfigMapsEntry("Ignore");
  value hooks = value::array();
  hooks[0] = vwc["webhooks"][1];
  hooks[1] = vwc["webhooks"][0];
  vwc["webhooks"] = hooks;
  Controller c = Run();
  EXPECT_EQ(report_.riposte.webhook, "ingress.validate.riposte.io");
  EXPECT_EQ(report_.riposte.failure_policy, "Fail");
  EXPECT_EQ(report_.riposte.configmaps.webhook, "configmaps.validate.riposte.io");
  EXPECT_EQ(c.virtual_patch, S::kMitigated);
}

TEST_F(MitigationVariant, PolicyFailureModes) {
  // Invalid YAML: the webhook keeps its last good policy, which the audit cannot see.
  SetPolicy("mode: [enforce\n");
  Controller c = Run();
  EXPECT_FALSE(report_.riposte.policy.known);
  EXPECT_NE(report_.riposte.policy.error.find("invalid policy: ConfigMap riposte/riposte-policy key policy.yaml:"),
            std::string::npos)
      << report_.riposte.policy.error;
  EXPECT_EQ(c.virtual_patch, S::kPartlyMitigated);
  EXPECT_TRUE(AnyReason(c.virtual_patch_reasons, "its policy could not be read"));

  // Missing ConfigMap.
  SetUp();
  snap_.objects[res::kConfigMaps].erase(
      std::remove_if(snap_.objects[res::kConfigMaps].begin(), snap_.objects[res::kConfigMaps].end(),
                     [](const value& cm) { return cm.at("metadata").at("name").as_string() == "riposte-policy"; }),
      snap_.objects[res::kConfigMaps].end());
  Run();
  EXPECT_NE(report_.riposte.policy.error.find("ConfigMap riposte/riposte-policy (Deployment riposte/riposte-webhook "
                                              "--policy=/etc/riposte/policy/policy.yaml) was not found"),
            std::string::npos)
      << report_.riposte.policy.error;

  // No --policy: the built-in defaults, which enforce.
  SetUp();
  auto& args = snap_.objects[res::kDeployments][1]["spec"]["template"]["spec"]["containers"][0]["args"];
  ASSERT_EQ(args[0].as_string(), "webhook");
  args = value::parse(R"(["webhook","--tls-cert=/c","--tls-key=/k"])");
  c = Run();
  EXPECT_TRUE(report_.riposte.policy.known);
  EXPECT_NE(report_.riposte.policy.source.find("defaults"), std::string::npos);
  EXPECT_EQ(c.virtual_patch, S::kMitigated);

  // Policy from a Secret volume: not read (the audit never reads Secrets).
  SetUp();
  auto& vols = snap_.objects[res::kDeployments][1]["spec"]["template"]["spec"]["volumes"];
  vols[1] = value::parse(R"({"name":"policy","secret":{"secretName":"riposte-policy"}})");
  Run();
  EXPECT_NE(report_.riposte.policy.error.find("not a ConfigMap volume"), std::string::npos) << report_.riposte.policy.error;
}

TEST_F(MitigationVariant, WebhookConfigurationsUnreadable) {
  testing::DenyLikeLimitedIdentity(&snap_);
  Controller c = Run();
  EXPECT_EQ(c.virtual_patch, S::kUnmitigated);
  EXPECT_TRUE(AnyReason(c.virtual_patch_reasons, "could not be read, so Riposte's webhook cannot be confirmed"));
}

TEST(MitigationRender, TextHtmlAndJson) {
  Report r = AnalyzeWithFake(LoadCluster("fixed"));
  std::string text = RenderText(r);
  EXPECT_NE(text.find("  virtual patch (Riposte at admission): mitigated\n"), std::string::npos) << text;
  EXPECT_NE(text.find("  exposed CVEs: 1 unmitigated, 1 partly mitigated, 4 mitigated by Riposte\n"), std::string::npos);
  EXPECT_NE(text.find("      riposte: exposed but mitigated by Riposte (enforce, all namespaces): RIP-PATH-CHARS"),
            std::string::npos);
  EXPECT_NE(text.find("  policy: mode enforce from ConfigMap riposte/riposte-policy key policy.yaml"), std::string::npos);
  EXPECT_NE(text.find("  namespaces: all except kube-system, riposte\n"), std::string::npos);
  std::string html = RenderHtml(r);
  EXPECT_NE(html.find("id=\"virtual-patch\""), std::string::npos);
  EXPECT_NE(html.find("<tr data-cve=\"CVE-2026-24512\" data-state=\"mitigated\">"), std::string::npos);
  EXPECT_NE(html.find("data-mitigation=\"unmitigated\""), std::string::npos);
  value doc = ReportToJson(r);
  const auto& m = doc.at("controllers").at(0).at("mitigations");
  ASSERT_EQ(m.size(), 6u);
  EXPECT_EQ(doc.at("riposteWebhook").at("policy").at("mode").as_string(), "enforce");
}

}  // namespace
}  // namespace riposte::audit
