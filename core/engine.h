#pragma once
// The one check engine used by `riposte scan`, the admission webhook and the cluster audit.

#include <memory>
#include <vector>

#include "core/finding.h"
#include "core/ingress.h"
#include "core/nginx_resource.h"
#include "core/policy.h"

namespace riposte::core {

class Engine {
 public:
  explicit Engine(PolicyPtr policy);

  // Every finding for one Ingress under the engine's policy (rule overrides applied), or none
  // when no profile judges it. `configmaps` may be null; when given, ConfigMaps named
  // by auth-proxy-set-headers / custom-headers / fastcgi-params-configmap are judged too.
  // ingress-nginx's rules run when Judges(); the F5 NGINX Ingress Controller profile's
  // (nginx.org/* annotations) when it is enabled and serves the Ingress's class.
  // Thread-safe; never throws on any input.
  std::vector<Finding> Check(const Ingress& ingress, const ConfigMapLookup* configmaps = nullptr) const;

  // Whether ingress-nginx would read this Ingress: its profile is enabled, not in an exempt
  // namespace, and its class (EffectiveClass) is one the policy lists, or it has no class, or
  // an UPDATE changes it.
  bool Judges(const Ingress& ingress) const;
  // Whether any enabled profile judges it (ingress-nginx, or the F5 profile by its class).
  bool JudgesAny(const Ingress& ingress) const;

  // A successor controller's own resource (VirtualServer, SnippetsFilter, ...): findings when
  // its profile is enabled and serves it (docs/profiles.md), none otherwise.
  std::vector<Finding> Check(const NginxResource& resource) const;
  bool Judges(const NginxResource& resource) const;

  // A ConfigMap as ingress-nginx reads it for the annotation `annotation_key` (with its
  // prefix) of an Ingress in `ingress_ns`: judged per the quoting of the place its values land
  // in (auth-proxy-set-headers, custom-headers, fastcgi-params-configmap), exactly as Check()
  // judges it through a ConfigMapLookup. None when the annotation names no ConfigMap.
  std::vector<Finding> CheckReferencedConfigMap(const ConfigMap& cm, const std::string& ingress_ns,
                                                const std::string& annotation_key) const;

  // The ConfigMaps an Ingress makes ingress-nginx read: {"namespace/name", annotation key}, in
  // annotation order. None when ingress-nginx's profile does not judge the Ingress.
  std::vector<std::pair<std::string, std::string>> ConfigMapReferences(const Ingress& ingress) const;

  // The ingress-nginx controller ConfigMap (core/controller_config.h): settings that switch
  // protections off and dangerous global snippets, only for keys the ConfigMap sets. Rule
  // overrides applied.
  std::vector<Finding> CheckControllerConfigMap(const ConfigMap& cm) const;

  const Policy& policy() const { return *policy_; }

 private:
  PolicyPtr policy_;
};

using EnginePtr = std::shared_ptr<const Engine>;

}  // namespace riposte::core
