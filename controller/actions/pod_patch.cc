#include "controller/actions/pod_patch.h"

#include "common/json_value.h"

namespace riposte::controller {

std::string PodPath(const std::string& ns, const std::string& pod) {
  return "/api/v1/namespaces/" + ns + "/pods/" + pod;
}

std::string NodePath(const std::string& node) { return "/api/v1/nodes/" + node; }

// Undo data holds no JSON nulls: the API server prunes nulls from custom resources, so
// "was absent" and "we removed it" are lists of keys instead.
std::optional<ApiRequest> MetadataMapPatch(const std::string& ns, const std::string& pod, const web::json::value& obj,
                                           const std::string& field,
                                           const std::map<std::string, std::string>& set,
                                           const std::vector<std::string>& remove,
                                           web::json::value* undo) {
  auto current = json::GetStringMap(obj, {"metadata", field.c_str()});
  auto changes = web::json::value::object();
  std::map<std::string, std::string> applied, previous;
  std::vector<std::string> removed;
  for (const auto& [k, v] : set) {
    auto it = current.find(k);
    if (it != current.end() && it->second == v) continue;
    changes[k] = web::json::value::string(v);
    applied[k] = v;
    if (it != current.end()) previous[k] = it->second;
  }
  for (const auto& k : remove) {
    auto it = current.find(k);
    if (it == current.end() || set.count(k) != 0) continue;
    changes[k] = web::json::value::null();
    removed.push_back(k);
    previous[k] = it->second;
  }
  if (undo != nullptr) {
    auto u = web::json::value::object();
    u["field"] = web::json::value::string(field);
    u["applied"] = json::FromMap(applied);
    u["removed"] = json::FromList(removed);
    u["previous"] = json::FromMap(previous);
    *undo = u;
  }
  if (changes.size() == 0) return std::nullopt;
  ApiRequest r;
  r.method = "PATCH";
  r.path = PodPath(ns, pod);
  r.kind = Kind::kPod;
  r.ns = ns;
  r.name = pod;
  r.content_type = "application/merge-patch+json";
  r.body = web::json::value::object();
  r.body["metadata"] = web::json::value::object();
  r.body["metadata"][field] = changes;
  return r;
}

std::optional<ApiRequest> MetadataMapRestore(const std::string& ns, const std::string& pod, const web::json::value& obj,
                                             const web::json::value& undo) {
  auto field = json::GetString(undo, {"field"});
  if (!field) return std::nullopt;
  auto applied = json::GetStringMap(undo, {"applied"});
  auto previous = json::GetStringMap(undo, {"previous"});
  auto removed = json::GetStringList(undo, {"removed"});
  auto current = json::GetStringMap(obj, {"metadata", field->c_str()});
  auto changes = web::json::value::object();
  // Only keys that still hold what Riposte left there are touched.
  for (const auto& [k, v] : applied) {
    auto cur = current.find(k);
    if (cur == current.end() || cur->second != v) continue;
    auto prev = previous.find(k);
    changes[k] = prev == previous.end() ? web::json::value::null() : web::json::value::string(prev->second);
  }
  for (const auto& k : removed) {
    auto prev = previous.find(k);
    if (current.count(k) != 0 || prev == previous.end()) continue;
    changes[k] = web::json::value::string(prev->second);
  }
  if (changes.size() == 0) return std::nullopt;
  ApiRequest r;
  r.method = "PATCH";
  r.path = PodPath(ns, pod);
  r.kind = Kind::kPod;
  r.ns = ns;
  r.name = pod;
  r.content_type = "application/merge-patch+json";
  r.body = web::json::value::object();
  r.body["metadata"] = web::json::value::object();
  r.ok_statuses = {404};  // pod gone meanwhile: nothing left to restore
  r.body["metadata"][*field] = changes;
  return r;
}

web::json::value UidPrecondition(const web::json::value& pod) {
  auto pre = web::json::value::object();
  if (auto uid = json::GetString(pod, {"metadata", "uid"})) pre["uid"] = web::json::value::string(*uid);
  return pre;
}

}  // namespace riposte::controller
