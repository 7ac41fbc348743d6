#pragma once
#include "controller/actions/action.h"

namespace riposte::controller {

// Deletes the pod (grace period default 0) with a uid precondition, after the workload guards.
class TerminateAction final : public Action {
 public:
  std::string Name() const override { return "terminate"; }
  std::string Description() const override;
  std::vector<ParamSpec> Parameters() const override;
  std::vector<RbacRule> Rbac() const override;
  bool Reversible() const override { return false; }
  bool Destructive() const override { return true; }
  web::json::value Example() const override;
  std::string UndoNote() const override;
  int Requires() const override { return Needs::kPod | Needs::kOwner; }
  Plan Build(const ActionContext& ctx) const override;

 protected:
  ActionParamsPtr DecodeParams(const json::Reader& item) const override;
};

}  // namespace riposte::controller
