#pragma once
// Which ConfigMaps Ingresses make ingress-nginx read (auth-proxy-set-headers, custom-headers,
// fastcgi-params-configmap): "namespace/name" of the ConfigMap -> the Ingresses and
// annotations that name it. Fed by the Ingress informer (webhook/configmap_guard.h); looked
// up on every ConfigMap review, so a ConfigMap nobody references costs one hash lookup.
//
// Keeps keys only, never ConfigMap data. Thread-safe: one writer (the informer thread), many
// readers (admission threads).

#include <cstddef>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace riposte::webhook {

struct ConfigMapReferrer {
  std::string ingress;     // "namespace/name" of the Ingress
  std::string annotation;  // the full annotation key that names the ConfigMap
  bool operator==(const ConfigMapReferrer&) const = default;
};

class ConfigMapIndex {
 public:
  // {"namespace/name" of a ConfigMap, annotation key}, as core::Engine::ConfigMapReferences.
  using References = std::vector<std::pair<std::string, std::string>>;

  // Replaces everything `ingress` ("namespace/name") references; empty `refs` removes it.
  void Set(const std::string& ingress, const References& refs);
  void Remove(const std::string& ingress) { Set(ingress, {}); }
  void Clear();

  bool Referenced(const std::string& configmap) const;
  // Sorted by Ingress, then annotation.
  std::vector<ConfigMapReferrer> Referrers(const std::string& configmap) const;

  size_t ConfigMapCount() const;  // distinct referenced ConfigMaps
  size_t IngressCount() const;    // Ingresses that reference at least one

 private:
  void Unlink(const std::string& ingress);  // mu_ held exclusively

  mutable std::shared_mutex mu_;
  std::unordered_map<std::string, std::vector<ConfigMapReferrer>> by_configmap_;
  std::unordered_map<std::string, References> by_ingress_;
};

}  // namespace riposte::webhook
