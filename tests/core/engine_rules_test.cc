// Per-rule cases: for every rule at least one attack that must be found and one legitimate use
// that must pass, plus the policy knobs (prefix, snippets, overrides, exemptions, size cap).
#include <gtest/gtest.h>

#include <algorithm>

#include "core/engine.h"
#include "tests/core/corpus_case.h"

namespace riposte::core {
namespace {

constexpr const char* kP = "nginx.ingress.kubernetes.io/";

Ingress WithAnnotation(const std::string& name, const std::string& value, const std::string& ns = "team") {
  Ingress ing;
  ing.ns = ns;
  ing.name = "test";
  ing.annotations.emplace_back(std::string(kP) + name, value);
  return ing;
}

Ingress WithPath(const std::string& path, const std::string& type) {
  Ingress ing;
  ing.ns = "team";
  ing.name = "test";
  ing.rules.push_back({"app.example.com", {{path, type}}});
  return ing;
}

std::vector<Finding> Judge(const Ingress& ing, PolicyPtr policy = DefaultPolicy(), const ConfigMapLookup* cms = nullptr) {
  return Engine(std::move(policy)).Check(ing, cms);
}

bool Has(const std::vector<Finding>& fs, const std::string& rule) {
  return std::any_of(fs.begin(), fs.end(), [&](const Finding& f) { return f.rule_id == rule; });
}

const Finding* Get(const std::vector<Finding>& fs, const std::string& rule) {
  for (const auto& f : fs) {
    if (f.rule_id == rule) return &f;
  }
  return nullptr;
}

std::string Dump(const std::vector<Finding>& fs) {
  std::string out;
  for (const auto& f : fs) out += f.rule_id + " " + f.field + ": " + f.message + "\n";
  return out;
}

#define EXPECT_CLEAN(fs) EXPECT_TRUE((fs).empty()) << Dump(fs)

TEST(SizeRule, OverCapValueIsOneFindingAndNotScannedFurther) {
  std::string big(300 * 1024, 'a');
  big += ";\nssl_engine /proc/1/fd/3;";
  const auto fs = Judge(WithAnnotation("server-alias", big));
  ASSERT_EQ(fs.size(), 1u) << Dump(fs);
  EXPECT_EQ(fs[0].rule_id, "RIP-ANN-SIZE");
  EXPECT_NE(fs[0].message.find("307"), std::string::npos) << fs[0].message;
}

TEST(SizeRule, CapComesFromPolicy) {
  auto policy = std::make_shared<Policy>();
  policy->max_value_bytes = 64;
  EXPECT_TRUE(Has(Judge(WithAnnotation("auth-realm", std::string(65, 'x')), policy), "RIP-ANN-SIZE"));
  EXPECT_CLEAN(Judge(WithAnnotation("auth-realm", std::string(64, 'x')), policy));
}

struct ControlCase {
  const char* name;
  std::string value;
  const char* shown;
};

class ControlRule : public ::testing::TestWithParam<ControlCase> {};

TEST_P(ControlRule, FoundAndEscapedInMessage) {
  const auto fs = Judge(WithAnnotation("auth-realm", "Restricted" + GetParam().value + "area"));
  const Finding* f = Get(fs, "RIP-ANN-CONTROL");
  ASSERT_NE(f, nullptr) << Dump(fs);
  EXPECT_NE(f->message.find(GetParam().shown), std::string::npos) << f->message;
  for (char c : f->message) EXPECT_FALSE(static_cast<unsigned char>(c) < 0x20) << f->message;
}

INSTANTIATE_TEST_SUITE_P(
    Chars, ControlRule,
    ::testing::Values(ControlCase{"lf", "\n", "\\n"}, ControlCase{"cr", "\r", "\\r"}, ControlCase{"tab", "\t", "\\t"},
                      ControlCase{"nul", std::string(1, '\0'), "\\x00"}, ControlCase{"del", "\x7f", "\\x7f"},
                      ControlCase{"c1_nel", "\xc2\x85", "\\u0085"}, ControlCase{"u2028", "\xe2\x80\xa8", "\\u2028"},
                      ControlCase{"u2029", "\xe2\x80\xa9", "\\u2029"}, ControlCase{"bidi", "\xe2\x80\xae", "\\u202e"},
                      ControlCase{"invalid_utf8", "\xff", "\\xff"}, ControlCase{"overlong", "\xc0\xaf", "\\xc0"}),
    [](const auto& param_info) { return std::string(param_info.param.name); });

TEST(ControlRule, NonAsciiTextIsFine) {
  EXPECT_CLEAN(Judge(WithAnnotation("auth-realm", "Zo\xc3\xab \xc3\x85ngstr\xc3\xb6m - \xe6\x97\xa5\xe6\x9c\xac")));
}

TEST(DirectiveRule, DirectiveTextInAnyValue) {
  for (const std::string v : {"ssl_engine /tmp/x.so", "load_module /tmp/x.so", "x_by_lua", "lua_package_path /tmp",
                              "include /etc/nginx/x.conf", "/proc/7/fd/3", "/proc/self/environ"}) {
    EXPECT_TRUE(Has(Judge(WithAnnotation("opentelemetry-operation-name", v)), "RIP-ANN-DIRECTIVE")) << v;
  }
}

TEST(DirectiveRule, ObfuscatedSecretPaths) {
  for (const std::string v : {"/var/run//secrets/kubernetes.io/serviceaccount/token", "/var/run/./secrets/x",
                              "/RUN/Secrets/x", "/etc/nginx/../kubernetes/admin.conf", "../../../etc/passwd",
                              "/var/lib/kubelet/pods/x/token"}) {
    const auto fs = Judge(WithAnnotation("auth-realm", v));
    EXPECT_TRUE(Has(fs, "RIP-ANN-DIRECTIVE")) << v << "\n" << Dump(fs);
  }
}

TEST(DirectiveRule, OrdinaryWordsAreNotDirectives) {
  EXPECT_CLEAN(Judge(WithAnnotation("auth-realm", "Please include your badge number - lua team")));
  EXPECT_CLEAN(Judge(WithAnnotation("upstream-hash-by", "$request_uri$host")));
  EXPECT_CLEAN(Judge(WithAnnotation("app-root", "/processes/1/files")));
}

TEST(DirectiveRule, CloudMetadataTargets) {
  // URL annotations: the host is parsed and judged by RIP-ANN-METADATA (engine_scope_test.cc).
  EXPECT_TRUE(Has(Judge(WithAnnotation("mirror-target", "http://169.254.169.254/latest/meta-data/")), "RIP-ANN-METADATA"));
  EXPECT_TRUE(Has(Judge(WithAnnotation("auth-url", "http://metadata.google.internal/computeMetadata/v1/")), "RIP-ANN-METADATA"));
  // Other values: the address as text.
  EXPECT_TRUE(Has(Judge(WithAnnotation("auth-realm", "see 169.254.169.254")), "RIP-ANN-DIRECTIVE"));
  EXPECT_CLEAN(Judge(WithAnnotation("mirror-target", "http://10.169.254.1/mirror")));
}

struct TypeCase {
  const char* annotation;
  const char* good;
  const char* bad;
};

class TypeRule : public ::testing::TestWithParam<TypeCase> {};

TEST_P(TypeRule, GoodPassesBadIsFound) {
  const auto& c = GetParam();
  EXPECT_CLEAN(Judge(WithAnnotation(c.annotation, c.good)));
  const auto fs = Judge(WithAnnotation(c.annotation, c.bad));
  EXPECT_TRUE(Has(fs, "RIP-ANN-TYPE")) << c.annotation << "=" << c.bad << "\n" << Dump(fs);
}

INSTANTIATE_TEST_SUITE_P(
    Types, TypeRule,
    ::testing::Values(
        TypeCase{"auth-url", "https://auth.example.com:8443/verify?x=1&y=$host", "https://a.example.com/x y"},
        TypeCase{"auth-url", "http://[fd00::1]:8080/auth", "ftp://a.example.com/"},
        TypeCase{"auth-url", "http://a.example.com/a%20b", "http://a.example.com/%0Ax"},
        TypeCase{"mirror-target", "https://test.env.com$request_uri", "https://m.example.com/\\"},
        TypeCase{"permanent-redirect", "https://new.example.com$request_uri", "https://x.example.com/\"a"},
        TypeCase{"mirror-host", "mirror.example.com", "mirror.example.com;"},
        TypeCase{"auth-tls-match-cn", "CN=(my\\.app\\.dev|.*\\.bbb\\.aaaa\\.tld)", "CN=x\" ) { }"},
        TypeCase{"auth-tls-match-cn", "CN=John Doe", "O=Example"},
        TypeCase{"auth-tls-match-cn", "CN=node-[0-9]{1,3}", "CN=node-{x}"},
        TypeCase{"canary-by-header-pattern", "^(a|b)$", "^(a|b$"},
        TypeCase{"canary-by-header", "X-Canary", "X Canary"},
        TypeCase{"auth-response-headers", "X-Auth-Request-User, X-Auth-Request-Email", "X-User:1"},
        TypeCase{"auth-method", "GET", "get"},
        TypeCase{"cors-allow-methods", "PUT, GET, POST, OPTIONS, PROPFIND", "GET, SMUGGLE;"},
        TypeCase{"proxy-body-size", "8m", "8m;"},
        TypeCase{"proxy-read-timeout", "120", "120 s"},
        TypeCase{"global-rate-limit-window", "1h30m", "1x"},
        TypeCase{"canary-weight", "20", "20%"},
        TypeCase{"ssl-redirect", "false", "nope"},
        TypeCase{"backend-protocol", "GRPCS", "GOPHER"},
        TypeCase{"proxy-next-upstream", "error timeout http_502", "error timeout http_999"},
        TypeCase{"whitelist-source-range", "10.0.0.0/24,172.10.0.1, 2001:db8::/32", "10.0.0.0/33"},
        TypeCase{"upstream-hash-by", "${request_uri}-text-value", "$request_uri $host"},
        TypeCase{"rewrite-target", "/$2", "/$1 break"},
        TypeCase{"app-root", "/app1", "app1"},
        TypeCase{"auth-secret", "team/basic-auth", "Default/Basic_Auth"},
        TypeCase{"custom-http-errors", "404,415", "404,4155"},
        TypeCase{"auth-cache-duration", "200 202 401 5m", "200 5q"},
        TypeCase{"proxy-ssl-ciphers", "ECDHE-RSA-AES128-GCM-SHA256:!aNULL", "DEFAULT ALL"},
        TypeCase{"server-alias", "www.example.com,*.example.org", "www.example.com;evil"},
        TypeCase{"cors-allow-origin", "https://*.origin-site.com:4443, http://*.origin-site.com", "https://a.com/path"},
        TypeCase{"proxy-cookie-path", "/ /app", "/ /app /x"},
        TypeCase{"auth-realm", "Authentication Required - foo", "Realm\" with quote"},
        TypeCase{"session-cookie-samesite", "Lax", "Sometimes"}),
    [](const auto& param_info) {
      std::string n = std::to_string(param_info.index) + "_" + param_info.param.annotation;
      for (auto& ch : n) {
        if (ch == '-') ch = '_';
      }
      return n;
    });

TEST(SyntaxRule, UnknownPrefixedAnnotationsOnlyGetTheAlwaysWrongChecks) {
  // No ingress-nginx release reads an unknown name: nginx syntax in it is not a finding, text
  // that never belongs in any value (control characters, directives) still is.
  EXPECT_CLEAN(Judge(WithAnnotation("brand-new-feature", "value; more")));
  EXPECT_CLEAN(Judge(WithAnnotation("brand-new-feature", "it's")));
  EXPECT_CLEAN(Judge(WithAnnotation("brand-new-feature", "some value ${with_var} and 'quoted'")));
  EXPECT_TRUE(Has(Judge(WithAnnotation("brand-new-feature", "a\nssl_engine x")), "RIP-ANN-CONTROL"));
  EXPECT_TRUE(Has(Judge(WithAnnotation("brand-new-feature", "load_module /tmp/x.so")), "RIP-ANN-DIRECTIVE"));
}

TEST(PrefixRule, OnlyTheConfiguredPrefixIsJudged) {
  Ingress ing;
  ing.ns = "team";
  ing.annotations = {{"kubectl.kubernetes.io/last-applied-configuration", "{\"a\": \"b; c {d} #e\"}"},
                     {"description", "line one\nline two; {x}"},
                     {"example.com/auth-url", "http://x/;\nssl_engine y;"}};
  EXPECT_CLEAN(Judge(ing));
  auto policy = std::make_shared<Policy>();
  policy->annotation_prefix = "example.com";
  EXPECT_TRUE(Has(Judge(ing, policy), "RIP-ANN-CONTROL"));
}

TEST(PrefixRule, OtherIngressPrefixesAreNotRead) {
  // Only --annotations-prefix counts: another controller's prefix is never judged, even for
  // names ingress-nginx also uses.
  Ingress ing;
  ing.ns = "team";
  ing.annotations = {{"custom.ingress.kubernetes.io/configuration-snippet", "more_set_headers \"A: b\";"}};
  EXPECT_CLEAN(Judge(ing));
  auto policy = std::make_shared<Policy>();
  policy->annotation_prefix = "custom.ingress.kubernetes.io";
  EXPECT_TRUE(Has(Judge(ing, policy), "RIP-SNIPPET-DENIED"));
  ing.annotations = {{"custom.ingress.kubernetes.io/not-an-nginx-annotation", "a;b"}};
  EXPECT_CLEAN(Judge(ing));
}

TEST(SnippetRules, DeniedByDefaultWithHowToAllow) {
  const auto fs = Judge(WithAnnotation("server-snippet", "client_header_buffer_size 32k;"));
  ASSERT_EQ(fs.size(), 1u) << Dump(fs);
  EXPECT_EQ(fs[0].rule_id, "RIP-SNIPPET-DENIED");
  EXPECT_NE(fs[0].message.find("namespace team"), std::string::npos);
  EXPECT_NE(fs[0].message.find("snippets.namespaces"), std::string::npos);
}

TEST(SnippetRules, EmptySnippetInjectsNothing) {
  EXPECT_CLEAN(Judge(WithAnnotation("configuration-snippet", "")));
  EXPECT_CLEAN(Judge(WithAnnotation("server-snippet", " \n\t")));
}

TEST(SnippetRules, AllowedPerNamespaceOrEverywhere) {
  auto per_ns = std::make_shared<Policy>();
  per_ns->snippet_namespaces = {"team"};
  const Ingress ing = WithAnnotation("configuration-snippet", "more_set_headers \"X-A: b\";\nexpires 1h;");
  EXPECT_CLEAN(Judge(ing, per_ns));
  EXPECT_TRUE(Has(Judge(WithAnnotation("configuration-snippet", "expires 1h;", "other")), "RIP-SNIPPET-DENIED"));
  auto everywhere = std::make_shared<Policy>();
  everywhere->snippets_allowed = true;
  EXPECT_CLEAN(Judge(WithAnnotation("configuration-snippet", "expires 1h;", "other"), everywhere));
}

TEST(SnippetRules, DangerousEvenWhenAllowed) {
  auto policy = std::make_shared<Policy>();
  policy->snippets_allowed = true;
  for (const std::string v : {"access_by_lua_block { os.execute('id') }", "load_module /tmp/x.so;",
                              "ssl_engine /proc/1/fd/3;", "include /etc/passwd;", "Include /tmp/rules.conf",
                              "location /x { alias /var/run/secrets/kubernetes.io/serviceaccount/; }",
                              "proxy_pass http://169.254.169.254/latest/meta-data/;", "}\n}\nserver {", "if ($a) {",
                              "Include /etc/nginx/owasp-modsecurity-crs/../../passwd"}) {
    EXPECT_TRUE(Has(Judge(WithAnnotation("server-snippet", v), policy), "RIP-SNIPPET-DANGER")) << v;
  }
  EXPECT_CLEAN(Judge(WithAnnotation("modsecurity-snippet", "SecRuleEngine On\nInclude /etc/nginx/owasp-modsecurity-crs/nginx-modsecurity.conf\n"), policy));
  EXPECT_CLEAN(Judge(WithAnnotation("server-snippet", "location /x { return 200 \"}\"; } # closing } in comment"), policy));
}

TEST(PathRules, StrictForExactAndPrefix) {
  EXPECT_CLEAN(Judge(WithPath("/.well-known/acme-challenge", "Prefix")));
  EXPECT_CLEAN(Judge(WithPath("/caf%C3%A9/menu_v2-x~y", "Exact")));
  for (const std::string p : {"/api(/|$)", "/a b", "/a;b", "/a#b", "/a\"b", "/a/../b", "/%0a", "/a{1}", "/\xc3\xa9"}) {
    EXPECT_TRUE(Has(Judge(WithPath(p, "Prefix")), "RIP-PATH-CHARS")) << p;
  }
}

TEST(PathRules, RegexSyntaxAllowedForImplementationSpecific) {
  for (const std::string p : {"/v[0-9]{1,2}/users/.*", "/api(/|$)(.*)", "/(?i)images/.*\\.png$", "/a{2,}"}) {
    EXPECT_CLEAN(Judge(WithPath(p, "ImplementationSpecific"))) << p;
  }
  for (const std::string p : {"/a b", "/a'b", "/x\n}", "/a;", "/a#", "/a{", "/a}", "/(a", "/[a", "/a\\",
                              "/x_by_lua", "relative"}) {
    EXPECT_TRUE(Has(Judge(WithPath(p, "ImplementationSpecific")), "RIP-PATH-CHARS")) << p;
  }
}

TEST(PathRules, SecretPathsEvenWhenObfuscated) {
  for (const std::string p : {"/var/run/secrets/kubernetes.io/serviceaccount/token", "/run//secrets/x",
                              "/etc/./kubernetes/admin.conf", "/x/../etc/kubernetes/pki", "/proc/1/environ"}) {
    EXPECT_TRUE(Has(Judge(WithPath(p, "ImplementationSpecific")), "RIP-PATH-SECRET")) << p;
  }
  EXPECT_CLEAN(Judge(WithPath("/secrets-manager/ui", "Prefix")));
}

TEST(UidRule, MustBeUuid) {
  Ingress ing;
  ing.uid = "5f0c6a3e-3b1c-4d7e-9a1b-2c3d4e5f6a7b";
  EXPECT_CLEAN(Judge(ing));
  ing.uid = "../../../../tmp/nginx/x";
  const auto fs = Judge(ing);
  ASSERT_TRUE(Has(fs, "RIP-UID"));
  EXPECT_EQ(Get(fs, "RIP-UID")->field, "metadata.uid");
  EXPECT_EQ(Get(fs, "RIP-UID")->cves, std::vector<std::string>{"CVE-2025-1098"});
}

TEST(HostRules, RulesAndTls) {
  Ingress ing;
  ing.rules.push_back({"*.example.com", {}});
  ing.tls.push_back({{"app.example.com"}, "app-tls"});
  EXPECT_CLEAN(Judge(ing));
  ing.rules[0].host = "evil.example.com;\nssl_engine x";
  ing.tls[0].hosts[0] = "App_Example";
  ing.tls[0].secret_name = "../tls";
  const auto fs = Judge(ing);
  EXPECT_TRUE(Has(fs, "RIP-HOST"));
  EXPECT_EQ(std::count_if(fs.begin(), fs.end(), [](const Finding& f) { return f.rule_id == "RIP-TLS"; }), 2);
}

TEST(ConfigMapHeaderRule, JudgedWhenLookupGiven) {
  std::vector<ConfigMap> maps = {{"team", "hdrs", {{"X-Forwarded-User", "$remote_user"},
                                                   {"Strict-Transport-Security", "max-age=31536000; includeSubDomains"}}},
                                 {"team", "bad-name", {{"X-A b", "1"}}},
                                 {"team", "bad-value", {{"X-A", "x' ; proxy_pass http://evil"}}},
                                 {"team", "bad-ctl", {{"X-A", "x\r\nX-B: y"}}}};
  riposte::testing::VectorConfigMapLookup lookup(&maps);
  EXPECT_CLEAN(Judge(WithAnnotation("auth-proxy-set-headers", "hdrs"), DefaultPolicy(), &lookup));
  EXPECT_CLEAN(Judge(WithAnnotation("custom-headers", "team/hdrs"), DefaultPolicy(), &lookup));
  // custom-headers values are Go-quoted: a quote is escaped there, a control character is not.
  EXPECT_CLEAN(Judge(WithAnnotation("custom-headers", "team/bad-value"), DefaultPolicy(), &lookup));
  for (const std::string ref : {"bad-name", "team/bad-value", "bad-ctl"}) {
    const auto fs = Judge(WithAnnotation("auth-proxy-set-headers", ref), DefaultPolicy(), &lookup);
    ASSERT_TRUE(Has(fs, "RIP-CM-HEADER")) << ref;
    EXPECT_EQ(Get(fs, "RIP-CM-HEADER")->field.rfind("configmap team/", 0), 0u);
  }
  EXPECT_CLEAN(Judge(WithAnnotation("custom-headers", "bad-name")));  // no lookup: nothing to judge
  EXPECT_CLEAN(Judge(WithAnnotation("custom-headers", "missing"), DefaultPolicy(), &lookup));
}

TEST(PolicyKnobs, OverridesAndExemptions) {
  const Ingress ing = WithAnnotation("proxy-body-size", "8 m");
  auto policy = std::make_shared<Policy>();
  policy->rules["RIP-ANN-TYPE"] = RuleOverride{true, Severity::kLow};
  auto fs = Judge(ing, policy);
  ASSERT_TRUE(Has(fs, "RIP-ANN-TYPE"));
  EXPECT_EQ(Get(fs, "RIP-ANN-TYPE")->severity, Severity::kLow);
  policy->rules["RIP-ANN-TYPE"] = RuleOverride{false, std::nullopt};
  EXPECT_CLEAN(Judge(ing, policy));
  auto exempt = std::make_shared<Policy>();
  exempt->exempt_namespaces = {"team"};
  EXPECT_CLEAN(Judge(WithAnnotation("auth-url", "http://x/;\nssl_engine y;"), exempt));
}

TEST(Messages, LongValuesTruncatedAroundTheOffendingSpot) {
  std::string v = "http://auth.example.com/" + std::string(8000, 'a') + ";\n}}}\nssl_engine /proc/1/fd/3;";
  const auto fs = Judge(WithAnnotation("auth-url", v));
  const Finding* f = Get(fs, "RIP-ANN-CONTROL");
  ASSERT_NE(f, nullptr);
  EXPECT_LT(f->message.size(), 200u);
  EXPECT_NE(f->message.find("\\n"), std::string::npos) << f->message;
  EXPECT_NE(f->message.find("..."), std::string::npos) << f->message;
}

TEST(Messages, HostileKeysAreEscapedInTheField) {
  Ingress ing;
  ing.annotations.emplace_back(std::string(kP) + "x\n\x1b[2Jfake", "a\nb");
  const auto fs = Judge(ing);
  ASSERT_FALSE(fs.empty());
  EXPECT_EQ(fs[0].field, std::string(kP) + "x\\n\\x1b[2Jfake");
}

TEST(Robustness, HugeAndHostileInputsNeverThrow) {
  Ingress ing;
  ing.uid = std::string(100000, '\xff');
  for (int i = 0; i < 200; ++i) ing.annotations.emplace_back(std::string(kP) + "x" + std::to_string(i), std::string(5000, '{'));
  ing.rules.push_back({std::string(5000, '*'), {{std::string(30000, '('), "ImplementationSpecific"}, {std::string(1, '\0'), "Exact"}}});
  EXPECT_NO_THROW({
    const auto fs = Judge(ing);
    EXPECT_FALSE(fs.empty());
  });
}

}  // namespace
}  // namespace riposte::core
