#include "controller/actions/pod_patch.h"

#include "controller/json_util.h"

namespace riposte::controller {

std::string PodPath(const std::string& ns, const std::string& pod) {
  return "/api/v1/namespaces/" + ns + "/pods/" + pod;
}

std::string NodePath(const std::string& node) { return "/api/v1/nodes/" + node; }

std::optional<ApiRequest> MetadataMapPatch(const std::string& ns, const std::string& pod, const web::json::value& obj,
                                           const std::string& field,
                                           const std::map<std::string, std::string>& set,
                                           const std::vector<std::string>& remove,
                                           web::json::value* undo) {
  auto current = json::StringMap(obj, {"metadata", field.c_str()});
  auto changes = web::json::value::object();
  auto previous = web::json::value::object();
  bool any = false;
  for (const auto& [k, v] : set) {
    auto it = current.find(k);
    if (it != current.end() && it->second == v) continue;
    changes[k] = web::json::value::string(v);
    previous[k] = it == current.end() ? web::json::value::null() : web::json::value::string(it->second);
    any = true;
  }
  for (const auto& k : remove) {
    auto it = current.find(k);
    if (it == current.end() || set.count(k) != 0) continue;
    changes[k] = web::json::value::null();
    previous[k] = web::json::value::string(it->second);
    any = true;
  }
  if (undo != nullptr) {
    auto u = web::json::value::object();
    u["field"] = web::json::value::string(field);
    u["previous"] = previous;
    u["applied"] = changes;
    *undo = u;
  }
  if (!any) return std::nullopt;
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
  auto field = json::String(undo, {"field"});
  const auto* previous = json::Find(undo, {"previous"});
  const auto* applied = json::Find(undo, {"applied"});
  if (!field || previous == nullptr || applied == nullptr || !previous->is_object() ||
      !applied->is_object())
    return std::nullopt;
  const auto* cur_map = json::Find(obj, {"metadata", field->c_str()});
  auto changes = web::json::value::object();
  bool any = false;
  for (const auto& [k, was] : previous->as_object()) {
    auto ait = applied->as_object().find(k);
    if (ait == applied->as_object().end()) continue;
    const web::json::value* now = nullptr;
    if (cur_map != nullptr && cur_map->is_object()) {
      auto cit = cur_map->as_object().find(k);
      if (cit != cur_map->as_object().end()) now = &cit->second;
    }
    // Only touch keys that still hold what we applied.
    bool still_ours = ait->second.is_null() ? now == nullptr
                                            : (now != nullptr && *now == ait->second);
    if (!still_ours) continue;
    bool already = was.is_null() ? now == nullptr : (now != nullptr && *now == was);
    if (already) continue;
    changes[k] = was;
    any = true;
  }
  if (!any) return std::nullopt;
  ApiRequest r;
  r.method = "PATCH";
  r.path = PodPath(ns, pod);
  r.kind = Kind::kPod;
  r.ns = ns;
  r.name = pod;
  r.content_type = "application/merge-patch+json";
  r.body = web::json::value::object();
  r.body["metadata"] = web::json::value::object();
  r.body["metadata"][*field] = changes;
  return r;
}

web::json::value UidPrecondition(const web::json::value& pod) {
  auto pre = web::json::value::object();
  if (auto uid = json::String(pod, {"metadata", "uid"})) pre["uid"] = web::json::value::string(*uid);
  return pre;
}

}  // namespace riposte::controller
