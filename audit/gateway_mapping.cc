#include "audit/gateway_mapping.h"

#include <algorithm>
#include <cctype>
#include <unordered_map>

#include <cpprest/json.h>

namespace riposte::audit {

// Generated from audit/data/gateway_mapping.json at configure time (audit/CMakeLists.txt).
extern const char kGatewayMappingJson[];

namespace {

using web::json::value;

struct Loaded {
  std::vector<GatewayMapping> table;
  std::unordered_map<std::string, size_t> index;
  std::string basis;
  std::string error;
};

std::string Field(const value& obj, const char* key) {
  if (!obj.is_object() || !obj.has_field(key)) return "";
  const value& v = obj.at(key);
  return v.is_string() ? v.as_string() : "";
}

bool ParseClass(const std::string& s, GatewayClass* out) {
  for (GatewayClass c : {GatewayClass::kCore, GatewayClass::kExtended, GatewayClass::kImplementationSpecific,
                         GatewayClass::kNone}) {
    if (s == GatewayClassName(c)) {
      *out = c;
      return true;
    }
  }
  return false;
}

Loaded Load() {
  Loaded l;
  value doc;
  try {
    doc = value::parse(std::string(kGatewayMappingJson));
  } catch (const std::exception& e) {
    l.error = std::string("gateway mapping: invalid JSON: ") + e.what();
    return l;
  }
  if (!doc.is_object() || !doc.has_field("annotations") || !doc.at("annotations").is_object()) {
    l.error = "gateway mapping: no \"annotations\" object";
    return l;
  }
  l.basis = "Gateway API " + Field(doc, "gatewayApi") + "; ingress2gateway " + Field(doc, "ingress2gateway");
  // cpprest keeps object keys sorted, not in file order; sort by name for a stable order.
  for (const auto& [name, e] : doc.at("annotations").as_object()) {
    GatewayMapping m;
    m.annotation = name;
    if (!ParseClass(Field(e, "class"), &m.gateway_class)) {
      l.error = "gateway mapping: " + name + ": unknown class \"" + Field(e, "class") + "\"";
      l.table.clear();
      return l;
    }
    m.gateway_feature = Field(e, "gatewayFeature");
    m.ingress2gateway = Field(e, "ingress2gateway");
    m.notes = Field(e, "notes");
    m.source = Field(e, "source");
    l.table.push_back(std::move(m));
  }
  std::sort(l.table.begin(), l.table.end(),
            [](const GatewayMapping& a, const GatewayMapping& b) { return a.annotation < b.annotation; });
  for (size_t i = 0; i < l.table.size(); ++i) l.index.emplace(l.table[i].annotation, i);
  return l;
}

const Loaded& Data() {
  static const Loaded loaded = Load();
  return loaded;
}

// "$1".."$9" (and ${1}) in a rewrite target refer to regex capture groups of the path.
bool HasCaptureReference(std::string_view v) {
  for (size_t i = 0; i + 1 < v.size(); ++i) {
    if (v[i] != '$') continue;
    if (std::isdigit(static_cast<unsigned char>(v[i + 1]))) return true;
    if (v[i + 1] == '{' && i + 2 < v.size() && std::isdigit(static_cast<unsigned char>(v[i + 2]))) return true;
  }
  return false;
}

std::string Trimmed(std::string_view v) {
  while (!v.empty() && std::isspace(static_cast<unsigned char>(v.front()))) v.remove_prefix(1);
  while (!v.empty() && std::isspace(static_cast<unsigned char>(v.back()))) v.remove_suffix(1);
  return std::string(v);
}

std::string Upper(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::toupper(c); });
  return s;
}

}  // namespace

const std::vector<GatewayMapping>& GatewayMappingTable() { return Data().table; }
const std::string& GatewayMappingError() { return Data().error; }
const std::string& GatewayMappingBasis() { return Data().basis; }

const GatewayMapping* FindGatewayMapping(std::string_view annotation) {
  const auto& d = Data();
  auto it = d.index.find(std::string(annotation));
  return it == d.index.end() ? nullptr : &d.table[it->second];
}

GatewayClass ClassifyAnnotation(const GatewayMapping& m, std::string_view raw, std::string* reason) {
  reason->clear();
  const std::string value = Trimmed(raw);
  const std::string& name = m.annotation;
  if (name == "rewrite-target" && HasCaptureReference(value)) {
    *reason = "rewrite with regex capture groups ($1...): HTTPRoute URLRewrite only replaces the full path or a "
              "prefix (ingress2gateway: capture groups are not supported)";
    return GatewayClass::kNone;
  }
  if (name == "backend-protocol") {
    const std::string p = Upper(value);
    if (p == "AJP" || p == "FCGI") {
      *reason = "backend protocol " + p + " has no Gateway API route type";
      return GatewayClass::kNone;
    }
    if (p == "HTTP" || p == "AUTO_HTTP" || p == "GRPC") {
      *reason = p == "GRPC" ? "GRPC: GRPCRoute (Core)" : "plain HTTP: the HTTPRoute default";
      return GatewayClass::kCore;
    }
    return m.gateway_class;  // HTTPS / GRPCS: BackendTLSPolicy
  }
  if (name == "permanent-redirect-code" || name == "temporal-redirect-code") {
    if (value == "301" || value == "302") return GatewayClass::kCore;
    if (value == "303" || value == "307" || value == "308") {
      *reason = "status " + value + " is an Extended redirect code (HTTPRoute" + value + "RedirectStatusCode)";
      return GatewayClass::kExtended;
    }
    return m.gateway_class;
  }
  if (name == "use-regex" && (value == "false" || value == "False" || value == "FALSE")) {
    *reason = "use-regex \"false\" changes nothing";
    return GatewayClass::kCore;
  }
  return m.gateway_class;
}

}  // namespace riposte::audit
