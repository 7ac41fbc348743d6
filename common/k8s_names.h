#pragma once
// Kubernetes object-name rules, exactly as the API server applies them
// (k8s.io/apimachinery/pkg/util/validation), in one place for every module that checks a name
// before it goes into a URL path, a label or a resource name.
//
// The API server's rules differ per kind, and the difference matters: a checker stricter than
// the API server lets whoever picks a name make that object immune to whatever checks it
// (a pod named with 100 letters is valid, so an alert naming it must be acted on); a checker
// looser than it sends requests the API server refuses.

#include <string>
#include <string_view>

namespace riposte::k8s {

// RFC 1123 label: [a-z0-9]([-a-z0-9]*[a-z0-9])?, at most 63 characters.
bool IsDns1123Label(std::string_view s);
// RFC 1123 subdomain as Kubernetes defines it: labels as above joined by '.', at most 253
// characters in total. Kubernetes does not limit the length of each label to 63 here.
bool IsDns1123Subdomain(std::string_view s);
// RFC 1035 label: like an RFC 1123 label, but starting with a letter.
bool IsDns1035Label(std::string_view s);
// Label value: empty, or (([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]) of at most 63 characters.
bool IsLabelValue(std::string_view s);
// Qualified name (label or annotation key): optional DNS-1123 subdomain prefix and '/', then a
// non-empty name of at most 63 characters as for label values.
bool IsQualifiedName(std::string_view s);

// The rule each kind's metadata.name follows.
enum class NameKind {
  kNamespace,       // DNS-1123 label
  kPod,             // DNS-1123 subdomain
  kNode,            // DNS-1123 subdomain
  kContainer,       // DNS-1123 label (spec.containers[].name)
  kService,         // DNS-1035 label
  kObject,          // DNS-1123 subdomain: ConfigMap, Secret, NetworkPolicy, custom resources, ...
};

const char* NameKindName(NameKind kind);  // "namespace", "pod", ...

// "" when `name` is a valid name for `kind`; otherwise a message naming the rule, e.g.
// `pod name "Web" must be a DNS-1123 subdomain: lower-case letters, digits, '-' and '.', ...`.
// The name is quoted truncated to 64 characters.
std::string ValidateName(NameKind kind, std::string_view name);
inline bool IsValidName(NameKind kind, std::string_view name) { return ValidateName(kind, name).empty(); }

}  // namespace riposte::k8s
