#include "core/nginx_resource.h"

#include <simdjson.h>

#include "core/text.h"

namespace riposte::core {

namespace dom = simdjson::dom;

std::string_view ProfileName(ProfileId id) {
  switch (id) {
    case ProfileId::kIngressNginx: return "ingress-nginx";
    case ProfileId::kF5NginxIngress: return "f5-nginx-ingress";
    case ProfileId::kNginxGatewayFabric: return "nginx-gateway-fabric";
  }
  return "unknown";
}

namespace {

const std::vector<ResourceKind>& Kinds() {
  static const std::vector<ResourceKind> kinds = {
      {ProfileId::kF5NginxIngress, "k8s.nginx.org", "VirtualServer", "virtualservers", {}},
      {ProfileId::kF5NginxIngress, "k8s.nginx.org", "VirtualServerRoute", "virtualserverroutes", {}},
      {ProfileId::kF5NginxIngress, "k8s.nginx.org", "TransportServer", "transportservers", {}},
      {ProfileId::kF5NginxIngress, "k8s.nginx.org", "Policy", "policies", {}},
      {ProfileId::kNginxGatewayFabric, "gateway.nginx.org", "SnippetsFilter", "snippetsfilters", {}},
      {ProfileId::kNginxGatewayFabric, "gateway.nginx.org", "SnippetsPolicy", "snippetspolicies", {}},
      {ProfileId::kNginxGatewayFabric, "gateway.nginx.org", "AuthenticationFilter", "authenticationfilters",
       {"spec.oidc.extraAuthArgs"}},
      {ProfileId::kNginxGatewayFabric, "gateway.nginx.org", "NginxProxy", "nginxproxies", {}},
  };
  return kinds;
}

// Walks spec collecting every string. The path is kept as a stack of views into the JSON
// document and turned into text only for the strings themselves.
class Walker {
 public:
  Walker(const ResourceKind& kind, NginxResource* out, DecodeError* error) : kind_(kind), out_(out), error_(error) {}

  bool Fail(const std::string& message) {
    if (error_ != nullptr) {
      error_->path.clear();
      for (const auto& s : stack_) {
        error_->path.push_back(PathStep{std::string(s.key), s.index, s.map_entry});
      }
      error_->message = message;
    }
    return false;
  }

  bool Walk(const dom::element& e) {
    if (stack_.size() > kMaxResourceDepth) return Fail("is nested deeper than " + std::to_string(kMaxResourceDepth) + " levels");
    switch (e.type()) {
      case dom::element_type::STRING: return Add(std::string(e.get_string().value_unsafe()), false);
      case dom::element_type::ARRAY: {
        size_t i = 0;
        dom::array arr;
        if (e.get_array().get(arr) != simdjson::SUCCESS) return true;
        for (dom::element item : arr) {
          stack_.push_back(Step{{}, i++, false});
          const bool ok = Walk(item);
          stack_.pop_back();
          if (!ok) return false;
        }
        return true;
      }
      case dom::element_type::OBJECT: {
        const bool key_map = IsKeyMap();
        dom::object obj;
        if (e.get_object().get(obj) != simdjson::SUCCESS) return true;
        for (auto field : obj) {
          stack_.push_back(Step{field.key, PathStep::kNoIndex, key_map});
          bool ok = true;
          if (key_map) ok = Add(std::string(field.key), true);
          if (ok) ok = Walk(field.value);
          stack_.pop_back();
          if (!ok) return false;
        }
        return true;
      }
      default: return true;  // numbers, booleans and null carry no text
    }
  }

 private:
  struct Step {
    std::string_view key;
    size_t index;
    bool map_entry;
  };

  std::string Shape(bool map_key) const {
    std::string s;
    for (const auto& step : stack_) {
      if (step.index != PathStep::kNoIndex) {
        s += "[]";
      } else if (step.map_entry) {
        s += map_key && &step == &stack_.back() ? "{}" : "[*]";
      } else {
        if (!s.empty()) s += '.';
        s += step.key;
      }
    }
    return s;
  }

  std::string Path() const {
    std::string s;
    for (const auto& step : stack_) {
      if (step.index != PathStep::kNoIndex) {
        s += "[" + std::to_string(step.index) + "]";
      } else if (step.map_entry) {
        s += "[" + JsonQuote(step.key) + "]";
      } else {
        if (!s.empty()) s += '.';
        s += step.key;
      }
    }
    return s;
  }

  bool IsKeyMap() const {
    if (kind_.key_maps.empty()) return false;
    const std::string shape = Shape(false);
    for (auto m : kind_.key_maps) {
      if (shape == m) return true;
    }
    return false;
  }

  bool Add(std::string value, bool map_key) {
    if (out_->fields.size() >= kMaxResourceFields) {
      return Fail("holds more than " + std::to_string(kMaxResourceFields) + " strings");
    }
    out_->fields.push_back(ResourceField{Path(), Shape(map_key), std::move(value)});
    return true;
  }

 public:
  std::vector<Step> stack_;

 private:
  const ResourceKind& kind_;
  NginxResource* out_;
  DecodeError* error_;
};

bool SetError(DecodeError* error, std::vector<PathStep> path, std::string message) {
  if (error != nullptr) {
    error->path = std::move(path);
    error->message = std::move(message);
  }
  return false;
}

// A string member of an object (null and absent read as ""); false when it has another type.
bool StringMember(const dom::object& obj, std::string_view key, std::string* out) {
  auto r = obj[key];
  if (r.error()) return true;
  const dom::element e = r.value_unsafe();
  if (e.type() == dom::element_type::NULL_VALUE) return true;
  if (e.type() != dom::element_type::STRING) return false;
  *out = std::string(e.get_string().value_unsafe());
  return true;
}

}  // namespace

std::span<const ResourceKind> AllResourceKinds() { return Kinds(); }

const ResourceKind* FindResourceKind(std::string_view group, std::string_view kind) {
  for (const auto& k : Kinds()) {
    if (k.group == group && k.kind == kind) return &k;
  }
  return nullptr;
}

std::string_view ApiGroup(std::string_view api_version) {
  const size_t slash = api_version.find('/');
  return slash == std::string_view::npos ? std::string_view() : api_version.substr(0, slash);
}

const ResourceField* NginxResource::Field(std::string_view shape) const {
  for (const auto& f : fields) {
    if (f.shape == shape) return &f;
  }
  return nullptr;
}

bool DecodeNginxResource(const dom::element& obj, NginxResource* out, DecodeError* error) {
  if (obj.type() != dom::element_type::OBJECT) return SetError(error, {}, "must be an object");
  const dom::object root = obj.get_object().value_unsafe();
  std::string kind;
  if (!StringMember(root, "apiVersion", &out->api_version)) return SetError(error, {PathStep{"apiVersion"}}, "must be a string");
  if (!StringMember(root, "kind", &kind)) return SetError(error, {PathStep{"kind"}}, "must be a string");
  out->kind = FindResourceKind(ApiGroup(out->api_version), kind);
  if (out->kind == nullptr) {
    return SetError(error, {PathStep{"kind"}},
                    "is not a kind any profile judges: " + EscapeForDisplay(out->api_version) + " " + EscapeForDisplay(kind));
  }
  auto meta = root["metadata"];
  if (!meta.error() && meta.value_unsafe().type() != dom::element_type::NULL_VALUE) {
    if (meta.value_unsafe().type() != dom::element_type::OBJECT) return SetError(error, {PathStep{"metadata"}}, "must be an object");
    const dom::object m = meta.value_unsafe().get_object().value_unsafe();
    if (!StringMember(m, "name", &out->name)) return SetError(error, {PathStep{"metadata"}, PathStep{"name"}}, "must be a string");
    if (!StringMember(m, "namespace", &out->ns)) {
      return SetError(error, {PathStep{"metadata"}, PathStep{"namespace"}}, "must be a string");
    }
    auto ann = m["annotations"];
    if (!ann.error() && ann.value_unsafe().type() != dom::element_type::NULL_VALUE) {
      if (ann.value_unsafe().type() != dom::element_type::OBJECT) {
        return SetError(error, {PathStep{"metadata"}, PathStep{"annotations"}}, "must be an object");
      }
      // Copy the handle out first: a range-for over value_unsafe() of a temporary would dangle.
      const dom::object annotations = ann.value_unsafe().get_object().value_unsafe();
      for (auto field : annotations) {
        std::string value;
        if (field.value.type() == dom::element_type::STRING) {
          value = std::string(field.value.get_string().value_unsafe());
        } else if (field.value.type() != dom::element_type::NULL_VALUE) {
          return SetError(error, {PathStep{"metadata"}, PathStep{"annotations"}, PathStep{std::string(field.key), PathStep::kNoIndex, true}},
                          "must be a string");
        }
        out->annotations.emplace_back(std::string(field.key), std::move(value));
      }
    }
  }
  auto spec = root["spec"];
  if (spec.error() || spec.value_unsafe().type() == dom::element_type::NULL_VALUE) return true;
  if (spec.value_unsafe().type() != dom::element_type::OBJECT) return SetError(error, {PathStep{"spec"}}, "must be an object");
  Walker walker(*out->kind, out, error);
  walker.stack_.push_back({"spec", PathStep::kNoIndex, false});
  return walker.Walk(spec.value_unsafe());
}

bool DecodeNginxResourceJson(std::string_view json, NginxResource* out, DecodeError* error) {
  dom::parser parser;
  dom::element root;
  if (auto err = parser.parse(json.data(), json.size()).get(root)) {
    return SetError(error, {}, std::string("malformed JSON: ") + simdjson::error_message(err));
  }
  return DecodeNginxResource(root, out, error);
}

}  // namespace riposte::core
