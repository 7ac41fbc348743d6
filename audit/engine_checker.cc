// Built only when riposte_core exists (see audit/CMakeLists.txt).
#include "audit/ingress_checker.h"
#include "core/engine.h"
#include "core/policy.h"

namespace riposte::audit {

namespace {
class EngineChecker : public IngressChecker {
 public:
  explicit EngineChecker(core::PolicyPtr policy) : engine_(std::move(policy)) {}
  std::vector<core::Finding> Check(const core::Ingress& ingress,
                                   const core::ConfigMapLookup* configmaps) const override {
    return engine_.Check(ingress, configmaps);
  }

 private:
  core::Engine engine_;
};
}  // namespace

IngressCheckerPtr NewEngineChecker() { return std::make_shared<EngineChecker>(core::DefaultPolicy()); }

}  // namespace riposte::audit
