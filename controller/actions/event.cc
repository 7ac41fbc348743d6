#include "controller/actions/event.h"

#include <cctype>

#include "controller/names.h"

namespace riposte::controller {
namespace {

struct EventParams final : ActionParams {
  std::string reason = "RiposteResponse";
  std::string message;
  std::string type = "Warning";
};

}  // namespace

std::string EventAction::Description() const {
  return "Record a Kubernetes Event on the pod describing the alert and the response.";
}

std::vector<ParamSpec> EventAction::Parameters() const {
  return {
      {"reason", "string", "RiposteResponse", "Event reason (CamelCase)"},
      {"message", "string", "", "Event message; the alert summary when empty"},
      {"eventType", "string", "Warning", "Normal or Warning"},
  };
}

std::vector<RbacRule> EventAction::Rbac() const { return {{{""}, {"events"}, {"create", "patch"}}}; }

web::json::value EventAction::Example() const {
  return web::json::value::parse(R"({"type":"event","reason":"ShellContained","eventType":"Warning"})");
}

std::string EventAction::UndoNote() const { return "Events are history and are not removed"; }

ActionParamsPtr EventAction::DecodeParams(const json::Reader& item) const {
  auto p = std::make_shared<EventParams>();
  p->type = item["eventType"].StringOr("Warning");
  if (p->type != "Normal" && p->type != "Warning") item["eventType"].Error("must be Normal or Warning");
  p->reason = item["reason"].StringOr("RiposteResponse");
  const auto& r = p->reason;
  if (r.empty() || r.size() > 128 || !std::isalpha(static_cast<unsigned char>(r[0])) ||
      r.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789") != std::string::npos)
    item["reason"].Error("must be CamelCase letters and digits");
  p->message = item["message"].StringOr("");
  return p;
}

Plan EventAction::Build(const ActionContext& ctx) const {
  const auto& params = ParamsOf<EventParams>(ctx);
  Plan plan;
  EventRecord e;
  e.ns = ctx.ns;
  e.name = DerivedName(ctx.response_action_name, "event-" + std::to_string(ctx.index));
  e.involved_api_version = "v1";
  e.involved_kind = "Pod";
  e.involved_name = ctx.pod_name;
  if (ctx.pod != nullptr) e.involved_uid = json::GetString(*ctx.pod, {"metadata", "uid"}).value_or("");
  e.reason = params.reason;
  e.message = params.message;
  if (e.message.empty()) e.message = ctx.message.empty() ? "Riposte response " + ctx.response_action_name : ctx.message;
  e.type = params.type;
  e.time = ctx.now;
  plan.message = "recording Event " + e.name;
  plan.requests.push_back(CreateEvent{std::move(e)});
  return plan;
}

}  // namespace riposte::controller
