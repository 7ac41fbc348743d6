// The controller-ConfigMap guard (core/controller_config.h) and the per-placement judging of a
// referenced ConfigMap on its own (Engine::CheckReferencedConfigMap), which must agree with
// what Check() finds through a ConfigMapLookup.
#include <gtest/gtest.h>

#include <algorithm>

#include "core/controller_config.h"
#include "core/engine.h"
#include "core/rules.h"

namespace riposte::core {
namespace {

const Finding* Field(const std::vector<Finding>& fs, const std::string& field) {
  for (const auto& f : fs) {
    if (f.field == field || f.field.ends_with(": " + field)) return &f;
  }
  return nullptr;
}

ConfigMap Cm(std::string ns, std::string name, KeyValues data) { return ConfigMap{std::move(ns), std::move(name), std::move(data)}; }

TEST(ControllerConfig, ParsesGoBooleans) {
  for (const char* t : {"true", "True", "TRUE", "t", "1", "yes", "on"}) EXPECT_EQ(ParseConfigBool(t), true) << t;
  for (const char* f : {"false", "F", "0", "no", "off"}) EXPECT_EQ(ParseConfigBool(f), false) << f;
  EXPECT_EQ(ParseConfigBool("maybe"), std::nullopt);
  EXPECT_EQ(ParseConfigBool(""), std::nullopt);
}

TEST(ControllerConfig, AdmissionJudgesOnlyWhatTheConfigMapSets) {
  ControllerConfig c;
  ApplyControllerConfigMap({{"use-forwarded-headers", "true"}}, &c);
  EXPECT_TRUE(CheckControllerConfig(c).empty());
}

TEST(ControllerConfig, EachProtectionTurnedOffIsOneFindingWithItsCveAndFix) {
  ControllerConfig c;
  ApplyControllerConfigMap({{"allow-snippet-annotations", "true"},
                            {"annotations-risk-level", "Critical"},
                            {"enable-annotation-validation", "false"},
                            {"strict-validate-path-type", "false"}},
                           &c);
  ControllerCheckOptions opts;
  opts.where = "ConfigMap ingress-nginx/ingress-nginx-controller";
  auto fs = CheckControllerConfig(c, opts);
  ASSERT_EQ(fs.size(), 4u);
  const Finding* snip = Field(fs, "allow-snippet-annotations");
  ASSERT_NE(snip, nullptr);
  EXPECT_EQ(snip->rule_id, rule_ids::kControllerSetting);
  EXPECT_EQ(snip->severity, Severity::kHigh);
  EXPECT_EQ(snip->cves, (std::vector<std::string>{"CVE-2021-25742", "CVE-2023-5043"}));
  EXPECT_EQ(snip->remediation, "set allow-snippet-annotations: \"false\" in ConfigMap ingress-nginx/ingress-nginx-controller");
  ASSERT_NE(Field(fs, "enable-annotation-validation"), nullptr);
  EXPECT_EQ(Field(fs, "enable-annotation-validation")->cves, std::vector<std::string>{"CVE-2023-5044"});
  ASSERT_NE(Field(fs, "strict-validate-path-type"), nullptr);
  EXPECT_EQ(Field(fs, "strict-validate-path-type")->cves, std::vector<std::string>{"CVE-2022-4886"});
  ASSERT_NE(Field(fs, "annotations-risk-level"), nullptr);
}

TEST(ControllerConfig, SafeValuesAndUnparsableBooleansAreNotFindings) {
  ControllerConfig c;
  ApplyControllerConfigMap({{"allow-snippet-annotations", "false"},
                            {"annotations-risk-level", "High"},
                            {"enable-annotation-validation", "true"},
                            {"strict-validate-path-type", "garbage"}},
                           &c);
  EXPECT_TRUE(CheckControllerConfig(c).empty());
}

TEST(ControllerConfig, AuditTreatsUnknownAsTheUnsafeDefault) {
  ControllerConfig c;  // nothing known (ConfigMap unreadable, old release)
  ControllerCheckOptions opts;
  opts.unknown_is_unsafe = true;
  opts.has_risk_level = false;
  auto fs = CheckControllerConfig(c, opts);
  EXPECT_NE(Field(fs, "allow-snippet-annotations"), nullptr);
  EXPECT_NE(Field(fs, "enable-annotation-validation"), nullptr);
  EXPECT_NE(Field(fs, "strict-validate-path-type"), nullptr);
  EXPECT_EQ(Field(fs, "annotations-risk-level"), nullptr);
}

TEST(ControllerConfig, GlobalSnippetsWithLuaOrDirectivesAreCritical) {
  for (const char* key : kGlobalSnippetKeys) {
    ControllerConfig c;
    ApplyControllerConfigMap({{key, "content_by_lua_block { os.execute('id') }"}}, &c);
    auto fs = CheckControllerConfig(c);
    ASSERT_EQ(fs.size(), 1u) << key;
    EXPECT_EQ(fs[0].rule_id, rule_ids::kControllerSnippet);
    EXPECT_EQ(fs[0].severity, Severity::kCritical);
    EXPECT_EQ(fs[0].field, key);
    EXPECT_NE(fs[0].remediation.find(key), std::string::npos);
  }
}

TEST(ControllerConfig, OrdinaryGlobalSnippetsAndBlankOnesPass) {
  ControllerConfig c;
  ApplyControllerConfigMap({{"http-snippet", "map $http_upgrade $connection_upgrade { default upgrade; '' close; }"},
                            {"server-snippet", "add_header X-Frame-Options DENY;"},
                            {"location-snippet", "   \n"}},
                           &c);
  EXPECT_TRUE(CheckControllerConfig(c).empty());
  EXPECT_EQ(c.global_snippets.size(), 2u);
}

TEST(EngineControllerConfigMap, FieldsNameTheConfigMapAndOverridesApply) {
  Engine engine(DefaultPolicy());
  auto fs = engine.CheckControllerConfigMap(Cm("ingress-nginx", "ingress-nginx-controller",
                                                {{"allow-snippet-annotations", "true"}}));
  ASSERT_EQ(fs.size(), 1u);
  EXPECT_EQ(fs[0].field, "configmap ingress-nginx/ingress-nginx-controller: allow-snippet-annotations");

  PolicyError err;
  auto off = ParsePolicy("rules:\n  RIP-CONTROLLER-SETTING: {enabled: false}\n", "p.yaml", &err);
  ASSERT_TRUE(off) << err.ToString();
  EXPECT_TRUE(Engine(off).CheckControllerConfigMap(Cm("ingress-nginx", "c", {{"allow-snippet-annotations", "true"}})).empty());
}

TEST(PolicyControllerConfigMaps, DefaultNamesTheUpstreamChartsConfigMap) {
  const Policy& p = *DefaultPolicy();
  EXPECT_TRUE(p.IsControllerConfigMap("ingress-nginx", "ingress-nginx-controller", {}));
  EXPECT_FALSE(p.IsControllerConfigMap("team", "ingress-nginx-controller", {}));
}

TEST(PolicyControllerConfigMaps, NamesAndLabelSelector) {
  PolicyError err;
  auto p = ParsePolicy(
      "controllerConfigMaps:\n  names: [edge/nginx-config]\n  matchLabels: {app.kubernetes.io/name: ingress-nginx, "
      "app.kubernetes.io/component: controller}\n",
      "p.yaml", &err);
  ASSERT_TRUE(p) << err.ToString();
  EXPECT_TRUE(p->IsControllerConfigMap("edge", "nginx-config", {}));
  EXPECT_FALSE(p->IsControllerConfigMap("ingress-nginx", "ingress-nginx-controller", {}));
  EXPECT_TRUE(p->IsControllerConfigMap("x", "y", {{"app.kubernetes.io/name", "ingress-nginx"},
                                                  {"app.kubernetes.io/component", "controller"},
                                                  {"extra", "1"}}));
  EXPECT_FALSE(p->IsControllerConfigMap("x", "y", {{"app.kubernetes.io/name", "ingress-nginx"}}));
}

TEST(PolicyControllerConfigMaps, BadEntriesAreErrorsWithPositions) {
  PolicyError err;
  EXPECT_FALSE(ParsePolicy("controllerConfigMaps:\n  names: [no-slash]\n", "p.yaml", &err));
  EXPECT_EQ(err.ToString(), "p.yaml:2:11: controllerConfigMaps.names: \"no-slash\" is not namespace/name");
  EXPECT_FALSE(ParsePolicy("controllerConfigMaps:\n  selector: {}\n", "p.yaml", &err));
  EXPECT_NE(err.message.find("expected names, matchLabels"), std::string::npos);
}

TEST(ReferencedConfigMap, JudgedPerPlacementLikeTheLookupPath) {
  Engine engine(DefaultPolicy());
  const std::string proxy = "nginx.ingress.kubernetes.io/auth-proxy-set-headers";
  const std::string custom = "nginx.ingress.kubernetes.io/custom-headers";
  // A single quote breaks out of proxy_set_header 'name' 'value'; in custom-headers it is Go-quoted.
  ConfigMap cm = Cm("team", "hdrs", {{"X-User", "a' ; evil"}});
  auto fs = engine.CheckReferencedConfigMap(cm, "team", proxy);
  ASSERT_EQ(fs.size(), 1u);
  EXPECT_EQ(fs[0].rule_id, rule_ids::kConfigMapHeader);
  EXPECT_EQ(fs[0].field, "configmap team/hdrs: X-User");
  EXPECT_TRUE(engine.CheckReferencedConfigMap(cm, "team", custom).empty());

  ConfigMap crlf = Cm("team", "hdrs", {{"X-User", "a\nload_module /tmp/x.so;"}});
  EXPECT_FALSE(engine.CheckReferencedConfigMap(crlf, "team", custom).empty());

  // The same findings as Check() through a lookup.
  struct Lookup : ConfigMapLookup {
    ConfigMap cm;
    const ConfigMap* Find(const std::string& ns, const std::string& name) const override {
      return ns == cm.ns && name == cm.name ? &cm : nullptr;
    }
  } lookup;
  lookup.cm = cm;
  Ingress ing;
  ing.ns = "team";
  ing.name = "app";
  ing.annotations.emplace_back(proxy, "hdrs");
  auto via_ingress = engine.Check(ing, &lookup);
  ASSERT_EQ(via_ingress.size(), 1u);
  EXPECT_EQ(via_ingress[0].message, fs[0].message);
  EXPECT_EQ(via_ingress[0].field, fs[0].field);
}

TEST(ReferencedConfigMap, AnnotationsThatNameNoConfigMapJudgeNothing) {
  Engine engine(DefaultPolicy());
  ConfigMap cm = Cm("team", "hdrs", {{"X-User", "a' ; evil"}});
  EXPECT_TRUE(engine.CheckReferencedConfigMap(cm, "team", "nginx.ingress.kubernetes.io/auth-url").empty());
  EXPECT_TRUE(engine.CheckReferencedConfigMap(cm, "team", "example.com/auth-proxy-set-headers").empty());
}

TEST(ConfigMapReferences, ByAnnotationRelativeAndQualified) {
  Engine engine(DefaultPolicy());
  Ingress ing;
  ing.ns = "team";
  ing.name = "app";
  ing.annotations = {{"nginx.ingress.kubernetes.io/auth-proxy-set-headers", "hdrs"},
                     {"nginx.ingress.kubernetes.io/custom-headers", "shared/custom"},
                     {"nginx.ingress.kubernetes.io/auth-url", "http://auth"},
                     {"other.io/custom-headers", "x"}};
  auto refs = engine.ConfigMapReferences(ing);
  ASSERT_EQ(refs.size(), 2u);
  EXPECT_EQ(refs[0], (std::pair<std::string, std::string>{"team/hdrs", "nginx.ingress.kubernetes.io/auth-proxy-set-headers"}));
  EXPECT_EQ(refs[1], (std::pair<std::string, std::string>{"shared/custom", "nginx.ingress.kubernetes.io/custom-headers"}));
  ing.ingress_class = "traefik";  // not served by ingress-nginx: it reads nothing for it
  EXPECT_TRUE(engine.ConfigMapReferences(ing).empty());
}

}  // namespace
}  // namespace riposte::core
