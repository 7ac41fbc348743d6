#pragma once
// The parts of a networking.k8s.io/v1 Ingress (and of the ConfigMaps it references) that
// reach ingress-nginx's configuration. Parsers (YAML for scan, JSON for the webhook, the API
// client for audit) fill these; the engine never sees raw documents.

#include <memory>
#include <string>
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
};

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
