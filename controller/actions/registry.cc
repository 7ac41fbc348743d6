#include "controller/actions/registry.h"

#include <stdexcept>

#include "controller/actions/annotate.h"
#include "controller/actions/capture_evidence.h"
#include "controller/actions/kill_container.h"
#include "controller/actions/kill_process.h"
#include "controller/actions/quarantine_file.h"
#include "controller/actions/cordon_node.h"
#include "controller/actions/event.h"
#include "controller/actions/evict.h"
#include "controller/actions/isolate.h"
#include "controller/actions/label.h"
#include "controller/actions/terminate.h"

namespace riposte::controller {

void ActionRegistry::Register(ActionPtr action) {
  if (Find(action->Name()) != nullptr)
    throw std::logic_error("action registered twice: " + action->Name());
  actions_.push_back(std::move(action));
}

ActionPtr ActionRegistry::Find(const std::string& name) const {
  for (const auto& a : actions_)
    if (a->Name() == name) return a;
  return nullptr;
}

const ActionRegistry& BuiltinActions() {
  static const ActionRegistry registry = [] {
    ActionRegistry r;
    // The one place where action types are registered; order is the documentation order.
    r.Register(std::make_shared<TerminateAction>());
    r.Register(std::make_shared<LabelAction>());
    r.Register(std::make_shared<IsolateAction>());
    r.Register(std::make_shared<CordonNodeAction>());
    r.Register(std::make_shared<EvictAction>());
    r.Register(std::make_shared<AnnotateAction>());
    r.Register(std::make_shared<EventAction>());
    // In-container actions (pods/exec, pods/log); their RBAC is granted only when enabled.
    r.Register(std::make_shared<CaptureEvidenceAction>());
    r.Register(std::make_shared<KillProcessAction>());
    r.Register(std::make_shared<KillContainerAction>());
    r.Register(std::make_shared<QuarantineFileAction>());
    return r;
  }();
  return registry;
}

std::vector<RbacRule> BaseRbac() {
  return {
      {{"riposte.io"}, {"responsepolicies", "responseactions"}, {"get", "list", "watch", "create", "update", "patch"}},
      {{"riposte.io"}, {"responsepolicies/status", "responseactions/status"}, {"get", "update", "patch"}},
      {{"riposte.io"}, {"responseactions/finalizers"}, {"update"}},
      {{"coordination.k8s.io"}, {"leases"}, {"get", "list", "watch", "create", "update"}},
      {{""}, {"events"}, {"create", "patch"}},
      {{""}, {"pods", "namespaces", "nodes"}, {"get", "list", "watch"}},
      {{"apps"}, {"replicasets", "statefulsets", "daemonsets"}, {"get", "list", "watch"}},
      {{"networking.k8s.io"}, {"networkpolicies"}, {"get", "list", "watch"}},
  };
}

}  // namespace riposte::controller
