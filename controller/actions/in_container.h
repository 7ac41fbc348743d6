#pragma once
// Actions that work inside the target's containers through pods/exec and pods/log
// (killProcess, killContainer, quarantineFile, captureEvidence). Unlike the others they cannot
// be planned as requests ahead of time: each step depends on what the previous command
// printed (is it still the same process? did the file move?). Build() validates and
// describes (dry run, refusals); Run() carries the action out against the client.
//
// Safety rules shared by all of them (docs/actions.md, "In-container actions"):
//  - commands are argv arrays; no shell string is ever built from alert data. The one
//    shell use is a constant script whose only inputs are validated positional parameters;
//  - every value taken from an alert is validated first (ParsePid, NormalisePath,
//    ResolveContainer), and a missing value ("", "<NA>") is never guessed.

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "controller/actions/action.h"
#include "kube/kube_client.h"

namespace riposte::controller {

struct Outcome {
  // kWaiting: started, not finished; the reconciler records `record` and reconciles again
  // after `after` (or sooner), and Run picks up from the record (InContainerEnv::previous).
  // Nothing waits inside Run, so a reconcile worker is never held for a grace period.
  enum class State { kSucceeded, kSkipped, kFailed, kRetry, kWaiting };
  State state = State::kSucceeded;
  std::string message;
  web::json::value record;  // kept in status.results[].undo: what was done, what revert needs
  std::chrono::milliseconds after{0};  // kWaiting: when to look again
};

struct InContainerEnv {
  kube::KubeClient* client = nullptr;
  std::chrono::milliseconds exec_timeout{15000};
  // Wall clock for deadlines kept in the record (they outlive this process).
  std::function<std::chrono::system_clock::time_point()> now = [] { return std::chrono::system_clock::now(); };
  // What the previous attempt of this action recorded (status.results[].undo), null at first.
  web::json::value previous;
};

class InContainerAction : public Action {
 public:
  bool OptIn() const override { return true; }
  // Dry run and refusals: never any requests (Run does the work).
  Plan Build(const ActionContext& ctx) const override;
  virtual Outcome Run(const InContainerEnv& env, const ActionContext& ctx) const = 0;
  // Default: nothing to undo.
  virtual Outcome Revert(const InContainerEnv& env, const ActionContext& ctx, const web::json::value& record) const;

 protected:
  // What Run would do, for the dry-run message; a refusal reason when the inputs are unusable.
  virtual std::string Describe(const ActionContext& ctx) const = 0;
  virtual std::optional<std::string> Refusal(const ActionContext& ctx) const { (void)ctx; return std::nullopt; }
};

// ---- Validation of alert values ------------------------------------------------------

// An alert field, or nullopt when absent: missing, "", "<NA>" (Falco's "no value").
std::optional<std::string> AlertField(const ActionContext& ctx, const std::string& name);

// PID inside the container: decimal, 1..4194304 (PID_MAX_LIMIT). nullopt + why otherwise.
std::optional<int> ParsePid(const std::string& text, std::string* why);

// An absolute path, NUL-free, at most 4095 bytes and 255 per component, no "." or ".."
// components, "//" collapsed, no trailing '/'; not "/", not under /proc, /sys or /dev, not
// Falco's /DIR_TOO_LONG/FILENAME_TOO_LONG sentinel. The normalised path, or nullopt + why.
std::optional<std::string> NormalisePath(const std::string& path, std::string* why);

// The container to act in: the one whose status containerID starts with the alert's
// container.id (12 hex digits), else the target container, else the pod's only container.
// nullopt + why when none can be named with certainty or the name is not a DNS label.
std::optional<std::string> ResolveContainer(const ActionContext& ctx, std::string* why);

// /proc/<pid>/stat, parsed after the last ')' (comm may hold spaces and parentheses).
struct ProcStat {
  std::string comm;
  char state = '?';
  std::string starttime;  // field 22, clock ticks since boot: with the PID, the identity
};
std::optional<ProcStat> ParseProcStat(const std::string& line);

// Runs a command in the container; the one place actions call Exec.
kube::Result<kube::ExecResult> RunIn(const InContainerEnv& env, const ActionContext& ctx, const std::string& container,
                                     const std::vector<std::string>& argv);

// ---- Steps that span reconciles (Outcome::kWaiting) ---------------------------------
// A Run that has to wait (a grace period, a restart) records the pending step under "step"
// with its deadline and returns kWaiting; the next Run finds it in InContainerEnv::previous.

// How often a pending step is looked at again, at most.
inline constexpr std::chrono::milliseconds kPendingPoll{1000};

// The step a previous Run left in its record, or nullopt.
std::optional<std::string> PendingStep(const web::json::value& record);

// `seconds` from now, rounded up to a whole second (the record keeps RFC 3339 seconds);
// now itself for 0.
std::chrono::system_clock::time_point DeadlineIn(const InContainerEnv& env, int64_t seconds);

// kWaiting with `record`, to be looked at again when `deadline` is due or after
// kPendingPoll, whichever comes first (never 0 before the deadline).
Outcome Waiting(const InContainerEnv& env, std::string message, web::json::value record,
                std::chrono::system_clock::time_point deadline);

// A record whose step cannot be resumed (hand-edited, or from another version): fail and say
// what was found.
Outcome CannotResume(const web::json::value& record, const std::string& deadline_field);

// The pod refuses in-container signals: hostPID (PIDs are the node's) or a shared process
// namespace (PID 1 is the pod's pause process). The reason, or nullopt.
std::optional<std::string> PidNamespaceRefusal(const web::json::value& pod);

}  // namespace riposte::controller
