#pragma once
// The one check engine used by `riposte scan`, the admission webhook and the cluster audit.

#include <memory>
#include <vector>

#include "core/finding.h"
#include "core/ingress.h"
#include "core/policy.h"

namespace riposte::core {

class Engine {
 public:
  explicit Engine(PolicyPtr policy);

  // Every finding for one Ingress under the engine's policy (rule overrides applied), or none
  // when it is not judged (see Judges). `configmaps` may be null; when given, ConfigMaps named
  // by auth-proxy-set-headers / custom-headers / fastcgi-params-configmap are judged too.
  // Thread-safe; never throws on any input.
  std::vector<Finding> Check(const Ingress& ingress, const ConfigMapLookup* configmaps = nullptr) const;

  // Whether ingress-nginx would read this Ingress: not in an exempt namespace, and its class
  // (EffectiveClass) is one the policy lists, or it has no class, or an UPDATE changes it.
  bool Judges(const Ingress& ingress) const;

  const Policy& policy() const { return *policy_; }

 private:
  PolicyPtr policy_;
};

using EnginePtr = std::shared_ptr<const Engine>;

}  // namespace riposte::core
