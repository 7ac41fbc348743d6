#pragma once
#include "controller/actions/in_container.h"

namespace riposte::controller {

// Stops one container without deleting the pod: TERM to its PID 1 from inside, after
// checking that PID 1 handles TERM (from inside its PID namespace KILL to PID 1 is ignored,
// and so is TERM when PID 1 has no handler). The kubelet restarts the container per
// restartPolicy; success is read from the pod status (restartCount, lastState), not from
// the exec, which dies with the container.
class KillContainerAction final : public InContainerAction {
 public:
  std::string Name() const override { return "killContainer"; }
  std::string Description() const override;
  std::vector<ParamSpec> Parameters() const override;
  std::vector<RbacRule> Rbac() const override;
  bool Reversible() const override { return false; }
  bool Destructive() const override { return true; }
  web::json::value Example() const override;
  std::string UndoNote() const override;
  Outcome Run(const InContainerEnv& env, const ActionContext& ctx) const override;

 protected:
  ActionParamsPtr DecodeParams(const json::Reader& item) const override;
  std::string Describe(const ActionContext& ctx) const override;
  std::optional<std::string> Refusal(const ActionContext& ctx) const override;
};

// True when the SigCgt line of /proc/N/status says signal `sig` (1-based) is caught.
bool CatchesSignal(const std::string& proc_status, int sig);

}  // namespace riposte::controller
