#pragma once
#include "controller/actions/action.h"

namespace riposte::controller {

// Quarantines the pod on the network: labels it riposte.io/quarantine=<ResponseAction> and
// creates a NetworkPolicy selecting that label which denies all ingress and egress apart
// from the optional allow-lists. The NetworkPolicy is owned by the ResponseAction.
class IsolateAction final : public Action {
 public:
  static constexpr const char* kLabel = "riposte.io/quarantine";

  std::string Name() const override { return "isolate"; }
  std::string Description() const override;
  std::vector<ParamSpec> Parameters() const override;
  std::vector<RbacRule> Rbac() const override;
  bool Reversible() const override { return true; }
  bool Destructive() const override { return false; }
  web::json::value Example() const override;
  std::string UndoNote() const override;
  int Requires() const override { return Needs::kPod | Needs::kNetworkPolicy; }
  Plan Build(const ActionContext& ctx) const override;
  Plan Undo(const ActionContext& ctx, const web::json::value& undo) const override;

  // Deterministic per ResponseAction, so a retry finds the policy it created before.
  static std::string PolicyName(const std::string& response_action);
  static std::string LabelValue(const std::string& response_action);
  // The NetworkPolicy the action wants.
  static QuarantinePolicy DesiredPolicy(const ActionContext& ctx);

 protected:
  ActionParamsPtr DecodeParams(const json::Reader& item) const override;
};

}  // namespace riposte::controller
