#include "core/rules.h"

namespace riposte::core {

namespace {

const std::vector<RuleInfo>& Catalogue() {
  static const std::vector<RuleInfo> rules = {
      {rule_ids::kSize, Severity::kMedium, {},
       "annotation value or path longer than the policy's maxValueBytes",
       "Shorten the value; legitimate annotation values are short. Raise maxValueBytes in the "
       "policy only if a real configuration needs it."},
      {rule_ids::kControl, Severity::kCritical, {"CVE-2025-24514", "CVE-2025-1097", "CVE-2025-1098"},
       "control character, Unicode line separator or invalid UTF-8 in a value that reaches nginx.conf",
       "Remove the control/invisible characters; a newline ends the nginx directive and starts an "
       "attacker-chosen one. Upgrade ingress-nginx to v1.11.5 / v1.12.1 or later "
       "(IngressNightmare fixes) and keep validation enabled."},
      {rule_ids::kDirective, Severity::kCritical, {"CVE-2025-1974", "CVE-2021-25746"},
       "nginx directive or sensitive file path text (ssl_engine, load_module, include, *_by_lua*, "
       "/proc/<pid>/fd, service-account token, /etc/kubernetes) inside an annotation value",
       "Remove the directive text; annotation values are data, never configuration. Upgrade "
       "ingress-nginx to v1.11.5 / v1.12.1 or later (CVE-2025-1974) and v1.2.0 or later "
       "(CVE-2021-25746)."},
      {rule_ids::kType, Severity::kHigh, {"CVE-2021-25746"},
       "annotation value does not match the type ingress-nginx expects (URL, host, CN regex, "
       "header, method, size, duration, number, boolean, enum, CIDR list, ...)",
       "Use a value of the documented type for this annotation (see docs/rules.md)."},
      {rule_ids::kSyntax, Severity::kHigh, {"CVE-2021-25746"},
       "nginx syntax breaker (; { } #) or unbalanced quote in an annotation value",
       "Remove ';', '{', '}', '#' and stray quotes: unquoted in nginx.conf they end the directive "
       "or block and let the rest of the value become configuration."},
      {rule_ids::kSnippetDenied, Severity::kHigh, {"CVE-2021-25742", "CVE-2023-5043"},
       "snippet annotation in a namespace where the policy does not allow snippets",
       "Remove the snippet annotation and use a dedicated annotation instead, or allow snippets "
       "for this namespace in the policy (snippets: {namespaces: [NS]}) if its owners are "
       "trusted with nginx configuration. ingress-nginx v1.9.0+ disables snippets by default "
       "(allow-snippet-annotations=false)."},
      {rule_ids::kSnippetDanger, Severity::kCritical, {"CVE-2021-25742", "CVE-2023-5043", "CVE-2025-1974"},
       "dangerous directive inside a snippet (lua, load_module, ssl_engine, include, alias/root "
       "onto secrets, token paths, cloud metadata proxying, block escape)",
       "Remove the directive; even trusted snippets must not run Lua, load modules, include files "
       "outside the ModSecurity CRS, read secrets or proxy to cloud metadata endpoints."},
      {rule_ids::kPathChars, Severity::kCritical,
       {"CVE-2021-25745", "CVE-2021-25748", "CVE-2022-4886", "CVE-2026-24512"},
       "path characters not allowed for its pathType (quotes, whitespace, control characters, "
       "';', '#', unbalanced braces, non-path characters in Exact/Prefix)",
       "Exact/Prefix paths may only use letters, digits, '/', '.', '_', '-', '~' and %-escapes; "
       "regex paths (ImplementationSpecific) may add regex syntax but no quotes, whitespace, ';' "
       "or '#'. Upgrade ingress-nginx to v1.13.7 / v1.14.3 or later (CVE-2026-24512) and keep "
       "strict-validate-path-type on."},
      {rule_ids::kPathSecret, Severity::kCritical, {"CVE-2021-25745", "CVE-2021-25748"},
       "path names a secret, token or cluster credential location (also when obfuscated with //, "
       "/./ or ..)",
       "Routes never need to name /var/run/secrets, /etc/kubernetes or /proc; rename the path. "
       "Upgrade ingress-nginx to v1.2.1 or later (CVE-2021-25748)."},
      {rule_ids::kUid, Severity::kCritical, {"CVE-2025-1098"},
       "metadata.uid is not a UUID",
       "metadata.uid is set by the API server; an Ingress whose uid is not a UUID was forged. "
       "Upgrade ingress-nginx to v1.11.5 / v1.12.1 or later."},
      {rule_ids::kHost, Severity::kHigh, {"CVE-2021-25746"},
       "host is not a valid DNS name (RFC 1123, optional leading '*.')",
       "Use a lowercase DNS name such as app.example.com or *.example.com."},
      {rule_ids::kTls, Severity::kHigh, {},
       "spec.tls secret name or host is malformed",
       "secretName must be a DNS-1123 name; hosts must be DNS names."},
      {rule_ids::kConfigMapHeader, Severity::kCritical, {"CVE-2025-15566"},
       "entry of a ConfigMap named by auth-proxy-set-headers, custom-headers or "
       "fastcgi-params-configmap would break out of the quoting it is rendered in",
       "Header names must be tokens (letters, digits, '-', '_'). auth-proxy-set-headers values "
       "land in single quotes: no \"'\", no backslash, no control characters. custom-headers and "
       "fastcgi-params values are Go-quoted: no control characters. Upgrade ingress-nginx to a "
       "release that quotes auth-proxy-set-headers with %q (kubernetes/ingress-nginx#13371, "
       "CVE-2025-15566)."},
      {rule_ids::kCrossNamespace, Severity::kHigh, {},
       "annotation references a Secret or ConfigMap in another namespace (auth-secret, "
       "auth-tls-secret, proxy-ssl-secret, auth-proxy-set-headers, custom-headers, "
       "fastcgi-params-configmap)",
       "Reference an object in the Ingress's own namespace. ingress-nginx before v1.12 (and any "
       "controller with allow-cross-namespace-resources=true; custom-headers in every version) "
       "reads it from the other namespace, letting one tenant use another tenant's CA, "
       "credentials or headers. If the shared namespace is intended, list it in the policy: "
       "crossNamespaceReferences: {namespaces: [NS]}."},
      {rule_ids::kMetadataAddress, Severity::kCritical, {"CVE-2025-24514"},
       "URL or host annotation points at a cloud metadata or link-local address (169.254.0.0/16 "
       "in any form a resolver accepts: decimal, hex, octal, short dotted, IPv4-mapped IPv6; "
       "fe80::/10, fd00:ec2::254, 100.100.100.200, metadata.google.internal, ...)",
       "Point the annotation at the real service. The controller fetches auth-url and mirrors "
       "requests with its own network identity, so a metadata address hands node or cloud "
       "credentials to whoever reads the response."},
      {rule_ids::kEngineError, Severity::kCritical, {},
       "the engine could not finish judging this object (resource exhaustion)",
       "Retry; the object is treated as unsafe until it can be judged."},
      // F5 NGINX Ingress Controller (docs/profiles.md). It has no admission webhook of its own:
      // an object it cannot use is stored by the API server and refused (or partly ignored) at
      // sync time, so these rules are the only check at the door.
      {rule_ids::kNicSnippetDenied, Severity::kHigh, {},
       "F5 NGINX Ingress Controller snippet (nginx.org/server-snippets, nginx.org/location-snippets, "
       "VirtualServer/VirtualServerRoute *-snippets, TransportServer serverSnippets/streamSnippets, "
       "Policy externalAuth.authSnippets) in a namespace where the policy does not allow snippets",
       "Remove the snippet and use a dedicated annotation or resource field, or allow snippets for this "
       "namespace (profiles.f5NginxIngress.snippets.namespaces: [NS]) if its owners are trusted with "
       "nginx configuration. The controller uses snippets only when started with -enable-snippets "
       "(Helm controller.enableSnippets, default false); VirtualServer snippets are then dropped "
       "silently, Ingress and TransportServer ones rejected."},
      {rule_ids::kNicSnippetDanger, Severity::kCritical, {},
       "dangerous directive inside an allowed F5 NGINX Ingress Controller snippet (lua, njs, load_module, "
       "ssl_engine, include, alias/root onto secrets, token paths, cloud metadata, block escape)",
       "Remove the directive; even trusted snippets must not load modules or code, include files, read "
       "secrets or service-account tokens, proxy to cloud metadata, or close the block they are pasted "
       "into."},
      {rule_ids::kNicControl, Severity::kCritical, {"CVE-2026-55723", "CVE-2026-77180"},
       "control character, Unicode line separator or invalid UTF-8 in an nginx.org/nginx.com annotation or "
       "a k8s.nginx.org resource field",
       "Remove the control characters: a newline ends the nginx directive the value is written into and "
       "starts one of the writer's choosing. Upgrade F5 NGINX Ingress Controller to 5.6.0 / 2026-lts-r5 or "
       "later (CVE-2026-77180; they also carry the 5.5.2 / 2026-lts-r3 validation fixes)."},
      {rule_ids::kNicDirective, Severity::kCritical, {"CVE-2026-55723", "CVE-2026-77180"},
       "nginx directive or sensitive path text (ssl_engine, load_module, include, *_by_lua*, js_*, "
       "/proc/<pid>/fd, service-account token, /etc/kubernetes) in an nginx.org/nginx.com annotation or a "
       "k8s.nginx.org resource field",
       "Remove the directive or path; annotation values and resource fields are data, never "
       "configuration. Upgrade F5 NGINX Ingress Controller to 5.6.0 / 2026-lts-r5 or later."},
      {rule_ids::kNicSyntax, Severity::kCritical, {"CVE-2026-55723", "CVE-2026-77180"},
       "nginx syntax (; { } # quotes, backslash) in a value F5 NGINX Ingress Controller writes unquoted "
       "into nginx.conf, or an unescaped '\"' / trailing '\\' that breaks out of the double quotes it is "
       "written in",
       "Remove the syntax characters. Unquoted values (ssl-ciphers, lb-method, sticky-cookie-services, "
       "jwt-token, rewrite targets, location paths, ...) end their directive at ';' and open or close "
       "blocks at '{' '}'; quoted ones (jwt-realm, server-tokens, header values, return bodies, regex "
       "locations) end at an unescaped '\"'. Upgrade F5 NGINX Ingress Controller to 5.6.0 / 2026-lts-r5 "
       "or later."},
      {rule_ids::kNicType, Severity::kHigh, {},
       "nginx.org/nginx.com annotation or k8s.nginx.org field value of the wrong type (time, size, "
       "offset, integer, boolean, enum, port list, header list, path, load-balancing method, cipher "
       "list, ...)",
       "Use a value of the documented type (docs/profiles.md lists them). The controller refuses or "
       "ignores such values only after the API server has stored them; Riposte stops them at the door."},
      // NGINX Gateway Fabric (docs/profiles.md).
      {rule_ids::kNgfSnippetDenied, Severity::kHigh, {},
       "NGINX Gateway Fabric SnippetsFilter or SnippetsPolicy in a namespace where the policy does not "
       "allow snippets",
       "Use Gateway API filters or NGINX Gateway Fabric policies instead, or allow snippets for this "
       "namespace (profiles.nginxGatewayFabric.snippets.namespaces: [NS]) if its owners are trusted "
       "with nginx configuration: a SnippetsFilter referenced by a route can write into the main and "
       "http contexts, i.e. every tenant's configuration. The controller uses snippets only with "
       "--snippets (Helm nginxGateway.snippets.enable, default false)."},
      {rule_ids::kNgfSnippetDanger, Severity::kCritical, {},
       "dangerous directive inside an allowed NGINX Gateway Fabric snippet (lua, njs, load_module, "
       "ssl_engine, include, alias/root onto secrets, token paths, cloud metadata, block escape)",
       "Remove the directive; even trusted snippets must not load modules or code, include files, read "
       "secrets or service-account tokens, proxy to cloud metadata, or close the block they are pasted "
       "into."},
      {rule_ids::kControllerSetting, Severity::kHigh, {"CVE-2021-25742", "CVE-2023-5043", "CVE-2023-5044", "CVE-2022-4886"},
       "the ingress-nginx controller ConfigMap switches a protection off (allow-snippet-annotations: "
       "\"true\", annotations-risk-level: Critical, enable-annotation-validation: \"false\", "
       "strict-validate-path-type: \"false\"); severity and CVEs are per setting",
       "Keep the protection on: allow-snippet-annotations \"false\", annotations-risk-level \"High\", "
       "enable-annotation-validation \"true\", strict-validate-path-type \"true\" (the defaults since "
       "v1.12.0)."},
      {rule_ids::kControllerSnippet, Severity::kCritical, {"CVE-2021-25742", "CVE-2023-5043", "CVE-2025-1974"},
       "dangerous directive, Lua or control character in a global snippet of the ingress-nginx controller "
       "ConfigMap (main-, http-, server-, location-, stream-snippet)",
       "Remove the directive; global snippets reach every server of the controller and must not run Lua, "
       "load modules, include files or read secrets."},
      {rule_ids::kNgfInjection, Severity::kCritical, {"CVE-2026-11311", "CVE-2026-50107", "CVE-2026-66362"},
       "control character, nginx syntax or quote breakout in an NGINX Gateway Fabric field rendered into "
       "nginx.conf (AuthenticationFilter clientID, cookieName, extraAuthArgs, realms; NginxProxy "
       "serverTokens, access log format)",
       "Remove the control characters, quotes and nginx syntax. Upgrade NGINX Gateway Fabric to 2.6.4 or "
       "later and apply its CRDs, whose patterns refuse these values at the API server (CVE-2026-11311, "
       "CVE-2026-50107); for CVE-2026-66362 (AuthenticationFilter clientID, cookieName) see F5's "
       "advisory for the fixed release."},
  };
  return rules;
}

}  // namespace

std::span<const RuleInfo> AllRules() { return Catalogue(); }

const RuleInfo* FindRule(std::string_view id) {
  for (const auto& r : Catalogue()) {
    if (r.id == id) return &r;
  }
  return nullptr;
}

}  // namespace riposte::core
