#include "kube/patch.h"

#include <charconv>

namespace riposte::kube {
namespace json = web::json;

std::string EscapeJsonPointerToken(const std::string& token) {
  std::string out;
  out.reserve(token.size());
  for (char c : token) {
    if (c == '~') {
      out += "~0";
    } else if (c == '/') {
      out += "~1";
    } else {
      out += c;
    }
  }
  return out;
}

std::string JsonPointer(const std::vector<std::string>& tokens) {
  std::string out;
  for (const auto& t : tokens) out += "/" + EscapeJsonPointerToken(t);
  return out;
}

JsonPatch& JsonPatch::Op(const char* op, const std::string& pointer, const json::value* value, const std::string* from) {
  json::value o = json::value::object();
  o["op"] = json::value::string(op);
  if (from != nullptr) o["from"] = json::value::string(*from);
  o["path"] = json::value::string(pointer);
  if (value != nullptr) o["value"] = *value;
  ops_[ops_.size()] = std::move(o);
  return *this;
}
JsonPatch& JsonPatch::Add(const std::string& p, json::value v) { return Op("add", p, &v, nullptr); }
JsonPatch& JsonPatch::Remove(const std::string& p) { return Op("remove", p, nullptr, nullptr); }
JsonPatch& JsonPatch::Replace(const std::string& p, json::value v) { return Op("replace", p, &v, nullptr); }
JsonPatch& JsonPatch::Test(const std::string& p, json::value v) {
  has_test_ = true;
  return Op("test", p, &v, nullptr);
}
JsonPatch& JsonPatch::Move(const std::string& from, const std::string& p) { return Op("move", p, nullptr, &from); }
JsonPatch& JsonPatch::Copy(const std::string& from, const std::string& p) { return Op("copy", p, nullptr, &from); }

json::value CreateMergePatch(const json::value& original, const json::value& modified) {
  if (!original.is_object() || !modified.is_object()) return modified;
  json::value patch = json::value::object();
  for (const auto& [k, v] : original.as_object()) {
    if (!modified.has_field(k)) patch[k] = json::value::null();
  }
  for (const auto& [k, v] : modified.as_object()) {
    if (!original.has_field(k)) {
      patch[k] = v;
      continue;
    }
    const json::value& o = original.at(k);
    if (o == v) continue;
    if (o.is_object() && v.is_object()) {
      json::value sub = CreateMergePatch(o, v);
      if (sub.is_object() && sub.size() == 0) continue;
      patch[k] = sub;
    } else {
      patch[k] = v;
    }
  }
  return patch;
}

json::value ApplyMergePatch(const json::value& target, const json::value& patch) {
  if (!patch.is_object()) return patch;
  json::value out = target.is_object() ? target : json::value::object();
  for (const auto& [k, v] : patch.as_object()) {
    if (v.is_null()) {
      if (out.has_field(k)) out.erase(k);
    } else {
      out[k] = ApplyMergePatch(out.has_field(k) ? out.at(k) : json::value::null(), v);
    }
  }
  return out;
}

namespace {

bool ParsePointer(const std::string& ptr, std::vector<std::string>* tokens, std::string* error) {
  tokens->clear();
  if (ptr.empty()) return true;
  if (ptr[0] != '/') {
    *error = "pointer \"" + ptr + "\" does not start with /";
    return false;
  }
  std::string cur;
  for (size_t i = 1; i <= ptr.size(); ++i) {
    if (i == ptr.size() || ptr[i] == '/') {
      tokens->push_back(cur);
      cur.clear();
    } else if (ptr[i] == '~') {
      if (i + 1 >= ptr.size() || (ptr[i + 1] != '0' && ptr[i + 1] != '1')) {
        *error = "pointer \"" + ptr + "\" has an invalid ~ escape";
        return false;
      }
      cur += ptr[i + 1] == '0' ? '~' : '/';
      ++i;
    } else {
      cur += ptr[i];
    }
  }
  return true;
}

bool ArrayIndex(const std::string& tok, size_t size, bool allow_end, size_t* idx) {
  if (allow_end && tok == "-") {
    *idx = size;
    return true;
  }
  if (tok.empty() || (tok.size() > 1 && tok[0] == '0')) return false;
  auto [p, ec] = std::from_chars(tok.data(), tok.data() + tok.size(), *idx);
  if (ec != std::errc() || p != tok.data() + tok.size()) return false;
  return allow_end ? *idx <= size : *idx < size;
}

// Walks to the parent of the last token.
json::value* Parent(json::value& root, const std::vector<std::string>& toks, std::string* error) {
  json::value* cur = &root;
  for (size_t i = 0; i + 1 < toks.size(); ++i) {
    if (cur->is_object()) {
      if (!cur->has_field(toks[i])) {
        *error = "path component \"" + toks[i] + "\" not found";
        return nullptr;
      }
      cur = &cur->at(toks[i]);
    } else if (cur->is_array()) {
      size_t idx = 0;
      if (!ArrayIndex(toks[i], cur->size(), false, &idx)) {
        *error = "bad array index \"" + toks[i] + "\"";
        return nullptr;
      }
      cur = &cur->at(idx);
    } else {
      *error = "path component \"" + toks[i] + "\" is not a container";
      return nullptr;
    }
  }
  return cur;
}

bool Get(json::value& root, const std::string& ptr, json::value* out, std::string* error) {
  std::vector<std::string> toks;
  if (!ParsePointer(ptr, &toks, error)) return false;
  if (toks.empty()) {
    *out = root;
    return true;
  }
  json::value* parent = Parent(root, toks, error);
  if (parent == nullptr) return false;
  const std::string& last = toks.back();
  if (parent->is_object() && parent->has_field(last)) {
    *out = parent->at(last);
    return true;
  }
  size_t idx = 0;
  if (parent->is_array() && ArrayIndex(last, parent->size(), false, &idx)) {
    *out = parent->at(idx);
    return true;
  }
  *error = "path \"" + ptr + "\" not found";
  return false;
}

bool Remove(json::value& root, const std::string& ptr, std::string* error) {
  std::vector<std::string> toks;
  if (!ParsePointer(ptr, &toks, error)) return false;
  if (toks.empty()) {
    *error = "cannot remove the root";
    return false;
  }
  json::value* parent = Parent(root, toks, error);
  if (parent == nullptr) return false;
  if (parent->is_object() && parent->has_field(toks.back())) {
    parent->erase(toks.back());
    return true;
  }
  size_t idx = 0;
  if (parent->is_array() && ArrayIndex(toks.back(), parent->size(), false, &idx)) {
    parent->as_array().erase(idx);
    return true;
  }
  *error = "path \"" + ptr + "\" not found";
  return false;
}

bool Add(json::value& root, const std::string& ptr, const json::value& value, bool replace, std::string* error) {
  std::vector<std::string> toks;
  if (!ParsePointer(ptr, &toks, error)) return false;
  if (toks.empty()) {
    root = value;
    return true;
  }
  json::value* parent = Parent(root, toks, error);
  if (parent == nullptr) return false;
  if (parent->is_object()) {
    if (replace && !parent->has_field(toks.back())) {
      *error = "path \"" + ptr + "\" not found";
      return false;
    }
    (*parent)[toks.back()] = value;
    return true;
  }
  if (parent->is_array()) {
    size_t idx = 0;
    if (!ArrayIndex(toks.back(), parent->size(), !replace, &idx)) {
      *error = "bad array index in \"" + ptr + "\"";
      return false;
    }
    if (replace) {
      parent->at(idx) = value;
      return true;
    }
    // cpprestsdk arrays have no insert: rebuild.
    json::value arr = json::value::array();
    size_t j = 0;
    for (size_t i = 0; i <= parent->size(); ++i) {
      if (i == idx) arr[j++] = value;
      if (i < parent->size()) arr[j++] = parent->at(i);
    }
    *parent = std::move(arr);
    return true;
  }
  *error = "parent of \"" + ptr + "\" is not a container";
  return false;
}

}  // namespace

bool ApplyJsonPatch(json::value& target, const json::value& ops, std::string* error) {
  if (!ops.is_array()) {
    *error = "JSON patch must be an array";
    return false;
  }
  json::value work = target;  // all-or-nothing
  for (size_t i = 0; i < ops.size(); ++i) {
    const json::value& op = ops.at(i);
    auto str = [&](const char* k) {
      return op.is_object() && op.has_field(k) && op.at(k).is_string() ? op.at(k).as_string() : std::string();
    };
    const std::string name = str("op");
    const std::string path = str("path");
    const bool has_value = op.is_object() && op.has_field("value");
    std::string err;
    bool ok = false;
    if (name == "add" && has_value) {
      ok = Add(work, path, op.at("value"), false, &err);
    } else if (name == "replace" && has_value) {
      ok = Add(work, path, op.at("value"), true, &err);
    } else if (name == "remove") {
      ok = Remove(work, path, &err);
    } else if (name == "test" && has_value) {
      json::value cur;
      ok = Get(work, path, &cur, &err);
      if (ok && cur != op.at("value")) {
        ok = false;
        err = "test failed at \"" + path + "\"";
      }
    } else if (name == "move" || name == "copy") {
      json::value v;
      const std::string from = str("from");
      ok = Get(work, from, &v, &err) && (name == "copy" || Remove(work, from, &err)) && Add(work, path, v, false, &err);
    } else {
      err = "unsupported or incomplete op \"" + name + "\"";
    }
    if (!ok) {
      *error = "op " + std::to_string(i) + ": " + err;
      return false;
    }
  }
  target = std::move(work);
  return true;
}

bool JsonSubset(const json::value& want, const json::value& got) {
  if (want.is_object()) {
    if (!got.is_object()) return false;
    for (const auto& [k, v] : want.as_object()) {
      if (!got.has_field(k)) {
        if (v.is_null()) continue;
        return false;
      }
      if (!JsonSubset(v, got.at(k))) return false;
    }
    return true;
  }
  if (want.is_array()) {
    if (!got.is_array() || got.size() != want.size()) return false;
    for (size_t i = 0; i < want.size(); ++i) {
      if (!JsonSubset(want.at(i), got.at(i))) return false;
    }
    return true;
  }
  return want == got;
}

json::value LabelsMergePatch(const std::vector<std::pair<std::string, std::optional<std::string>>>& changes) {
  json::value labels = json::value::object();
  for (const auto& [k, v] : changes) labels[k] = v ? json::value::string(*v) : json::value::null();
  json::value patch = json::value::object();
  patch["metadata"] = json::value::object();
  patch["metadata"]["labels"] = labels;
  return patch;
}

}  // namespace riposte::kube
