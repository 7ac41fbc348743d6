#pragma once
// The F5 NGINX Ingress Controller profile (nginx/kubernetes-ingress): its Ingress annotations
// (nginx.org/*, nginx.com/*, appprotect.f5.com/*, appprotectdos.f5.com/*) and its
// k8s.nginx.org resources (VirtualServer, VirtualServerRoute, TransportServer, Policy).
//
// The controller validates annotations and resources itself, but only when it syncs them: it
// has no admission webhook, so whatever the API server stores stays there, and several values
// (ssl-ciphers, the lb-method hash key, sticky-cookie-services, jwt-token) are written into
// nginx.conf unquoted with weak or no checks. docs/profiles.md has the table.

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/finding.h"
#include "core/ingress.h"
#include "core/nginx_resource.h"
#include "core/policy.h"
#include "core/profile_judge.h"
#include "core/validators.h"

namespace riposte::core {

enum class NicType {
  kSnippet,
  kBool,           // Go strconv.ParseBool
  kTime,           // ParseTime: 1h30m, 30s, 500ms
  kOffset,         // \d+[kKmMgG]?
  kSize,           // \d+[kKmM]?
  kProxyBuffers,   // "N size"
  kUint,
  kInt,
  kLbMethod,       // round_robin, least_conn, ..., hash <key> [consistent]
  kNextUpstream,   // space-separated proxy_next_upstream conditions
  kEnum,
  kRate,           // 10r/s, 100r/m
  kLimitReqKey,    // nginx variables only
  kRedirectCode,   // 301, 302, 307, 308
  kCustomErrors,   // 404,500 or 4xx,5xx
  kPorts,          // 80,8080
  kServices,       // Service names
  kRewrites,       // serviceName=svc rewrite=/path;...
  kStickyCookie,   // serviceName=svc name [expires=..] [domain=..] [path=..] ...;...
  kRewriteTarget,  // /path with $1 captures
  kAppRoot,        // /path
  kProxyRedirect,  // off | default | a token without spaces
  kProxySetHeaders,  // Name[:Value],...
  kAddHeaders,       // Name:Value[:always],...
  kHeaderNames,      // Name,...
  kName,             // a Secret/object name (DNS-1123 subdomain)
  kRealm,            // text, '"' escaped, no '$'
  kServerTokens,     // boolean (OSS) or text (NGINX Plus)
  kCiphers,          // OpenSSL cipher list
  kPolicies,         // [namespace/]name,...
  kJwtToken,         // one nginx variable: $http_token
  kLoginUrl,         // absolute http(s) URL
  kQualifiedName,    // [prefix/]name
  kQualifiedNames,
  kLogDestinations,  // syslog:server=host:port | stderr | /path, comma-separated
};

struct NicAnnotation {
  std::string_view key;        // full key, e.g. "nginx.org/ssl-ciphers"
  NicType type;
  Sink sink;
  std::string_view directive;  // where the value lands, for messages ("ssl_ciphers")
  std::vector<std::string_view> values;  // kEnum
  bool trims = false;                    // the controller trims surrounding whitespace first
};

std::span<const NicAnnotation> NicAnnotations();
const NicAnnotation* FindNicAnnotation(std::string_view key);
// Whether the profile reads this annotation key: nginx.org/*, nginx.com/*, appprotect.f5.com/*,
// appprotectdos.f5.com/* and the legacy ingress.kubernetes.io/ssl-redirect.
bool IsNicAnnotationKey(std::string_view key);
std::string_view NicTypeName(NicType t);
Check ValidateNicValue(const NicAnnotation& a, std::string_view value);

// The class of an Ingress as the controller reads it (internal/k8s/controller.go,
// HasCorrectIngressClass): the kubernetes.io/ingress.class annotation first, then
// spec.ingressClassName - the opposite order from ingress-nginx. No class: not served.
std::string NicIngressClass(const Ingress& ingress);
bool NicServes(const Policy& policy, const Ingress& ingress);

// Appends the profile's findings for an Ingress it serves. `spec_judged`: ingress-nginx's
// rules already judged the paths (both profiles serve the class), so they are not judged twice.
void JudgeNicIngress(const Policy& policy, const Ingress& ingress, bool spec_judged, std::vector<Finding>* out);

// VirtualServer, VirtualServerRoute, TransportServer and Policy: served when
// spec.ingressClassName is empty or one of the profile's classes.
bool NicServesResource(const Policy& policy, const NginxResource& r);
void JudgeNicResource(const Policy& policy, const NginxResource& r, std::vector<Finding>* out);

}  // namespace riposte::core
