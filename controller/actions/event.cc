#include "controller/actions/event.h"

#include <cctype>

#include "common/json_value.h"
#include "controller/names.h"

namespace riposte::controller {

using web::json::value;

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
  return value::parse(R"({"type":"event","reason":"ShellContained","eventType":"Warning"})");
}

std::string EventAction::UndoNote() const { return "Events are history and are not removed"; }

std::optional<std::string> EventAction::ValidateExtra(const value& p) const {
  auto type = json::GetString(p, {"eventType"}).value_or("Warning");
  if (type != "Normal" && type != "Warning") return "eventType: must be Normal or Warning";
  auto reason = json::GetString(p, {"reason"}).value_or("RiposteResponse");
  if (reason.empty() || reason.size() > 128 || !std::isalpha(static_cast<unsigned char>(reason[0])) ||
      reason.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789") !=
          std::string::npos)
    return "reason: must be CamelCase letters and digits";
  return std::nullopt;
}

Plan EventAction::Build(const ActionContext& ctx) const {
  Plan plan;
  const auto& p = *ctx.params;
  auto ev = value::object();
  ev["apiVersion"] = value::string("v1");
  ev["kind"] = value::string("Event");
  ev["metadata"] = value::object();
  std::string name = DerivedName(ctx.response_action_name, "event-" + std::to_string(ctx.index));
  ev["metadata"]["name"] = value::string(name);
  ev["metadata"]["namespace"] = value::string(ctx.ns);
  auto obj = value::object();
  obj["apiVersion"] = value::string("v1");
  obj["kind"] = value::string("Pod");
  obj["name"] = value::string(ctx.pod_name);
  obj["namespace"] = value::string(ctx.ns);
  if (ctx.pod != nullptr) {
    if (auto uid = json::GetString(*ctx.pod, {"metadata", "uid"})) obj["uid"] = value::string(*uid);
  }
  ev["involvedObject"] = obj;
  ev["reason"] = value::string(json::GetString(p, {"reason"}).value_or("RiposteResponse"));
  std::string msg = json::GetString(p, {"message"}).value_or("");
  if (msg.empty()) msg = ctx.message.empty() ? "Riposte response " + ctx.response_action_name : ctx.message;
  if (msg.size() > 1024) msg.resize(1024);
  ev["message"] = value::string(msg);
  ev["type"] = value::string(json::GetString(p, {"eventType"}).value_or("Warning"));
  ev["source"] = value::object();
  ev["source"]["component"] = value::string("riposte-controller");
  ev["reportingComponent"] = value::string("riposte.io/controller");
  ev["firstTimestamp"] = value::string(ctx.now);
  ev["lastTimestamp"] = value::string(ctx.now);
  ev["count"] = 1;
  ApiRequest r;
  r.method = "POST";
  r.path = "/api/v1/namespaces/" + ctx.ns + "/events";
  r.kind = Kind::kEvent;
  r.ns = ctx.ns;
  r.body = ev;
  r.ok_statuses = {409};
  plan.requests.push_back(std::move(r));
  plan.message = "recording Event " + name;
  return plan;
}

}  // namespace riposte::controller
