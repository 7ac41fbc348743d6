#pragma once
// How the audit judges existing Ingresses: the same core::Engine the webhook uses, behind a
// small interface so the analysis can be tested with a fake and built before the engine.

#include <memory>
#include <vector>

#include <cpprest/json.h>

#include "core/finding.h"
#include "core/ingress.h"

namespace riposte::audit {

class IngressChecker {
 public:
  virtual ~IngressChecker() = default;
  virtual std::vector<core::Finding> Check(const core::Ingress& ingress,
                                           const core::ConfigMapLookup* configmaps) const = 0;
};

using IngressCheckerPtr = std::shared_ptr<const IngressChecker>;

// The engine with the default policy, or nullptr when riposte_core is not linked in.
IngressCheckerPtr NewEngineChecker();

// networking.k8s.io/v1 Ingress JSON -> the engine's model, through core::DecodeIngressJson (the
// decoder the webhook and `riposte scan` use).
core::Ingress IngressFromJson(const web::json::value& obj);
core::ConfigMap ConfigMapFromJson(const web::json::value& obj);

}  // namespace riposte::audit
