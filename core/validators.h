#pragma once
// Hand-written validators for the value types ingress-nginx annotations take. Each runs in
// linear time, never throws and reports the first offending byte, so findings can quote it.
// They mirror ingress-nginx's own parsers (internal/ingress/annotations/parser/validators.go:
// URLWithNginxVariableRegex, CommonNameAnnotationValidator, SizeRegex, methodsRegex, ...) but
// are stricter where the upstream regexes let nginx syntax through.

#include <cstddef>
#include <span>
#include <optional>
#include <string>
#include <string_view>

namespace riposte::core {

struct Violation {
  size_t pos = 0;      // byte offset of the offending fragment
  std::string reason;  // short, e.g. "';' is not allowed in a URL"
};
using Check = std::optional<Violation>;

bool IsDnsLabel(std::string_view s);      // RFC 1123 label, lowercase, <= 63
bool IsDnsSubdomain(std::string_view s);  // RFC 1123 subdomain, lowercase, <= 253
bool IsUuid(std::string_view s);
// Lowercase DNS name with an optional leading "*." (Ingress spec hosts and TLS hosts).
bool IsIngressHost(std::string_view s);

// Length of a `$name` or `${name}` nginx variable starting at s[i] == '$'; 0 when malformed.
size_t NginxVariableLength(std::string_view s, size_t i);

Check CheckUrl(std::string_view v, bool http_only);
Check CheckOriginList(std::string_view v);
Check CheckHost(std::string_view v, bool allow_variables);
Check CheckHostList(std::string_view v);
Check CheckRegex(std::string_view v, size_t start, bool allow_space);
Check CheckCommonName(std::string_view v);
Check CheckHeaderName(std::string_view v, size_t start = 0, size_t end = std::string_view::npos);
Check CheckHeaderList(std::string_view v, bool allow_star);
Check CheckMethod(std::string_view v);
Check CheckMethodList(std::string_view v);
Check CheckSize(std::string_view v);
Check CheckDuration(std::string_view v, size_t start = 0, size_t end = std::string_view::npos);
Check CheckInteger(std::string_view v);
Check CheckBool(std::string_view v);
Check CheckEnum(std::string_view v, std::span<const std::string_view> values, bool list);
Check CheckCidrList(std::string_view v);
Check CheckVariableExpression(std::string_view v);
Check CheckPathValue(std::string_view v);
Check CheckReference(std::string_view v);
Check CheckStatusCodeList(std::string_view v);
Check CheckCacheDuration(std::string_view v);
Check CheckCipherList(std::string_view v);
Check CheckToken(std::string_view v);
Check CheckText(std::string_view v);
Check CheckRewritePair(std::string_view v);
Check CheckCookieDomain(std::string_view v);  // [.]domain, ingress-nginx BasicCharsRegex
Check CheckErrorPage(std::string_view v);     // @location, /path or URL (authtls redirectRegex)  // "off", "default" or "FROM TO" (proxy-cookie-path, ...)

// Generic judgement for values without a known type: nginx syntax breakers ; { } # outside
// `${var}` and unbalanced quotes.
Check CheckNginxSyntax(std::string_view v);

}  // namespace riposte::core
