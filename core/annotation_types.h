#pragma once
// The annotation type table: every ingress-nginx annotation whose value reaches nginx.conf,
// with the type its value must have and the CVEs of the injection class it belongs to. Built
// from ingress-nginx's annotation reference and internal/ingress/annotations/* parsers.

#include <span>
#include <string_view>
#include <vector>

#include "core/validators.h"

namespace riposte::core {

enum class ValueType {
  kUrl,             // URL with nginx variables, any scheme
  kHttpUrl,         // URL with nginx variables, http/https only
  kOriginList,      // CORS origins
  kHost,            // host[:port], may use nginx variables
  kHostList,        // server names, comma/space separated, wildcards
  kCommonName,      // CN=<regex>
  kRegex,           // PCRE as nginx uses it
  kHeaderName,
  kHeaderList,      // comma separated header names, "*" allowed
  kMethod,
  kMethodList,
  kSize,            // nginx size: 8k, 1m
  kDuration,        // nginx time: 30, 30s, 5m
  kInteger,
  kBool,
  kEnum,
  kEnumList,
  kCidrList,
  kVariableExpr,    // nginx variables and literals, no whitespace
  kPath,            // URI path (may use $1 / $var), or a URL
  kReference,       // "namespace/name" or "name"
  kHeaderConfigMap, // reference to a ConfigMap of headers (judged when resolvable)
  kStatusCodes,
  kCacheDuration,
  kCiphers,
  kToken,
  kText,
  kRewritePair,     // "off" | "default" | "FROM TO"
  kSnippet,
  kCookieDomain,    // a domain with an optional leading dot (session-cookie-domain)
  kErrorPage,       // URL, path or @named location (auth-tls-error-page)
  kUrlOrPath,       // absolute URL or a path (redirect targets)
};

// Where the entries of a ConfigMap named by the annotation end up in nginx.conf, which decides
// what breaks out of them.
enum class ConfigMapPlacement {
  kNone,
  // auth-proxy-set-headers: proxy_set_header '<name>' '<value>'; (single-quoted until
  // kubernetes/ingress-nginx#13371 switched to %q) - a quote or backslash breaks out.
  kSingleQuotedHeader,
  // custom-headers: more_set_headers "<name>: <value>" - Go %q with $ escaped; only control
  // characters (unescaped again by nginx) are dangerous.
  kGoQuotedHeader,
  // fastcgi-params-configmap: fastcgi_param <key> "<value>" - Go %q.
  kGoQuotedParam,
};

std::string_view ValueTypeName(ValueType t);

struct AnnotationType {
  std::string_view name;  // without prefix, e.g. "auth-url"
  ValueType type;
  std::vector<std::string_view> cves;  // empty: the generic annotation-injection class
  std::string_view fixed_in;           // ingress-nginx versions fixing the CVEs, for remediation
  std::vector<std::string_view> values;  // kEnum / kEnumList
  // ingress-nginx trims surrounding whitespace before use (ValidateOptions with trimSpace).
  bool trims = false;
  ConfigMapPlacement placement = ConfigMapPlacement::kNone;
  // "namespace/name" naming a Secret or ConfigMap that ingress-nginx reads from that namespace.
  bool namespaced_ref = false;
};

const AnnotationType* FindAnnotationType(std::string_view name);
std::span<const AnnotationType> AllAnnotationTypes();

// Type check of one value (the generic control/directive scans run separately).
Check ValidateAnnotationValue(const AnnotationType& type, std::string_view value);

}  // namespace riposte::core
