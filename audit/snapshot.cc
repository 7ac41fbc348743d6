#include "audit/snapshot.h"

#include <fstream>
#include <map>
#include <sstream>

namespace riposte::audit {

namespace {
constexpr size_t kMaxSnapshotBytes = 256u * 1024 * 1024;
constexpr size_t kMaxObjectsPerResource = 200000;
}  // namespace

const std::vector<std::string>& SnapshotResources() {
  static const std::vector<std::string> all = {
      res::kDeployments, res::kDaemonSets, res::kPods, res::kNodes, res::kServices, res::kEndpoints,
      res::kConfigMaps, res::kNetworkPolicies, res::kIngresses, res::kValidatingWebhookConfigurations};
  return all;
}

const std::vector<web::json::value>& ClusterSnapshot::Objects(const std::string& resource) const {
  static const std::vector<web::json::value> empty;
  auto it = objects.find(resource);
  return it == objects.end() ? empty : it->second;
}

bool ParseSnapshot(const std::string& text, const std::string& name, ClusterSnapshot* out, std::string* error) {
  auto fail = [&](const std::string& msg) {
    *error = name + ": " + msg;
    return false;
  };
  if (text.size() > kMaxSnapshotBytes) return fail("snapshot larger than 256 MiB");
  web::json::value doc;
  try {
    doc = web::json::value::parse(text);
  } catch (const std::exception& e) {
    return fail(std::string("invalid JSON: ") + e.what());
  }
  if (!doc.is_object()) return fail("top level must be an object");
  ClusterSnapshot snap;
  snap.source = name;
  if (doc.has_field("items")) return SnapshotFromList(doc, name, out, error);
  for (const auto& [key, value] : doc.as_object()) {
    if (key == "source") {
      if (!value.is_string()) return fail("source: must be a string");
      snap.source = value.as_string();
    } else if (key == "namespace") {
      if (!value.is_string()) return fail("namespace: must be a string");
      snap.namespace_scope = value.as_string();
    } else if (key == "resources") {
      if (!value.is_object()) return fail("resources: must be an object");
      for (const auto& [resource, list] : value.as_object()) {
        const web::json::value* items = &list;
        if (list.is_object() && list.has_field("items")) items = &list.at("items");
        if (!items->is_array()) return fail("resources." + resource + ": must be an array or a List");
        if (items->size() > kMaxObjectsPerResource) return fail("resources." + resource + ": too many objects");
        auto& dst = snap.objects[resource];
        size_t i = 0;
        for (const auto& obj : items->as_array()) {
          if (!obj.is_object()) {
            return fail("resources." + resource + "[" + std::to_string(i) + "]: must be an object");
          }
          dst.push_back(obj);
          ++i;
        }
      }
    } else if (key == "errors") {
      if (!value.is_object()) return fail("errors: must be an object");
      for (const auto& [resource, err] : value.as_object()) {
        if (!err.is_object()) return fail("errors." + resource + ": must be an object");
        ReadError re;
        if (err.has_string_field("reason")) re.reason = err.at("reason").as_string();
        if (err.has_number_field("code")) re.code = err.at("code").as_integer();
        if (err.has_string_field("message")) re.message = err.at("message").as_string();
        snap.errors[resource] = re;
      }
    } else {
      return fail("unknown field \"" + key + "\" (expected source, namespace, resources, errors)");
    }
  }
  *out = std::move(snap);
  return true;
}

const std::string* KeyForKind(const std::string& kind) {
  static const std::map<std::string, std::string> kinds = {
      {"Deployment", res::kDeployments}, {"DaemonSet", res::kDaemonSets}, {"Pod", res::kPods},
      {"Node", res::kNodes}, {"Service", res::kServices}, {"Endpoints", res::kEndpoints},
      {"ConfigMap", res::kConfigMaps}, {"NetworkPolicy", res::kNetworkPolicies},
      {"Ingress", res::kIngresses}, {"ValidatingWebhookConfiguration", res::kValidatingWebhookConfigurations}};
  auto it = kinds.find(kind);
  return it == kinds.end() ? nullptr : &it->second;
}

bool SnapshotFromList(const web::json::value& list, const std::string& name, ClusterSnapshot* out,
                      std::string* error) {
  if (!list.has_array_field("items")) {
    *error = name + ": items: must be an array";
    return false;
  }
  ClusterSnapshot snap;
  snap.source = name;
  for (const auto& key : SnapshotResources()) snap.objects[key];  // present, maybe empty
  size_t i = 0;
  for (const auto& obj : list.at("items").as_array()) {
    if (!obj.is_object() || !obj.has_string_field("kind")) {
      *error = name + ": items[" + std::to_string(i) + "]: must be an object with a kind";
      return false;
    }
    if (const std::string* key = KeyForKind(obj.at("kind").as_string())) snap.objects[*key].push_back(obj);
    ++i;
  }
  *out = std::move(snap);
  return true;
}

bool LoadSnapshotFile(const std::string& path, ClusterSnapshot* out, std::string* error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    *error = path + ": cannot open";
    return false;
  }
  std::ostringstream buf;
  buf << in.rdbuf();
  return ParseSnapshot(buf.str(), path, out, error);
}

web::json::value SnapshotToJson(const ClusterSnapshot& snapshot) {
  web::json::value doc = web::json::value::object(true);
  doc["source"] = web::json::value::string(snapshot.source);
  doc["namespace"] = web::json::value::string(snapshot.namespace_scope);
  web::json::value resources = web::json::value::object(true);
  for (const auto& [key, items] : snapshot.objects) {
    resources[key] = web::json::value::array(items);
  }
  doc["resources"] = resources;
  web::json::value errors = web::json::value::object(true);
  for (const auto& [key, err] : snapshot.errors) {
    web::json::value e = web::json::value::object(true);
    e["reason"] = web::json::value::string(err.reason);
    e["code"] = web::json::value::number(err.code);
    e["message"] = web::json::value::string(err.message);
    errors[key] = e;
  }
  doc["errors"] = errors;
  return doc;
}

}  // namespace riposte::audit
