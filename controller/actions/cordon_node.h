#pragma once
#include "controller/actions/action.h"

namespace riposte::controller {

// Marks the pod's node unschedulable and labels it riposte.io/cordoned-by=<ResponseAction>.
// Revert uncordons only a node that Riposte cordoned and that still carries its label.
class CordonNodeAction final : public Action {
 public:
  static constexpr const char* kLabel = "riposte.io/cordoned-by";

  std::string Name() const override { return "cordonNode"; }
  std::string Description() const override;
  std::vector<ParamSpec> Parameters() const override { return {}; }
  std::vector<RbacRule> Rbac() const override;
  bool Reversible() const override { return true; }
  bool Destructive() const override { return true; }
  web::json::value Example() const override;
  std::string UndoNote() const override;
  int Requires() const override { return Needs::kPod | Needs::kNode; }
  Plan Build(const ActionContext& ctx) const override;

 protected:
  ActionParamsPtr DecodeParams(const json::Reader& item) const override;
  Plan Undo(const ActionContext& ctx, const web::json::value& undo) const override;
};

}  // namespace riposte::controller
