#pragma once
#include "controller/actions/action.h"

namespace riposte::controller {

// Adds/removes pod labels. With detach: true it also removes the labels the owning workload
// selects on, so the ReplicaSet replaces the pod and Services stop sending it traffic while
// the pod itself stays for forensics ("cordon the pod").
class LabelAction final : public Action {
 public:
  std::string Name() const override { return "label"; }
  std::string Description() const override;
  std::vector<ParamSpec> Parameters() const override;
  std::vector<RbacRule> Rbac() const override;
  bool Reversible() const override { return true; }
  bool Destructive() const override { return false; }
  web::json::value Example() const override;
  std::string UndoNote() const override;
  int Requires() const override { return Needs::kPod | Needs::kOwner; }
  Plan Build(const ActionContext& ctx) const override;
  Plan Undo(const ActionContext& ctx, const web::json::value& undo) const override;

 protected:
  ActionParamsPtr DecodeParams(const json::Reader& item) const override;
};

}  // namespace riposte::controller
