#include "controller/actions/label.h"

#include "controller/actions/pod_patch.h"
#include "controller/names.h"

namespace riposte::controller {
namespace {

struct LabelParams final : ActionParams {
  std::map<std::string, std::string> labels;
  std::vector<std::string> remove;
  bool detach = false;
};

}  // namespace

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

ActionParamsPtr LabelAction::DecodeParams(const json::Reader& item) const {
  auto p = std::make_shared<LabelParams>();
  p->labels = item["labels"].StringMap();
  p->remove = item["removeLabels"].StringList();
  p->detach = item["detach"].BoolOr(false);
  for (const auto& [k, v] : p->labels)
    if (!IsLabelValue(v)) item["labels"][k].Error("invalid label value \"" + v + "\"");
  for (size_t i = 0; i < p->remove.size(); ++i)
    if (!IsQualifiedName(p->remove[i])) item["removeLabels"][i].Error("invalid label key \"" + p->remove[i] + "\"");
  if (p->labels.empty() && p->remove.empty() && !p->detach) item.Error("label needs labels, removeLabels or detach: true");
  return p;
}

Plan LabelAction::Build(const ActionContext& ctx) const {
  const auto& params = ParamsOf<LabelParams>(ctx);
  Plan plan;
  if (ctx.pod == nullptr) {
    plan.skipped = true;
    plan.message = "pod not found";
    return plan;
  }
  auto remove = params.remove;
  if (params.detach) {
    if (ctx.owner == nullptr) {
      plan.message = "pod has no owning workload; nothing to detach from. ";
    } else {
      for (const auto& [k, v] : json::GetStringMap(*ctx.owner, {"spec", "selector", "matchLabels"})) remove.push_back(k);
    }
  }
  auto req = MetadataMapPatch(ctx, "labels", params.labels, remove, &plan.undo);
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
  if (auto req = MetadataMapRestore(ctx, undo)) plan.requests.push_back(std::move(*req));
  plan.message = plan.requests.empty() ? "labels already restored" : "restoring labels";
  return plan;
}

}  // namespace riposte::controller
