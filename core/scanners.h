#pragma once
// Generic scanners applied to every judged value regardless of its type: control characters,
// directive text and sensitive file paths. All are single passes over the value (bounded
// look-ahead per byte), so their cost is linear for any input.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace riposte::core {

struct ScanHit {
  size_t pos = 0;
  std::string what;  // e.g. "a newline", "ssl_engine directive"
};

// C0 controls (incl. CR, LF, TAB, NUL), DEL, C1 controls, U+2028/U+2029, bidi and zero-width
// format characters, invalid UTF-8.
// `allow_layout` permits LF, CR and TAB (multi-line snippets).
std::optional<ScanHit> FindControl(std::string_view v, bool allow_layout = false);

// Directive text that never belongs in data: ssl_engine, load_module, include <path>,
// *_by_lua*, lua_*, perl/njs hooks.
std::optional<ScanHit> FindDirective(std::string_view v);

// Sensitive locations after normalising obfuscation (case, //, /./, ..): service-account
// tokens and /run/secrets, /etc/kubernetes, kubelet state, /proc/<pid>/{fd,environ,...},
// /etc/passwd and /etc/shadow, the controller's certificate directory.
std::optional<ScanHit> FindSensitivePath(std::string_view v);

// Cloud metadata endpoints (169.254.169.254 and the rest of 169.254.0.0/16, GCE/Alibaba/ECS
// names and addresses).
std::optional<ScanHit> FindMetadataAddress(std::string_view v);

// The host of an absolute URL ("scheme://[user@]host[:port]/..."): brackets of an IPv6
// literal removed, "" when `url` has no authority. *offset receives its byte offset.
std::string_view UrlHost(std::string_view url, size_t* offset);

// Whether `host` (a URL host or a bare host name) reaches a cloud metadata service or a
// link-local address, in every form a resolver accepts: inet_aton's decimal, hex and octal
// integers and short dotted forms (169.254.43518, 0xa9fea9fe, 0251.0376.0251.0376),
// IPv4-mapped/compatible and NAT64 IPv6, fe80::/10, fd00:ec2::254, and the provider names
// (metadata.google.internal, ...), case-insensitive, with or without a trailing dot.
// Returns a description, or nullopt.
std::optional<std::string> MetadataHost(std::string_view host);

// Snippet-specific: directives that are dangerous even in trusted snippets. `include` of the
// ModSecurity CRS shipped with ingress-nginx is allowed.
std::optional<ScanHit> FindSnippetDanger(std::string_view v);

}  // namespace riposte::core
