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

  // Every finding for one Ingress under the engine's policy (rule overrides applied).
  // `configmaps` may be null; when given, ConfigMaps named by auth-proxy-set-headers /
  // custom-headers annotations are judged too. Thread-safe; never throws on any input.
  std::vector<Finding> Check(const Ingress& ingress, const ConfigMapLookup* configmaps = nullptr) const;

  const Policy& policy() const { return *policy_; }

 private:
  PolicyPtr policy_;
};

using EnginePtr = std::shared_ptr<const Engine>;

}  // namespace riposte::core
