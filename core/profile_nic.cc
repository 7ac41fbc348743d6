// F5 NGINX Ingress Controller profile. Annotation types and where each value lands come from
// nginx/kubernetes-ingress (internal/k8s/validation.go annotationValidations,
// internal/configs/annotations.go, parsing_helpers.go, version1/nginx*.ingress.tmpl,
// version2/nginx.virtualserver.tmpl); docs/profiles.md cites them.
#include "core/profile_nic.h"

#include <algorithm>
#include <array>
#include <unordered_map>

#include "core/kubectl_reader.h"
#include "core/rules.h"
#include "core/scanners.h"
#include "core/text.h"

namespace riposte::core {

namespace {

using T = NicType;
using S = Sink;

constexpr std::string_view kSnippetsKey = "profiles.f5NginxIngress.snippets";

std::vector<NicAnnotation> BuildTable() {
  const std::vector<std::string_view> none;
  return {
      // Snippets: raw configuration, only with -enable-snippets.
      {"nginx.org/server-snippets", T::kSnippet, S::kRaw, "the server block", none},
      {"nginx.org/location-snippets", T::kSnippet, S::kRaw, "every location block of the Ingress", none},
      // Written unquoted with weak or no validation by the controller.
      {"nginx.org/ssl-ciphers", T::kCiphers, S::kUnquoted, "ssl_ciphers", none},
      {"nginx.org/lb-method", T::kLbMethod, S::kUnquoted, "the upstream's load-balancing directive", none, true},
      {"nginx.org/sticky-cookie-services", T::kStickyCookie, S::kUnquoted, "sticky cookie", none},
      {"nginx.com/sticky-cookie-services", T::kStickyCookie, S::kUnquoted, "sticky cookie", none},
      {"nginx.com/jwt-token", T::kJwtToken, S::kUnquoted, "auth_jwt ... token=", none},
      {"nginx.com/jwt-login-url", T::kLoginUrl, S::kUnquoted, "the JWT login redirect", none},
      {"appprotect.f5.com/app-protect-security-log-destination", T::kLogDestinations, S::kUnquoted,
       "app_protect_security_log", none},
      // Written unquoted, validated by the controller.
      {"nginx.org/rewrite-target", T::kRewriteTarget, S::kUnquoted, "rewrite", none},
      {"nginx.org/rewrites", T::kRewrites, S::kUnquoted, "proxy_pass", none},
      {"nginx.org/app-root", T::kAppRoot, S::kUnquoted, "return 302", none},
      {"nginx.org/proxy-redirect-from", T::kProxyRedirect, S::kUnquoted, "proxy_redirect", none},
      {"nginx.org/proxy-redirect-to", T::kProxyRedirect, S::kUnquoted, "proxy_redirect", none},
      {"nginx.org/limit-req-key", T::kLimitReqKey, S::kUnquoted, "limit_req_zone", none},
      {"nginx.org/proxy-hide-headers", T::kHeaderNames, S::kUnquoted, "proxy_hide_header", none},
      {"nginx.org/proxy-pass-headers", T::kHeaderNames, S::kUnquoted, "proxy_pass_header", none},
      {"nginx.org/proxy-next-upstream", T::kNextUpstream, S::kUnquoted, "proxy_next_upstream", none},
      {"nginx.org/proxy-connect-timeout", T::kTime, S::kUnquoted, "proxy_connect_timeout", none, true},
      {"nginx.org/proxy-read-timeout", T::kTime, S::kUnquoted, "proxy_read_timeout", none, true},
      {"nginx.org/proxy-send-timeout", T::kTime, S::kUnquoted, "proxy_send_timeout", none, true},
      {"nginx.org/proxy-next-upstream-timeout", T::kTime, S::kUnquoted, "proxy_next_upstream_timeout", none, true},
      {"nginx.org/fail-timeout", T::kTime, S::kUnquoted, "server ... fail_timeout=", none, true},
      {"nginx.com/slow-start", T::kTime, S::kUnquoted, "server ... slow_start=", none, true},
      {"nginx.org/client-max-body-size", T::kOffset, S::kUnquoted, "client_max_body_size", none, true},
      {"nginx.org/client-body-buffer-size", T::kSize, S::kUnquoted, "client_body_buffer_size", none, true},
      {"nginx.org/proxy-buffer-size", T::kSize, S::kUnquoted, "proxy_buffer_size", none, true},
      {"nginx.org/proxy-busy-buffers-size", T::kSize, S::kUnquoted, "proxy_busy_buffers_size", none, true},
      {"nginx.org/proxy-max-temp-file-size", T::kSize, S::kUnquoted, "proxy_max_temp_file_size", none, true},
      {"nginx.org/upstream-zone-size", T::kSize, S::kUnquoted, "zone", none, true},
      {"nginx.org/limit-req-zone-size", T::kSize, S::kUnquoted, "limit_req_zone", none, true},
      {"nginx.org/proxy-buffers", T::kProxyBuffers, S::kUnquoted, "proxy_buffers", none, true},
      {"nginx.org/limit-req-rate", T::kRate, S::kUnquoted, "limit_req_zone ... rate=", none, true},
      {"nginx.org/keepalive", T::kInt, S::kUnquoted, "keepalive", none},
      {"nginx.org/max-fails", T::kUint, S::kUnquoted, "server ... max_fails=", none},
      {"nginx.org/max-conns", T::kUint, S::kUnquoted, "server ... max_conns=", none},
      {"nginx.org/proxy-next-upstream-tries", T::kUint, S::kUnquoted, "proxy_next_upstream_tries", none},
      {"nginx.org/limit-req-burst", T::kInt, S::kUnquoted, "limit_req ... burst=", none},
      {"nginx.org/limit-req-delay", T::kInt, S::kUnquoted, "limit_req ... delay=", none},
      {"nginx.org/limit-req-reject-code", T::kInt, S::kUnquoted, "limit_req_status", none},
      {"nginx.org/hsts-max-age", T::kInt, S::kUnquoted, "the Strict-Transport-Security header", none},
      {"nginx.com/health-checks-mandatory-queue", T::kUint, S::kUnquoted, "queue", none},
      {"nginx.org/listen-ports", T::kPorts, S::kUnquoted, "listen", none},
      {"nginx.org/listen-ports-ssl", T::kPorts, S::kUnquoted, "listen ... ssl", none},
      {"nginx.org/http-redirect-code", T::kRedirectCode, S::kUnquoted, "return", none},
      {"nginx.org/custom-http-errors", T::kCustomErrors, S::kUnquoted, "error_page", none},
      // Written inside double quotes.
      {"nginx.com/jwt-realm", T::kRealm, S::kDoubleQuoted, "auth_jwt \"...\"", none},
      {"nginx.org/server-tokens", T::kServerTokens, S::kDoubleQuoted, "server_tokens \"...\" (NGINX Plus)", none},
      // Quoted with Go's %q (escaped), or never written as text.
      {"nginx.org/basic-auth-realm", T::kRealm, S::kEscaped, "auth_basic", none},
      {"nginx.org/proxy-set-headers", T::kProxySetHeaders, S::kEscaped, "proxy_set_header", none},
      {"nginx.org/add-header", T::kAddHeaders, S::kEscaped, "add_header", none},
      {"nginx.org/add-header-inherit", T::kEnum, S::kNone, "", {"on", "off", "merge"}, true},
      {"nginx.org/path-regex", T::kEnum, S::kNone, "", {"case_sensitive", "case_insensitive", "exact"}},
      {"nginx.org/mergeable-ingress-type", T::kEnum, S::kNone, "", {"master", "minion"}},
      {"nginx.org/limit-req-log-level", T::kEnum, S::kNone, "", {"info", "notice", "warn", "error"}},
      {"nginx.org/basic-auth-secret", T::kName, S::kNone, "", none},
      {"nginx.com/jwt-key", T::kName, S::kNone, "", none},
      {"nginx.org/ssl-services", T::kServices, S::kNone, "", none},
      {"nginx.org/grpc-services", T::kServices, S::kNone, "", none},
      {"nginx.org/websocket-services", T::kServices, S::kNone, "", none},
      {"nginx.org/policies", T::kPolicies, S::kNone, "", none},
      {"nginx.com/policies", T::kPolicies, S::kNone, "", none},
      {"appprotect.f5.com/app-protect-policy", T::kQualifiedName, S::kNone, "", none},
      {"appprotect.f5.com/app-protect-security-log", T::kQualifiedNames, S::kNone, "", none},
      {"appprotectdos.f5.com/app-protect-dos-resource", T::kQualifiedName, S::kNone, "", none},
      // Booleans choose template branches.
      {"nginx.org/redirect-to-https", T::kBool, S::kNone, "", none},
      {"nginx.org/ssl-redirect", T::kBool, S::kNone, "", none},
      {"ingress.kubernetes.io/ssl-redirect", T::kBool, S::kNone, "", none},
      {"nginx.org/proxy-buffering", T::kBool, S::kNone, "", none},
      {"nginx.org/hsts", T::kBool, S::kNone, "", none},
      {"nginx.org/hsts-include-subdomains", T::kBool, S::kNone, "", none},
      {"nginx.org/hsts-behind-proxy", T::kBool, S::kNone, "", none},
      {"nginx.org/ssl-prefer-server-ciphers", T::kBool, S::kNone, "", none},
      {"nginx.org/use-cluster-ip", T::kBool, S::kNone, "", none},
      {"nginx.org/limit-req-no-delay", T::kBool, S::kNone, "", none},
      {"nginx.org/limit-req-dry-run", T::kBool, S::kNone, "", none},
      {"nginx.org/limit-req-scale", T::kBool, S::kNone, "", none},
      {"nginx.com/health-checks", T::kBool, S::kNone, "", none},
      {"nginx.com/health-checks-mandatory", T::kBool, S::kNone, "", none},
      {"appprotect.f5.com/app-protect-enable", T::kBool, S::kNone, "", none},
      {"appprotect.f5.com/app-protect-security-log-enable", T::kBool, S::kNone, "", none},
  };
}

const std::vector<NicAnnotation>& Table() {
  static const std::vector<NicAnnotation> table = BuildTable();
  return table;
}

const std::unordered_map<std::string_view, const NicAnnotation*>& Index() {
  static const auto index = [] {
    std::unordered_map<std::string_view, const NicAnnotation*> m;
    for (const auto& a : Table()) m.emplace(a.key, &a);
    return m;
  }();
  return index;
}

Violation At(size_t pos, std::string reason) { return Violation{pos, std::move(reason)}; }

bool AllDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return IsDigit(c); });
}

// Go's regexp \s: [\t\n\f\r ].
bool IsGoSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r'; }

std::string_view TrimAscii(std::string_view s, size_t* offset = nullptr) {
  size_t b = 0, e = s.size();
  while (b < e && IsSpace(s[b])) ++b;
  while (e > b && IsSpace(s[e - 1])) --e;
  if (offset != nullptr) *offset = b;
  return s.substr(b, e - b);
}

// Calls fn(item, offset) for each `sep`-separated item, as written (no trimming).
template <typename F>
Check Items(std::string_view v, char sep, F fn) {
  size_t start = 0;
  while (true) {
    size_t end = v.find(sep, start);
    if (end == std::string_view::npos) end = v.size();
    if (auto bad = fn(v.substr(start, end - start), start)) return bad;
    if (end == v.size()) return std::nullopt;
    start = end + 1;
  }
}

Check Shifted(Check c, size_t offset) {
  if (c) c->pos += offset;
  return c;
}

Check CheckGoBool(std::string_view v) {
  static constexpr std::array<std::string_view, 12> kValues = {"1", "t", "T", "TRUE", "true", "True",
                                                               "0", "f", "F", "FALSE", "false", "False"};
  for (auto b : kValues) {
    if (v == b) return std::nullopt;
  }
  return At(0, "not a boolean (true, false, 1, 0, t, f)");
}

// ^(\d+y)??\s*(\d+M)??\s*(\d+w)??\s*(\d+d)??\s*(\d+h)??\s*(\d+m)??\s*(\d+s?)??\s*(\d+ms)??$
Check CheckNicTime(std::string_view v) {
  static constexpr std::array<std::string_view, 8> kUnits = {"y", "M", "w", "d", "h", "m", "s", "ms"};
  size_t i = 0, next = 0, groups = 0;
  while (true) {
    while (i < v.size() && IsGoSpace(v[i])) ++i;
    if (i == v.size()) break;
    const size_t start = i;
    while (i < v.size() && IsDigit(v[i])) ++i;
    if (i == start) return At(start, "not a time such as 30s, 1m30s or 500ms");
    size_t unit = 6;  // a bare number is seconds
    for (size_t u = 0; u < kUnits.size(); ++u) {
      const auto name = kUnits[u];
      if (v.substr(i, name.size()) == name && (u != 5 || v.substr(i, 2) != "ms")) {
        unit = u;
        i += name.size();
        break;
      }
    }
    if (unit < next) return At(start, "time units must be in the order y M w d h m s ms, each at most once");
    next = unit + 1;
    ++groups;
  }
  if (groups == 0) return At(0, "empty time");
  return std::nullopt;
}

Check CheckDigitsUnit(std::string_view v, std::string_view units, std::string_view what) {
  size_t i = 0;
  while (i < v.size() && IsDigit(v[i])) ++i;
  if (i == 0) return At(0, "not " + std::string(what));
  if (i == v.size()) return std::nullopt;
  if (i + 1 == v.size() && units.find(v[i]) != std::string_view::npos) return std::nullopt;
  return At(i, "not " + std::string(what));
}

Check CheckNicInt(std::string_view v, bool allow_sign) {
  std::string_view digits = v;
  if (allow_sign && !digits.empty() && (digits[0] == '-' || digits[0] == '+')) digits.remove_prefix(1);
  if (!AllDigits(digits) || digits.size() > 19) return At(0, allow_sign ? "not an integer" : "not a non-negative integer");
  return std::nullopt;
}

bool IsHeaderToken(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return IsAlnum(c) || c == '-'; });
}

// k8s IsQualifiedName: [prefix/]name, name ([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9], <= 63.
bool IsQualifiedName(std::string_view s) {
  const size_t slash = s.find('/');
  std::string_view name = s;
  if (slash != std::string_view::npos) {
    if (!IsDnsSubdomain(s.substr(0, slash))) return false;
    name = s.substr(slash + 1);
  }
  if (name.empty() || name.size() > 63 || !IsAlnum(name.front()) || !IsAlnum(name.back())) return false;
  return std::all_of(name.begin(), name.end(), [](char c) { return IsAlnum(c) || c == '-' || c == '_' || c == '.'; });
}

// ([^"$\\]|\\[^$])*
Check CheckEscapedNoDollar(std::string_view v, std::string_view what) {
  for (size_t i = 0; i < v.size(); ++i) {
    if (v[i] == '$') return At(i, "'$' is not allowed in " + std::string(what));
    if (v[i] == '"') return At(i, "'\"' must be escaped in " + std::string(what));
    if (v[i] == '\\') {
      if (i + 1 == v.size() || v[i + 1] == '$') return At(i, "a '\\' must escape a character other than '$' in " + std::string(what));
      ++i;
    }
  }
  return std::nullopt;
}

// A header value as ValidateAddHeaderValue accepts it: no $ and CR/LF, quotes escaped.
Check CheckHeaderValue(std::string_view v) {
  for (size_t i = 0; i < v.size(); ++i) {
    if (v[i] == '$') return At(i, "'$' is not allowed in a header value");
    if (v[i] == '\n' || v[i] == '\r') return At(i, "a line break is not allowed in a header value");
    if (v[i] == '"') return At(i, "'\"' must be escaped in a header value");
    if (v[i] == '\\') {
      if (i + 1 == v.size()) return At(i, "a header value must not end with '\\'");
      ++i;
    }
  }
  return std::nullopt;
}

// `/[^\s{};\\]*`, no leading //, no ".." segment.
Check CheckNicPath(std::string_view v, std::string_view what) {
  if (v.empty() || v[0] != '/') return At(0, std::string(what) + " must start with '/'");
  if (v.substr(0, 2) == "//") return At(0, std::string(what) + " must not start with '//'");
  for (size_t i = 0; i < v.size(); ++i) {
    const char c = v[i];
    if (IsSpace(c) || c == '{' || c == '}' || c == ';' || c == '\\') {
      return At(i, std::string(c == ' ' ? "a space" : IsSpace(c) ? "whitespace" : std::string("'") + c + "'") +
                       " is not allowed in " + std::string(what));
    }
  }
  size_t start = 0;
  while (start <= v.size()) {
    size_t end = v.find('/', start);
    if (end == std::string_view::npos) end = v.size();
    if (v.substr(start, end - start) == "..") return At(start, "'..' path segment in " + std::string(what));
    start = end + 1;
  }
  return std::nullopt;
}

Check CheckLbMethod(std::string_view v) {
  static constexpr std::array<std::string_view, 12> kMethods = {
      "round_robin", "least_conn", "ip_hash", "random", "random two", "random two least_conn",
      // NGINX Plus
      "random two least_time=header", "random two least_time=last_byte", "least_time header", "least_time last_byte",
      "least_time header inflight", "least_time last_byte inflight"};
  for (auto m : kMethods) {
    if (v == m) return std::nullopt;
  }
  if (v.substr(0, 5) != "hash ") return At(0, "not a load-balancing method (round_robin, least_conn, ip_hash, random, hash <key> ...)");
  // hash <key> [consistent], split on single spaces as ParseLBMethod does.
  std::string_view rest = v.substr(5);
  const size_t space = rest.find(' ');
  std::string_view key = rest.substr(0, space);
  if (space != std::string_view::npos && rest.substr(space + 1) != "consistent") {
    return At(5 + space + 1, "only 'consistent' may follow the hash key");
  }
  if (key.empty()) return At(5, "empty hash key");
  // The key: nginx variables and plain characters, as `hash $remote_addr` or `hash $cookie_x$uri`.
  for (size_t i = 0; i < key.size();) {
    if (key[i] == '$') {
      const size_t n = NginxVariableLength(key, i);
      if (n == 0) return At(5 + i, "'$' does not start a valid nginx variable in the hash key");
      i += n;
      continue;
    }
    const char c = key[i];
    if (!(IsAlnum(c) || c == '_' || c == '-' || c == '.' || c == ':' || c == '/')) {
      return At(5 + i, (IsSpace(c) ? std::string("whitespace") : std::string("'") + c + "'") + " is not allowed in the hash key");
    }
    ++i;
  }
  return std::nullopt;
}

Check CheckNextUpstream(std::string_view v) {
  static constexpr std::array<std::string_view, 13> kValues = {
      "error", "timeout", "invalid_header", "http_500", "http_502", "http_503", "http_504",
      "http_403", "http_404", "http_429", "non_idempotent", "off", "denied"};
  size_t i = 0;
  std::vector<std::string_view> seen;
  while (i < v.size()) {
    while (i < v.size() && IsSpace(v[i])) ++i;
    if (i == v.size()) break;
    const size_t start = i;
    while (i < v.size() && !IsSpace(v[i])) ++i;
    const std::string_view item = v.substr(start, i - start);
    if (std::find(kValues.begin(), kValues.end(), item) == kValues.end()) {
      return At(start, "\"" + EscapeForDisplay(item.substr(0, 40)) + "\" is not a proxy_next_upstream condition");
    }
    if (std::find(seen.begin(), seen.end(), item) != seen.end()) return At(start, "duplicate condition");
    seen.push_back(item);
  }
  return std::nullopt;
}

Check CheckRate(std::string_view v) {
  size_t i = 0;
  while (i < v.size() && IsDigit(v[i])) ++i;
  if (i == 0 || (v.substr(i) != "r/s" && v.substr(i) != "r/m")) return At(0, "not a rate such as 10r/s or 100r/m");
  if (v.substr(0, i).find_first_not_of('0') == std::string_view::npos) return At(0, "rate must be greater than 0");
  return std::nullopt;
}

Check CheckLimitReqKey(std::string_view v) {
  if (v.empty()) return At(0, "empty key");
  for (size_t i = 0; i < v.size();) {
    if (v[i] != '$') return At(i, "the key may only consist of nginx variables ($name or ${name})");
    const size_t n = NginxVariableLength(v, i);
    if (n == 0 || IsDigit(v[i + (v[i + 1] == '{' ? 2 : 1)])) return At(i, "not a valid nginx variable");
    i += n;
  }
  return std::nullopt;
}

Check CheckCustomErrors(std::string_view v) {
  size_t codes = 0;
  auto bad = Items(v, ',', [&](std::string_view raw, size_t off) -> Check {
    size_t lead = 0;
    std::string_view item = TrimAscii(raw, &lead);
    if (item.empty()) return std::nullopt;
    ++codes;
    if (item.size() == 3 && (item[0] == '4' || item[0] == '5') && (item[1] == 'x' || item[1] == 'X') &&
        (item[2] == 'x' || item[2] == 'X')) {
      return std::nullopt;
    }
    if (!AllDigits(item) || item.size() != 3) return At(off + lead, "not a status code, 4xx or 5xx");
    const int code = (item[0] - '0') * 100 + (item[1] - '0') * 10 + (item[2] - '0');
    if (code < 300 || code > 599 || code == 499) return At(off + lead, "status code out of range [300, 599] (499 excluded)");
    return std::nullopt;
  });
  if (bad) return bad;
  if (codes == 0) return At(0, "no status codes");
  return std::nullopt;
}

Check CheckStickyCookie(std::string_view v) {
  return Items(v, ';', [](std::string_view item, size_t off) -> Check {
    const size_t space = item.find(' ');
    if (space == std::string_view::npos) return At(off, "each entry is 'serviceName=<service> <cookie> [parameters]'");
    const std::string_view svc = item.substr(0, space);
    const size_t eq = svc.find('=');
    if (eq == std::string_view::npos || svc.find('=', eq + 1) != std::string_view::npos || !IsDnsLabel(svc.substr(eq + 1))) {
      return At(off, "'serviceName=<service>' must name a Service");
    }
    // The rest is written after `sticky cookie`: a cookie name and name[=value] parameters.
    const std::string_view params = item.substr(space + 1);
    for (size_t i = 0; i < params.size();) {
      const char c = params[i];
      if (c == '$') {
        const size_t n = NginxVariableLength(params, i);
        if (n == 0) return At(off + space + 1 + i, "'$' does not start a valid nginx variable");
        i += n;
        continue;
      }
      if (!(IsAlnum(c) || c == ' ' || c == '_' || c == '-' || c == '.' || c == '/' || c == ':' || c == '=')) {
        return At(off + space + 1 + i, (IsSpace(c) ? std::string("whitespace") : std::string("'") + c + "'") +
                                           " is not allowed in sticky cookie parameters");
      }
      ++i;
    }
    if (params.empty() || params[0] == ' ') return At(off + space + 1, "missing cookie name");
    return std::nullopt;
  });
}

Check CheckRewrites(std::string_view v) {
  return Items(v, ';', [](std::string_view raw, size_t off) -> Check {
    size_t lead = 0;
    const std::string_view item = TrimAscii(raw, &lead);
    off += lead;
    const size_t space = item.find(' ');
    if (space == std::string_view::npos || item.substr(0, 12) != "serviceName=" ||
        !IsDnsLabel(item.substr(12, space - 12))) {
      return At(off, "each entry is 'serviceName=<service> rewrite=<path>'");
    }
    const std::string_view rw = item.substr(space + 1);
    if (rw.substr(0, 8) != "rewrite=") return At(off + space + 1, "expected rewrite=<path>");
    const std::string_view path = rw.substr(8);
    if (path.empty() || path[0] != '/') return At(off + space + 9, "rewrite path must start with '/'");
    for (size_t i = 0; i < path.size(); ++i) {
      const char c = path[i];
      if (IsSpace(c) || c == '{' || c == '}' || c == ';' || c == '$' || c == '=') {
        return At(off + space + 9 + i, std::string(IsSpace(c) ? "whitespace" : std::string("'") + c + "'") +
                                           " is not allowed in a rewrite path");
      }
    }
    return std::nullopt;
  });
}

Check CheckRewriteTarget(std::string_view v) {
  if (v.substr(0, 7) == "http://" || v.substr(0, 8) == "https://") return At(0, "absolute URLs are not allowed");
  if (auto bad = CheckNicPath(v, "a rewrite target")) return bad;
  const size_t bad = v.find_first_of(";{}[]|<>,^`~");
  if (bad != std::string_view::npos) return At(bad, std::string("'") + v[bad] + "' is not allowed in a rewrite target");
  return std::nullopt;
}

Check CheckAppRoot(std::string_view v) {
  if (v == "/") return At(0, "app root cannot be '/'");
  if (auto bad = CheckNicPath(v, "an app root")) return bad;
  for (size_t i = 0; i < v.size(); ++i) {
    const char c = v[i];
    const bool ok = IsAlnum(c) || std::string_view("-_.!*'():@&=+,/?%").find(c) != std::string_view::npos;
    if (!ok) return At(i, std::string("'") + c + "' is not allowed in an app root");
  }
  if (v.back() == '/') return At(v.size() - 1, "app root must not end with '/'");
  return std::nullopt;
}

Check CheckProxyRedirect(std::string_view v) {
  if (v.empty()) return At(0, "empty value");
  for (size_t i = 0; i < v.size(); ++i) {
    const char c = v[i];
    if (c == ';' || c == '{' || c == '}' || c == '`' || c == '#' || IsSpace(c)) {
      return At(i, (IsSpace(c) ? std::string("whitespace") : std::string("'") + c + "'") + " is not allowed in proxy_redirect");
    }
  }
  return std::nullopt;
}

Check CheckHeaderEntries(std::string_view v, bool add_header) {
  return Items(v, ',', [add_header](std::string_view raw, size_t off) -> Check {
    size_t lead = 0;
    const std::string_view entry = TrimAscii(raw, &lead);
    off += lead;
    if (entry.empty()) return At(off, "empty entry");
    const size_t colon = entry.find(':');
    size_t name_lead = 0;
    const std::string_view name = TrimAscii(entry.substr(0, colon), &name_lead);
    if (!IsHeaderToken(name)) return At(off + name_lead, "not a valid header name");
    if (colon == std::string_view::npos) return add_header ? Check(At(off, "add-header entries are Name:Value")) : std::nullopt;
    std::string_view rest = entry.substr(colon + 1);
    std::string_view flag;
    if (add_header) {
      const size_t second = rest.find(':');
      if (second != std::string_view::npos) {
        flag = TrimAscii(rest.substr(second + 1));
        rest = rest.substr(0, second);
        if (!flag.empty() && flag != "always" && flag != "ALWAYS" && flag != "Always") {
          return At(off + colon + 1 + second + 1, "only 'always' may follow the header value");
        }
      }
    }
    size_t value_lead = 0;
    const std::string_view value = TrimAscii(rest, &value_lead);
    return Shifted(CheckHeaderValue(value), off + colon + 1 + value_lead);
  });
}

Check CheckPorts(std::string_view v) {
  return Items(v, ',', [](std::string_view item, size_t off) -> Check {
    if (!AllDigits(item) || item.size() > 5) return At(off, "not a port number");
    const int port = std::stoi(std::string(item));
    if (port < 1 || port > 65535) return At(off, "port out of range [1, 65535]");
    return std::nullopt;
  });
}

Check CheckServices(std::string_view v) {
  return Items(v, ',', [](std::string_view item, size_t off) -> Check {
    if (!IsDnsLabel(item)) return At(off, "not a Service name");
    return std::nullopt;
  });
}

Check CheckPolicies(std::string_view v) {
  return Items(v, ',', [](std::string_view raw, size_t off) -> Check {
    size_t lead = 0;
    const std::string_view item = TrimAscii(raw, &lead);
    const size_t slash = item.find('/');
    if (slash != std::string_view::npos && !IsDnsSubdomain(item.substr(0, slash))) return At(off + lead, "not a namespace name");
    const std::string_view name = slash == std::string_view::npos ? item : item.substr(slash + 1);
    if (!IsDnsSubdomain(name)) return At(off + lead, "not a Policy name");
    return std::nullopt;
  });
}

Check CheckCiphers(std::string_view v) {
  if (v.empty()) return At(0, "empty cipher list");
  for (size_t i = 0; i < v.size(); ++i) {
    const char c = v[i];
    if (!(IsAlnum(c) || std::string_view("_:+!@.=-,").find(c) != std::string_view::npos)) {
      return At(i, (IsSpace(c) ? std::string("whitespace") : std::string("'") + c + "'") +
                       " is not allowed in an OpenSSL cipher list written as one nginx token");
    }
  }
  return std::nullopt;
}

Check CheckLoginUrl(std::string_view v) {
  if (v.substr(0, 7) != "http://" && v.substr(0, 8) != "https://") return At(0, "must be an absolute http(s) URL");
  const size_t bad = v.find_first_of(";{}$`\"\\# \t\r\n");
  if (bad != std::string_view::npos) return At(bad, std::string("'") + v[bad] + "' is not allowed in the login URL");
  return CheckUrl(v, true);
}

bool IsIPv4Like(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return IsDigit(c) || c == '.'; });
}

Check CheckLogDestinations(std::string_view v) {
  return Items(v, ',', [](std::string_view item, size_t off) -> Check {
    if (item == "stderr") return std::nullopt;
    if (!item.empty() && item[0] == '/') {
      for (size_t i = 0; i < item.size(); ++i) {
        if (IsSpace(item[i]) || std::string_view(";{}$`\"'\\#").find(item[i]) != std::string_view::npos) {
          return At(off + i, std::string("'") + item[i] + "' is not allowed in a log file path");
        }
      }
      return std::nullopt;
    }
    constexpr std::string_view kSyslog = "syslog:server=";
    if (item.substr(0, kSyslog.size()) == kSyslog) {
      const std::string_view target = item.substr(kSyslog.size());
      const size_t colon = target.rfind(':');
      if (colon != std::string_view::npos && colon > 0 && AllDigits(target.substr(colon + 1)) && colon + 6 >= target.size()) {
        const std::string_view host = target.substr(0, colon);
        if (host == "localhost" || IsIPv4Like(host) ||
            std::all_of(host.begin(), host.end(), [](char c) { return IsAlnum(c) || c == '.' || c == '_' || c == '-'; })) {
          return std::nullopt;
        }
      }
    }
    return At(off, "not a log destination (syslog:server=<host>:<port>, stderr or /path)");
  });
}

}  // namespace

std::span<const NicAnnotation> NicAnnotations() { return Table(); }

const NicAnnotation* FindNicAnnotation(std::string_view key) {
  const auto& index = Index();
  auto it = index.find(key);
  return it == index.end() ? nullptr : it->second;
}

bool IsNicAnnotationKey(std::string_view key) {
  auto starts = [&](std::string_view p) { return key.size() > p.size() && key.compare(0, p.size(), p) == 0; };
  return starts("nginx.org/") || starts("nginx.com/") || starts("appprotect.f5.com/") ||
         starts("appprotectdos.f5.com/") || key == "ingress.kubernetes.io/ssl-redirect";
}

std::string_view NicTypeName(NicType t) {
  switch (t) {
    case T::kSnippet: return "snippet";
    case T::kBool: return "boolean";
    case T::kTime: return "time";
    case T::kOffset: return "offset";
    case T::kSize: return "size";
    case T::kProxyBuffers: return "proxy buffers (number size)";
    case T::kUint: return "non-negative integer";
    case T::kInt: return "integer";
    case T::kLbMethod: return "load-balancing method";
    case T::kNextUpstream: return "proxy_next_upstream condition list";
    case T::kEnum: return "enum";
    case T::kRate: return "request rate";
    case T::kLimitReqKey: return "nginx variable key";
    case T::kRedirectCode: return "redirect code";
    case T::kCustomErrors: return "status code list";
    case T::kPorts: return "port list";
    case T::kServices: return "Service name list";
    case T::kRewrites: return "rewrite list";
    case T::kStickyCookie: return "sticky cookie list";
    case T::kRewriteTarget: return "rewrite target";
    case T::kAppRoot: return "app root path";
    case T::kProxyRedirect: return "proxy_redirect argument";
    case T::kProxySetHeaders: return "header list (Name[:Value])";
    case T::kAddHeaders: return "header list (Name:Value[:always])";
    case T::kHeaderNames: return "header name list";
    case T::kName: return "object name";
    case T::kRealm: return "realm";
    case T::kServerTokens: return "server tokens";
    case T::kCiphers: return "cipher list";
    case T::kPolicies: return "Policy reference list";
    case T::kJwtToken: return "nginx variable";
    case T::kLoginUrl: return "login URL";
    case T::kQualifiedName: return "qualified name";
    case T::kQualifiedNames: return "qualified name list";
    case T::kLogDestinations: return "log destination list";
  }
  return "value";
}

Check ValidateNicValue(const NicAnnotation& a, std::string_view v) {
  switch (a.type) {
    case T::kSnippet: return std::nullopt;
    case T::kBool: return CheckGoBool(v);
    case T::kTime: return CheckNicTime(v);
    case T::kOffset: return CheckDigitsUnit(v, "kKmMgG", "an offset such as 4m or 1g");
    case T::kSize: return CheckDigitsUnit(v, "kKmM", "a size such as 16k or 8m");
    case T::kProxyBuffers: {
      const size_t space = v.find(' ');
      if (space == std::string_view::npos || !AllDigits(v.substr(0, space))) return At(0, "not 'number size', such as '8 16k'");
      return Shifted(CheckDigitsUnit(v.substr(space + 1), "kKmM", "a size such as 16k"), space + 1);
    }
    case T::kUint: return CheckNicInt(v, false);
    case T::kInt: return CheckNicInt(v, true);
    case T::kLbMethod: return CheckLbMethod(v);
    case T::kNextUpstream: return CheckNextUpstream(v);
    case T::kEnum: {
      std::string lowered(v);
      if (a.trims) {
        for (auto& c : lowered) c = AsciiLower(c);
      }
      for (auto value : a.values) {
        if (lowered == value) return std::nullopt;
      }
      std::string list;
      for (auto value : a.values) list += (list.empty() ? "" : ", ") + std::string(value);
      return At(0, "not one of " + list);
    }
    case T::kRate: return CheckRate(v);
    case T::kLimitReqKey: return CheckLimitReqKey(v);
    case T::kRedirectCode:
      if (v == "301" || v == "302" || v == "307" || v == "308") return std::nullopt;
      return At(0, "not one of 301, 302, 307, 308");
    case T::kCustomErrors: return CheckCustomErrors(v);
    case T::kPorts: return CheckPorts(v);
    case T::kServices: return CheckServices(v);
    case T::kRewrites: return CheckRewrites(v);
    case T::kStickyCookie: return CheckStickyCookie(v);
    case T::kRewriteTarget: return CheckRewriteTarget(v);
    case T::kAppRoot: return CheckAppRoot(v);
    case T::kProxyRedirect: return CheckProxyRedirect(v);
    case T::kProxySetHeaders: return CheckHeaderEntries(v, false);
    case T::kAddHeaders: return CheckHeaderEntries(v, true);
    case T::kHeaderNames:
      return Items(v, ',', [](std::string_view raw, size_t off) -> Check {
        size_t lead = 0;
        if (!IsHeaderToken(TrimAscii(raw, &lead))) return At(off + lead, "not a valid header name");
        return std::nullopt;
      });
    case T::kName:
      if (!IsDnsSubdomain(v)) return At(0, "not a valid object name");
      return std::nullopt;
    case T::kRealm: return CheckEscapedNoDollar(v, "a realm");
    case T::kServerTokens:
      if (!CheckGoBool(v)) return std::nullopt;
      return CheckEscapedNoDollar(v, "server tokens");
    case T::kCiphers: return CheckCiphers(v);
    case T::kPolicies: return CheckPolicies(v);
    case T::kJwtToken:
      if (v.empty() || v[0] != '$' || NginxVariableLength(v, 0) != v.size()) {
        return At(0, "must be one nginx variable such as $http_token or $cookie_auth_token");
      }
      return std::nullopt;
    case T::kLoginUrl: return CheckLoginUrl(v);
    case T::kQualifiedName:
      if (!IsQualifiedName(v)) return At(0, "not a qualified name (namespace/name)");
      return std::nullopt;
    case T::kQualifiedNames:
      return Items(v, ',', [](std::string_view item, size_t off) -> Check {
        if (!IsQualifiedName(item)) return At(off, "not a qualified name (namespace/name)");
        return std::nullopt;
      });
    case T::kLogDestinations: return CheckLogDestinations(v);
  }
  return std::nullopt;
}

std::string NicIngressClass(const Ingress& ingress) {
  for (const auto& [key, value] : ingress.annotations) {
    if (key == kIngressClassAnnotation && !value.empty()) return value;
  }
  return ingress.ingress_class;
}

bool NicServes(const Policy& policy, const Ingress& ingress) {
  if (!policy.f5_nginx_ingress.enabled || policy.IsExempt(ingress.ns)) return false;
  const std::string cls = NicIngressClass(ingress);
  return !cls.empty() && policy.f5_nginx_ingress.ServesClass(cls);
}

namespace {

constexpr SnippetRules kNicSnippetRules{rule_ids::kNicSnippetDenied, rule_ids::kNicSnippetDanger, rule_ids::kNicControl,
                                        kSnippetsKey};

// The shared value checks: size, control characters, directive text, breakouts for the sink,
// then (unless something above already explains it) the type. Returns true when clean.
class ValueJudge {
 public:
  ValueJudge(FindingSink& sink, const std::string& ns) : sink_(sink), ns_(ns) {}

  bool Size(const std::string& field, std::string_view v) {
    const size_t max = sink_.policy().max_value_bytes;
    if (v.size() <= max) return true;
    sink_.Add(rule_ids::kSize, field,
              "value is " + std::to_string(v.size()) + " bytes, over the " + std::to_string(max) +
                  "-byte limit; not scanned further");
    return false;
  }

  // Returns false when a control character, directive text or a breakout was reported.
  bool Generic(const std::string& field, std::string_view v, Sink sink, std::string_view where, bool semicolon_ok = false,
               bool allow_layout = false) {
    bool clean = true;
    if (auto hit = FindControl(v, allow_layout)) {
      sink_.Add(rule_ids::kNicControl, field, hit->what + " in " + std::string(where) + ": " + QuoteFragment(v, hit->pos));
      clean = false;
    }
    std::optional<ScanHit> danger = FindDirective(v);
    if (!danger) danger = FindSensitivePath(v);
    if (danger) {
      sink_.Add(rule_ids::kNicDirective, field, danger->what + " in " + std::string(where) + ": " + QuoteFragment(v, danger->pos));
      clean = false;
    }
    std::optional<ScanHit> breakout;
    if (sink == Sink::kUnquoted) breakout = FindUnquotedBreakout(v, semicolon_ok);
    if (sink == Sink::kDoubleQuoted) breakout = FindDoubleQuoteBreakout(v);
    if (breakout) {
      sink_.Add(rule_ids::kNicSyntax, field, breakout->what + " in " + std::string(where) + ": " + QuoteFragment(v, breakout->pos));
      clean = false;
    }
    return clean;
  }

  void Type(const std::string& field, std::string_view v, Check bad, std::string_view type_name) {
    if (!bad) return;
    sink_.Add(rule_ids::kNicType, field,
              "not a valid " + std::string(type_name) + ": " + bad->reason + ": " + QuoteFragment(v, bad->pos));
  }

  FindingSink& sink() { return sink_; }
  const std::string& ns() const { return ns_; }

 private:
  FindingSink& sink_;
  const std::string& ns_;
};

void JudgeAnnotation(ValueJudge& judge, const std::string& key, std::string_view raw, const NicAnnotation* a) {
  if (!judge.Size(key, raw)) return;
  if (a != nullptr && a->type == T::kSnippet) {
    JudgeSnippetValue(judge.sink(), judge.sink().policy().f5_nginx_ingress, kNicSnippetRules, judge.ns(), key, key, raw);
    return;
  }
  std::string_view v = raw;
  if (a != nullptr && a->trims) v = GoTrimSpace(v);
  if (a == nullptr) {
    // Read by no controller release: only what never belongs in any value.
    judge.Generic(key, v, Sink::kNone, "an unknown annotation");
    return;
  }
  const std::string where = a->directive.empty() ? std::string(NicTypeName(a->type)) + " value"
                                                 : std::string(NicTypeName(a->type)) + " value (written into " +
                                                       std::string(a->directive) + ")";
  const bool semicolons = a->type == T::kRewrites || a->type == T::kStickyCookie;
  if (!judge.Generic(key, v, a->sink, where, semicolons)) return;
  judge.Type(key, v, ValidateNicValue(*a, v), NicTypeName(a->type));
}

// Ingress paths as the controller writes them: unquoted, or inside `~ "^<path>"` / `= "<path>"`
// when nginx.org/path-regex is set (template_helper.go makePathWithRegex).
void JudgeIngressPath(ValueJudge& judge, const std::string& field, std::string_view path, bool quoted) {
  if (path.empty() || !judge.Size(field, path)) return;
  const Sink sink = quoted ? Sink::kDoubleQuoted : Sink::kUnquoted;
  if (!judge.Generic(field, path, sink, quoted ? "regex location path" : "location path")) return;
  judge.Type(field, path, CheckNicPath(path, "an Ingress path"), "path");
  if (!quoted) return;
  // validateCurlyBraces: {n,m} quantifiers only, never {name}.
  for (size_t open = path.find('{'); open != std::string_view::npos; open = path.find('{', open + 1)) {
    const size_t close = path.find('}', open);
    if (close == std::string_view::npos) break;
    for (size_t i = open + 1; i < close; ++i) {
      if (IsAlpha(path[i])) {
        judge.Type(field, path, Violation{open, "curly braces must not contain letters"}, "path");
        return;
      }
    }
  }
}

}  // namespace

void JudgeNicIngress(const Policy& policy, const Ingress& ingress, bool spec_judged, std::vector<Finding>* out) {
  FindingSink sink(policy, out);
  ValueJudge judge(sink, ingress.ns);
  bool regex = false;
  for (const auto& [key, value] : ingress.annotations) {
    if (!IsNicAnnotationKey(key)) continue;
    const NicAnnotation* a = FindNicAnnotation(key);
    JudgeAnnotation(judge, key, value, a);
    if (key == "nginx.org/path-regex") regex = value == "case_sensitive" || value == "case_insensitive" || value == "exact";
  }
  if (spec_judged) return;
  for (size_t i = 0; i < ingress.rules.size(); ++i) {
    for (size_t j = 0; j < ingress.rules[i].paths.size(); ++j) {
      JudgeIngressPath(judge, "spec.rules[" + std::to_string(i) + "].http.paths[" + std::to_string(j) + "].path",
                       ingress.rules[i].paths[j].path, regex);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// k8s.nginx.org resources

namespace {

enum class FieldKind {
  kGeneric,       // any other string: control characters and directive text
  kSnippet,
  kHost,          // server_name
  kLocationPath,  // location <modifier> <path>
  kLbMethod,
  kToken,         // written unquoted
  kQuoted,        // written inside double quotes, one line
  kQuotedText,    // written inside double quotes, may span lines (return bodies)
};

struct FieldRule {
  std::string_view shape;
  bool suffix;  // matches shapes ending in `shape` (shared sub-structures: actions, upstreams)
  FieldKind kind;
  std::string_view what;
};

// Exact shapes per kind first, then suffixes shared by VirtualServer and VirtualServerRoute
// (upstreams, actions, matches, error pages) and the others.
const std::vector<FieldRule>& Rules(std::string_view kind) {
  static const std::vector<FieldRule> vs = {
      {"spec.http-snippets", false, FieldKind::kSnippet, "http-snippets (http context: shared by every server)"},
      {"spec.server-snippets", false, FieldKind::kSnippet, "server-snippets"},
      {"spec.routes[].location-snippets", false, FieldKind::kSnippet, "location-snippets"},
      {"spec.host", false, FieldKind::kHost, "host (server_name)"},
      {"spec.routes[].path", false, FieldKind::kLocationPath, "route path (location)"},
  };
  static const std::vector<FieldRule> vsr = {
      {"spec.subroutes[].location-snippets", false, FieldKind::kSnippet, "location-snippets"},
      {"spec.host", false, FieldKind::kHost, "host (server_name)"},
      {"spec.subroutes[].path", false, FieldKind::kLocationPath, "subroute path (location)"},
  };
  static const std::vector<FieldRule> ts = {
      {"spec.serverSnippets", false, FieldKind::kSnippet, "serverSnippets"},
      {"spec.streamSnippets", false, FieldKind::kSnippet, "streamSnippets (stream context: shared by every server)"},
      {"spec.host", false, FieldKind::kHost, "host (server_name)"},
  };
  static const std::vector<FieldRule> policy = {
      {"spec.externalAuth.authSnippets", false, FieldKind::kSnippet, "externalAuth.authSnippets"},
      {"spec.rateLimit.key", false, FieldKind::kToken, "rateLimit.key (limit_req_zone)"},
      {"spec.jwt.realm", false, FieldKind::kQuoted, "jwt.realm (auth_jwt \"...\")"},
      {"spec.jwt.token", false, FieldKind::kToken, "jwt.token (auth_jwt token=)"},
      {"spec.basicAuth.realm", false, FieldKind::kQuoted, "basicAuth.realm (auth_basic)"},
  };
  static const std::vector<FieldRule> none;
  if (kind == "VirtualServer") return vs;
  if (kind == "VirtualServerRoute") return vsr;
  if (kind == "TransportServer") return ts;
  if (kind == "Policy") return policy;
  return none;
}

const std::vector<FieldRule>& SharedRules() {
  static const std::vector<FieldRule> shared = {
      {".lb-method", true, FieldKind::kLbMethod, "lb-method"},
      {".loadBalancingMethod", true, FieldKind::kLbMethod, "loadBalancingMethod"},
      {".proxy.rewritePath", true, FieldKind::kToken, "rewritePath (rewrite)"},
      {".redirect.url", true, FieldKind::kToken, "redirect url (return)"},
      {".return.type", true, FieldKind::kToken, "return type (default_type)"},
      {".return.body", true, FieldKind::kQuotedText, "return body (return \"...\")"},
      {".return.headers[].name", true, FieldKind::kToken, "header name (add_header)"},
      {".return.headers[].value", true, FieldKind::kQuoted, "header value (add_header \"...\")"},
      {".requestHeaders.set[].name", true, FieldKind::kToken, "header name (proxy_set_header)"},
      {".requestHeaders.set[].value", true, FieldKind::kQuoted, "header value (proxy_set_header \"...\")"},
      {".responseHeaders.add[].name", true, FieldKind::kToken, "header name (add_header)"},
      {".responseHeaders.add[].value", true, FieldKind::kQuoted, "header value (add_header \"...\")"},
      {".responseHeaders.hide[]", true, FieldKind::kToken, "header name (proxy_hide_header)"},
      {".responseHeaders.pass[]", true, FieldKind::kToken, "header name (proxy_pass_header)"},
      {".responseHeaders.ignore[]", true, FieldKind::kToken, "header name (proxy_ignore_headers)"},
      {".conditions[].header", true, FieldKind::kToken, "condition header (map)"},
      {".conditions[].cookie", true, FieldKind::kToken, "condition cookie (map)"},
      {".conditions[].argument", true, FieldKind::kToken, "condition argument (map)"},
      {".conditions[].variable", true, FieldKind::kToken, "condition variable (map)"},
      {".conditions[].value", true, FieldKind::kQuoted, "condition value (map \"...\")"},
      {".sessionCookie.name", true, FieldKind::kToken, "sessionCookie (sticky cookie)"},
      {".sessionCookie.path", true, FieldKind::kToken, "sessionCookie (sticky cookie)"},
      {".sessionCookie.domain", true, FieldKind::kToken, "sessionCookie (sticky cookie)"},
      {".sessionCookie.expires", true, FieldKind::kToken, "sessionCookie (sticky cookie)"},
      {".sessionCookie.samesite", true, FieldKind::kToken, "sessionCookie (sticky cookie)"},
      {".healthCheck.path", true, FieldKind::kToken, "healthCheck path (health_check uri=)"},
      {".action.pass", true, FieldKind::kToken, "action.pass (proxy_pass)"},
      {".upstreams[].name", true, FieldKind::kToken, "upstream name"},
      {".upstreams[].service", true, FieldKind::kToken, "upstream service"},
      {".next-upstream", true, FieldKind::kToken, "next-upstream (proxy_next_upstream)"},
      {".next-upstream-timeout", true, FieldKind::kToken, "next-upstream-timeout"},
      {".connect-timeout", true, FieldKind::kToken, "connect-timeout"},
      {".read-timeout", true, FieldKind::kToken, "read-timeout"},
      {".send-timeout", true, FieldKind::kToken, "send-timeout"},
      {".fail-timeout", true, FieldKind::kToken, "fail-timeout"},
      {".slow-start", true, FieldKind::kToken, "slow-start"},
      {".client-max-body-size", true, FieldKind::kToken, "client-max-body-size"},
      {".buffer-size", true, FieldKind::kToken, "buffer-size"},
      {".buffers.size", true, FieldKind::kToken, "buffers.size"},
      {".tls.secret", true, FieldKind::kToken, "tls.secret"},
  };
  return shared;
}

const FieldRule* FindFieldRule(std::string_view kind, std::string_view shape) {
  for (const auto& r : Rules(kind)) {
    if (r.shape == shape) return &r;
  }
  for (const auto& r : SharedRules()) {
    if (shape.size() >= r.shape.size() && shape.compare(shape.size() - r.shape.size(), r.shape.size(), r.shape) == 0) {
      return &r;
    }
  }
  return nullptr;
}

// VirtualServer route paths (virtualserver.go generatePath): `^~ <path>` and `= <path>` unquoted,
// `~ "<regex>"` and `~* "<regex>"` quoted, a plain prefix unquoted.
void JudgeLocationPath(ValueJudge& judge, const std::string& field, std::string_view path, std::string_view what) {
  std::string_view rest = path;
  bool regex = false;
  if (rest.substr(0, 2) == "^~") {
    rest.remove_prefix(2);
  } else if (rest.substr(0, 2) == "~*") {
    rest.remove_prefix(2), regex = true;
  } else if (!rest.empty() && rest[0] == '~') {
    rest.remove_prefix(1), regex = true;
  } else if (!rest.empty() && rest[0] == '=') {
    rest.remove_prefix(1);
  } else if (rest.empty() || rest[0] != '/') {
    if (judge.Generic(field, path, Sink::kUnquoted, what)) {
      judge.Type(field, path, Violation{0, "must start with /, ~, ~*, = or ^~"}, "route path");
    }
    return;
  }
  while (!rest.empty() && IsSpace(rest.front())) rest.remove_prefix(1);
  if (!judge.Generic(field, rest, regex ? Sink::kDoubleQuoted : Sink::kUnquoted, what)) return;
  if (!regex) judge.Type(field, rest, CheckNicPath(rest, "a route path"), "route path");
}

void JudgeField(ValueJudge& judge, std::string_view kind, const ResourceField& f) {
  if (!judge.Size(f.path, f.value)) return;
  const FieldRule* rule = FindFieldRule(kind, f.shape);
  const std::string what = rule ? std::string(rule->what) : "field " + f.shape;
  switch (rule ? rule->kind : FieldKind::kGeneric) {
    case FieldKind::kSnippet:
      JudgeSnippetValue(judge.sink(), judge.sink().policy().f5_nginx_ingress, kNicSnippetRules, judge.ns(), f.path, what,
                        f.value);
      return;
    case FieldKind::kGeneric: judge.Generic(f.path, f.value, Sink::kNone, what); return;
    case FieldKind::kHost:
      if (judge.Generic(f.path, f.value, Sink::kUnquoted, what) && !f.value.empty() && !IsIngressHost(f.value)) {
        judge.Type(f.path, f.value, Violation{0, "not a lowercase DNS name (an optional leading '*.')"}, "host");
      }
      return;
    case FieldKind::kLocationPath: JudgeLocationPath(judge, f.path, f.value, what); return;
    case FieldKind::kLbMethod:
      if (judge.Generic(f.path, f.value, Sink::kUnquoted, what) && !f.value.empty()) {
        judge.Type(f.path, f.value, CheckLbMethod(GoTrimSpace(f.value)), "load-balancing method");
      }
      return;
    case FieldKind::kToken: judge.Generic(f.path, f.value, Sink::kUnquoted, what); return;
    case FieldKind::kQuoted: judge.Generic(f.path, f.value, Sink::kDoubleQuoted, what); return;
    case FieldKind::kQuotedText: judge.Generic(f.path, f.value, Sink::kDoubleQuoted, what, false, true); return;
  }
}

}  // namespace

bool NicServesResource(const Policy& policy, const NginxResource& r) {
  if (r.kind == nullptr || r.kind->profile != ProfileId::kF5NginxIngress) return false;
  if (!policy.f5_nginx_ingress.enabled || policy.IsExempt(r.ns)) return false;
  const ResourceField* cls = r.Field("spec.ingressClassName");
  return cls == nullptr || cls->value.empty() || policy.f5_nginx_ingress.ServesClass(cls->value);
}

void JudgeNicResource(const Policy& policy, const NginxResource& r, std::vector<Finding>* out) {
  FindingSink sink(policy, out);
  ValueJudge judge(sink, r.ns);
  for (const auto& f : r.fields) JudgeField(judge, r.kind->kind, f);
}

}  // namespace riposte::core
