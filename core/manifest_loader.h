#pragma once
// Kubernetes manifests (multi-document YAML, JSON streams, Lists, Helm output) -> the Ingress
// and ConfigMap objects `kubectl apply -f` would create from them, for the engine.
//
// Reading is kubectl's (core/kubectl_reader.h): the YAML is converted to the JSON kubectl
// would send, and that JSON goes through the one Ingress/ConfigMap decoder the webhook and
// the audit use (core/ingress_json.h). Whatever kubectl would refuse, or would read
// differently from what can be judged, is an error with a line and column; each document is
// read on its own, so one broken document is reported and the others still count.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "core/ingress.h"
#include "core/kubectl_reader.h"
#include "core/nginx_resource.h"

namespace riposte::core {

struct ManifestObject {
  size_t document = 0;  // 0-based index of the document in its file
  int line = 0;         // 1-based line of the object in the file
  int column = 0;
  std::string kind;     // "Ingress", "ConfigMap", or a kind of core/nginx_resource.h
  Ingress ingress;      // when kind == "Ingress"
  ConfigMap configmap;  // when kind == "ConfigMap"
  NginxResource resource;  // when resource.kind != nullptr (VirtualServer, SnippetsFilter, ...)
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
  ReaderLimits reader;
  // Like `kubectl -n NS`: an object that names another namespace is an error (kubectl refuses
  // it when the namespace is given on the command line).
  bool enforce_namespace = false;
};

// Objects without metadata.namespace get `default_namespace`, as kubectl gives them the
// namespace of -n or of the kubeconfig context.
ManifestSet ParseManifests(std::string_view text, const std::string& default_namespace,
                           const ManifestLimits& limits = {});

}  // namespace riposte::core
