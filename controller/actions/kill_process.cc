#include "controller/actions/kill_process.h"

#include "controller/actions/signal_process.h"

#include <algorithm>

#include "controller/alert.h"

namespace riposte::controller {
namespace {

using State = Outcome::State;

struct KillProcessParams final : ActionParams {
  int64_t grace_seconds = 5;
  std::string escalate;  // "" or "terminate"
  bool shell_fallback = true;
};

// What the alert says about the process, validated.
struct Target {
  int pid = 0;
  std::string container;
  std::optional<std::string> exepath, args, cmdline, name;
};

std::optional<Target> ReadTarget(const ActionContext& ctx, std::string* why) {
  Target t;
  auto vpid = AlertField(ctx, "proc.vpid");
  if (!vpid) {
    *why = "the alert has no proc.vpid (the PID inside the container)";
    return std::nullopt;
  }
  auto pid = ParsePid(*vpid, why);
  if (!pid) return std::nullopt;
  if (*pid == 1) {
    *why = "PID 1 is the container's init process: use killContainer";
    return std::nullopt;
  }
  t.pid = *pid;
  t.exepath = AlertField(ctx, "proc.exepath");
  t.args = AlertField(ctx, "proc.args");
  t.cmdline = AlertField(ctx, "proc.cmdline");
  t.name = AlertField(ctx, "proc.name");
  if (!t.exepath && !t.args && !t.cmdline) {
    *why = "the alert does not identify the process (no proc.exepath, proc.args or proc.cmdline)";
    return std::nullopt;
  }
  auto container = ResolveContainer(ctx, why);
  if (!container) return std::nullopt;
  t.container = *container;
  return t;
}

bool Contains(const std::string& s, const char* what) { return s.find(what) != std::string::npos; }

}  // namespace

std::string KillProcessAction::Description() const {
  return "Signal the alert's process inside its container (proc.vpid): TERM, then KILL after a grace period. "
         "The PID is first checked to still be the same process (exe path, else arguments), so a reused PID "
         "is never signalled. Uses the image's kill, or sh's kill builtin with fixed arguments.";
}

std::vector<ParamSpec> KillProcessAction::Parameters() const {
  return {
      {"graceSeconds", "integer", "5", "seconds between TERM and KILL (0..60)"},
      EscalateParam("the process cannot be signalled (no kill in the image)"),
      {"shellFallback", "boolean", "true", "use sh's kill builtin (fixed script, validated arguments) when the image has no kill"},
  };
}

std::vector<RbacRule> KillProcessAction::Rbac() const {
  // WebSocket exec is a GET (1.26-1.34); 1.35+ also checks create. escalate: terminate uses
  // the terminate action's grant (delete on pods), which is not repeated here.
  return {{{""}, {"pods/exec"}, {"get", "create"}}};
}

web::json::value KillProcessAction::Example() const {
  return web::json::value::parse(R"({"type":"killProcess","graceSeconds":5,"escalate":"terminate"})");
}

std::string KillProcessAction::UndoNote() const { return "a killed process cannot be restarted"; }

ActionParamsPtr KillProcessAction::DecodeParams(const json::Reader& item) const {
  auto p = std::make_shared<KillProcessParams>();
  p->grace_seconds = item["graceSeconds"].IntOr(5);
  if (p->grace_seconds < 0 || p->grace_seconds > 60) item["graceSeconds"].Error("must be between 0 and 60");
  p->escalate = DecodeEscalate(item);
  p->shell_fallback = item["shellFallback"].BoolOr(true);
  return p;
}

std::optional<std::string> KillProcessAction::Refusal(const ActionContext& ctx) const {
  if (ctx.pod == nullptr) return std::nullopt;  // Run reports "pod gone"
  if (auto why = PidNamespaceRefusal(*ctx.pod)) return "not signalled: " + *why;
  std::string why;
  if (!ReadTarget(ctx, &why)) return "not signalled: " + why;
  return std::nullopt;
}

std::string KillProcessAction::Describe(const ActionContext& ctx) const {
  const auto& params = ParamsOf<KillProcessParams>(ctx);
  std::string why;
  auto t = ReadTarget(ctx, &why);
  if (!t) return "nothing to signal";
  return "TERM to PID " + std::to_string(t->pid) + " in container " + t->container + ", KILL after " +
         std::to_string(params.grace_seconds) + "s, if it is still " +
         (t->exepath ? *t->exepath : t->cmdline ? *t->cmdline : t->args.value_or(""));
}

Outcome KillProcessAction::Run(const InContainerEnv& env, const ActionContext& ctx) const {
  const auto& params = ParamsOf<KillProcessParams>(ctx);
  if (ctx.pod == nullptr) return {State::kSucceeded, "the pod is gone: nothing to signal", {}};
  if (auto why = Refusal(ctx)) return {State::kSkipped, *why, {}};
  std::string why;
  const Target t = *ReadTarget(ctx, &why);
  const std::string pid = std::to_string(t.pid);
  web::json::value record = web::json::value::object();
  record["container"] = web::json::value::string(t.container);
  record["pid"] = web::json::value::number(t.pid);
  auto with = [&](Outcome o) {
    o.record = record;
    return o;
  };
  auto exec = [&](std::vector<std::string> argv) { return RunIn(env, ctx, t.container, argv); };

  // nullopt: gone (no such file, or a zombie). An error outcome in *problem.
  auto read_stat = [&](std::optional<Outcome>* problem) -> std::optional<ProcStat> {
    auto r = exec({"cat", "/proc/" + pid + "/stat"});
    if (!r.ok() || r->exit_code != 0) {
      if (r.ok() && Contains(r->stderr_data, "No such file")) return std::nullopt;
      if (kube::ExecCommandNotFound(r)) *problem = Outcome{State::kFailed, "the image has no cat: the process cannot be checked", {}};
      else if (!r.ok()) *problem = ExecProblem(r.error(), "reading /proc/" + pid + "/stat");
      else *problem = Outcome{State::kFailed, "reading /proc/" + pid + "/stat: exit " + std::to_string(r->exit_code) + ": " + TrimNewlines(r->stderr_data), {}};
      return std::nullopt;
    }
    auto st = ParseProcStat(r->stdout_data);
    if (!st) *problem = Outcome{State::kFailed, "cannot parse /proc/" + pid + "/stat", {}};
    else if (st->state == 'Z') return std::nullopt;
    return st;
  };

  auto signal_failed = [&](const SignalResult& r, const std::string& sig) -> Outcome {
    if (r.error) return ExecProblem(*r.error, "kill -" + sig);
    return {State::kFailed, "kill -" + sig + ": " + r.detail, {}};
  };

  // From here on the identity is (PID, starttime), read when the exe or arguments were
  // checked: a process with the same PID and another starttime is another process.
  std::optional<Outcome> problem;
  std::string starttime, comm;
  auto killed = [&]() {
    return with({State::kSucceeded, "PID " + pid + " (" + comm + ") ignored TERM for " + std::to_string(params.grace_seconds) +
                                        "s and was killed with KILL", {}});
  };
  // After KILL: the same process still there a poll later means KILL did not work.
  auto check_killed = [&]() -> Outcome {
    auto after = read_stat(&problem);
    if (problem) return with(*problem);
    if (after && after->starttime == starttime) return with({State::kFailed, "PID " + pid + " is still running after KILL", {}});
    return killed();
  };
  // After TERM: ended, reused, still in its grace period, or due for KILL.
  auto after_term = [&](std::chrono::system_clock::time_point kill_at) -> Outcome {
    auto now = read_stat(&problem);
    if (problem) return with(*problem);
    if (!now) return with({State::kSucceeded, "PID " + pid + " (" + comm + ") ended after TERM", {}});
    if (now->starttime != starttime) {
      return with({State::kSucceeded, "PID " + pid + " ended after TERM; the PID now belongs to another process, KILL not sent", {}});
    }
    if (env.now() < kill_at) {
      return Waiting(env, "TERM sent to PID " + pid + " (" + comm + "); KILL at " + FormatRfc3339(kill_at) + " if it is still running",
                     record, kill_at);
    }
    const SignalResult kill = SendSignal(env, ctx, t.container, "KILL", t.pid, params.shell_fallback);
    if (kill.kind == SignalResult::Kind::kError) return with(signal_failed(kill, "KILL"));
    if (kill.kind == SignalResult::Kind::kGone) return with({State::kSucceeded, "PID " + pid + " ended after TERM", {}});
    if (kill.kind != SignalResult::Kind::kSent) {
      return with({State::kFailed, "PID " + pid + " ignored TERM and KILL could not be sent", {}});
    }
    auto gone = read_stat(&problem);
    if (problem) return with(*problem);
    if (!gone || gone->starttime != starttime) return killed();
    record["step"] = web::json::value::string("killSent");
    return Waiting(env, "KILL sent to PID " + pid + " (" + comm + "); checking that it ended", record, env.now() + kPendingPoll);
  };

  // A step left pending by an earlier reconcile (this process or a previous leader's).
  const auto& prev = env.previous;
  if (auto step = PendingStep(prev); step && json::GetInt(prev, {"pid"}) == t.pid &&
                                     json::GetString(prev, {"container"}) == t.container && json::GetString(prev, {"starttime"})) {
    record = prev;
    starttime = *json::GetString(prev, {"starttime"});
    comm = json::GetString(prev, {"comm"}).value_or("");
    if (*step == "killSent") return check_killed();
    auto kill_at = ParseRfc3339(json::GetString(prev, {"killAt"}).value_or(""));
    if (*step == "termSent" && kill_at) return after_term(*kill_at);
    return with(CannotResume(prev, "killAt"));
  }

  auto before = read_stat(&problem);
  if (problem) return with(*problem);
  if (!before) return with({State::kSucceeded, "PID " + pid + " had already exited", {}});

  // Identity: the exe path when both sides have it; else the arguments and the name.
  std::string exe;
  if (t.exepath) {
    auto r = exec({"readlink", "/proc/" + pid + "/exe"});
    if (r.ok() && r->exit_code == 0) exe = TrimNewlines(r->stdout_data);
    else if (!r.ok() && !kube::ExecCommandNotFound(r)) return with(ExecProblem(r.error(), "reading /proc/" + pid + "/exe"));
  }
  if (!exe.empty()) {
    if (exe != *t.exepath && exe != *t.exepath + " (deleted)") {
      return with({State::kSkipped, "not signalled: PID " + pid + " is now " + exe + ", not " + *t.exepath + " (PID reused)", {}});
    }
  } else {
    auto r = exec({"cat", "/proc/" + pid + "/cmdline"});
    if (!r.ok()) {
      if (kube::ExecCommandNotFound(r)) return with({State::kFailed, "the image has no cat: the process cannot be checked", {}});
      return with(ExecProblem(r.error(), "reading /proc/" + pid + "/cmdline"));
    }
    if (r->exit_code != 0) return with({State::kSucceeded, "PID " + pid + " exited while being checked", {}});
    std::vector<std::string> argv;
    std::string cur;
    for (char c : r->stdout_data) {
      if (c == '\0') {
        argv.push_back(cur);
        cur.clear();
      } else {
        cur += c;
      }
    }
    if (!cur.empty()) argv.push_back(cur);
    std::string args;
    for (size_t i = 1; i < argv.size(); ++i) args += (i > 1 ? " " : "") + argv[i];
    const std::string proc_comm = before->comm.substr(0, 15);
    bool same = true;
    if (t.args) same = same && args == *t.args;
    if (t.cmdline) same = same && (proc_comm + (args.empty() ? "" : " " + args)) == *t.cmdline;
    if (t.name) same = same && proc_comm == t.name->substr(0, 15);
    if (!same) {
      return with({State::kSkipped, "not signalled: PID " + pid + " runs \"" + proc_comm + " " + args.substr(0, 200) +
                                        "\", not the alert's process (PID reused)", {}});
    }
  }
  starttime = before->starttime;
  comm = before->comm;
  record["starttime"] = web::json::value::string(starttime);
  record["comm"] = web::json::value::string(comm);

  const SignalResult term = SendSignal(env, ctx, t.container, "TERM", t.pid, params.shell_fallback);
  switch (term.kind) {
    case SignalResult::Kind::kSent: break;
    case SignalResult::Kind::kError: return with(signal_failed(term, "TERM"));
    case SignalResult::Kind::kGone: return with({State::kSucceeded, "PID " + pid + " exited before the signal", {}});
    case SignalResult::Kind::kNoTool:
      return with(Escalate(env, ctx, params.escalate,
                           std::string("the image has no kill") + (params.shell_fallback ? " and no sh" : "")));
    case SignalResult::Kind::kDenied:
      return with(Escalate(env, ctx, params.escalate,
                           "kill -TERM " + pid + ": permission denied (the exec runs as the container's user)"));
  }

  // The grace period is not waited for here: the deadline goes into the record and the
  // reconciler comes back (Outcome::kWaiting), so no worker is held for it.
  const auto kill_at = DeadlineIn(env, params.grace_seconds);
  record["step"] = web::json::value::string("termSent");
  record["killAt"] = web::json::value::string(FormatRfc3339(kill_at));
  if (params.grace_seconds == 0) return after_term(kill_at);
  return Waiting(env, "TERM sent to PID " + pid + " (" + comm + "); KILL at " + FormatRfc3339(kill_at) + " if it is still running",
                 record, kill_at);
}

}  // namespace riposte::controller
