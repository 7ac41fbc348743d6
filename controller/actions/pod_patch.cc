#include "controller/actions/pod_patch.h"

#include <algorithm>

#include "common/json_value.h"
#include "controller/names.h"

namespace riposte::controller {

using web::json::value;

value MetadataUndo::ToJson() const {
  auto u = value::object();
  u["field"] = value::string(field);
  u["applied"] = json::FromMap(applied);
  u["removed"] = json::FromList(removed);
  u["previous"] = json::FromMap(previous);
  return u;
}

std::optional<MetadataUndo> MetadataUndo::FromJson(const value& v) {
  json::Reader r(v);
  auto field = r["field"].String();
  if (!field || (*field != "labels" && *field != "annotations")) return std::nullopt;
  MetadataUndo u;
  u.field = *field;
  u.applied = r["applied"].StringMap();
  u.removed = r["removed"].StringList();
  u.previous = r["previous"].StringMap();
  return u;
}

std::string UndoRecordKey(const std::string& response_action, int index) {
  return "undo.riposte.io/" + DerivedName(response_action, std::to_string(index));
}

namespace {

// The record an earlier attempt of the same action left on the pod.
std::optional<MetadataUndo> RecordOnPod(const ActionContext& ctx) {
  auto text = json::GetString(*ctx.pod, {"metadata", "annotations", UndoRecordKey(ctx.response_action_name, ctx.index)});
  if (!text) return std::nullopt;
  std::error_code ec;
  auto v = value::parse(*text, ec);
  if (ec) return std::nullopt;
  return MetadataUndo::FromJson(v);
}

std::map<std::string, std::optional<std::string>>& FieldOf(MetadataChange& c, const std::string& field) {
  return field == "labels" ? c.labels : c.annotations;
}

}  // namespace

std::optional<PatchPod> MetadataMapPatch(const ActionContext& ctx, const std::string& field,
                                         const std::map<std::string, std::string>& set,
                                         const std::vector<std::string>& remove, value* undo) {
  const auto current = json::GetStringMap(*ctx.pod, {"metadata", field});
  std::map<std::string, std::optional<std::string>> changes;
  MetadataUndo now;
  now.field = field;
  for (const auto& [k, v] : set) {
    auto it = current.find(k);
    if (it != current.end() && it->second == v) continue;
    changes[k] = v;
    now.applied[k] = v;
    if (it != current.end()) now.previous[k] = it->second;
  }
  for (const auto& k : remove) {
    auto it = current.find(k);
    if (it == current.end() || set.count(k) != 0) continue;
    changes[k] = std::nullopt;
    now.removed.push_back(k);
    now.previous[k] = it->second;
  }
  // An earlier attempt saw the pod before the first change: its record is the one revert
  // needs. What it does not cover (someone undid part of it since) is added.
  std::optional<MetadataUndo> earlier = RecordOnPod(ctx);
  if (earlier && earlier->field != field) earlier.reset();
  MetadataUndo record = earlier ? *earlier : now;
  bool record_changed = !earlier;
  if (earlier) {
    for (const auto& [k, v] : now.applied) {
      if (record.applied.count(k) != 0) continue;
      record.applied[k] = v;
      if (auto p = now.previous.find(k); p != now.previous.end()) record.previous.emplace(k, p->second);
      record_changed = true;
    }
    for (const auto& k : now.removed) {
      if (std::find(record.removed.begin(), record.removed.end(), k) != record.removed.end()) continue;
      record.removed.push_back(k);
      record.previous.emplace(k, now.previous[k]);
      record_changed = true;
    }
  }
  if (undo != nullptr) *undo = record.ToJson();
  if (changes.empty()) return std::nullopt;
  PatchPod p;
  p.ns = ctx.ns;
  p.name = ctx.pod_name;
  FieldOf(p.change, field) = std::move(changes);
  if (record_changed && (!record.applied.empty() || !record.removed.empty()))
    p.change.annotations[UndoRecordKey(ctx.response_action_name, ctx.index)] = json::Serialize(record.ToJson());
  p.resource_version = json::GetString(*ctx.pod, {"metadata", "resourceVersion"}).value_or("");
  return p;
}

std::optional<PatchPod> MetadataMapRestore(const ActionContext& ctx, const value& undo) {
  if (ctx.pod == nullptr) return std::nullopt;
  const std::string key = UndoRecordKey(ctx.response_action_name, ctx.index);
  const bool record_on_pod = json::GetString(*ctx.pod, {"metadata", "annotations", key}).has_value();
  std::optional<MetadataUndo> record = MetadataUndo::FromJson(undo);
  if (!record) record = RecordOnPod(ctx);
  PatchPod p;
  p.ns = ctx.ns;
  p.name = ctx.pod_name;
  if (record) {
    const auto current = json::GetStringMap(*ctx.pod, {"metadata", record->field});
    auto& changes = FieldOf(p.change, record->field);
    // Only keys that still hold what Riposte left there are touched.
    for (const auto& [k, v] : record->applied) {
      auto cur = current.find(k);
      if (cur == current.end() || cur->second != v) continue;
      auto prev = record->previous.find(k);
      changes[k] = prev == record->previous.end() ? std::nullopt : std::optional<std::string>(prev->second);
    }
    for (const auto& k : record->removed) {
      auto prev = record->previous.find(k);
      if (current.count(k) != 0 || prev == record->previous.end()) continue;
      changes[k] = prev->second;
    }
  }
  if (record_on_pod) p.change.annotations[key] = std::nullopt;
  if (p.change.empty()) return std::nullopt;
  return p;
}

}  // namespace riposte::controller
