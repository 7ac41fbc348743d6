#pragma once
// The one decoder from JSON to the engine's model, used by the webhook (the AdmissionReview's
// request.object), by `riposte scan` (after the kubectl-faithful YAML -> JSON step in
// core/kubectl_reader.h) and by the audit (objects as the API server returns them).
//
// It reads JSON the way the API server's decoder fills a networking.k8s.io/v1 Ingress or a
// v1 ConfigMap: null is the same as absent, a field the engine reads must have its Go type
// (string fields are strings, lists are arrays, objects are objects) or the whole object is
// refused, and when a key repeats the last one wins. Fields the engine does not read are not
// looked at.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "core/ingress.h"

namespace simdjson::dom {
class element;
}  // namespace simdjson::dom

namespace riposte::core {

// One step of a field path: an object member or an array index.
struct PathStep {
  static constexpr size_t kNoIndex = static_cast<size_t>(-1);
  std::string key;          // member name (when index == kNoIndex)
  size_t index = kNoIndex;  // array index
  bool map_entry = false;   // a key of a string map (annotations, data): shown as ["key"]
};

struct DecodeError {
  std::vector<PathStep> path;  // where; empty for the object itself
  std::string message;         // e.g. "must be a string"
  // "metadata.annotations[\"a\"] must be a string"; "must be an object" for the root.
  std::string ToString() const;
  std::string PathString() const;
};

// `obj` must be the object itself (request.object, one item of a list, ...). On failure
// returns false with *error set; *out then holds what was read before the failure.
bool DecodeIngress(const simdjson::dom::element& obj, Ingress* out, DecodeError* error);
bool DecodeConfigMap(const simdjson::dom::element& obj, ConfigMap* out, DecodeError* error);

// The same for JSON text (one object). Malformed JSON is an error with an empty path.
bool DecodeIngressJson(std::string_view json, Ingress* out, DecodeError* error);
bool DecodeConfigMapJson(std::string_view json, ConfigMap* out, DecodeError* error);

// The IngressClass of an Ingress object as ingress-nginx determines it, read straight from
// JSON (the webhook reads request.oldObject this way): spec.ingressClassName, else the
// kubernetes.io/ingress.class annotation, else "". Never fails; wrong types read as "".
std::string IngressClassOf(const simdjson::dom::element& obj);

}  // namespace riposte::core
