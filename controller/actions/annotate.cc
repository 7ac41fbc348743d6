#include "controller/actions/annotate.h"

#include "controller/actions/pod_patch.h"
#include "common/json_value.h"

namespace riposte::controller {

std::string AnnotateAction::Description() const {
  return "Add or overwrite annotations on the pod.";
}

std::vector<ParamSpec> AnnotateAction::Parameters() const {
  return {{"annotations", "map[string]string", "", "annotations to set (required)"}};
}

std::vector<RbacRule> AnnotateAction::Rbac() const { return {{{""}, {"pods"}, {"patch"}}}; }

web::json::value AnnotateAction::Example() const {
  return web::json::value::parse(
      R"({"type":"annotate","annotations":{"riposte.io/incident":"shell-in-web"}})");
}

std::string AnnotateAction::UndoNote() const {
  return "annotations changed by someone else after the response are left as they are";
}

std::optional<std::string> AnnotateAction::ValidateExtra(const web::json::value& p) const {
  if (json::GetStringMap(p, {"annotations"}).empty()) return "annotations: required and non-empty";
  return std::nullopt;
}

Plan AnnotateAction::Build(const ActionContext& ctx) const {
  Plan plan;
  if (ctx.pod == nullptr) {
    plan.skipped = true;
    plan.message = "pod not found";
    return plan;
  }
  auto req = MetadataMapPatch(ctx.ns, ctx.pod_name, *ctx.pod, "annotations",
                              json::GetStringMap(*ctx.params, {"annotations"}), {}, &plan.undo);
  if (req) plan.requests.push_back(std::move(*req));
  plan.message = req ? "annotating pod" : "annotations already present";
  return plan;
}

Plan AnnotateAction::Undo(const ActionContext& ctx, const web::json::value& undo) const {
  Plan plan;
  if (ctx.pod == nullptr) {
    plan.message = "pod gone; nothing to restore";
    return plan;
  }
  if (auto req = MetadataMapRestore(ctx.ns, ctx.pod_name, *ctx.pod, undo))
    plan.requests.push_back(std::move(*req));
  plan.message = plan.requests.empty() ? "annotations already restored" : "restoring annotations";
  return plan;
}

}  // namespace riposte::controller
