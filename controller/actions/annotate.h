#pragma once
#include "controller/actions/action.h"

namespace riposte::controller {

// Adds annotations to the pod (e.g. for forensics tooling); revert restores previous values.
class AnnotateAction final : public Action {
 public:
  std::string Name() const override { return "annotate"; }
  std::string Description() const override;
  std::vector<ParamSpec> Parameters() const override;
  std::vector<RbacRule> Rbac() const override;
  bool Reversible() const override { return true; }
  bool Destructive() const override { return false; }
  web::json::value Example() const override;
  std::string UndoNote() const override;
  Plan Build(const ActionContext& ctx) const override;
  Plan Undo(const ActionContext& ctx, const web::json::value& undo) const override;

 protected:
  ActionParamsPtr DecodeParams(const json::Reader& item) const override;
};

}  // namespace riposte::controller
