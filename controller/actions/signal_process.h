#pragma once
// Signalling a process inside a container through pods/exec: the part killProcess and
// killContainer share. Each action keeps its own class (parameters, RBAC, example) and its
// own checks of which process it is about to signal; this is the signal itself, the
// distroless fallback, what an exec failure means, and `escalate: terminate`.

#include <optional>
#include <string>

#include "controller/actions/in_container.h"

namespace riposte::controller {

// What became of `kill -SIG PID`.
struct SignalResult {
  enum class Kind {
    kSent,
    kGone,     // "No such process"
    kNoTool,   // no kill in the image (nor sh, with the shell fallback)
    kDenied,   // "Operation not permitted": the exec runs as the container's user
    kError,    // see error / detail
  };
  Kind kind = Kind::kSent;
  std::optional<kube::ApiError> error;  // the exec itself failed (no exit status)
  std::string detail;                   // a non-zero exit: "exit N: stderr"
};

// `kill -SIG PID`, the form every kill accepts (busybox takes no -s or --). Without kill and
// with `shell_fallback`, the shell's builtin through a constant script whose only inputs are
// the positional parameters: no shell string is built from alert data.
SignalResult SendSignal(const InContainerEnv& env, const ActionContext& ctx, const std::string& container,
                        const std::string& sig, int pid, bool shell_fallback);

// An exec that produced no result, as an outcome of `step`: the container gone (nothing left
// to signal: done), exec refused by RBAC, a closed stream or a retryable error (retry).
Outcome ExecProblem(const kube::ApiError& e, const std::string& step);

// The `escalate` parameter shared by both actions: "" or "terminate".
ParamSpec EscalateParam(const std::string& when);
std::string DecodeEscalate(const json::Reader& item);
// The signal cannot be sent (`cause`): fail, or with escalate "terminate" delete the pod
// (uid precondition, grace 0).
Outcome Escalate(const InContainerEnv& env, const ActionContext& ctx, const std::string& escalate, const std::string& cause);

// Without the trailing newlines commands print.
std::string TrimNewlines(std::string s);

}  // namespace riposte::controller
