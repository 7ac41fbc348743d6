#pragma once
// The custom resources of ingress-nginx's successors whose fields reach nginx.conf: F5 NGINX
// Ingress Controller's VirtualServer, VirtualServerRoute, TransportServer and Policy
// (k8s.nginx.org) and NGINX Gateway Fabric's SnippetsFilter, SnippetsPolicy,
// AuthenticationFilter and NginxProxy (gateway.nginx.org). docs/profiles.md lists what is
// judged in each.
//
// The engine does not model these kinds field by field: the decoder keeps every string under
// `spec` with its path, and the profile judges (core/profile_*.h) give the fields they know a
// meaning (snippet, unquoted nginx token, quoted string, host, location path, ...). A field
// that no table names still gets the checks that hold for any value that may reach nginx.conf.

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/ingress_json.h"

namespace riposte::core {

enum class ProfileId { kIngressNginx, kF5NginxIngress, kNginxGatewayFabric };

// "ingress-nginx", "f5-nginx-ingress", "nginx-gateway-fabric"
std::string_view ProfileName(ProfileId id);

struct ResourceKind {
  ProfileId profile;
  std::string_view group;     // "k8s.nginx.org"
  std::string_view kind;      // "VirtualServer"
  std::string_view resource;  // plural, as in webhook rules: "virtualservers"
  // String maps under spec whose keys reach nginx.conf too (shape, e.g.
  // "spec.oidc.extraAuthArgs"); their entries are kept as `<shape>[*]` values and `<shape>{}` keys.
  std::vector<std::string_view> key_maps;
};

std::span<const ResourceKind> AllResourceKinds();
// nullptr for kinds no profile judges. The version is not part of the key: the judged fields
// have kept their names across the served versions.
const ResourceKind* FindResourceKind(std::string_view group, std::string_view kind);

// One string under spec.
struct ResourceField {
  std::string path;   // as shown in findings: spec.routes[2].location-snippets, spec.x["key"]
  std::string shape;  // indices dropped: spec.routes[].location-snippets, spec.x[*], spec.x{}
  std::string value;
};

struct NginxResource {
  const ResourceKind* kind = nullptr;
  std::string api_version;  // as written, e.g. "k8s.nginx.org/v1"
  std::string ns;
  std::string name;
  KeyValues annotations;              // metadata.annotations (not judged: no profile reads them)
  std::vector<ResourceField> fields;  // strings under spec, document order

  // The value of the field with this shape, or nullptr.
  const ResourceField* Field(std::string_view shape) const;
};

// Bounds on what one object may hold; the API server's 3 MiB request cap bounds the rest.
inline constexpr size_t kMaxResourceFields = 20000;
inline constexpr size_t kMaxResourceDepth = 64;

// `obj` is the object itself. Fails (with the path) when apiVersion/kind are not a judged kind,
// when metadata or spec have the wrong JSON type, or when the bounds above are exceeded.
bool DecodeNginxResource(const simdjson::dom::element& obj, NginxResource* out, DecodeError* error);
bool DecodeNginxResourceJson(std::string_view json, NginxResource* out, DecodeError* error);

// "k8s.nginx.org/v1" -> "k8s.nginx.org"; "v1" -> "".
std::string_view ApiGroup(std::string_view api_version);

}  // namespace riposte::core
