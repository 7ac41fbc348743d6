// The successor-controller profiles: policy keys with positioned errors, which objects each
// profile judges (classes, namespaces, enablement), every F5 annotation type with accepted and
// refused values, the breakout scanners, the resource decoder's types and bounds, and rule
// overrides.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <sstream>

#include "core/engine.h"
#include "core/nginx_resource.h"
#include "core/policy.h"
#include "core/profile_judge.h"
#include "core/profile_nic.h"
#include "core/rules.h"

namespace riposte::core {
namespace {

// ---------------------------------------------------------------------------------------------
// Policy

TEST(ProfilePolicy, DefaultsKeepEveryProfileButIngressNginxOff) {
  const auto p = DefaultPolicy();
  EXPECT_TRUE(p->ingress_nginx_enabled);
  EXPECT_FALSE(p->f5_nginx_ingress.enabled);
  EXPECT_EQ(p->f5_nginx_ingress.ingress_classes, std::vector<std::string>{"nginx"});
  EXPECT_FALSE(p->f5_nginx_ingress.snippets_allowed);
  EXPECT_FALSE(p->nginx_gateway_fabric.enabled);
}

TEST(ProfilePolicy, ParsesEveryKey) {
  PolicyError err;
  const auto p = ParsePolicy(R"(profiles:
  ingressNginx: {enabled: false}
  f5NginxIngress:
    enabled: true
    ingressClasses: [nginx-plus, nginx-internal]
    snippets: {allow: false, namespaces: [platform]}
  nginxGatewayFabric:
    enabled: true
    snippets: {allow: true}
)",
                             "p.yaml", &err);
  ASSERT_NE(p, nullptr) << err.ToString();
  EXPECT_FALSE(p->ingress_nginx_enabled);
  EXPECT_TRUE(p->f5_nginx_ingress.enabled);
  EXPECT_EQ(p->f5_nginx_ingress.ingress_classes, (std::vector<std::string>{"nginx-plus", "nginx-internal"}));
  EXPECT_TRUE(p->f5_nginx_ingress.SnippetsAllowedIn("platform"));
  EXPECT_FALSE(p->f5_nginx_ingress.SnippetsAllowedIn("tenant"));
  EXPECT_TRUE(p->nginx_gateway_fabric.enabled);
  EXPECT_TRUE(p->nginx_gateway_fabric.SnippetsAllowedIn("anything"));
  // ingress-nginx's own snippet settings are untouched by the profiles'.
  EXPECT_FALSE(p->SnippetsAllowedIn("platform"));
}

struct PolicyErrorCase {
  const char* name;
  const char* text;
  int line, column;
  const char* message;
};

class ProfilePolicyErrors : public ::testing::TestWithParam<PolicyErrorCase> {};

std::string PolicyCaseName(const ::testing::TestParamInfo<PolicyErrorCase>& i) { return i.param.name; }

TEST_P(ProfilePolicyErrors, NamesTheOffendingNode) {
  const auto& c = GetParam();
  PolicyError err;
  EXPECT_EQ(ParsePolicy(c.text, "policy.yaml", &err), nullptr);
  EXPECT_EQ(err.line, c.line) << err.ToString();
  EXPECT_EQ(err.column, c.column) << err.ToString();
  EXPECT_NE(err.message.find(c.message), std::string::npos) << err.ToString();
}

INSTANTIATE_TEST_SUITE_P(
    Cases, ProfilePolicyErrors,
    ::testing::Values(
        PolicyErrorCase{"not_map", "profiles: [f5]\n", 1, 11, "profiles: expected a mapping"},
        PolicyErrorCase{"unknown_profile", "profiles:\n  traefik: {enabled: true}\n", 2, 3,
                        "unknown profile \"traefik\" (expected ingressNginx, f5NginxIngress, nginxGatewayFabric)"},
        PolicyErrorCase{"enabled_not_bool", "profiles:\n  f5NginxIngress: {enabled: yes-please}\n", 2, 29,
                        "profiles.f5NginxIngress.enabled: expected true or false"},
        PolicyErrorCase{"quoted_bool", "profiles:\n  nginxGatewayFabric:\n    enabled: \"true\"\n", 3, 14,
                        "expected true or false"},
        PolicyErrorCase{"unknown_key", "profiles:\n  f5NginxIngress:\n    classes: [nginx]\n", 3, 5,
                        "unknown key \"classes\" (expected enabled, ingressClasses, snippets)"},
        PolicyErrorCase{"ngf_has_no_classes", "profiles:\n  nginxGatewayFabric:\n    ingressClasses: [nginx]\n", 3, 5,
                        "unknown key \"ingressClasses\" (expected enabled, snippets)"},
        PolicyErrorCase{"ingress_nginx_only_enabled", "profiles:\n  ingressNginx:\n    snippets: {allow: true}\n", 3, 5,
                        "unknown key \"snippets\" (expected enabled)"},
        PolicyErrorCase{"empty_classes", "profiles:\n  f5NginxIngress:\n    ingressClasses: []\n", 3, 21,
                        "profiles.f5NginxIngress.ingressClasses: name at least one class"},
        PolicyErrorCase{"bad_class", "profiles:\n  f5NginxIngress:\n    ingressClasses: [Nginx_Plus]\n", 3, 22,
                        "\"Nginx_Plus\" is not a valid IngressClass name"},
        PolicyErrorCase{"bad_snippet_ns", "profiles:\n  f5NginxIngress:\n    snippets: {namespaces: [Bad!]}\n", 3, 29,
                        "profiles.f5NginxIngress.snippets.namespaces: \"Bad!\" is not a valid namespace name"},
        PolicyErrorCase{"snippet_unknown_key", "profiles:\n  nginxGatewayFabric:\n    snippets: {contexts: [http]}\n", 3,
                        16, "profiles.nginxGatewayFabric.snippets: unknown key \"contexts\""}),
    PolicyCaseName);

TEST(ProfilePolicy, NewRuleIdsCanBeOverridden) {
  PolicyError err;
  const auto p = ParsePolicy("rules:\n  RIP-NIC-SNIPPET-DENIED: {enabled: false}\n  RIP-NGF-INJECTION: {severity: low}\n",
                             "p.yaml", &err);
  ASSERT_NE(p, nullptr) << err.ToString();
  EXPECT_FALSE(p->rules.at("RIP-NIC-SNIPPET-DENIED").enabled);
  EXPECT_EQ(p->rules.at("RIP-NGF-INJECTION").severity, Severity::kLow);
}

// ---------------------------------------------------------------------------------------------
// Which objects each profile judges

std::shared_ptr<Policy> F5Only() {
  auto p = std::make_shared<Policy>();
  p->ingress_nginx_enabled = false;
  p->f5_nginx_ingress.enabled = true;
  return p;
}

Ingress SnippetIngress(std::string cls, std::string annotation_class = "") {
  Ingress ing;
  ing.ns = "tenant";
  ing.name = "web";
  ing.ingress_class = std::move(cls);
  if (!annotation_class.empty()) ing.annotations.emplace_back("kubernetes.io/ingress.class", annotation_class);
  ing.annotations.emplace_back("nginx.org/server-snippets", "return 200 ok;");
  ing.rules.push_back({"cafe.example.com", {{"/tea", "Prefix"}}});
  return ing;
}

bool HasRule(const std::vector<Finding>& findings, std::string_view rule) {
  for (const auto& f : findings) {
    if (f.rule_id == rule) return true;
  }
  return false;
}

TEST(ProfileScope, F5ReadsTheClassAnnotationBeforeTheField) {
  const Engine engine(F5Only());
  EXPECT_EQ(NicIngressClass(SnippetIngress("other", "nginx")), "nginx");
  EXPECT_EQ(NicIngressClass(SnippetIngress("nginx", "")), "nginx");
  EXPECT_TRUE(HasRule(engine.Check(SnippetIngress("other", "nginx")), rule_ids::kNicSnippetDenied));
  // The reverse: ingress-nginx would read the field first; the controller reads "other".
  EXPECT_TRUE(engine.Check(SnippetIngress("nginx", "other")).empty());
}

TEST(ProfileScope, F5JudgesOnlyItsClassesNotClasslessIngresses) {
  const Engine engine(F5Only());
  EXPECT_TRUE(engine.JudgesAny(SnippetIngress("nginx")));
  EXPECT_FALSE(engine.JudgesAny(SnippetIngress("")));  // HasCorrectIngressClass: "" != its class
  EXPECT_FALSE(engine.JudgesAny(SnippetIngress("traefik")));
  auto p = F5Only();
  p->f5_nginx_ingress.ingress_classes = {"nginx-plus"};
  EXPECT_FALSE(Engine(p).JudgesAny(SnippetIngress("nginx")));
  EXPECT_TRUE(HasRule(Engine(p).Check(SnippetIngress("nginx-plus")), rule_ids::kNicSnippetDenied));
  p->exempt_namespaces = {"tenant"};
  EXPECT_TRUE(Engine(p).Check(SnippetIngress("nginx-plus")).empty());
}

TEST(ProfileScope, IngressNginxCanBeSwitchedOff) {
  auto p = std::make_shared<Policy>();
  Ingress ing = SnippetIngress("nginx");
  ing.annotations.emplace_back("nginx.ingress.kubernetes.io/server-snippet", "return 200 ok;");
  EXPECT_TRUE(HasRule(Engine(p).Check(ing), rule_ids::kSnippetDenied));
  EXPECT_FALSE(HasRule(Engine(p).Check(ing), rule_ids::kNicSnippetDenied)) << "the F5 profile is off by default";
  p->ingress_nginx_enabled = false;
  EXPECT_FALSE(Engine(p).Judges(ing));
  EXPECT_TRUE(Engine(p).Check(ing).empty());
  Ingress classless = ing;
  classless.ingress_class.clear();
  EXPECT_FALSE(Engine(p).Judges(classless)) << "a switched-off profile does not judge class-less Ingresses either";
}

TEST(ProfileScope, EachPrefixIsJudgedByItsOwnProfile) {
  auto p = std::make_shared<Policy>();
  p->f5_nginx_ingress.enabled = true;  // both serve "nginx"
  Ingress ing = SnippetIngress("nginx");
  ing.annotations.emplace_back("nginx.ingress.kubernetes.io/server-snippet", "return 200 ok;");
  const auto findings = Engine(p).Check(ing);
  size_t nic = 0, ann = 0;
  for (const auto& f : findings) {
    if (f.field == "nginx.org/server-snippets") {
      EXPECT_EQ(f.rule_id, rule_ids::kNicSnippetDenied);
      ++nic;
    }
    if (f.field == "nginx.ingress.kubernetes.io/server-snippet") {
      EXPECT_EQ(f.rule_id, rule_ids::kSnippetDenied);
      ++ann;
    }
  }
  EXPECT_EQ(nic, 1u);
  EXPECT_EQ(ann, 1u);
}

TEST(ProfileScope, SpecIsJudgedByTheF5ProfileOnlyWhenIngressNginxDoesNot) {
  Ingress ing;
  ing.ns = "tenant";
  ing.ingress_class = "nginx";
  ing.rules.push_back({"cafe.example.com", {{"/x;return 200 owned", "ImplementationSpecific"}}});
  const auto alone = Engine(F5Only()).Check(ing);
  ASSERT_EQ(alone.size(), 1u);
  EXPECT_EQ(alone[0].rule_id, rule_ids::kNicSyntax);
  EXPECT_EQ(alone[0].field, "spec.rules[0].http.paths[0].path");
  auto both = F5Only();
  both->ingress_nginx_enabled = true;
  for (const auto& f : Engine(both).Check(ing)) EXPECT_EQ(f.rule_id.rfind("RIP-NIC-", 0), std::string::npos) << f.rule_id;
}

NginxResource Resource(std::string_view group_kind_json, const std::string& ns = "tenant") {
  NginxResource r;
  DecodeError err;
  EXPECT_TRUE(DecodeNginxResourceJson(group_kind_json, &r, &err)) << err.ToString();
  if (r.ns.empty()) r.ns = ns;
  return r;
}

TEST(ProfileScope, ResourcesByClassAndNamespace) {
  auto p = F5Only();
  p->f5_nginx_ingress.ingress_classes = {"nginx-plus"};
  const Engine engine(p);
  const auto vs = [](const std::string& cls) {
    return Resource(R"({"apiVersion":"k8s.nginx.org/v1","kind":"VirtualServer","metadata":{"name":"a"},)"
                    R"("spec":{"ingressClassName":")" + cls + R"(","server-snippets":"return 200;"}})");
  };
  EXPECT_TRUE(engine.Judges(vs("")));  // no class: every controller instance serves it
  EXPECT_TRUE(engine.Judges(vs("nginx-plus")));
  EXPECT_FALSE(engine.Judges(vs("nginx")));
  EXPECT_TRUE(engine.Check(vs("nginx")).empty());
  EXPECT_TRUE(HasRule(engine.Check(vs("")), rule_ids::kNicSnippetDenied));
  p->exempt_namespaces = {"tenant"};
  EXPECT_FALSE(Engine(p).Judges(vs("")));

  const NginxResource sf = Resource(
      R"({"apiVersion":"gateway.nginx.org/v1alpha1","kind":"SnippetsFilter","spec":{"snippets":[{"context":"http","value":"gzip on;"}]}})");
  EXPECT_FALSE(engine.Judges(sf)) << "NGINX Gateway Fabric's profile is off";
  auto ngf = std::make_shared<Policy>();
  ngf->nginx_gateway_fabric.enabled = true;
  EXPECT_TRUE(HasRule(Engine(ngf).Check(sf), rule_ids::kNgfSnippetDenied));
  EXPECT_FALSE(Engine(ngf).Judges(vs(""))) << "each profile judges only its own kinds";
}

TEST(ProfileScope, RuleOverridesApplyToProfileRules) {
  auto p = F5Only();
  p->rules["RIP-NIC-SNIPPET-DENIED"] = RuleOverride{false, std::nullopt};
  p->rules["RIP-NIC-SYNTAX"] = RuleOverride{true, Severity::kLow};
  Ingress ing = SnippetIngress("nginx");
  ing.annotations.emplace_back("nginx.org/ssl-ciphers", "HIGH;x");
  const auto findings = Engine(p).Check(ing);
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].rule_id, "RIP-NIC-SYNTAX");
  EXPECT_EQ(findings[0].severity, Severity::kLow);
  EXPECT_EQ(findings[0].cves, (std::vector<std::string>{"CVE-2026-55723", "CVE-2026-77180"}));
}

TEST(ProfileScope, OversizedValuesAreOneSizeFinding) {
  auto p = F5Only();
  p->max_value_bytes = 64;
  Ingress ing = SnippetIngress("nginx");
  ing.annotations.clear();
  ing.annotations.emplace_back("nginx.org/ssl-ciphers", std::string(100, ';'));
  const auto findings = Engine(p).Check(ing);
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].rule_id, rule_ids::kSize);
}

TEST(ProfileScope, FieldNamesWithControlCharactersAreEscaped) {
  auto p = F5Only();
  Ingress ing = SnippetIngress("nginx");
  ing.annotations.clear();
  ing.annotations.emplace_back("nginx.org/x\nforged: line", "on\n");
  const auto findings = Engine(p).Check(ing);
  ASSERT_FALSE(findings.empty());
  for (const auto& f : findings) {
    EXPECT_EQ(f.field.find('\n'), std::string::npos);
    EXPECT_EQ(f.message.find('\n'), std::string::npos);
  }
}

// ---------------------------------------------------------------------------------------------
// Every annotation of the F5 table with a value the controller's own examples/tests use, and
// per type a value it refuses.

TEST(NicAnnotations, EveryKeyAcceptsARealValue) {
  const std::map<std::string, std::string> good = {
      {"nginx.org/server-snippets", "tcp_nodelay on;"},
      {"nginx.org/location-snippets", "sub_filter_once off;"},
      {"nginx.org/ssl-ciphers", "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-AES128-GCM-SHA256"},
      {"nginx.org/lb-method", "hash $request_id consistent"},
      {"nginx.org/sticky-cookie-services", "serviceName=coffee-svc srv_id expires=1h path=/coffee"},
      {"nginx.com/sticky-cookie-services",
       "serviceName=coffee-svc srv_id expires=1h path=/coffee;serviceName=tea-svc srv_id expires=2h path=/tea"},
      {"nginx.com/jwt-token", "$cookie_auth_token"},
      {"nginx.com/jwt-login-url", "https://login.example.com"},
      {"appprotect.f5.com/app-protect-security-log-destination", "syslog:server=127.0.0.1:514"},
      {"nginx.org/rewrite-target", "/beverages/$1/$2"},
      {"nginx.org/rewrites", "serviceName=tea-svc rewrite=/;serviceName=coffee-svc rewrite=/beans/"},
      {"nginx.org/app-root", "/coffee"},
      {"nginx.org/proxy-redirect-from", "~^http://redirect-backend-svc/v(\\d+)/(.*)"},
      {"nginx.org/proxy-redirect-to", "http://cafe.example.com/coffee/$2"},
      {"nginx.org/limit-req-key", "${binary_remote_addr}"},
      {"nginx.org/proxy-hide-headers", "header-1, header-2, header-3"},
      {"nginx.org/proxy-pass-headers", "header-1,header-2,header-3"},
      {"nginx.org/proxy-next-upstream", "error timeout http_500 http_502"},
      {"nginx.org/proxy-connect-timeout", "30s"},
      {"nginx.org/proxy-read-timeout", "1m 30s"},
      {"nginx.org/proxy-send-timeout", "500ms"},
      {"nginx.org/proxy-next-upstream-timeout", "10"},
      {"nginx.org/fail-timeout", "10s"},
      {"nginx.com/slow-start", "60s"},
      {"nginx.org/client-max-body-size", "16M"},
      {"nginx.org/client-body-buffer-size", "16k"},
      {"nginx.org/proxy-buffer-size", "16k"},
      {"nginx.org/proxy-busy-buffers-size", "32k"},
      {"nginx.org/proxy-max-temp-file-size", "0"},
      {"nginx.org/upstream-zone-size", "512k"},
      {"nginx.org/limit-req-zone-size", "10M"},
      {"nginx.org/proxy-buffers", "8 8k"},
      {"nginx.org/limit-req-rate", "1r/s"},
      {"nginx.org/keepalive", "1000"},
      {"nginx.org/max-fails", "5"},
      {"nginx.org/max-conns", "1024"},
      {"nginx.org/proxy-next-upstream-tries", "3"},
      {"nginx.org/limit-req-burst", "100"},
      {"nginx.org/limit-req-delay", "80"},
      {"nginx.org/limit-req-reject-code", "429"},
      {"nginx.org/hsts-max-age", "2700000"},
      {"nginx.com/health-checks-mandatory-queue", "500"},
      {"nginx.org/listen-ports", "8080"},
      {"nginx.org/listen-ports-ssl", "443,8443,44315"},
      {"nginx.org/http-redirect-code", "308"},
      {"nginx.org/custom-http-errors", "404, 500, 5xx"},
      {"nginx.com/jwt-realm", "Cafe App"},
      {"nginx.org/server-tokens", "custom_setting"},
      {"nginx.org/basic-auth-realm", "Cafe App"},
      {"nginx.org/proxy-set-headers", "X-Forwarded-Coffee: cappuccino,X-Forwarded-ABC: coffee"},
      {"nginx.org/add-header", "X-Frame-Options:DENY:always"},
      {"nginx.org/add-header-inherit", "Merge"},
      {"nginx.org/path-regex", "case_insensitive"},
      {"nginx.org/mergeable-ingress-type", "minion"},
      {"nginx.org/limit-req-log-level", "info"},
      {"nginx.org/basic-auth-secret", "cafe-passwd"},
      {"nginx.com/jwt-key", "cafe-jwk"},
      {"nginx.org/ssl-services", "ssl-svc"},
      {"nginx.org/grpc-services", "grpc-svc"},
      {"nginx.org/websocket-services", "ws-svc"},
      {"nginx.org/policies", "external-auth-policy-valid,external-auth-policy-valid-multi"},
      {"nginx.com/policies", "waf-policy"},
      {"appprotect.f5.com/app-protect-policy", "default/dataguard-alarm"},
      {"appprotect.f5.com/app-protect-security-log", "default/logconf"},
      {"appprotectdos.f5.com/app-protect-dos-resource", "default/dos-protected"},
      {"nginx.org/redirect-to-https", "true"},
      {"nginx.org/ssl-redirect", "false"},
      {"ingress.kubernetes.io/ssl-redirect", "True"},
      {"nginx.org/proxy-buffering", "1"},
      {"nginx.org/hsts", "True"},
      {"nginx.org/hsts-include-subdomains", "t"},
      {"nginx.org/hsts-behind-proxy", "F"},
      {"nginx.org/ssl-prefer-server-ciphers", "true"},
      {"nginx.org/use-cluster-ip", "true"},
      {"nginx.org/limit-req-no-delay", "true"},
      {"nginx.org/limit-req-dry-run", "false"},
      {"nginx.org/limit-req-scale", "true"},
      {"nginx.com/health-checks", "true"},
      {"nginx.com/health-checks-mandatory", "true"},
      {"appprotect.f5.com/app-protect-enable", "True"},
      {"appprotect.f5.com/app-protect-security-log-enable", "true"},
  };
  auto p = F5Only();
  p->f5_nginx_ingress.snippets_allowed = true;
  const Engine engine(p);
  for (const auto& a : NicAnnotations()) {
    auto it = good.find(std::string(a.key));
    ASSERT_NE(it, good.end()) << a.key << " has no example value in this test";
    Ingress ing = SnippetIngress("nginx");
    ing.annotations = {{std::string(a.key), it->second}};
    const auto findings = engine.Check(ing);
    for (const auto& f : findings) ADD_FAILURE() << a.key << "=" << it->second << ": " << f.rule_id << " " << f.message;
  }
  EXPECT_EQ(good.size(), NicAnnotations().size()) << "an example for an annotation the table no longer has";
}

struct TypeCase {
  const char* key;
  const char* value;
  const char* rule;
};

class NicRefused : public ::testing::TestWithParam<TypeCase> {};

TEST_P(NicRefused, WithTheRuleThatExplainsIt) {
  const auto& c = GetParam();
  Ingress ing = SnippetIngress("nginx");
  ing.annotations = {{c.key, c.value}};
  const auto findings = Engine(F5Only()).Check(ing);
  EXPECT_TRUE(HasRule(findings, c.rule)) << c.key << "=" << c.value;
  // Syntax and control findings already explain a broken value; no second type finding.
  if (std::string_view(c.rule) != rule_ids::kNicType) {
    EXPECT_FALSE(HasRule(findings, rule_ids::kNicType)) << c.key;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Types, NicRefused,
    ::testing::Values(TypeCase{"nginx.org/proxy-connect-timeout", "not_a_time", "RIP-NIC-TYPE"},
                      TypeCase{"nginx.org/proxy-read-timeout", "30s 1m", "RIP-NIC-TYPE"},
                      TypeCase{"nginx.com/slow-start", "true", "RIP-NIC-TYPE"},
                      TypeCase{"nginx.org/client-max-body-size", "not_an_offset", "RIP-NIC-TYPE"},
                      TypeCase{"nginx.org/client-body-buffer-size", "2g", "RIP-NIC-TYPE"},
                      TypeCase{"nginx.org/client-body-buffer-size", "-16k", "RIP-NIC-TYPE"},
                      TypeCase{"nginx.org/proxy-buffers", "2", "RIP-NIC-TYPE"},
                      TypeCase{"nginx.org/max-fails", "-100", "RIP-NIC-TYPE"},
                      TypeCase{"nginx.org/keepalive", "not_a_number", "RIP-NIC-TYPE"},
                      TypeCase{"nginx.org/lb-method", "invalid_method", "RIP-NIC-TYPE"},
                      TypeCase{"nginx.org/lb-method", "hash $request_id conwrongspelling", "RIP-NIC-TYPE"},
                      TypeCase{"nginx.org/lb-method", "hash", "RIP-NIC-TYPE"},
                      TypeCase{"nginx.org/proxy-next-upstream", "error error", "RIP-NIC-TYPE"},
                      TypeCase{"nginx.org/limit-req-rate", "200", "RIP-NIC-TYPE"},
                      TypeCase{"nginx.org/limit-req-rate", "0r/s", "RIP-NIC-TYPE"},
                      TypeCase{"nginx.org/limit-req-key", "remote_addr", "RIP-NIC-TYPE"},
                      TypeCase{"nginx.org/limit-req-log-level", "foobar", "RIP-NIC-TYPE"},
                      TypeCase{"nginx.org/http-redirect-code", "200", "RIP-NIC-TYPE"},
                      TypeCase{"nginx.org/custom-http-errors", "499", "RIP-NIC-TYPE"},
                      TypeCase{"nginx.org/listen-ports", "not_a_port_list", "RIP-NIC-TYPE"},
                      TypeCase{"nginx.org/listen-ports-ssl", "443,70000", "RIP-NIC-TYPE"},
                      TypeCase{"nginx.org/ssl-services", "svc-a, svc-b", "RIP-NIC-TYPE"},
                      TypeCase{"nginx.org/rewrites", "serviceName=tea-svc rewrite=tea", "RIP-NIC-TYPE"},
                      TypeCase{"nginx.org/sticky-cookie-services", "srv_id expires=1h", "RIP-NIC-TYPE"},
                      TypeCase{"nginx.org/rewrite-target", "http://evil.example.com/", "RIP-NIC-TYPE"},
                      TypeCase{"nginx.org/rewrite-target", "/a/../../etc", "RIP-NIC-TYPE"},
                      TypeCase{"nginx.org/app-root", "/", "RIP-NIC-TYPE"},
                      TypeCase{"nginx.org/app-root", "/tea chai", "RIP-NIC-TYPE"},
                      TypeCase{"nginx.org/app-root", "/tea$1", "RIP-NIC-TYPE"},
                      TypeCase{"nginx.org/app-root", "/tea~1", "RIP-NIC-TYPE"},
                      TypeCase{"nginx.org/app-root", "coffee", "RIP-NIC-TYPE"},
                      TypeCase{"nginx.org/proxy-redirect-to", "http://a /b", "RIP-NIC-TYPE"},
                      TypeCase{"nginx.org/proxy-set-headers", "X-Forwarded-Coffee: $http_cookie", "RIP-NIC-TYPE"},
                      TypeCase{"nginx.org/add-header", "X-Frame-Options:DENY:sometimes", "RIP-NIC-TYPE"},
                      TypeCase{"nginx.org/add-header-inherit", "inherit", "RIP-NIC-TYPE"},
                      TypeCase{"nginx.org/proxy-hide-headers", "$header1", "RIP-NIC-TYPE"},
                      TypeCase{"nginx.org/basic-auth-secret", "Not_A_Name", "RIP-NIC-TYPE"},
                      TypeCase{"nginx.org/basic-auth-realm", "Cafe $host", "RIP-NIC-TYPE"},
                      TypeCase{"nginx.org/server-tokens", "$custom_setting", "RIP-NIC-TYPE"},
                      TypeCase{"nginx.org/ssl-ciphers", "HIGH !aNULL", "RIP-NIC-TYPE"},
                      TypeCase{"nginx.org/policies", "ns/Bad_Name", "RIP-NIC-TYPE"},
                      TypeCase{"nginx.com/jwt-token", "token", "RIP-NIC-TYPE"},
                      TypeCase{"nginx.com/jwt-login-url", "login.example.com", "RIP-NIC-TYPE"},
                      TypeCase{"nginx.com/jwt-login-url", "https://login.example.com/$uri", "RIP-NIC-TYPE"},
                      TypeCase{"appprotect.f5.com/app-protect-policy", "a/b/c", "RIP-NIC-TYPE"},
                      TypeCase{"appprotect.f5.com/app-protect-security-log-destination", "stdout", "RIP-NIC-TYPE"},
                      TypeCase{"nginx.org/path-regex", "regex", "RIP-NIC-TYPE"},
                      TypeCase{"nginx.org/redirect-to-https", "yes", "RIP-NIC-TYPE"},
                      // Breakouts are syntax, not type findings.
                      TypeCase{"nginx.org/ssl-ciphers", "HIGH;x", "RIP-NIC-SYNTAX"},
                      TypeCase{"nginx.org/ssl-ciphers", "HIGH\\", "RIP-NIC-SYNTAX"},
                      TypeCase{"nginx.org/proxy-connect-timeout", "30s; x", "RIP-NIC-SYNTAX"},
                      TypeCase{"nginx.org/lb-method", "hash $a }", "RIP-NIC-SYNTAX"},
                      TypeCase{"nginx.org/lb-method", "hash $a} x", "RIP-NIC-TYPE"},
                      TypeCase{"nginx.com/jwt-realm", "a\\", "RIP-NIC-SYNTAX"},
                      TypeCase{"nginx.org/sticky-cookie-services", "serviceName=a srv_id #x", "RIP-NIC-SYNTAX"},
                      TypeCase{"nginx.org/client-max-body-size", "1m\nx", "RIP-NIC-CONTROL"},
                      TypeCase{"nginx.org/proxy-read-timeout", "30s\r\nx", "RIP-NIC-CONTROL"},
                      TypeCase{"nginx.org/keepalive", "1\xe2\x80\xa8" "2", "RIP-NIC-CONTROL"},
                      TypeCase{"nginx.org/lb-method", "ip_hash # include /etc/passwd", "RIP-NIC-DIRECTIVE"}));

TEST(NicAnnotations, TrimmedTypesIgnoreSurroundingWhitespaceLikeTheController) {
  Ingress ing = SnippetIngress("nginx");
  // ParseOffset / ParseSize / ParseLBMethod trim before matching, and the whitespace is harmless.
  ing.annotations = {{"nginx.org/client-body-buffer-size", " 16k\n"},
                     {"nginx.org/lb-method", "least_conn\n"},
                     {"nginx.org/proxy-read-timeout", "30s\n"}};  // ParseTime's output has no whitespace
  EXPECT_TRUE(Engine(F5Only()).Check(ing).empty());
}

// ---------------------------------------------------------------------------------------------
// Breakout scanners (nginx's tokenizer rules)

TEST(Breakouts, UnquotedTokens) {
  EXPECT_FALSE(FindUnquotedBreakout("HIGH:!aNULL:!MD5"));
  EXPECT_FALSE(FindUnquotedBreakout("${binary_remote_addr}"));
  EXPECT_FALSE(FindUnquotedBreakout("~^/v(\\d+)/(.*)")) << "a backslash before an ordinary character";
  EXPECT_FALSE(FindUnquotedBreakout("/app'root")) << "a quote inside a token is literal";
  EXPECT_FALSE(FindUnquotedBreakout("/a}b#c")) << "'}' and '#' inside a token are literal";
  EXPECT_EQ(FindUnquotedBreakout("a;b")->pos, 1u);
  EXPECT_EQ(FindUnquotedBreakout("a{b")->pos, 1u);
  EXPECT_EQ(FindUnquotedBreakout("}")->pos, 0u);
  EXPECT_EQ(FindUnquotedBreakout("a }")->pos, 2u);
  EXPECT_EQ(FindUnquotedBreakout("a #c")->pos, 2u);
  EXPECT_EQ(FindUnquotedBreakout("\"quoted")->pos, 0u);
  EXPECT_EQ(FindUnquotedBreakout("a 'b")->pos, 2u);
  EXPECT_EQ(FindUnquotedBreakout("a\\")->pos, 1u) << "a trailing backslash escapes the controller's ';'";
  EXPECT_EQ(FindUnquotedBreakout("a\\ b")->pos, 1u);
  EXPECT_EQ(FindUnquotedBreakout("$x{y")->pos, 2u) << "'{' after a complete variable name opens a block";
  EXPECT_FALSE(FindUnquotedBreakout("a;b", true)) << "';'-separated lists";
}

TEST(Breakouts, QuotedStrings) {
  EXPECT_FALSE(FindDoubleQuoteBreakout("Cafe App"));
  EXPECT_FALSE(FindDoubleQuoteBreakout("{\\\"status\\\": 1}; ok"));
  EXPECT_FALSE(FindDoubleQuoteBreakout("it's"));
  EXPECT_EQ(FindDoubleQuoteBreakout("a\"b")->pos, 1u);
  EXPECT_EQ(FindDoubleQuoteBreakout("a\\\\\"")->pos, 3u) << "an escaped backslash, then a bare quote";
  EXPECT_EQ(FindDoubleQuoteBreakout("a\\")->pos, 1u);
  EXPECT_FALSE(FindSingleQuoteBreakout("$remote_addr \"$request\""));
  EXPECT_EQ(FindSingleQuoteBreakout("a'b")->pos, 1u);
  EXPECT_FALSE(FindSingleQuoteBreakout("a\\'b"));
}

// ---------------------------------------------------------------------------------------------
// Resource decoder

TEST(ResourceDecoder, KeepsEveryStringWithItsPathAndShape) {
  const NginxResource r = Resource(R"({"apiVersion":"k8s.nginx.org/v1","kind":"VirtualServer",
    "metadata":{"name":"cafe","namespace":"shop","annotations":{"a":"b","n":null}},
    "spec":{"host":"cafe.example.com","upstreams":[{"name":"tea","port":80,"tls":{"enable":true}}],
            "routes":[{"path":"/tea","matches":[{"conditions":[{"header":"x","value":"y"}]}]},
                      {"path":"/coffee","location-snippets":"gzip on;"}]}})");
  EXPECT_EQ(r.kind->kind, "VirtualServer");
  EXPECT_EQ(r.name, "cafe");
  EXPECT_EQ(r.ns, "shop");
  EXPECT_EQ(r.annotations, (KeyValues{{"a", "b"}, {"n", ""}}));
  std::vector<std::pair<std::string, std::string>> got;
  for (const auto& f : r.fields) got.emplace_back(f.path, f.shape);
  const std::vector<std::pair<std::string, std::string>> want = {
      {"spec.host", "spec.host"},
      {"spec.upstreams[0].name", "spec.upstreams[].name"},
      {"spec.routes[0].path", "spec.routes[].path"},
      {"spec.routes[0].matches[0].conditions[0].header", "spec.routes[].matches[].conditions[].header"},
      {"spec.routes[0].matches[0].conditions[0].value", "spec.routes[].matches[].conditions[].value"},
      {"spec.routes[1].path", "spec.routes[].path"},
      {"spec.routes[1].location-snippets", "spec.routes[].location-snippets"}};
  EXPECT_EQ(got, want);
  ASSERT_NE(r.Field("spec.routes[].location-snippets"), nullptr);
  EXPECT_EQ(r.Field("spec.routes[].location-snippets")->value, "gzip on;");
}

TEST(ResourceDecoder, KeyMapsKeepKeysAndValues) {
  const NginxResource r = Resource(R"({"apiVersion":"gateway.nginx.org/v1alpha1","kind":"AuthenticationFilter",
    "spec":{"oidc":{"extraAuthArgs":{"prompt":"consent"}}}})");
  ASSERT_EQ(r.fields.size(), 2u);
  EXPECT_EQ(r.fields[0].shape, "spec.oidc.extraAuthArgs{}");
  EXPECT_EQ(r.fields[0].value, "prompt");
  EXPECT_EQ(r.fields[1].shape, "spec.oidc.extraAuthArgs[*]");
  EXPECT_EQ(r.fields[1].path, "spec.oidc.extraAuthArgs[\"prompt\"]");
  EXPECT_EQ(r.fields[1].value, "consent");
}

struct DecodeCase {
  const char* name;
  std::string json;
  const char* error;  // nullptr: DeepError()
};

class ResourceDecoderErrors : public ::testing::TestWithParam<DecodeCase> {};

std::string DeepError();
std::string DecodeCaseName(const ::testing::TestParamInfo<DecodeCase>& i) { return i.param.name; }

TEST_P(ResourceDecoderErrors, RefusedWithThePath) {
  NginxResource r;
  DecodeError err;
  EXPECT_FALSE(DecodeNginxResourceJson(GetParam().json, &r, &err));
  EXPECT_EQ(err.ToString(), GetParam().error ? std::string(GetParam().error) : DeepError());
}

std::string Deep(size_t depth) {
  std::string json = R"({"apiVersion":"k8s.nginx.org/v1","kind":"Policy","spec":{"a":)";
  for (size_t i = 0; i < depth; ++i) json += "[";
  json += "\"x\"";
  for (size_t i = 0; i < depth; ++i) json += "]";
  return json + "}}";
}

// spec, a, then the indices: the first element past the bound.
std::string DeepError() {
  std::string path = "spec.a";
  for (size_t i = 2; i <= kMaxResourceDepth; ++i) path += "[0]";
  return path + " is nested deeper than 64 levels";
}

std::string Wide(size_t strings) {
  std::string json = R"({"apiVersion":"k8s.nginx.org/v1","kind":"Policy","spec":{"a":[)";
  for (size_t i = 0; i < strings; ++i) json += (i ? ",\"s\"" : "\"s\"");
  return json + "]}}";
}

INSTANTIATE_TEST_SUITE_P(
    Cases, ResourceDecoderErrors,
    ::testing::Values(
        DecodeCase{"not_object", "[]", "must be an object"},
        DecodeCase{"malformed", "{", "malformed JSON: The JSON document has an improper structure: missing or superfluous commas, braces, missing keys, etc."},
        DecodeCase{"kind_not_string", R"({"apiVersion":"k8s.nginx.org/v1","kind":5})", "kind must be a string"},
        DecodeCase{"other_group", R"({"apiVersion":"kyverno.io/v1","kind":"Policy"})",
                   "kind is not a kind any profile judges: kyverno.io/v1 Policy"},
        DecodeCase{"metadata_type", R"({"apiVersion":"k8s.nginx.org/v1","kind":"Policy","metadata":[]})",
                   "metadata must be an object"},
        DecodeCase{"name_type", R"({"apiVersion":"k8s.nginx.org/v1","kind":"Policy","metadata":{"name":1}})",
                   "metadata.name must be a string"},
        DecodeCase{"annotation_type",
                   R"({"apiVersion":"k8s.nginx.org/v1","kind":"Policy","metadata":{"annotations":{"a":true}}})",
                   "metadata.annotations[\"a\"] must be a string"},
        DecodeCase{"spec_type", R"({"apiVersion":"k8s.nginx.org/v1","kind":"Policy","spec":"x"})", "spec must be an object"},
        DecodeCase{"too_deep", Deep(100), nullptr},
        DecodeCase{"too_many", Wide(kMaxResourceFields + 1), "spec.a[20000] holds more than 20000 strings"}),
    DecodeCaseName);

TEST(ResourceDecoder, NullsAndNonStringsCarryNoText) {
  const NginxResource r = Resource(R"({"apiVersion":"k8s.nginx.org/v1","kind":"TransportServer","metadata":null,
    "spec":{"host":null,"upstreams":[{"port":80,"maxFails":3,"healthCheck":{"enable":true}}]}})");
  EXPECT_TRUE(r.fields.empty());
  EXPECT_TRUE(Resource(R"({"apiVersion":"k8s.nginx.org/v1","kind":"TransportServer"})").fields.empty());
}

TEST(ResourceKinds, WebhookAndScanKnowTheSameKinds) {
  std::set<std::string> kinds;
  for (const auto& k : AllResourceKinds()) {
    EXPECT_EQ(FindResourceKind(k.group, k.kind), &k);
    EXPECT_TRUE(kinds.insert(std::string(k.group) + "/" + std::string(k.kind)).second);
  }
  EXPECT_EQ(FindResourceKind("k8s.nginx.org", "GlobalConfiguration"), nullptr) << "admin-owned, not judged";
  EXPECT_EQ(FindResourceKind("gateway.networking.k8s.io", "HTTPRoute"), nullptr);
  EXPECT_EQ(kinds.size(), 8u);
}

}  // namespace
}  // namespace riposte::core

namespace riposte::core {
namespace {

std::string ReadRepoFile(const std::string& rel) {
  std::ifstream in(std::string(RIPOSTE_TEST_DATA_DIR) + "/../../" + rel, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Every rule id a finding can carry is explained where users look it up.
TEST(RuleCatalogue, EveryRuleIsDocumented) {
  const std::string rules = ReadRepoFile("docs/rules.md");
  const std::string readme = ReadRepoFile("README.md");
  const std::string profiles = ReadRepoFile("docs/profiles.md");
  ASSERT_FALSE(rules.empty() || readme.empty() || profiles.empty());
  for (const auto& r : AllRules()) {
    const std::string id = "`" + std::string(r.id) + "`";
    EXPECT_NE(rules.find("| " + id + " |"), std::string::npos) << r.id << " has no row in docs/rules.md";
    // The README's table predates these two; docs/rules.md has them.
    if (r.id != rule_ids::kCrossNamespace && r.id != rule_ids::kMetadataAddress) {
      EXPECT_NE(readme.find(std::string(r.id)), std::string::npos) << r.id << " is not in the README's rule table";
    }
    if (r.id.rfind("RIP-NIC-", 0) == 0 || r.id.rfind("RIP-NGF-", 0) == 0) {
      EXPECT_NE(profiles.find(id), std::string::npos) << r.id << " is not in docs/profiles.md";
      for (auto cve : r.cves) EXPECT_NE(profiles.find(std::string(cve)), std::string::npos) << cve;
    }
  }
}

}  // namespace
}  // namespace riposte::core
