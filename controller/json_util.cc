#include "controller/json_util.h"

namespace riposte::controller::json {

const web::json::value* Find(const web::json::value& v, std::initializer_list<const char*> path) {
  const web::json::value* cur = &v;
  for (const char* key : path) {
    if (!cur->is_object()) return nullptr;
    const auto& obj = cur->as_object();
    auto it = obj.find(key);
    if (it == obj.end()) return nullptr;
    cur = &it->second;
  }
  return cur;
}

std::optional<std::string> String(const web::json::value& v, std::initializer_list<const char*> path) {
  const auto* f = Find(v, path);
  if (f == nullptr || !f->is_string()) return std::nullopt;
  return f->as_string();
}

std::optional<bool> Bool(const web::json::value& v, std::initializer_list<const char*> path) {
  const auto* f = Find(v, path);
  if (f == nullptr || !f->is_boolean()) return std::nullopt;
  return f->as_bool();
}

std::optional<int64_t> Int(const web::json::value& v, std::initializer_list<const char*> path) {
  const auto* f = Find(v, path);
  if (f == nullptr || !f->is_number() || !f->as_number().is_int64()) return std::nullopt;
  return f->as_number().to_int64();
}

std::map<std::string, std::string> StringMap(const web::json::value& v,
                                             std::initializer_list<const char*> path) {
  std::map<std::string, std::string> out;
  const auto* f = Find(v, path);
  if (f == nullptr || !f->is_object()) return out;
  for (const auto& [k, val] : f->as_object())
    if (val.is_string()) out[k] = val.as_string();
  return out;
}

std::vector<std::string> StringList(const web::json::value& v,
                                    std::initializer_list<const char*> path) {
  std::vector<std::string> out;
  const auto* f = Find(v, path);
  if (f == nullptr || !f->is_array()) return out;
  for (const auto& e : f->as_array())
    if (e.is_string()) out.push_back(e.as_string());
  return out;
}

web::json::value FromMap(const std::map<std::string, std::string>& m) {
  auto o = web::json::value::object();
  for (const auto& [k, v] : m) o[k] = web::json::value::string(v);
  return o;
}

web::json::value FromList(const std::vector<std::string>& l) {
  auto a = web::json::value::array(l.size());
  for (size_t i = 0; i < l.size(); ++i) a[i] = web::json::value::string(l[i]);
  return a;
}

}  // namespace riposte::controller::json
