#include "core/annotation_types.h"

#include <algorithm>
#include <unordered_map>

namespace riposte::core {

namespace {

using T = ValueType;
using P = ConfigMapPlacement;

constexpr std::string_view kNightmareFix = "v1.11.5 / v1.12.1";
constexpr std::string_view k2026Fix = "v1.13.7 / v1.14.3";

std::vector<AnnotationType> BuildTable() {
  const std::vector<std::string_view> onoff = {"on", "off"};
  const std::vector<std::string_view> nightmare_url = {"CVE-2025-24514"};
  const std::vector<std::string_view> redirect = {"CVE-2023-5044"};
  const std::vector<std::string_view> mirror = {"CVE-2025-1098"};
  const std::vector<std::string_view> headers_cm = {"CVE-2025-15566"};
  const std::vector<std::string_view> snippet = {"CVE-2021-25742", "CVE-2023-5043"};
  const std::vector<std::string_view> rewrite = {"CVE-2026-3288"};
  return {
      // Authentication
      {"auth-type", T::kEnum, {}, "", {"basic", "digest"}},
      {"auth-secret", T::kReference, {}, "", {}, false, P::kNone, true},
      {"auth-secret-type", T::kEnum, {}, "", {"auth-file", "auth-map"}},
      {"auth-realm", T::kText, {}, "", {}},
      {"auth-url", T::kHttpUrl, nightmare_url, kNightmareFix, {}},
      {"auth-signin", T::kUrl, nightmare_url, kNightmareFix, {}},
      {"auth-signin-redirect-param", T::kToken, {}, "", {}},
      {"auth-method", T::kMethod, {"CVE-2026-1580"}, k2026Fix, {}},
      {"auth-response-headers", T::kHeaderList, {}, "", {}},
      {"auth-proxy-set-headers", T::kHeaderConfigMap, headers_cm, "", {}, false, P::kSingleQuotedHeader, true},
      {"auth-request-redirect", T::kUrlOrPath, nightmare_url, kNightmareFix, {}},
      {"auth-cache-key", T::kVariableExpr, {}, "", {}},
      {"auth-cache-duration", T::kCacheDuration, {}, "", {}},
      {"auth-keepalive", T::kInteger, {}, "", {}},
      {"auth-keepalive-share-vars", T::kBool, {}, "", {}},
      {"auth-keepalive-requests", T::kInteger, {}, "", {}},
      {"auth-keepalive-timeout", T::kInteger, {}, "", {}},
      {"auth-always-set-cookie", T::kBool, {}, "", {}},
      {"enable-global-auth", T::kBool, {}, "", {}},
      {"auth-snippet", T::kSnippet, snippet, "v1.9.0", {}},
      // Removed upstream but still read by older releases in use.
      {"secure-verify-ca-secret", T::kReference, {}, "", {}, false, P::kNone, true},
      {"session-cookie-hash", T::kEnum, {}, "", {"md5", "sha1", "index"}, true},
      {"upstream-max-fails", T::kInteger, {}, "", {}},
      {"upstream-fail-timeout", T::kInteger, {}, "", {}},
      {"secure-backends", T::kBool, {}, "", {}},
      {"grpc-backend", T::kBool, {}, "", {}},
      {"influxdb-measurement", T::kToken, {}, "", {}},
      {"influxdb-port", T::kInteger, {}, "", {}},
      {"influxdb-host", T::kHost, {}, "", {}},
      {"influxdb-server-name", T::kToken, {}, "", {}},
      {"enable-influxdb", T::kBool, {}, "", {}},
      // Client certificates
      {"auth-tls-secret", T::kReference, {}, "", {}, false, P::kNone, true},
      {"auth-tls-verify-depth", T::kInteger, {}, "", {}},
      {"auth-tls-verify-client", T::kEnum, {}, "", {"on", "off", "optional", "optional_no_ca"}},
      {"auth-tls-error-page", T::kErrorPage, {}, "", {}},
      {"auth-tls-pass-certificate-to-upstream", T::kBool, {}, "", {}},
      {"auth-tls-match-cn", T::kCommonName, {"CVE-2025-1097"}, kNightmareFix, {}},
      // Backend
      {"backend-protocol", T::kEnum, {}, "", {"HTTP", "HTTPS", "GRPC", "GRPCS", "AJP", "FCGI", "AUTO_HTTP"}, true},
      {"service-upstream", T::kBool, {}, "", {}},
      {"upstream-vhost", T::kHost, {}, "", {}},
      {"upstream-hash-by", T::kVariableExpr, {}, "", {}},
      {"upstream-hash-by-subset", T::kBool, {}, "", {}},
      {"upstream-hash-by-subset-size", T::kInteger, {}, "", {}},
      {"load-balance", T::kEnum, {}, "",
       {"round_robin", "ewma", "chash", "chashsubset", "sticky_balanced", "sticky_persistent"}, true},
      {"default-backend", T::kReference, {}, "", {}},
      {"custom-http-errors", T::kStatusCodes, {}, "", {}},
      {"disable-proxy-intercept-errors", T::kBool, {}, "", {}},
      {"fastcgi-index", T::kToken, {}, "", {}},
      {"fastcgi-params-configmap", T::kReference, {}, "", {}, false, P::kGoQuotedParam, true},
      {"custom-headers", T::kHeaderConfigMap, headers_cm, "", {}, false, P::kGoQuotedHeader, true},
      // Canary
      {"canary", T::kBool, {}, "", {}},
      {"canary-by-header", T::kHeaderName, {}, "", {}},
      {"canary-by-header-value", T::kToken, {}, "", {}},
      {"canary-by-header-pattern", T::kRegex, {}, "", {}},
      {"canary-by-cookie", T::kToken, {}, "", {}},
      {"canary-weight", T::kInteger, {}, "", {}},
      {"canary-weight-total", T::kInteger, {}, "", {}},
      // CORS
      {"enable-cors", T::kBool, {}, "", {}},
      {"cors-allow-origin", T::kOriginList, {}, "", {}},
      {"cors-allow-methods", T::kMethodList, {}, "", {}},
      {"cors-allow-headers", T::kHeaderList, {}, "", {}},
      {"cors-expose-headers", T::kHeaderList, {}, "", {}},
      {"cors-allow-credentials", T::kBool, {}, "", {}},
      {"cors-max-age", T::kInteger, {}, "", {}},
      // Access control and rate limits
      {"whitelist-source-range", T::kCidrList, {}, "", {}},
      {"allowlist-source-range", T::kCidrList, {}, "", {}},
      {"denylist-source-range", T::kCidrList, {}, "", {}},
      {"limit-whitelist", T::kCidrList, {}, "", {}},
      {"limit-allowlist", T::kCidrList, {}, "", {}},
      {"limit-connections", T::kInteger, {}, "", {}},
      {"limit-rps", T::kInteger, {}, "", {}},
      {"limit-rpm", T::kInteger, {}, "", {}},
      {"limit-burst-multiplier", T::kInteger, {}, "", {}},
      {"limit-rate", T::kInteger, {}, "", {}},
      {"limit-rate-after", T::kInteger, {}, "", {}},
      {"global-rate-limit", T::kInteger, {}, "", {}},
      {"global-rate-limit-window", T::kDuration, {}, "", {}},
      {"global-rate-limit-key", T::kVariableExpr, {}, "", {}},
      {"global-rate-limit-ignored-cidrs", T::kCidrList, {}, "", {}},
      {"satisfy", T::kEnum, {}, "", {"any", "all"}, true},
      // Mirroring
      {"mirror-target", T::kHttpUrl, mirror, kNightmareFix, {}},
      {"mirror-host", T::kHost, mirror, kNightmareFix, {}},
      {"mirror-uri", T::kPath, mirror, kNightmareFix, {}},
      {"mirror-request-body", T::kEnum, mirror, kNightmareFix, onoff},
      // Redirects and rewrites
      {"permanent-redirect", T::kUrlOrPath, redirect, "v1.9.0", {}},
      {"permanent-redirect-code", T::kInteger, redirect, "v1.9.0", {}},
      {"temporal-redirect", T::kUrlOrPath, redirect, "v1.9.0", {}},
      {"temporal-redirect-code", T::kInteger, redirect, "v1.9.0", {}},
      {"ssl-redirect", T::kBool, {}, "", {}},
      {"force-ssl-redirect", T::kBool, {}, "", {}},
      {"from-to-www-redirect", T::kBool, {}, "", {}},
      {"preserve-trailing-slash", T::kBool, {}, "", {}},
      {"use-port-in-redirects", T::kBool, {}, "", {}},
      {"relative-redirects", T::kBool, {}, "", {}},
      {"rewrite-target", T::kPath, rewrite, "v1.14.4 / v1.15.0", {}},
      {"app-root", T::kPath, {}, "", {}},
      {"x-forwarded-prefix", T::kPath, {}, "", {}},
      {"use-regex", T::kBool, {}, "", {}},
      {"server-alias", T::kHostList, {}, "", {}},
      // Proxy tuning
      {"proxy-body-size", T::kSize, {}, "", {}},
      {"client-body-buffer-size", T::kSize, {}, "", {}},
      {"proxy-buffer-size", T::kSize, {}, "", {}},
      {"proxy-buffers-number", T::kInteger, {}, "", {}},
      {"proxy-busy-buffers-size", T::kSize, {}, "", {}},
      {"proxy-max-temp-file-size", T::kSize, {}, "", {}},
      {"proxy-buffering", T::kEnum, {}, "", onoff, true},
      {"proxy-request-buffering", T::kEnum, {}, "", onoff, true},
      {"proxy-connect-timeout", T::kDuration, {}, "", {}},
      {"proxy-send-timeout", T::kDuration, {}, "", {}},
      {"proxy-read-timeout", T::kDuration, {}, "", {}},
      {"proxy-next-upstream", T::kEnumList, {}, "",
       {"error", "timeout", "invalid_header", "http_500", "http_502", "http_503", "http_504", "http_403",
        "http_404", "http_429", "non_idempotent", "off"}},
      {"proxy-next-upstream-tries", T::kInteger, {}, "", {}},
      {"proxy-next-upstream-timeout", T::kDuration, {}, "", {}},
      {"proxy-cookie-domain", T::kRewritePair, {}, "", {}},
      {"proxy-cookie-path", T::kRewritePair, {}, "", {}},
      {"proxy-redirect-from", T::kRewritePair, {}, "", {}},
      {"proxy-redirect-to", T::kRewritePair, {}, "", {}},
      {"proxy-http-version", T::kEnum, {}, "", {"1.0", "1.1"}, true},
      {"connection-proxy-header", T::kToken, {}, "", {}},
      {"http2-push-preload", T::kBool, {}, "", {}},
      // Upstream TLS
      {"proxy-ssl-secret", T::kReference, {}, "", {}, false, P::kNone, true},
      {"proxy-ssl-ciphers", T::kCiphers, {}, "", {}},
      {"proxy-ssl-name", T::kHost, {}, "", {}},
      {"proxy-ssl-protocols", T::kEnumList, {}, "", {"SSLv2", "SSLv3", "TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"}},
      {"proxy-ssl-verify", T::kEnum, {}, "", onoff},
      {"proxy-ssl-verify-depth", T::kInteger, {}, "", {}},
      {"proxy-ssl-server-name", T::kEnum, {}, "", onoff},
      {"ssl-passthrough", T::kBool, {}, "", {}},
      {"ssl-ciphers", T::kCiphers, {}, "", {}},
      {"ssl-prefer-server-ciphers", T::kBool, {}, "", {}},
      // Session affinity
      {"affinity", T::kEnum, {}, "", {"cookie"}, true},
      {"affinity-mode", T::kEnum, {}, "", {"balanced", "persistent"}, true},
      {"affinity-canary-behavior", T::kEnum, {}, "", {"sticky", "legacy"}, true},
      {"session-cookie-name", T::kToken, {}, "", {}},
      {"session-cookie-path", T::kPath, {}, "", {}},
      {"session-cookie-domain", T::kCookieDomain, {}, "", {}},
      {"session-cookie-expires", T::kInteger, {}, "", {}},
      {"session-cookie-max-age", T::kInteger, {}, "", {}},
      {"session-cookie-samesite", T::kEnum, {}, "", {"None", "Lax", "Strict"}, true},
      {"session-cookie-conditional-samesite-none", T::kBool, {}, "", {}},
      {"session-cookie-change-on-failure", T::kBool, {}, "", {}},
      {"session-cookie-secure", T::kBool, {}, "", {}},
      // Logging, tracing, WAF
      {"enable-access-log", T::kBool, {}, "", {}},
      {"enable-rewrite-log", T::kBool, {}, "", {}},
      {"enable-opentelemetry", T::kBool, {}, "", {}},
      {"opentelemetry-trust-incoming-span", T::kBool, {}, "", {}},
      {"opentelemetry-operation-name", T::kText, {}, "", {}},
      {"enable-opentracing", T::kBool, {}, "", {}},
      {"opentracing-trust-incoming-span", T::kBool, {}, "", {}},
      {"enable-modsecurity", T::kBool, {}, "", {}},
      {"enable-owasp-core-rules", T::kBool, {}, "", {}},
      {"modsecurity-transaction-id", T::kVariableExpr, {}, "", {}},
      // Snippets
      {"configuration-snippet", T::kSnippet, snippet, "v1.9.0", {}},
      {"server-snippet", T::kSnippet, snippet, "v1.9.0", {}},
      {"modsecurity-snippet", T::kSnippet, snippet, "v1.9.0", {}},
      {"stream-snippet", T::kSnippet, snippet, "v1.9.0", {}},
  };
}

const std::vector<AnnotationType>& Table() {
  static const std::vector<AnnotationType> table = BuildTable();
  return table;
}

const std::unordered_map<std::string_view, const AnnotationType*>& Index() {
  static const auto index = [] {
    std::unordered_map<std::string_view, const AnnotationType*> m;
    for (const auto& t : Table()) m.emplace(t.name, &t);
    return m;
  }();
  return index;
}

}  // namespace

std::string_view ValueTypeName(ValueType t) {
  switch (t) {
    case T::kUrl: return "URL";
    case T::kHttpUrl: return "http(s) URL";
    case T::kOriginList: return "CORS origin list";
    case T::kHost: return "host name";
    case T::kHostList: return "host name list";
    case T::kCommonName: return "CN regex";
    case T::kRegex: return "regex";
    case T::kHeaderName: return "header name";
    case T::kHeaderList: return "header list";
    case T::kMethod: return "HTTP method";
    case T::kMethodList: return "HTTP method list";
    case T::kSize: return "size";
    case T::kDuration: return "duration";
    case T::kInteger: return "integer";
    case T::kBool: return "boolean";
    case T::kEnum: return "enum";
    case T::kEnumList: return "enum list";
    case T::kCidrList: return "CIDR list";
    case T::kVariableExpr: return "nginx variable expression";
    case T::kPath: return "path";
    case T::kReference: return "namespace/name reference";
    case T::kHeaderConfigMap: return "header ConfigMap reference";
    case T::kStatusCodes: return "status code list";
    case T::kCacheDuration: return "cache duration";
    case T::kCiphers: return "cipher list";
    case T::kToken: return "token";
    case T::kText: return "free text";
    case T::kRewritePair: return "rewrite pair";
    case T::kSnippet: return "snippet";
    case T::kCookieDomain: return "cookie domain";
    case T::kErrorPage: return "error page (URL, path or @location)";
    case T::kUrlOrPath: return "URL or path";
  }
  return "value";
}

const AnnotationType* FindAnnotationType(std::string_view name) {
  const auto& index = Index();
  auto it = index.find(name);
  return it == index.end() ? nullptr : it->second;
}

std::span<const AnnotationType> AllAnnotationTypes() { return Table(); }

Check ValidateAnnotationValue(const AnnotationType& type, std::string_view v) {
  switch (type.type) {
    case T::kUrl: return CheckUrl(v, false);
    case T::kHttpUrl: return CheckUrl(v, true);
    case T::kOriginList: return CheckOriginList(v);
    case T::kHost: return CheckHost(v, true);
    case T::kHostList: return CheckHostList(v);
    case T::kCommonName: return CheckCommonName(v);
    case T::kRegex: return CheckRegex(v, 0, false);
    case T::kHeaderName: return CheckHeaderName(v);
    case T::kHeaderList: return CheckHeaderList(v, true);
    case T::kMethod: return CheckMethod(v);
    case T::kMethodList: return CheckMethodList(v);
    case T::kSize: return CheckSize(v);
    case T::kDuration: return CheckDuration(v);
    case T::kInteger: return CheckInteger(v);
    case T::kBool: return CheckBool(v);
    case T::kEnum: return CheckEnum(v, type.values, false);
    case T::kEnumList: return CheckEnum(v, type.values, true);
    case T::kCidrList: return CheckCidrList(v);
    case T::kVariableExpr: return CheckVariableExpression(v);
    case T::kPath: return CheckPathValue(v);
    case T::kReference:
    case T::kHeaderConfigMap: return CheckReference(v);
    case T::kStatusCodes: return CheckStatusCodeList(v);
    case T::kCacheDuration: return CheckCacheDuration(v);
    case T::kCiphers: return CheckCipherList(v);
    case T::kToken: return CheckToken(v);
    case T::kText: return CheckText(v);
    case T::kRewritePair: return CheckRewritePair(v);
    case T::kSnippet: return std::nullopt;  // judged by the snippet rules
    case T::kCookieDomain: return CheckCookieDomain(v);
    case T::kErrorPage: return CheckErrorPage(v);
    case T::kUrlOrPath: return CheckPathValue(v);
  }
  return std::nullopt;
}

}  // namespace riposte::core
