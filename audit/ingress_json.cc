#include "audit/ingress_checker.h"

namespace riposte::audit {

namespace {
using web::json::value;

const value* Field(const value& v, const char* key) {
  if (!v.is_object()) return nullptr;
  auto& obj = v.as_object();
  auto it = obj.find(key);
  return it == obj.end() ? nullptr : &it->second;
}

std::string Str(const value& v, const char* key) {
  const value* f = Field(v, key);
  return f != nullptr && f->is_string() ? f->as_string() : std::string();
}

core::KeyValues StringMap(const value* v) {
  core::KeyValues out;
  if (v == nullptr || !v->is_object()) return out;
  for (const auto& [k, val] : v->as_object()) {
    if (val.is_string()) out.emplace_back(k, val.as_string());
  }
  return out;
}
}  // namespace

core::Ingress IngressFromJson(const value& obj) {
  core::Ingress ing;
  static const value kEmpty = value::object();
  const value* meta = Field(obj, "metadata");
  if (meta == nullptr) meta = &kEmpty;
  ing.ns = Str(*meta, "namespace");
  ing.name = Str(*meta, "name");
  ing.uid = Str(*meta, "uid");
  ing.annotations = StringMap(Field(*meta, "annotations"));
  const value* spec = Field(obj, "spec");
  if (spec == nullptr) return ing;
  ing.ingress_class = Str(*spec, "ingressClassName");
  if (const value* rules = Field(*spec, "rules"); rules != nullptr && rules->is_array()) {
    for (const auto& r : rules->as_array()) {
      core::IngressRule rule;
      rule.host = Str(r, "host");
      const value* http = Field(r, "http");
      const value* paths = http != nullptr ? Field(*http, "paths") : nullptr;
      if (paths != nullptr && paths->is_array()) {
        for (const auto& p : paths->as_array()) rule.paths.push_back({Str(p, "path"), Str(p, "pathType")});
      }
      ing.rules.push_back(std::move(rule));
    }
  }
  if (const value* tls = Field(*spec, "tls"); tls != nullptr && tls->is_array()) {
    for (const auto& t : tls->as_array()) {
      core::IngressTls entry;
      entry.secret_name = Str(t, "secretName");
      if (const value* hosts = Field(t, "hosts"); hosts != nullptr && hosts->is_array()) {
        for (const auto& h : hosts->as_array()) {
          if (h.is_string()) entry.hosts.push_back(h.as_string());
        }
      }
      ing.tls.push_back(std::move(entry));
    }
  }
  return ing;
}

core::ConfigMap ConfigMapFromJson(const value& obj) {
  core::ConfigMap cm;
  if (const value* meta = Field(obj, "metadata")) {
    cm.ns = Str(*meta, "namespace");
    cm.name = Str(*meta, "name");
  }
  cm.data = StringMap(Field(obj, "data"));
  return cm;
}

}  // namespace riposte::audit
