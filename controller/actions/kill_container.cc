#include "controller/actions/kill_container.h"

#include <cctype>

#include "controller/alert.h"

#include "controller/actions/signal_process.h"

namespace riposte::controller {
namespace {

using State = Outcome::State;
constexpr int kSigTerm = 15;

struct KillContainerParams final : ActionParams {
  int64_t timeout_seconds = 60;
  std::string escalate;
};

struct Snapshot {
  bool found = false;
  int64_t restarts = 0;
  std::string container_id;
  std::string terminated_reason;
  int64_t terminated_exit = 0;
  bool terminated_now = false;  // state.terminated (no restart coming: restartPolicy Never/OnFailure)
};

Snapshot Read(const web::json::value& pod, const std::string& container) {
  Snapshot s;
  json::Reader(pod)["status"]["containerStatuses"].Items([&](const json::Reader& c) {
    if (c["name"].StringOr("") != container) return;
    s.found = true;
    s.restarts = c["restartCount"].IntOr(0);
    s.container_id = c["containerID"].StringOr("");
    s.terminated_reason = c["lastState"]["terminated"]["reason"].StringOr("");
    s.terminated_exit = c["lastState"]["terminated"]["exitCode"].IntOr(0);
    if (c["state"]["terminated"].Object()) {
      s.terminated_now = true;
      s.terminated_reason = c["state"]["terminated"]["reason"].StringOr("");
      s.terminated_exit = c["state"]["terminated"]["exitCode"].IntOr(0);
    }
  });
  return s;
}

std::string WaitMessage(const std::string& container, std::chrono::system_clock::time_point deadline) {
  return "TERM sent to PID 1 of container " + container + "; waiting until " + FormatRfc3339(deadline) +
         " for the pod status to show it stopped";
}

// After TERM: the pod status (read once by this reconcile, ctx.pod) shows the restart, the
// stop, the pod gone, or nothing yet.
Outcome AwaitStop(const InContainerEnv& env, const ActionContext& ctx, const web::json::value& prev, int64_t timeout_seconds) {
  const auto container = json::GetString(prev, {"container"});
  const auto restarts_before = json::GetInt(prev, {"restartCountBefore"});
  const auto deadline = ParseRfc3339(json::GetString(prev, {"deadline"}).value_or(""));
  if (PendingStep(prev) != "termSent" || !container || !restarts_before || !deadline) {
    Outcome o = CannotResume(prev, "deadline");
    o.record = prev;
    return o;
  }
  web::json::value record = prev;
  auto with = [&](Outcome o) {
    o.record = record;
    return o;
  };
  const std::string uid = json::GetString(prev, {"podUid"}).value_or("");
  if (ctx.pod == nullptr) return with({State::kSucceeded, "the pod is gone after TERM", {}});
  if (!uid.empty() && json::GetString(*ctx.pod, {"metadata", "uid"}).value_or("") != uid) {
    return with({State::kSucceeded, "the pod is gone after TERM (a new pod of the same name replaced it)", {}});
  }
  const Snapshot now = Read(*ctx.pod, *container);
  const std::string id_before = json::GetString(prev, {"containerIdBefore"}).value_or("");
  if (now.restarts > *restarts_before || (!now.container_id.empty() && now.container_id != id_before)) {
    record["restartCount"] = web::json::value::number(now.restarts);
    record["containerId"] = web::json::value::string(now.container_id);
    record["exitCode"] = web::json::value::number(now.terminated_exit);
    record["reason"] = web::json::value::string(now.terminated_reason);
    return with({State::kSucceeded, "container " + *container + " stopped (exit " + std::to_string(now.terminated_exit) +
                                        (now.terminated_reason.empty() ? "" : ", " + now.terminated_reason) +
                                        ") and was restarted (restartCount " + std::to_string(now.restarts) + ")", {}});
  }
  if (now.terminated_now) {
    record["exitCode"] = web::json::value::number(now.terminated_exit);
    return with({State::kSucceeded, "container " + *container + " stopped (exit " + std::to_string(now.terminated_exit) +
                                        "); restartPolicy does not restart it", {}});
  }
  if (env.now() >= *deadline) {
    return with({State::kFailed, "TERM sent to PID 1 of " + *container + " but the pod status shows no stop within " +
                                     std::to_string(timeout_seconds) + "s", {}});
  }
  return Waiting(env, WaitMessage(*container, *deadline), record, *deadline);
}

}  // namespace

bool CatchesSignal(const std::string& proc_status, int sig) {
  const auto pos = proc_status.find("SigCgt:");
  if (pos == std::string::npos || sig < 1 || sig > 64) return false;
  size_t i = pos + 7;
  while (i < proc_status.size() && (proc_status[i] == ' ' || proc_status[i] == '\t')) ++i;
  size_t j = i;
  while (j < proc_status.size() && std::isxdigit(static_cast<unsigned char>(proc_status[j]))) ++j;
  const std::string hex = proc_status.substr(i, j - i);
  if (hex.empty() || hex.size() > 16) return false;
  const unsigned long long mask = std::stoull(hex, nullptr, 16);
  return (mask >> (sig - 1)) & 1ULL;
}

std::string KillContainerAction::Description() const {
  return "Stop one container without deleting the pod: TERM to its PID 1 from inside, when PID 1 handles TERM. "
         "The kubelet restarts it per restartPolicy; the result records the restart from the pod status. Refused "
         "with shareProcessNamespace (PID 1 would be the pod's pause process) or hostPID.";
}

std::vector<ParamSpec> KillContainerAction::Parameters() const {
  return {
      {"timeoutSeconds", "integer", "60", "how long to wait for the pod status to show the restart (1..300)"},
      EscalateParam("PID 1 cannot be stopped from inside"),
  };
}

std::vector<RbacRule> KillContainerAction::Rbac() const { return {{{""}, {"pods/exec"}, {"get", "create"}}}; }

web::json::value KillContainerAction::Example() const {
  return web::json::value::parse(R"({"type":"killContainer","timeoutSeconds":60})");
}

std::string KillContainerAction::UndoNote() const {
  return "the container's writable layer and memory are gone; the kubelet starts a fresh one if restartPolicy allows";
}

ActionParamsPtr KillContainerAction::DecodeParams(const json::Reader& item) const {
  auto p = std::make_shared<KillContainerParams>();
  p->timeout_seconds = item["timeoutSeconds"].IntOr(60);
  if (p->timeout_seconds < 1 || p->timeout_seconds > 300) item["timeoutSeconds"].Error("must be between 1 and 300");
  p->escalate = DecodeEscalate(item);
  return p;
}

std::optional<std::string> KillContainerAction::Refusal(const ActionContext& ctx) const {
  if (ctx.pod == nullptr) return std::nullopt;
  if (auto why = PidNamespaceRefusal(*ctx.pod)) return "not stopped: " + *why;
  std::string why;
  if (!ResolveContainer(ctx, &why)) return "not stopped: " + why;
  return std::nullopt;
}

std::string KillContainerAction::Describe(const ActionContext& ctx) const {
  std::string why;
  auto container = ResolveContainer(ctx, &why);
  return "TERM to PID 1 of container " + container.value_or("?") + ", then wait for the kubelet to restart it";
}

Outcome KillContainerAction::Run(const InContainerEnv& env, const ActionContext& ctx) const {
  const auto& params = ParamsOf<KillContainerParams>(ctx);
  // TERM was sent by an earlier reconcile: only the pod status is read (the reconciler's read
  // of this reconcile), never signalled again. The container comes from the record: after a
  // restart it no longer has the alert's container.id.
  if (PendingStep(env.previous)) return AwaitStop(env, ctx, env.previous, params.timeout_seconds);
  if (ctx.pod == nullptr) return {State::kSucceeded, "the pod is gone: nothing to stop", {}};
  if (auto why = Refusal(ctx)) return {State::kSkipped, *why, {}};
  std::string why;
  const std::string container = *ResolveContainer(ctx, &why);
  const Snapshot before = Read(*ctx.pod, container);
  web::json::value record = web::json::value::object();
  record["container"] = web::json::value::string(container);
  record["restartCountBefore"] = web::json::value::number(before.restarts);
  auto with = [&](Outcome o) {
    o.record = record;
    return o;
  };
  auto escalate = [&](const std::string& cause) { return Escalate(env, ctx, params.escalate, cause); };

  auto status = RunIn(env, ctx, container, {"cat", "/proc/1/status"});
  if (kube::ExecCommandNotFound(status)) return with(escalate("the image has no cat: PID 1's signal handlers cannot be checked"));
  if (!status.ok()) return with(ExecProblem(status.error(), "reading /proc/1/status"));
  if (status->exit_code != 0) return with({State::kFailed, "reading /proc/1/status: exit " + std::to_string(status->exit_code), {}});
  if (!CatchesSignal(status->stdout_data, kSigTerm)) {
    std::string name;
    if (auto n = status->stdout_data.find("Name:"); n != std::string::npos) {
      size_t i = status->stdout_data.find_first_not_of(" \t", n + 5);
      name = status->stdout_data.substr(i, status->stdout_data.find('\n', i) - i);
    }
    return with(escalate("PID 1 (" + name + ") does not handle SIGTERM: the container cannot be stopped from inside"));
  }
  // The exec usually dies with the container (no status, or exit 137): that is the expected end.
  const SignalResult sent = SendSignal(env, ctx, container, "TERM", 1, /*shell_fallback=*/true);
  if (sent.kind == SignalResult::Kind::kNoTool) return with(escalate("the image has no kill and no sh"));
  if (sent.error && kube::IsForbidden(*sent.error)) return with(ExecProblem(*sent.error, "kill -TERM 1"));

  // The restart is not waited for here: what identifies it (the container's restartCount and
  // containerID before TERM, the pod's uid) and the deadline go into the record, and the
  // reconciler comes back (Outcome::kWaiting), so no worker is held for timeoutSeconds.
  const auto deadline = DeadlineIn(env, params.timeout_seconds);
  record["containerIdBefore"] = web::json::value::string(before.container_id);
  record["podUid"] = web::json::value::string(json::GetString(*ctx.pod, {"metadata", "uid"}).value_or(""));
  record["step"] = web::json::value::string("termSent");
  record["deadline"] = web::json::value::string(FormatRfc3339(deadline));
  return Waiting(env, WaitMessage(container, deadline), record, deadline);
}

}  // namespace riposte::controller
