#include "core/manifest_loader.h"

#include "core/ingress_json.h"
#include "core/text.h"

namespace riposte::core {

namespace {

const std::set<std::string, std::less<>>& JudgedKinds() {
  static const std::set<std::string, std::less<>> kinds = [] {
    std::set<std::string, std::less<>> k = {"Ingress", "ConfigMap"};
    for (const auto& r : AllResourceKinds()) k.emplace(r.kind);
    return k;
  }();
  return kinds;
}

}  // namespace

ManifestSet ParseManifests(std::string_view text, const std::string& default_namespace, const ManifestLimits& limits) {
  ManifestSet out;
  if (text.size() > limits.max_bytes) {
    out.errors.push_back({0, 0, 0, "input larger than " + std::to_string(limits.max_bytes) + " bytes"});
    return out;
  }
  ReadResult read = ReadKubectlManifests(text, JudgedKinds(), limits.reader);
  out.documents = read.documents;
  for (auto& e : read.errors) out.errors.push_back({e.document, e.mark.line, e.mark.column, std::move(e.message)});
  for (const RawObject& raw : read.objects) {
    ManifestObject obj;
    obj.document = raw.document;
    obj.line = raw.mark.line;
    obj.column = raw.mark.column;
    obj.kind = raw.kind;
    DecodeError error;
    const bool resource = raw.kind != "Ingress" && raw.kind != "ConfigMap";
    bool ok;
    if (resource) {
      ok = DecodeNginxResourceJson(raw.json, &obj.resource, &error);
      // The same kind name in another API group (a Kyverno Policy, ...) is not ours to judge.
      if (obj.resource.kind == nullptr) continue;
    } else {
      ok = raw.kind == "Ingress" ? DecodeIngressJson(raw.json, &obj.ingress, &error)
                                 : DecodeConfigMapJson(raw.json, &obj.configmap, &error);
    }
    if (!ok) {
      const SourceMark at = raw.Locate(error.path);
      const std::string where = error.PathString();
      out.errors.push_back({raw.document, at.line, at.column,
                            raw.kind + " " + (where.empty() ? std::string("object") : where) + " " + error.message +
                                " (the API server would refuse it)"});
      continue;
    }
    std::string& ns = resource ? obj.resource.ns : raw.kind == "Ingress" ? obj.ingress.ns : obj.configmap.ns;
    if (ns.empty()) {
      ns = default_namespace;
    } else if (limits.enforce_namespace && ns != default_namespace) {
      const SourceMark at = raw.Locate({PathStep{"metadata"}, PathStep{"namespace"}});
      out.errors.push_back({raw.document, at.line, at.column,
                            "the namespace from the object (" + EscapeForDisplay(ns) +
                                ") does not match the namespace given (" + EscapeForDisplay(default_namespace) +
                                "); kubectl refuses it"});
      continue;
    }
    out.objects.push_back(std::move(obj));
  }
  return out;
}

}  // namespace riposte::core
