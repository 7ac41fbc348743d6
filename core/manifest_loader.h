#pragma once
// Kubernetes manifests (multi-document YAML, JSON, `kind: List`, Helm output with comments,
// anchors and aliases) -> Ingress and ConfigMap values for the engine. Each document is parsed
// on its own, so one broken document is reported with its line and the others still count.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "core/ingress.h"

namespace riposte::core {

struct ManifestObject {
  size_t document = 0;  // 0-based index of the YAML document in its file
  int line = 0;         // 1-based line of the object in the file
  std::string kind;     // "Ingress" or "ConfigMap"
  Ingress ingress;      // when kind == "Ingress"
  ConfigMap configmap;  // when kind == "ConfigMap"
};

struct ManifestError {
  size_t document = 0;
  int line = 0;  // 1-based, in the file
  int column = 0;
  std::string message;
};

struct ManifestSet {
  std::vector<ManifestObject> objects;
  std::vector<ManifestError> errors;
  size_t documents = 0;
};

struct ManifestLimits {
  size_t max_bytes = 64 * 1024 * 1024;
  size_t max_documents = 100000;
};

// Documents without metadata.namespace get `default_namespace`. Other kinds are skipped.
ManifestSet ParseManifests(std::string_view text, const std::string& default_namespace,
                           const ManifestLimits& limits = {});

}  // namespace riposte::core
