#pragma once
#include "controller/actions/action.h"

namespace riposte::controller {

// Records a Kubernetes Event on the pod describing the alert and the response. The Event
// name is derived from the ResponseAction and the action index, so a retry cannot post twice.
class EventAction final : public Action {
 public:
  std::string Name() const override { return "event"; }
  std::string Description() const override;
  std::vector<ParamSpec> Parameters() const override;
  std::vector<RbacRule> Rbac() const override;
  bool Reversible() const override { return false; }
  bool Destructive() const override { return false; }
  web::json::value Example() const override;
  std::string UndoNote() const override;
  Plan Build(const ActionContext& ctx) const override;

 protected:
  ActionParamsPtr DecodeParams(const json::Reader& item) const override;
};

}  // namespace riposte::controller
