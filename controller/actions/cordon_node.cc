#include "controller/actions/cordon_node.h"

#include "controller/names.h"

namespace riposte::controller {

using web::json::value;

std::string CordonNodeAction::Description() const {
  return "Mark the pod's node unschedulable (and label it) so no new pods land on a node "
         "that may be compromised. Running pods are not drained.";
}

std::vector<RbacRule> CordonNodeAction::Rbac() const {
  return {{{""}, {"nodes"}, {"get", "list", "watch", "patch"}}};
}

web::json::value CordonNodeAction::Example() const {
  return value::parse(R"({"type":"cordonNode"})");
}

std::string CordonNodeAction::UndoNote() const {
  return "a node that was already cordoned before the response stays cordoned";
}

ActionParamsPtr CordonNodeAction::DecodeParams(const json::Reader&) const {
  return std::make_shared<ActionParams>();
}

Plan CordonNodeAction::Build(const ActionContext& ctx) const {
  Plan plan;
  std::string node_name = ctx.pod ? json::GetString(*ctx.pod, {"spec", "nodeName"}).value_or("") : "";
  if (node_name.empty() && ctx.node != nullptr) node_name = json::GetString(*ctx.node, {"metadata", "name"}).value_or("");
  if (node_name.empty() || ctx.node == nullptr || !IsDnsSubdomain(node_name)) {
    plan.skipped = true;
    plan.message = node_name.empty() ? "pod is not scheduled on a node" : "node " + node_name + " not found";
    return plan;
  }
  bool was = json::GetBool(*ctx.node, {"spec", "unschedulable"}).value_or(false);
  std::string mine = DerivedName("", ctx.response_action_name);
  auto labels = json::GetStringMap(*ctx.node, {"metadata", "labels"});
  plan.undo = value::object();
  plan.undo["node"] = value::string(node_name);
  // A retry after our own cordon must not record "was already cordoned".
  bool cordoned_by_us = labels.count(kLabel) != 0 && labels[kLabel] == mine;
  plan.undo["wasUnschedulable"] = value::boolean(was && !cordoned_by_us);
  if (was && labels.count(kLabel) != 0) {
    plan.message = "node " + node_name + " already cordoned";
    return plan;
  }
  PatchNode r;
  r.name = node_name;
  r.unschedulable = true;
  r.change.labels[kLabel] = mine;
  plan.requests.push_back(std::move(r));
  plan.message = "cordoning node " + node_name;
  return plan;
}

Plan CordonNodeAction::Undo(const ActionContext& ctx, const value& undo) const {
  Plan plan;
  auto node_name = json::GetString(undo, {"node"});
  if (!node_name && ctx.node != nullptr) node_name = json::GetString(*ctx.node, {"metadata", "name"});
  if (!node_name || ctx.node == nullptr) {
    plan.message = "node gone; nothing to uncordon";
    return plan;
  }
  auto labels = json::GetStringMap(*ctx.node, {"metadata", "labels"});
  auto it = labels.find(kLabel);
  if (it == labels.end() || it->second != DerivedName("", ctx.response_action_name)) {
    plan.message = "node " + *node_name + " not cordoned by this response; left as is";
    return plan;
  }
  PatchNode r;
  r.name = *node_name;
  r.change.labels[kLabel] = std::nullopt;
  if (!json::GetBool(undo, {"wasUnschedulable"}).value_or(false)) r.unschedulable = false;
  plan.requests.push_back(std::move(r));
  plan.message = "uncordoning node " + *node_name;
  return plan;
}

}  // namespace riposte::controller
