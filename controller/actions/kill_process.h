#pragma once
#include "controller/actions/in_container.h"

namespace riposte::controller {

// Signals the alert's process (proc.vpid) inside its container: TERM, then KILL after a
// grace period, after checking through /proc that the PID is still the process the alert
// saw (exe path, else arguments and name), so a reused PID is never signalled. The grace
// period is not waited out in Run: after TERM the KILL deadline and the process's identity
// (PID, starttime) go into the record and Run returns kWaiting; the next reconcile checks
// that the same process is still alive and only then sends KILL.
class KillProcessAction final : public InContainerAction {
 public:
  std::string Name() const override { return "killProcess"; }
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

}  // namespace riposte::controller
