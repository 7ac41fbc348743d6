#pragma once
// Kubernetes name rules. Every name that comes from an alert goes through these before it is
// put into a URL path, a label or a resource name.

#include <string>
#include <string_view>

namespace riposte::controller {

bool IsDnsLabel(std::string_view s);      // RFC 1123 label: namespaces, 63 chars
bool IsDnsSubdomain(std::string_view s);  // RFC 1123 subdomain: pod names, 253 chars
bool IsLabelValue(std::string_view s);    // empty or [A-Za-z0-9]([-_.A-Za-z0-9]*[A-Za-z0-9])?, 63
bool IsQualifiedName(std::string_view s); // label/annotation key: optional DNS prefix + '/' + name

// A DNS label built from parts, shortened with a stable hash suffix when it would exceed 63
// characters, so derived names (NetworkPolicies, ResponseActions, label values) are
// deterministic and always valid.
std::string DerivedName(std::string_view prefix, std::string_view base);

// Stable 64-bit FNV-1a hash as 16 hex digits; used for deterministic, collision-resistant
// enough names (not for security).
std::string HashHex(std::string_view s);

}  // namespace riposte::controller
