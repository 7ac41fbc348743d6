#include "tests/apiserver/patch.h"

#include <string>
#include <vector>

#include "tests/apiserver/api_status.h"

namespace riposte::testapi {

using web::json::value;

value ApplyMergePatch(const value& target, const value& patch) {
  if (!patch.is_object()) return patch;
  value result = target.is_object() ? target : value::object();
  for (const auto& [k, v] : patch.as_object()) {
    if (v.is_null()) {
      if (result.has_field(k)) result.erase(k);
    } else {
      value cur = result.has_field(k) ? result.at(k) : value::null();
      result[k] = ApplyMergePatch(cur, v);
    }
  }
  return result;
}

// ---- JSON patch ----

namespace {

[[noreturn]] void PatchFailed(const std::string& why) {
  // NewGenericServerResponse(422, ...) keeps only its generic message; the detail is in logs.
  (void)why;
  ApiError e(422, "Invalid", "the server rejected our request due to an error in our request");
  e.has_details = true;
  throw e;
}

std::vector<std::string> ParsePointer(const std::string& ptr) {
  std::vector<std::string> parts;
  if (ptr.empty()) return parts;
  if (ptr[0] != '/') PatchFailed("invalid pointer " + ptr);
  size_t start = 1;
  while (true) {
    size_t slash = ptr.find('/', start);
    std::string tok = ptr.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
    std::string unesc;
    for (size_t i = 0; i < tok.size(); ++i) {
      if (tok[i] == '~' && i + 1 < tok.size() && (tok[i + 1] == '0' || tok[i + 1] == '1')) {
        unesc += tok[i + 1] == '0' ? '~' : '/';
        ++i;
      } else {
        unesc += tok[i];
      }
    }
    parts.push_back(unesc);
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  return parts;
}

bool ParseIndex(const std::string& tok, size_t limit, size_t* out) {
  if (tok.empty() || tok.size() > 9) return false;
  for (char c : tok)
    if (c < '0' || c > '9') return false;
  if (tok.size() > 1 && tok[0] == '0') return false;
  *out = std::stoul(tok);
  return *out <= limit;
}

value* Walk(value& root, const std::vector<std::string>& parts, size_t count) {
  value* cur = &root;
  for (size_t i = 0; i < count; ++i) {
    if (cur->is_object()) {
      if (!cur->has_field(parts[i])) return nullptr;
      cur = &cur->at(parts[i]);
    } else if (cur->is_array()) {
      size_t idx;
      if (!ParseIndex(parts[i], cur->size() - 1, &idx) || cur->size() == 0) return nullptr;
      cur = &cur->at(idx);
    } else {
      return nullptr;
    }
  }
  return cur;
}

value ArrayFrom(const std::vector<value>& items) {
  value arr = value::array(items.size());
  for (size_t i = 0; i < items.size(); ++i) arr[i] = items[i];
  return arr;
}

std::vector<value> Items(const value& arr) {
  std::vector<value> out;
  for (const auto& v : arr.as_array()) out.push_back(v);
  return out;
}

value Get(value& root, const std::string& path) {
  auto parts = ParsePointer(path);
  value* v = Walk(root, parts, parts.size());
  if (!v) PatchFailed("path " + path + " not found");
  return *v;
}

void Remove(value& root, const std::string& path) {
  auto parts = ParsePointer(path);
  if (parts.empty()) PatchFailed("cannot remove root");
  value* parent = Walk(root, parts, parts.size() - 1);
  if (!parent) PatchFailed("path " + path + " not found");
  const auto& last = parts.back();
  if (parent->is_object()) {
    if (!parent->has_field(last)) PatchFailed("path " + path + " not found");
    parent->erase(last);
  } else if (parent->is_array()) {
    size_t idx;
    if (parent->size() == 0 || !ParseIndex(last, parent->size() - 1, &idx))
      PatchFailed("index out of range");
    auto items = Items(*parent);
    items.erase(items.begin() + static_cast<long>(idx));
    *parent = ArrayFrom(items);
  } else {
    PatchFailed("path " + path + " not found");
  }
}

void Add(value& root, const std::string& path, const value& v, bool replace) {
  auto parts = ParsePointer(path);
  if (parts.empty()) {
    root = v;
    return;
  }
  value* parent = Walk(root, parts, parts.size() - 1);
  if (!parent) PatchFailed("path " + path + " not found");
  const auto& last = parts.back();
  if (parent->is_object()) {
    if (replace && !parent->has_field(last)) PatchFailed("path " + path + " not found");
    (*parent)[last] = v;
  } else if (parent->is_array()) {
    auto items = Items(*parent);
    size_t idx;
    if (replace) {
      if (items.empty() || !ParseIndex(last, items.size() - 1, &idx)) PatchFailed("index out of range");
      items[idx] = v;
    } else if (last == "-") {
      items.push_back(v);
    } else {
      if (!ParseIndex(last, items.size(), &idx)) PatchFailed("index out of range");
      items.insert(items.begin() + static_cast<long>(idx), v);
    }
    *parent = ArrayFrom(items);
  } else {
    PatchFailed("path " + path + " not found");
  }
}

std::string StringField(const value& op, const char* name, bool required) {
  if (!op.has_field(name)) {
    if (required) PatchFailed(std::string("missing ") + name);
    return "";
  }
  if (!op.at(name).is_string()) throw BadRequest(std::string("json: cannot unmarshal ") + name);
  return op.at(name).as_string();
}

}  // namespace

value ApplyJsonPatch(const value& target, const value& patch) {
  if (!patch.is_array())
    throw BadRequest("json: cannot unmarshal object into Go value of type jsonpatch.Patch");
  if (patch.size() > 10000)
    throw RequestEntityTooLarge("The allowed maximum operations in a JSON patch is 10000, got " +
                                std::to_string(patch.size()));
  value doc = target;
  for (const auto& op : patch.as_array()) {
    if (!op.is_object())
      throw BadRequest("json: cannot unmarshal into Go value of type jsonpatch.Operation");
    std::string kind = StringField(op, "op", true);
    std::string path = StringField(op, "path", true);
    if (kind == "add" || kind == "replace" || kind == "test") {
      if (!op.has_field("value")) PatchFailed("missing value");
    }
    if (kind == "add") {
      Add(doc, path, op.at("value"), false);
    } else if (kind == "replace") {
      Add(doc, path, op.at("value"), true);
    } else if (kind == "remove") {
      Remove(doc, path);
    } else if (kind == "test") {
      auto parts = ParsePointer(path);
      value* v = Walk(doc, parts, parts.size());
      if (!v || !(*v == op.at("value"))) PatchFailed("testing value " + path + " failed");
    } else if (kind == "move" || kind == "copy") {
      std::string from = StringField(op, "from", true);
      value v = Get(doc, from);
      if (kind == "move") Remove(doc, from);
      Add(doc, path, v, false);
    } else {
      PatchFailed("Unexpected kind: " + kind);
    }
  }
  return doc;
}

// ---- strategic merge patch ----

namespace {

enum class ListStrategy { kReplace, kMergeByKey, kMergePrimitives };

struct ListRule {
  ListStrategy strategy = ListStrategy::kReplace;
  std::string key;
};

bool InContainer(const std::vector<std::string>& path) {
  for (auto it = path.rbegin(); it != path.rend(); ++it)
    if (*it == "containers" || *it == "initContainers" || *it == "ephemeralContainers") return true;
  return false;
}

// Merge keys from the patchStrategy/patchMergeKey struct tags of k8s.io/api.
ListRule RuleFor(const std::vector<std::string>& path, const std::string& field) {
  static const std::pair<const char*, const char*> keyed[] = {
      {"containers", "name"},       {"initContainers", "name"}, {"ephemeralContainers", "name"},
      {"volumes", "name"},          {"env", "name"},            {"volumeMounts", "mountPath"},
      {"volumeDevices", "devicePath"}, {"ownerReferences", "uid"}, {"imagePullSecrets", "name"},
      {"conditions", "type"},       {"hostAliases", "ip"},      {"podIPs", "ip"},
      {"hostIPs", "ip"},            {"topologySpreadConstraints", "topologyKey"},
      {"resourceClaims", "name"},   {"readinessGates", "conditionType"},
  };
  if (field == "finalizers" && !path.empty() && path.back() == "metadata")
    return {ListStrategy::kMergePrimitives, ""};
  if (field == "addresses" && !path.empty() && path.back() == "status")
    return {ListStrategy::kMergeByKey, "type"};
  if (field == "ports") {
    if (InContainer(path)) return {ListStrategy::kMergeByKey, "containerPort"};
    if (path.size() == 1 && path[0] == "spec") return {ListStrategy::kMergeByKey, "port"};
    return {};
  }
  for (const auto& [name, key] : keyed)
    if (field == name) return {ListStrategy::kMergeByKey, key};
  return {};
}

bool IsDeleteDirective(const value& v) {
  return v.is_object() && v.has_field("$patch") && v.at("$patch").is_string() &&
         v.at("$patch").as_string() == "delete";
}

value StripDirectives(const value& v) {
  if (v.is_object()) {
    value out = value::object();
    for (const auto& [k, child] : v.as_object()) {
      if (!k.empty() && k[0] == '$') continue;
      out[k] = StripDirectives(child);
    }
    return out;
  }
  if (v.is_array()) {
    std::vector<value> items;
    for (const auto& e : v.as_array()) items.push_back(StripDirectives(e));
    return ArrayFrom(items);
  }
  return v;
}

value MergeMap(const value& original, const value& patch, std::vector<std::string>& path);

value MergeList(const value& original, const value& patch, const ListRule& rule,
                std::vector<std::string>& path) {
  std::vector<value> orig = original.is_array() ? Items(original) : std::vector<value>{};
  if (rule.strategy == ListStrategy::kMergePrimitives) {
    for (const auto& v : patch.as_array()) {
      bool found = false;
      for (const auto& o : orig) found = found || o == v;
      if (!found) orig.push_back(v);
    }
    return ArrayFrom(orig);
  }
  // A {"$patch": "replace"} element replaces the whole list with the other elements.
  for (const auto& e : patch.as_array()) {
    if (e.is_object() && e.has_field("$patch") && e.at("$patch").is_string() &&
        e.at("$patch").as_string() == "replace") {
      std::vector<value> kept;
      for (const auto& x : patch.as_array())
        if (!(x.is_object() && x.has_field("$patch"))) kept.push_back(StripDirectives(x));
      return ArrayFrom(kept);
    }
  }
  for (const auto& e : patch.as_array()) {
    if (!e.is_object() || !e.has_field(rule.key)) {
      throw BadRequest("map: " + e.serialize() + " does not contain declared merge key: " + rule.key);
    }
    const value& key = e.at(rule.key);
    auto it = orig.begin();
    for (; it != orig.end(); ++it)
      if (it->is_object() && it->has_field(rule.key) && it->at(rule.key) == key) break;
    if (IsDeleteDirective(e)) {
      if (it != orig.end()) orig.erase(it);
      continue;
    }
    if (it == orig.end()) {
      orig.push_back(StripDirectives(e));
    } else {
      *it = MergeMap(*it, e, path);
    }
  }
  return ArrayFrom(orig);
}

value MergeMap(const value& original, const value& patch, std::vector<std::string>& path) {
  if (!patch.is_object()) return patch;
  if (patch.has_field("$patch") && patch.at("$patch").is_string()) {
    const auto directive = patch.at("$patch").as_string();
    if (directive == "replace") return StripDirectives(patch);
    if (directive != "delete" && directive != "merge")
      throw BadRequest("Unknown patch type: " + directive + " in map: " + patch.serialize());
  }
  value result = original.is_object() ? original : value::object();
  for (const auto& [k, v] : patch.as_object()) {
    static const std::string kDeletePrimitive = "$deleteFromPrimitiveList/";
    if (k.rfind(kDeletePrimitive, 0) == 0) {
      std::string field = k.substr(kDeletePrimitive.size());
      if (result.has_field(field) && result.at(field).is_array() && v.is_array()) {
        std::vector<value> kept;
        for (const auto& o : result.at(field).as_array()) {
          bool drop = false;
          for (const auto& d : v.as_array()) drop = drop || d == o;
          if (!drop) kept.push_back(o);
        }
        result[field] = ArrayFrom(kept);
      }
      continue;
    }
    if (!k.empty() && k[0] == '$') continue;  // $setElementOrder, $retainKeys, $patch
    if (v.is_null() || IsDeleteDirective(v)) {
      if (result.has_field(k)) result.erase(k);
      continue;
    }
    value cur = result.has_field(k) ? result.at(k) : value::null();
    if (v.is_object()) {
      path.push_back(k);
      result[k] = MergeMap(cur, v, path);
      path.pop_back();
    } else if (v.is_array()) {
      ListRule rule = RuleFor(path, k);
      if (rule.strategy == ListStrategy::kReplace) {
        result[k] = StripDirectives(v);
      } else {
        path.push_back(k);
        result[k] = MergeList(cur, v, rule, path);
        path.pop_back();
      }
    } else {
      result[k] = v;
    }
  }
  return result;
}

}  // namespace

value ApplyStrategicMergePatch(const value& target, const value& patch) {
  if (!patch.is_object()) throw BadRequest("strategic merge patch must be a JSON object");
  std::vector<std::string> path;
  return MergeMap(target, patch, path);
}

}  // namespace riposte::testapi
