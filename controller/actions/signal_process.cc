#include "controller/actions/signal_process.h"

#include "controller/executor.h"

namespace riposte::controller {

using State = Outcome::State;

std::string TrimNewlines(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  return s;
}

SignalResult SendSignal(const InContainerEnv& env, const ActionContext& ctx, const std::string& container,
                        const std::string& sig, int pid, bool shell_fallback) {
  const std::string p = std::to_string(pid);
  auto r = RunIn(env, ctx, container, {"kill", "-" + sig, p});
  if (kube::ExecCommandNotFound(r) && shell_fallback) {
    r = RunIn(env, ctx, container, {"sh", "-c", "kill -\"$1\" \"$2\"", "riposte-kill", sig, p});
  }
  SignalResult out;
  if (kube::ExecCommandNotFound(r)) {
    out.kind = SignalResult::Kind::kNoTool;
  } else if (!r.ok()) {
    out.kind = SignalResult::Kind::kError;
    out.error = r.error();
  } else if (r->exit_code == 0) {
    out.kind = SignalResult::Kind::kSent;
  } else if (r->stderr_data.find("No such process") != std::string::npos) {
    out.kind = SignalResult::Kind::kGone;
  } else if (r->stderr_data.find("not permitted") != std::string::npos) {
    out.kind = SignalResult::Kind::kDenied;
  } else {
    out.kind = SignalResult::Kind::kError;
    out.detail = "exit " + std::to_string(r->exit_code) + ": " + TrimNewlines(r->stderr_data);
  }
  return out;
}

Outcome ExecProblem(const kube::ApiError& e, const std::string& step) {
  if (kube::IsNotFound(e)) return {State::kSucceeded, "the container is gone (" + step + "): nothing left to signal", {}};
  if (kube::IsForbidden(e)) {
    return {State::kFailed, step + ": exec refused: grant pods/exec get and create (" + e.ToString() + ")", {}};
  }
  if (e.Retryable() || e.reason == kube::kExecStreamClosed) return {State::kRetry, step + ": " + e.ToString(), {}};
  return {State::kFailed, step + ": " + e.ToString(), {}};
}

ParamSpec EscalateParam(const std::string& when) {
  return {"escalate", "string", "", "\"terminate\": delete the pod when " + when + "; needs the terminate action enabled"};
}

std::string DecodeEscalate(const json::Reader& item) {
  std::string escalate = item["escalate"].StringOr("");
  if (!escalate.empty() && escalate != "terminate") item["escalate"].Error("must be \"terminate\" or absent");
  return escalate;
}

Outcome Escalate(const InContainerEnv& env, const ActionContext& ctx, const std::string& escalate, const std::string& cause) {
  if (escalate != "terminate") return {State::kFailed, cause + "; set escalate: terminate to delete the pod instead", {}};
  auto err = Execute(*env.client, DeletePod{ctx.ns, ctx.pod_name, json::GetString(*ctx.pod, {"metadata", "uid"}).value_or(""), 0});
  if (err) return {err->Retryable() ? State::kRetry : State::kFailed, cause + "; escalating to terminate failed: " + err->ToString(), {}};
  return {State::kSucceeded, cause + "; escalated to terminate: pod deleted", {}};
}

}  // namespace riposte::controller
