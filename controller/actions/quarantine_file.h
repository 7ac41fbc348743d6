#pragma once
#include "controller/actions/in_container.h"

namespace riposte::controller {

// Moves the alert's file (fd.name, or the `path` parameter) into a quarantine directory
// next to it in the container (same filesystem: an atomic rename that keeps the inode) and
// makes it unreadable (mode 000), recording its sha256, size, mode, owner and inode. Refuses
// symlinks anywhere on the path and anything but a regular file. Revert moves it back with
// its mode, if nothing took its place.
class QuarantineFileAction final : public InContainerAction {
 public:
  std::string Name() const override { return "quarantineFile"; }
  std::string Description() const override;
  std::vector<ParamSpec> Parameters() const override;
  std::vector<RbacRule> Rbac() const override;
  bool Reversible() const override { return true; }
  bool Destructive() const override { return true; }
  web::json::value Example() const override;
  std::string UndoNote() const override;
  Outcome Run(const InContainerEnv& env, const ActionContext& ctx) const override;
  Outcome Revert(const InContainerEnv& env, const ActionContext& ctx, const web::json::value& record) const override;

 protected:
  ActionParamsPtr DecodeParams(const json::Reader& item) const override;
  std::string Describe(const ActionContext& ctx) const override;
  std::optional<std::string> Refusal(const ActionContext& ctx) const override;
};

}  // namespace riposte::controller
