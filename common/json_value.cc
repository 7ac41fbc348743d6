#include "common/json_value.h"

namespace riposte::json {

std::string_view TypeName(const Value& v) {
  switch (v.type()) {
    case Value::String: return "string";
    case Value::Number: return v.as_number().is_int64() || v.as_number().is_uint64() ? "integer" : "number";
    case Value::Boolean: return "boolean";
    case Value::Object: return "object";
    case Value::Array: return "array";
    case Value::Null: return "null";
  }
  return "null";
}

void Errors::Add(std::string message) {
  if (messages_.size() >= kMax) {
    ++dropped_;
    return;
  }
  messages_.push_back(std::move(message));
}

std::string Errors::Join(std::string_view sep) const {
  std::string out;
  for (const auto& m : messages_) {
    if (!out.empty()) out += sep;
    out += m;
  }
  if (dropped_ > 0) out += " (and " + std::to_string(dropped_) + " more)";
  return out;
}

namespace {

bool PlainKey(std::string_view key) {
  if (key.empty()) return false;
  for (char c : key)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-'))
      return false;
  return true;
}

}  // namespace

std::string JoinPath(std::string_view path, std::string_view key) {
  std::string out(path);
  if (PlainKey(key)) {
    if (!out.empty()) out += '.';
    out.append(key);
  } else {
    out += '[';
    out += Quote(key);
    out += ']';
  }
  return out;
}

std::string JoinPath(std::string_view path, size_t index) {
  std::string out(path);
  out += '[';
  out += std::to_string(index);
  out += ']';
  return out;
}

Reader Reader::Child(const Value& v, std::string_view key) const {
  return Reader(&v, errors_, errors_ != nullptr ? JoinPath(path_, key) : std::string());
}

Reader Reader::operator[](std::string_view key) const {
  // Paths are only built when someone will read them (strict mode).
  std::string path = errors_ != nullptr ? JoinPath(path_, key) : std::string();
  if (v_ == nullptr || !v_->is_object()) return Reader(nullptr, errors_, std::move(path));
  const auto& obj = v_->as_object();
  auto it = obj.find(std::string(key));
  return Reader(it == obj.end() ? nullptr : &it->second, errors_, std::move(path));
}

Reader Reader::operator[](size_t index) const {
  std::string path = errors_ != nullptr ? JoinPath(path_, index) : std::string();
  if (v_ == nullptr || !v_->is_array() || index >= v_->as_array().size()) return Reader(nullptr, errors_, std::move(path));
  return Reader(&v_->as_array().at(index), errors_, std::move(path));
}

Reader Reader::At(std::initializer_list<std::string_view> path) const {
  Reader r = *this;
  for (auto key : path) r = r[key];
  return r;
}

void Reader::Error(std::string_view message) const {
  if (errors_ == nullptr) return;
  errors_->Add((path_.empty() ? std::string("(root)") : path_) + ": " + std::string(message));
}

bool Reader::Required() const {
  if (exists()) return true;
  Error("required");
  return false;
}

void Reader::Mismatch(std::string_view expected) const {
  if (errors_ == nullptr) return;
  Error("expected " + std::string(expected) + ", got " + std::string(TypeName(*v_)));
}

std::optional<std::string> Reader::String() const {
  if (!exists()) return std::nullopt;
  if (!v_->is_string()) {
    Mismatch("string");
    return std::nullopt;
  }
  return v_->as_string();
}

std::optional<int64_t> Reader::Int() const {
  if (!exists()) return std::nullopt;
  if (v_->is_number() && v_->as_number().is_uint64() && !v_->as_number().is_int64()) {
    Error("integer out of range");
    return std::nullopt;
  }
  if (!v_->is_number() || !v_->as_number().is_int64()) {
    Mismatch("integer");
    return std::nullopt;
  }
  return v_->as_number().to_int64();
}

std::optional<bool> Reader::Bool() const {
  if (!exists()) return std::nullopt;
  if (!v_->is_boolean()) {
    Mismatch("boolean");
    return std::nullopt;
  }
  return v_->as_bool();
}

bool Reader::Object() const {
  if (!exists()) return false;
  if (!v_->is_object()) {
    Mismatch("object");
    return false;
  }
  return true;
}

bool Reader::Array() const {
  if (!exists()) return false;
  if (!v_->is_array()) {
    Mismatch("array");
    return false;
  }
  return true;
}

size_t Reader::size() const {
  if (v_ == nullptr) return 0;
  if (v_->is_array()) return v_->as_array().size();
  if (v_->is_object()) return v_->as_object().size();
  return 0;
}

std::map<std::string, std::string> Reader::StringMap() const {
  std::map<std::string, std::string> out;
  Fields([&](const std::string& k, const Reader& r) {
    if (auto s = r.String()) out[k] = std::move(*s);
  });
  return out;
}

std::vector<std::string> Reader::StringList() const {
  std::vector<std::string> out;
  Items([&](const Reader& r) {
    if (auto s = r.String()) out.push_back(std::move(*s));
  });
  return out;
}

const Value* Find(const Value& v, std::initializer_list<std::string_view> path) {
  const Value* cur = &v;
  for (auto key : path) {
    if (!cur->is_object()) return nullptr;
    const auto& obj = cur->as_object();
    auto it = obj.find(std::string(key));
    if (it == obj.end()) return nullptr;
    cur = &it->second;
  }
  return cur->is_null() ? nullptr : cur;
}

std::optional<std::string> GetString(const Value& v, std::initializer_list<std::string_view> path) {
  const Value* f = Find(v, path);
  if (f == nullptr || !f->is_string()) return std::nullopt;
  return f->as_string();
}

std::optional<int64_t> GetInt(const Value& v, std::initializer_list<std::string_view> path) {
  const Value* f = Find(v, path);
  if (f == nullptr || !f->is_number() || !f->as_number().is_int64()) return std::nullopt;
  return f->as_number().to_int64();
}

std::optional<bool> GetBool(const Value& v, std::initializer_list<std::string_view> path) {
  const Value* f = Find(v, path);
  if (f == nullptr || !f->is_boolean()) return std::nullopt;
  return f->as_bool();
}

std::map<std::string, std::string> GetStringMap(const Value& v, std::initializer_list<std::string_view> path) {
  const Value* f = Find(v, path);
  return f == nullptr ? std::map<std::string, std::string>{} : Reader(*f).StringMap();
}

std::vector<std::string> GetStringList(const Value& v, std::initializer_list<std::string_view> path) {
  const Value* f = Find(v, path);
  return f == nullptr ? std::vector<std::string>{} : Reader(*f).StringList();
}

Value& Mutable(Value& v, std::initializer_list<std::string_view> path) {
  Value* cur = &v;
  for (auto key : path) {
    if (!cur->is_object()) *cur = Value::object();
    cur = &(*cur)[std::string(key)];
  }
  return *cur;
}

Value FromMap(const std::map<std::string, std::string>& m) {
  auto o = Value::object();
  for (const auto& [k, v] : m) o[k] = Value::string(v);
  return o;
}

Value FromList(const std::vector<std::string>& l) {
  auto a = Value::array(l.size());
  for (size_t i = 0; i < l.size(); ++i) a[i] = Value::string(l[i]);
  return a;
}

void Write(Writer& w, const Value& v) {
  switch (v.type()) {
    case Value::Null: w.Null(); return;
    case Value::Boolean: w.Bool(v.as_bool()); return;
    case Value::String: w.String(v.as_string()); return;
    case Value::Number: {
      const auto& n = v.as_number();
      if (n.is_int64()) w.Int(n.to_int64());
      else if (n.is_uint64()) w.Uint(n.to_uint64());
      else w.Double(n.to_double());
      return;
    }
    case Value::Array:
      w.BeginArray();
      for (const auto& e : v.as_array()) Write(w, e);
      w.EndArray();
      return;
    case Value::Object:
      w.BeginObject();
      for (const auto& [k, e] : v.as_object()) {
        w.Key(k);
        Write(w, e);
      }
      w.EndObject();
      return;
  }
}

std::string Serialize(const Value& v) {
  Writer w(256);
  Write(w, v);
  return w.Take();
}

}  // namespace riposte::json
