#pragma once
// Kubernetes name rules. Every name that comes from an alert goes through these before it is
// put into a URL path, a label or a resource name. The rules themselves live in
// common/k8s_names.h (one validator for the whole project); these are the controller's names
// for them.

#include <string>
#include <string_view>

#include "common/k8s_names.h"

namespace riposte::controller {

// RFC 1123 label: namespaces and container names, 63 chars.
inline bool IsDnsLabel(std::string_view s) { return k8s::IsDns1123Label(s); }
// RFC 1123 subdomain as Kubernetes checks it: pod, node and most object names, 253 chars in
// total with no per-label limit.
inline bool IsDnsSubdomain(std::string_view s) { return k8s::IsDns1123Subdomain(s); }
// Empty or [A-Za-z0-9]([-_.A-Za-z0-9]*[A-Za-z0-9])?, 63 chars.
inline bool IsLabelValue(std::string_view s) { return k8s::IsLabelValue(s); }
// Label/annotation key: optional DNS prefix + '/' + name.
inline bool IsQualifiedName(std::string_view s) { return k8s::IsQualifiedName(s); }

// A DNS label built from parts, shortened with a stable hash suffix when it would exceed 63
// characters, so derived names (NetworkPolicies, ResponseActions, label values) are
// deterministic and always valid.
std::string DerivedName(std::string_view prefix, std::string_view base);

// Stable 64-bit FNV-1a hash as 16 hex digits; used for deterministic, collision-resistant
// enough names (not for security).
std::string HashHex(std::string_view s);

// At most `max` bytes of `s`, cut on a UTF-8 character boundary (alert text copied into a
// resource).
std::string TruncateUtf8(const std::string& s, size_t max);

}  // namespace riposte::controller
