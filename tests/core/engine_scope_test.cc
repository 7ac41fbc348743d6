// What the engine judges (only the configured prefix, only the classes ingress-nginx serves),
// how list-valued annotations are read (one table per list annotation, from ingress-nginx's
// parsers), ConfigMaps judged by where their entries land, cross-namespace references and
// metadata addresses in every resolver form.
#include <gtest/gtest.h>

#include "core/engine.h"
#include "core/rules.h"
#include "core/scanners.h"
#include "tests/core/corpus_case.h"

namespace riposte::core {
namespace {

const std::string kPrefix = "nginx.ingress.kubernetes.io/";

Ingress Make(KeyValues annotations, std::string ns = "team") {
  Ingress ing;
  ing.ns = std::move(ns);
  ing.name = "x";
  ing.annotations = std::move(annotations);
  return ing;
}

std::vector<std::string> Rules(const std::vector<Finding>& findings) {
  std::vector<std::string> ids;
  for (const auto& f : findings) ids.push_back(f.rule_id);
  return ids;
}

bool Has(const std::vector<Finding>& findings, std::string_view id) {
  for (const auto& f : findings) {
    if (f.rule_id == id) return true;
  }
  return false;
}

std::vector<Finding> Judge(const std::string& name, const std::string& value, PolicyPtr policy = DefaultPolicy()) {
  return Engine(std::move(policy)).Check(Make({{kPrefix + name, value}}));
}

// ---- prefix ---------------------------------------------------------------------------------

TEST(EngineScope, OtherControllersPrefixesAreNeverJudged) {
  const Engine engine(DefaultPolicy());
  for (const char* prefix : {"alb.ingress.kubernetes.io", "traefik.ingress.kubernetes.io", "ingress.kubernetes.io",
                             "appgw.ingress.kubernetes.io", "haproxy.org", "konghq.com", "nginx.org",
                             "custom.ingress.kubernetes.io", "NGINX.INGRESS.KUBERNETES.IO"}) {
    // Names ingress-nginx also uses, with values that would be wrong for ingress-nginx.
    const auto findings = engine.Check(Make({{std::string(prefix) + "/auth-type", "cognito"},
                                             {std::string(prefix) + "/ssl-redirect", "443"},
                                             {std::string(prefix) + "/configuration-snippet", "more_set_headers \"A: b\";"}}));
    EXPECT_TRUE(findings.empty()) << prefix << ": " << ::testing::PrintToString(Rules(findings));
  }
}

TEST(EngineScope, TheConfiguredPrefixIsJudged) {
  auto policy = std::make_shared<Policy>();
  policy->annotation_prefix = "custom.ingress.kubernetes.io";
  const Engine engine(policy);
  EXPECT_TRUE(Has(engine.Check(Make({{"custom.ingress.kubernetes.io/auth-type", "cognito"}})), rule_ids::kType));
  EXPECT_TRUE(engine.Check(Make({{"nginx.ingress.kubernetes.io/auth-type", "cognito"}})).empty())
      << "the default prefix is not read by a controller started with another one";
}

TEST(EngineScope, UnknownNamesUnderThePrefixOnlyGetTheAlwaysWrongChecks) {
  EXPECT_TRUE(Judge("not-an-annotation", "a;b {c}").empty()) << "no ingress-nginx release reads it";
  EXPECT_TRUE(Has(Judge("not-an-annotation", "a\nb"), rule_ids::kControl));
  EXPECT_TRUE(Has(Judge("not-an-annotation", "x load_module /tmp/x.so"), rule_ids::kDirective));
}

// ---- IngressClass ---------------------------------------------------------------------------

TEST(EngineScope, IngressClassesOfOtherControllersAreNotJudged) {
  const Engine engine(DefaultPolicy());
  Ingress evil = Make({{kPrefix + "auth-url", "http://x/;\nssl_engine /proc/1/fd/3;"}});
  EXPECT_FALSE(engine.Check(evil).empty()) << "no class: judged (--watch-ingress-without-class, default classes)";
  evil.ingress_class = "nginx";
  EXPECT_FALSE(engine.Check(evil).empty());
  evil.ingress_class = "alb";
  EXPECT_TRUE(engine.Check(evil).empty());
  evil.ingress_class.clear();
  evil.annotations.emplace_back("kubernetes.io/ingress.class", "traefik");
  EXPECT_TRUE(engine.Check(evil).empty()) << "the legacy annotation names the class when the field is unset";
  evil.ingress_class = "nginx";
  EXPECT_FALSE(engine.Check(evil).empty()) << "spec.ingressClassName wins over the annotation (store.go GetIngressClass)";
}

TEST(EngineScope, ConfiguredClassesAreJudged) {
  auto policy = std::make_shared<Policy>();
  policy->ingress_classes = {"nginx-internal", "nginx-external"};
  const Engine engine(policy);
  Ingress evil = Make({{kPrefix + "auth-url", "http://x/;\nssl_engine /proc/1/fd/3;"}});
  evil.ingress_class = "nginx-internal";
  EXPECT_FALSE(engine.Check(evil).empty());
  evil.ingress_class = "nginx";
  EXPECT_TRUE(engine.Check(evil).empty()) << "nginx is not listed any more";
}

TEST(EngineScope, AnUpdateThatChangesTheClassIsAlwaysJudged) {
  const Engine engine(DefaultPolicy());
  Ingress evil = Make({{kPrefix + "auth-url", "http://x/;\nssl_engine /proc/1/fd/3;"}});
  evil.ingress_class = "alb";
  evil.previous_class = "alb";
  EXPECT_TRUE(engine.Check(evil).empty()) << "UPDATE within another controller's class";
  evil.previous_class = "nginx";
  EXPECT_FALSE(engine.Check(evil).empty()) << "moving away from nginx";
  evil.previous_class = "";
  EXPECT_FALSE(engine.Check(evil).empty()) << "gaining a class";
}

// ---- list-valued annotations, one table each --------------------------------------------------

struct ListCase {
  std::string value;
  bool allowed;
};

void ExpectTable(const std::string& annotation, const std::vector<ListCase>& table) {
  for (const auto& c : table) {
    const auto findings = Judge(annotation, c.value);
    EXPECT_EQ(findings.empty(), c.allowed) << annotation << ": \"" << c.value << "\" -> "
                                           << ::testing::PrintToString(Rules(findings));
  }
}

// internal/net/ipnet.go ParseCIDRs: split on ',', strings.TrimSpace each, every item an IP or
// CIDR (an empty item is an error).
const std::vector<ListCase> kCidrTable = {
    {"10.0.0.0/24,172.10.0.1", true},
    {"10.0.0.0/8, 192.168.0.0/16 ,2001:db8::/32", true},
    {"10.0.0.0/8,\n172.16.0.0/12,\n192.168.0.0/16\n", true},  // literal block scalar
    {"10.0.0.0/8, 172.16.0.0/12\n", true},                    // folded block scalar
    {"\t10.0.0.1\r\n", true},
    {"10.0.0.1,\xc2\xa0" "10.0.0.2", true},  // NBSP is trimmed by strings.TrimSpace
    {"0.0.0.0/0,::/0", true},
    {"10.0.0.0/8\n192.168.0.0/16", false},  // no comma: one item with a newline inside
    {"10.0.0.0/8,,10.0.0.1", false},
    {"10.0.0.0/8,", false},
    {"10.0.0.0/33", false},
    {"10.0.0.1; allow all", false},
    {"10.0.0.1\n}", false},
};

TEST(ListAnnotations, WhitelistSourceRange) { ExpectTable("whitelist-source-range", kCidrTable); }
TEST(ListAnnotations, AllowlistSourceRange) { ExpectTable("allowlist-source-range", kCidrTable); }
TEST(ListAnnotations, DenylistSourceRange) { ExpectTable("denylist-source-range", kCidrTable); }
TEST(ListAnnotations, LimitWhitelist) { ExpectTable("limit-whitelist", kCidrTable); }
TEST(ListAnnotations, LimitAllowlist) { ExpectTable("limit-allowlist", kCidrTable); }
TEST(ListAnnotations, GlobalRateLimitIgnoredCidrs) { ExpectTable("global-rate-limit-ignored-cidrs", kCidrTable); }

// alias/main.go: split on ',', TrimSpace, skip empty items; ValidateArrayOfServerName.
TEST(ListAnnotations, ServerAlias) {
  ExpectTable("server-alias", {
                                  {"www.example.com,example.org", true},
                                  {"www.example.com, *.example.org", true},
                                  {"www.example.com,\nexample.org,\n", true},
                                  {"a.example.com,,b.example.com,", true},
                                  {"~^www\\d+\\.example\\.com$", true},
                                  {"evil.example.com;\n}\nserver {", false},
                                  {"a.example.com\nb.example.com", false},
                                  {"a.example.com\"", false},
                              });
}

// cors/main.go: spaces removed, corsOriginRegexValidator; MaliciousRegex refuses \r \n.
TEST(ListAnnotations, CorsAllowOrigin) {
  ExpectTable("cors-allow-origin", {
                                       {"*", true},
                                       {"https://origin-site.com:4443, http://origin-site.com", true},
                                       {"myprotocol://example.org:1199", true},
                                       {"https://*.example.com", true},
                                       {"null", true},
                                       {"example.com", true},
                                       {"https://a.example.com,", true},
                                       {"https://a.example.com,\nhttps://b.example.com", false},
                                       {"https://a.example.com'; more_set_headers 'X: y", false},
                                       {"https://a.example.com\"", false},
                                   });
}

// cors/main.go corsMethodsRegex ^([A-Za-z]+,?\s?)+$: any letters, rendered single-quoted.
TEST(ListAnnotations, CorsAllowMethods) {
  ExpectTable("cors-allow-methods", {
                                        {"GET, PUT, POST, DELETE, PATCH, OPTIONS", true},
                                        {"PROPFIND,MKCOL", true},
                                        {"get,post", true},
                                        {"GET;POST", false},
                                        {"GET'", false},
                                        {"GET,\nPOST", false},
                                    });
}

// parser.HeadersVariable ^[A-Za-z0-9-_, ]*$ (cors-allow-headers, auth-response-headers).
TEST(ListAnnotations, CorsAllowHeaders) {
  ExpectTable("cors-allow-headers", {
                                        {"DNT,X-CustomHeader,Keep-Alive,User-Agent", true},
                                        {"X-Forwarded-For, Authorization", true},
                                        {"X-A'", false},
                                        {"X-A;X-B", false},
                                        {"X-A,\nX-B", false},
                                    });
}

TEST(ListAnnotations, CorsExposeHeaders) {
  ExpectTable("cors-expose-headers", {
                                         {"*, X-CustomResponseHeader", true},
                                         {"X-A,X-B", true},
                                         {"X-A'", false},
                                     });
}

TEST(ListAnnotations, AuthResponseHeaders) {
  ExpectTable("auth-response-headers", {
                                           {"X-Auth-Request-User, X-Auth-Request-Email", true},
                                           {"UserID, UserRole", true},
                                           {"X-A;proxy_pass http://x", false},
                                           {"X-A,\nX-B", false},
                                       });
}

// customhttperrors/main.go: spaces removed, ^(?:[4,5]\d{2},?)*$, then split and trimmed.
TEST(ListAnnotations, CustomHttpErrors) {
  ExpectTable("custom-http-errors", {
                                        {"404,415", true},
                                        {"404, 500, 503", true},
                                        {"404,500;\nlocation /leak { alias /var/run/secrets/; }", false},
                                        {"4040", false},
                                    });
}

// authreq/main.go ParseStringToCacheDuration: ',' separated "[code ...] duration" groups.
TEST(ListAnnotations, AuthCacheDuration) {
  ExpectTable("auth-cache-duration", {
                                         {"200 202 401 5m", true},
                                         {"200 202 10m, 401 5m", true},
                                         {"5m; proxy_pass http://x", false},
                                     });
}

// proxy/main.go validUpstreamAnnotation: space separated nginx proxy_next_upstream values.
TEST(ListAnnotations, ProxyNextUpstream) {
  ExpectTable("proxy-next-upstream", {
                                         {"error timeout http_502", true},
                                         {"off", true},
                                         {"error; ssl_engine x", false},
                                     });
}

// proxyssl/main.go: space separated protocols.
TEST(ListAnnotations, ProxySslProtocols) {
  ExpectTable("proxy-ssl-protocols", {
                                         {"TLSv1.2 TLSv1.3", true},
                                         {"TLSv1.3", true},
                                         {"TLSv1.2; include /etc/passwd", false},
                                     });
}

// ValidateOptions(trimSpace=true): the value is trimmed whole before comparison.
TEST(ListAnnotations, OptionsAreTrimmedLikeValidateOptions) {
  EXPECT_TRUE(Judge("load-balance", "ewma\n").empty());
  EXPECT_TRUE(Judge("backend-protocol", " https ").empty());
  EXPECT_TRUE(Judge("session-cookie-samesite", "None").empty());
  EXPECT_FALSE(Judge("load-balance", "ewma\nfoo").empty());
}

TEST(ListAnnotations, ValuesIngressNginxAcceptsAndTheTemplateRendersSafely) {
  EXPECT_TRUE(Judge("session-cookie-domain", ".example.com").empty());
  EXPECT_TRUE(Judge("auth-tls-error-page", "@named_location").empty());
  EXPECT_TRUE(Judge("auth-tls-error-page", "/error-cert.html").empty());
  EXPECT_TRUE(Judge("permanent-redirect", "/new-path").empty());
  EXPECT_TRUE(Judge("auth-request-redirect", "/login").empty());
  EXPECT_TRUE(Judge("load-balance", "chash").empty());
}

// ---- ConfigMaps by placement ------------------------------------------------------------------

std::vector<Finding> JudgeConfigMap(const std::string& annotation, const std::string& header, const std::string& value) {
  std::vector<ConfigMap> maps(1);
  maps[0].ns = "team";
  maps[0].name = "cm";
  maps[0].data = {{header, value}};
  riposte::testing::VectorConfigMapLookup lookup(&maps);
  return Engine(DefaultPolicy()).Check(Make({{kPrefix + annotation, "team/cm"}}), &lookup);
}

TEST(ConfigMapPlacement, AuthProxySetHeadersAreSingleQuoted) {
  EXPECT_TRUE(JudgeConfigMap("auth-proxy-set-headers", "X-Original-Uri", "$request_uri").empty());
  EXPECT_TRUE(JudgeConfigMap("auth-proxy-set-headers", "X-Note", "a;b {c} #d").empty()) << "inside the quotes";
  EXPECT_TRUE(Has(JudgeConfigMap("auth-proxy-set-headers", "X-A", "x'; } } } ssl_engine /proc/1/fd/3; #"),
                  rule_ids::kConfigMapHeader));
  EXPECT_TRUE(Has(JudgeConfigMap("auth-proxy-set-headers", "X-A", "trailing\\"), rule_ids::kConfigMapHeader))
      << "a backslash escapes the closing quote";
  EXPECT_TRUE(Has(JudgeConfigMap("auth-proxy-set-headers", "X-A", "a\r\nX-Injected: 1"), rule_ids::kConfigMapHeader));
  EXPECT_TRUE(Has(JudgeConfigMap("auth-proxy-set-headers", "X A", "v"), rule_ids::kConfigMapHeader));
}

TEST(ConfigMapPlacement, CustomHeadersAreGoQuotedWithDollarEscaped) {
  EXPECT_TRUE(JudgeConfigMap("custom-headers", "Content-Security-Policy", "default-src 'self'; img-src *").empty());
  EXPECT_TRUE(JudgeConfigMap("custom-headers", "X-Quote", "say \"hi\" \\ $x").empty());
  EXPECT_TRUE(Has(JudgeConfigMap("custom-headers", "X-A", "a\nX-Injected: 1"), rule_ids::kConfigMapHeader))
      << "nginx turns the \\n of %q back into a newline";
}

TEST(ConfigMapPlacement, FastcgiParamsAreGoQuoted) {
  EXPECT_TRUE(JudgeConfigMap("fastcgi-params-configmap", "SCRIPT_FILENAME", "/app/index.php").empty());
  EXPECT_TRUE(Has(JudgeConfigMap("fastcgi-params-configmap", "A", "x\ny"), rule_ids::kConfigMapHeader));
}

// ---- cross-namespace references ---------------------------------------------------------------

TEST(CrossNamespace, ReferencesIntoAnotherNamespaceAreReported) {
  for (const char* annotation : {"auth-secret", "auth-tls-secret", "proxy-ssl-secret", "auth-proxy-set-headers",
                                 "custom-headers", "fastcgi-params-configmap", "secure-verify-ca-secret"}) {
    EXPECT_TRUE(Has(Judge(annotation, "kube-system/secret"), rule_ids::kCrossNamespace)) << annotation;
    EXPECT_TRUE(Judge(annotation, "team/secret").empty()) << annotation << ": own namespace";
    EXPECT_TRUE(Judge(annotation, "secret").empty()) << annotation << ": no namespace";
  }
  EXPECT_TRUE(Judge("default-backend", "svc").empty());
}

TEST(CrossNamespace, PolicyAllowsEverywhereOrNamedNamespaces) {
  auto named = std::make_shared<Policy>();
  named->cross_namespace_targets = {"shared-ca"};
  EXPECT_TRUE(Judge("auth-tls-secret", "shared-ca/ca", named).empty());
  EXPECT_TRUE(Has(Judge("auth-tls-secret", "kube-system/ca", named), rule_ids::kCrossNamespace));
  auto all = std::make_shared<Policy>();
  all->cross_namespace_allowed = true;
  EXPECT_TRUE(Judge("auth-tls-secret", "kube-system/ca", all).empty());
}

// ---- metadata addresses -------------------------------------------------------------------------

TEST(MetadataAddress, EveryResolverFormIsRecognised) {
  for (const char* host : {"169.254.169.254", "169.254.0.1", "2852039166", "0xa9fea9fe", "0XA9FEA9FE",
                           "0251.0376.0251.0376", "0xa9.0xfe.0xa9.0xfe", "169.16689662", "169.254.43518",
                           "0251.254.169.254", "::ffff:169.254.169.254", "::ffff:a9fe:a9fe", "0:0:0:0:0:ffff:a9fe:a9fe",
                           "::169.254.169.254", "64:ff9b::a9fe:a9fe", "fe80::1", "FE80::1%25eth0", "fd00:ec2::254",
                           "100.100.100.200", "metadata.google.internal", "METADATA.GOOGLE.INTERNAL.", "metadata",
                           "168.63.129.16"}) {
    EXPECT_TRUE(MetadataHost(host).has_value()) << host;
  }
  for (const char* host : {"169.255.0.1", "10.0.0.1", "example.com", "1.2.3.4", "::1", "2001:db8::1", "0xa9fea9fe.example.com",
                           "169.254.169.254.example.com", "08.1.1.1", "metadata.example.com"}) {
    EXPECT_FALSE(MetadataHost(host).has_value()) << host;
  }
}

TEST(MetadataAddress, UrlAnnotationsPointingThereAreReported) {
  for (const char* url : {"http://169.254.169.254/latest/meta-data/", "http://2852039166/", "http://0xa9fea9fe:80/x",
                          "http://[::ffff:169.254.169.254]/", "http://user@169.254.169.254/", "http://metadata.google.internal/computeMetadata/v1/"}) {
    EXPECT_TRUE(Has(Judge("auth-url", url), rule_ids::kMetadataAddress)) << url;
    EXPECT_TRUE(Has(Judge("mirror-target", url), rule_ids::kMetadataAddress)) << url;
  }
  EXPECT_TRUE(Has(Judge("upstream-vhost", "169.254.169.254"), rule_ids::kMetadataAddress));
  EXPECT_TRUE(Judge("auth-url", "http://auth.example.com/?next=http://169.254.169.254").empty()) << "only the host is a target";
  EXPECT_TRUE(Judge("auth-url", "https://$host/oauth2/auth").empty());
  EXPECT_TRUE(Judge("auth-url", "http://10.0.0.5:4180/oauth2/auth").empty());
}

}  // namespace
}  // namespace riposte::core
