#include "core/manifest_loader.h"

#include <yaml-cpp/yaml.h>

#include "core/text.h"
#include "core/yaml_documents.h"

namespace riposte::core {

namespace {

struct Failure {
  YAML::Mark mark;
  std::string message;
};

[[noreturn]] void Fail(const YAML::Node& node, std::string message) { throw Failure{node.Mark(), std::move(message)}; }

std::string Scalar(const YAML::Node& node, const std::string& field) {
  if (!node || node.IsNull()) return "";
  if (!node.IsScalar()) Fail(node, field + " must be a string");
  return node.Scalar();
}

KeyValues StringMap(const YAML::Node& node, const std::string& field) {
  KeyValues out;
  if (!node || node.IsNull()) return out;
  if (!node.IsMap()) Fail(node, field + " must be a mapping");
  for (const auto& kv : node) {
    const std::string key = Scalar(kv.first, field + " key");
    if (kv.second.IsNull()) {
      out.emplace_back(key, "");
      continue;
    }
    if (!kv.second.IsScalar()) Fail(kv.second, field + "." + key + " must be a string");
    out.emplace_back(key, kv.second.Scalar());
  }
  return out;
}

Ingress ToIngress(const YAML::Node& doc, const std::string& default_ns) {
  Ingress ing;
  const YAML::Node meta = doc["metadata"];
  if (meta && !meta.IsNull() && !meta.IsMap()) Fail(meta, "metadata must be a mapping");
  if (meta && meta.IsMap()) {
    ing.name = Scalar(meta["name"], "metadata.name");
    ing.ns = Scalar(meta["namespace"], "metadata.namespace");
    ing.uid = Scalar(meta["uid"], "metadata.uid");
    ing.annotations = StringMap(meta["annotations"], "metadata.annotations");
  }
  if (ing.ns.empty()) ing.ns = default_ns;
  const YAML::Node spec = doc["spec"];
  if (!spec || spec.IsNull()) return ing;
  if (!spec.IsMap()) Fail(spec, "spec must be a mapping");
  ing.ingress_class = Scalar(spec["ingressClassName"], "spec.ingressClassName");
  if (const YAML::Node rules = spec["rules"]; rules && !rules.IsNull()) {
    if (!rules.IsSequence()) Fail(rules, "spec.rules must be a list");
    for (const auto& r : rules) {
      if (!r.IsMap()) Fail(r, "spec.rules[] must be a mapping");
      IngressRule rule;
      rule.host = Scalar(r["host"], "spec.rules[].host");
      const YAML::Node http = r["http"];
      if (http && http.IsMap()) {
        const YAML::Node paths = http["paths"];
        if (paths && !paths.IsNull()) {
          if (!paths.IsSequence()) Fail(paths, "spec.rules[].http.paths must be a list");
          for (const auto& p : paths) {
            if (!p.IsMap()) Fail(p, "spec.rules[].http.paths[] must be a mapping");
            rule.paths.push_back({Scalar(p["path"], "path"), Scalar(p["pathType"], "pathType")});
          }
        }
      } else if (http && !http.IsNull()) {
        Fail(http, "spec.rules[].http must be a mapping");
      }
      ing.rules.push_back(std::move(rule));
    }
  }
  if (const YAML::Node tls = spec["tls"]; tls && !tls.IsNull()) {
    if (!tls.IsSequence()) Fail(tls, "spec.tls must be a list");
    for (const auto& t : tls) {
      if (!t.IsMap()) Fail(t, "spec.tls[] must be a mapping");
      IngressTls entry;
      entry.secret_name = Scalar(t["secretName"], "spec.tls[].secretName");
      if (const YAML::Node hosts = t["hosts"]; hosts && !hosts.IsNull()) {
        if (!hosts.IsSequence()) Fail(hosts, "spec.tls[].hosts must be a list");
        for (const auto& h : hosts) entry.hosts.push_back(Scalar(h, "spec.tls[].hosts[]"));
      }
      ing.tls.push_back(std::move(entry));
    }
  }
  return ing;
}

ConfigMap ToConfigMap(const YAML::Node& doc, const std::string& default_ns) {
  ConfigMap cm;
  const YAML::Node meta = doc["metadata"];
  if (meta && meta.IsMap()) {
    cm.name = Scalar(meta["name"], "metadata.name");
    cm.ns = Scalar(meta["namespace"], "metadata.namespace");
  }
  if (cm.ns.empty()) cm.ns = default_ns;
  cm.data = StringMap(doc["data"], "data");
  return cm;
}

int LineOf(const YAML::Node& node, int first_line) { return node.Mark().line >= 0 ? first_line + node.Mark().line : first_line; }

void Collect(const YAML::Node& node, size_t index, int first_line, const std::string& default_ns, ManifestSet& out,
             int depth) {
  if (!node.IsMap()) return;
  const YAML::Node kind_node = node["kind"];
  if (!kind_node || !kind_node.IsScalar()) return;
  const std::string kind = kind_node.Scalar();
  if (kind == "Ingress") {
    ManifestObject obj{index, LineOf(node, first_line), kind, ToIngress(node, default_ns), {}};
    out.objects.push_back(std::move(obj));
  } else if (kind == "ConfigMap") {
    ManifestObject obj{index, LineOf(node, first_line), kind, {}, ToConfigMap(node, default_ns)};
    out.objects.push_back(std::move(obj));
  } else if (kind.size() >= 4 && kind.compare(kind.size() - 4, 4, "List") == 0 && depth < 4) {
    const YAML::Node items = node["items"];
    if (!items || items.IsNull()) return;
    if (!items.IsSequence()) Fail(items, "items must be a list");
    for (const auto& item : items) Collect(item, index, first_line, default_ns, out, depth + 1);
  }
}

}  // namespace

ManifestSet ParseManifests(std::string_view text, const std::string& default_namespace, const ManifestLimits& limits) {
  ManifestSet out;
  if (text.size() > limits.max_bytes) {
    out.errors.push_back({0, 0, 0, "input larger than " + std::to_string(limits.max_bytes) + " bytes"});
    return out;
  }
  const auto docs = SplitDocuments(text);
  size_t index = 0;
  for (const auto& d : docs) {
    if (IsBlankDocument(d.text)) continue;
    if (index >= limits.max_documents) {
      out.errors.push_back({index, d.first_line, 0, "too many documents"});
      break;
    }
    const size_t objects_before = out.objects.size();
    if (auto bad = FindNonYamlChar(d.text)) {
      int line = 0, column = 0;
      LineColumn(d.text, *bad, &line, &column);
      out.errors.push_back({index, d.first_line + line - 1, column,
                            "control character or invalid UTF-8 (YAML allows neither)"});
      ++index;
      continue;
    }
    try {
      const YAML::Node node = LoadSingleDocument(d.text);
      Collect(node, index, d.first_line, default_namespace, out, 0);
    } catch (const Failure& f) {
      out.objects.resize(objects_before);
      out.errors.push_back({index, f.mark.line >= 0 ? d.first_line + f.mark.line : d.first_line,
                            f.mark.column >= 0 ? f.mark.column + 1 : 0, f.message});
    } catch (const YAML::Exception& e) {
      out.objects.resize(objects_before);
      out.errors.push_back({index, e.mark.line >= 0 ? d.first_line + e.mark.line : d.first_line,
                            e.mark.column >= 0 ? e.mark.column + 1 : 0, "invalid YAML: " + e.msg});
    } catch (const std::exception& e) {
      out.objects.resize(objects_before);
      out.errors.push_back({index, d.first_line, 0, std::string("cannot parse document: ") + e.what()});
    }
    ++index;
  }
  out.documents = index;
  return out;
}

}  // namespace riposte::core
