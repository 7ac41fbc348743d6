#pragma once
#include "controller/actions/in_container.h"

namespace riposte::controller {

// Stores the evidence of an incident before anything destructive runs: the pod manifest,
// the end of each container's log (and of its previous instance), the triggering alert
// and optionally a process listing, in one immutable, size-capped Secret owned by the
// ResponseAction and labelled riposte.io/evidence=true.
class CaptureEvidenceAction final : public InContainerAction {
 public:
  std::string Name() const override { return "captureEvidence"; }
  std::string Description() const override;
  std::vector<ParamSpec> Parameters() const override;
  std::vector<RbacRule> Rbac() const override;
  bool Reversible() const override { return false; }
  bool Destructive() const override { return false; }
  web::json::value Example() const override;
  std::string UndoNote() const override;
  Outcome Run(const InContainerEnv& env, const ActionContext& ctx) const override;

  static std::string SecretName(const std::string& response_action, int index);

 protected:
  ActionParamsPtr DecodeParams(const json::Reader& item) const override;
  std::string Describe(const ActionContext& ctx) const override;
};

}  // namespace riposte::controller
