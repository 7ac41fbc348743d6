#include "controller/actions/annotate.h"

#include "controller/actions/pod_patch.h"

namespace riposte::controller {
namespace {

struct AnnotateParams final : ActionParams {
  std::map<std::string, std::string> annotations;
};

}  // namespace

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

ActionParamsPtr AnnotateAction::DecodeParams(const json::Reader& item) const {
  auto p = std::make_shared<AnnotateParams>();
  p->annotations = item["annotations"].StringMap();
  if (p->annotations.empty()) item["annotations"].Error("required and non-empty");
  for (const auto& [k, v] : p->annotations)
    if (k.rfind("undo.riposte.io/", 0) == 0) item["annotations"][k].Error("reserved for Riposte's undo records");
  return p;
}

Plan AnnotateAction::Build(const ActionContext& ctx) const {
  const auto& params = ParamsOf<AnnotateParams>(ctx);
  Plan plan;
  if (ctx.pod == nullptr) {
    plan.skipped = true;
    plan.message = "pod not found";
    return plan;
  }
  auto req = MetadataMapPatch(ctx, "annotations", params.annotations, {}, &plan.undo);
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
  if (auto req = MetadataMapRestore(ctx, undo)) plan.requests.push_back(std::move(*req));
  plan.message = plan.requests.empty() ? "annotations already restored" : "restoring annotations";
  return plan;
}

}  // namespace riposte::controller
