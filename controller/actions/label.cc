#include "controller/actions/label.h"

#include "controller/actions/pod_patch.h"
#include "common/json_value.h"
#include "controller/names.h"

namespace riposte::controller {

std::string LabelAction::Description() const {
  return "Add or remove pod labels; detach: true removes the labels the owning workload "
         "selects on so it is replaced and taken out of Services while it stays for forensics.";
}

std::vector<ParamSpec> LabelAction::Parameters() const {
  return {
      {"labels", "map[string]string", "", "labels to set"},
      {"removeLabels", "[]string", "", "label keys to remove"},
      {"detach", "boolean", "false", "remove the labels the owning ReplicaSet/StatefulSet selects on"},
  };
}

std::vector<RbacRule> LabelAction::Rbac() const {
  return {{{""}, {"pods"}, {"patch"}}};
}

web::json::value LabelAction::Example() const {
  return web::json::value::parse(
      R"({"type":"label","labels":{"riposte.io/quarantined":"true"},"detach":true})");
}

std::string LabelAction::UndoNote() const {
  return "detached selector labels are restored only if nobody changed them since; the "
         "workload then re-adopts the pod and scales away one surplus replica";
}

std::optional<std::string> LabelAction::ValidateExtra(const web::json::value& p) const {
  auto labels = json::GetStringMap(p, {"labels"});
  for (const auto& [k, v] : labels)
    if (!IsLabelValue(v)) return "labels: invalid value \"" + v + "\" for key " + k;
  for (const auto& k : json::GetStringList(p, {"removeLabels"}))
    if (!IsQualifiedName(k)) return "removeLabels: invalid key \"" + k + "\"";
  if (labels.empty() && json::GetStringList(p, {"removeLabels"}).empty() &&
      !json::GetBool(p, {"detach"}).value_or(false))
    return "label needs labels, removeLabels or detach: true";
  return std::nullopt;
}

Plan LabelAction::Build(const ActionContext& ctx) const {
  Plan plan;
  if (ctx.pod == nullptr) {
    plan.skipped = true;
    plan.message = "pod not found";
    return plan;
  }
  auto set = json::GetStringMap(*ctx.params, {"labels"});
  auto remove = json::GetStringList(*ctx.params, {"removeLabels"});
  if (json::GetBool(*ctx.params, {"detach"}).value_or(false)) {
    if (ctx.owner == nullptr) {
      plan.message = "pod has no owning workload; nothing to detach from. ";
    } else {
      for (const auto& [k, v] : json::GetStringMap(*ctx.owner, {"spec", "selector", "matchLabels"}))
        remove.push_back(k);
    }
  }
  auto req = MetadataMapPatch(ctx.ns, ctx.pod_name, *ctx.pod, "labels", set, remove,
                              &plan.undo);
  if (req) plan.requests.push_back(std::move(*req));
  plan.message += req ? "patching pod labels" : "labels already in place";
  return plan;
}

Plan LabelAction::Undo(const ActionContext& ctx, const web::json::value& undo) const {
  Plan plan;
  if (ctx.pod == nullptr) {
    plan.message = "pod gone; nothing to restore";
    return plan;
  }
  if (auto req = MetadataMapRestore(ctx.ns, ctx.pod_name, *ctx.pod, undo))
    plan.requests.push_back(std::move(*req));
  plan.message = plan.requests.empty() ? "labels already restored" : "restoring labels";
  return plan;
}

}  // namespace riposte::controller
