#pragma once
// The parts of a networking.k8s.io/v1 Ingress (and of the ConfigMaps it references) that
// reach ingress-nginx's configuration. Parsers (YAML for scan, JSON for the webhook, the API
// client for audit) fill these; the engine never sees raw documents.

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace riposte::core {

using KeyValues = std::vector<std::pair<std::string, std::string>>;  // order preserved

struct IngressPath {
  std::string path;
  std::string path_type;  // "Exact", "Prefix", "ImplementationSpecific" or "" when absent
};

struct IngressRule {
  std::string host;
  std::vector<IngressPath> paths;
};

struct IngressTls {
  std::vector<std::string> hosts;
  std::string secret_name;
};

struct Ingress {
  std::string ns;  // may be empty in offline manifests
  std::string name;
  std::string uid;  // metadata.uid; empty when absent (offline manifests, CREATE dry runs)
  std::string ingress_class;  // spec.ingressClassName
  KeyValues annotations;      // every annotation, not only the configured prefix
  std::vector<IngressRule> rules;
  std::vector<IngressTls> tls;
  // Set only when judging an UPDATE: the class (EffectiveClass) of the object being
  // replaced, "" when it had none. A change of class is always judged.
  std::optional<std::string> previous_class;
};

// The annotation that named the class before spec.ingressClassName existed (ingress-nginx
// still honours it when the field is unset).
inline constexpr std::string_view kIngressClassAnnotation = "kubernetes.io/ingress.class";

// The IngressClass as ingress-nginx determines it (internal/ingress/controller/store/store.go,
// GetIngressClass): spec.ingressClassName when set, else the kubernetes.io/ingress.class
// annotation, else "" (no class).
std::string EffectiveClass(const Ingress& ingress);

struct ConfigMap {
  std::string ns;
  std::string name;
  KeyValues data;
};

// Resolves "namespace/name" (or "name" relative to the Ingress namespace) to a ConfigMap.
// Returns nullptr when unknown; the engine then reports nothing for it.
class ConfigMapLookup {
 public:
  virtual ~ConfigMapLookup() = default;
  virtual const ConfigMap* Find(const std::string& ns, const std::string& name) const = 0;
};

}  // namespace riposte::core
