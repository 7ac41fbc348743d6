// The in-container actions (killProcess, captureEvidence) against the in-memory client with
// scripted exec and log answers: what they run (argv exactly), what they refuse, and each
// failure mode (PID reused, image without kill, exec refused, logs missing).

#include <gtest/gtest.h>

#include <cpprest/asyncrt_utils.h>

#include <map>
#include <sstream>

#include "controller/actions/capture_evidence.h"
#include "controller/actions/in_container.h"
#include "controller/actions/kill_container.h"
#include "controller/actions/quarantine_file.h"
#include "controller/actions/registry.h"
#include "controller/alert.h"
#include "common/json_value.h"
#include "tests/fakes/fake_kube_client.h"

namespace riposte::controller {
namespace {

using web::json::value;
using Argv = std::vector<std::string>;
using State = Outcome::State;

kube::ExecResult Out(const std::string& out, int code = 0, const std::string& err = "") {
  kube::ExecResult r;
  r.stdout_data = out;
  r.stderr_data = err;
  r.exit_code = code;
  r.protocol = "v4.channel.k8s.io";
  return r;
}

kube::ApiError NotInImage(const std::string& bin) {
  kube::ApiError e = kube::MakeError(kube::ErrorKind::kServerError,
                                     "OCI runtime exec failed: exec: \"" + bin + "\": executable file not found in $PATH");
  e.reason = kube::kExecStartFailed;
  return e;
}

std::string Stat(int pid, const std::string& comm, char state, const std::string& starttime) {
  std::string s = std::to_string(pid) + " (" + comm + ") " + state;
  for (int f = 4; f <= 21; ++f) s += " " + std::to_string(f);
  return s + " " + starttime + " 23 24\n";
}

struct Fixture {
  std::shared_ptr<fakes::FakeKubeClient> client = std::make_shared<fakes::FakeKubeClient>();
  value pod, item;
  AlertRef alert;
  ActionParamsPtr params;
  ActionContext ctx;

  explicit Fixture(const std::string& item_json) : item(value::parse(item_json)) {
    pod = value::parse(R"({
      "metadata": {"name": "web-1", "namespace": "shop", "uid": "pod-uid-1"},
      "spec": {"nodeName": "node-1", "containers": [{"name": "app"}, {"name": "side"}]},
      "status": {"containerStatuses": [
        {"name": "app", "containerID": "containerd://0123456789abcdef0123", "restartCount": 1,
         "lastState": {"terminated": {"exitCode": 137}}},
        {"name": "side", "containerID": "containerd://fedcba9876543210fedc", "restartCount": 0}]}})");
    alert.rule = "Drop and execute new binary in container";
    alert.fields = {{"proc.vpid", "42"}, {"proc.exepath", "/tmp/xmrig"}, {"proc.name", "xmrig"},
                    {"proc.args", "-o pool:3333"}, {"container.id", "0123456789ab"}};
    Decode();
    ctx.ns = "shop";
    ctx.pod_name = "web-1";
    ctx.pod = &pod;
    ctx.response_action_name = "kill-miner-1a2b";
    ctx.response_action_uid = "ra-uid-1";
    ctx.now = "2026-11-28T10:00:00Z";
    ctx.alert = &alert;
  }
  void Decode() {
    json::Errors errors;
    params = action()->Decode(json::Reader(item, &errors, "spec.actions[0]"));
    EXPECT_TRUE(errors.empty()) << errors.Join();
    ctx.params = params.get();
  }
  const InContainerAction* action() const {
    return dynamic_cast<const InContainerAction*>(BuiltinActions().Find(json::GetString(item, {"type"}).value()).get());
  }
  Outcome Run(const value& previous = value()) {
    InContainerEnv env;
    env.client = client.get();
    env.now = [this] { return now; };
    env.previous = previous;
    return action()->Run(env, ctx);
  }
  // What the reconciler does with kWaiting: call Run again with the recorded state.
  Outcome Resume(const Outcome& waiting) {
    EXPECT_EQ(waiting.state, State::kWaiting) << waiting.message;
    return Run(waiting.record);
  }
  // Wall clock for the KILL deadline; not a whole second, so rounding is exercised.
  std::chrono::system_clock::time_point now =
      *ParseRfc3339("2026-11-28T10:00:00Z") + std::chrono::milliseconds(300);
  std::vector<Argv> Commands() const {
    std::vector<Argv> out;
    for (const auto& c : client->ExecCalls()) out.push_back(c.argv);
    return out;
  }
  // Answers by argv; `stat` is called for every read of /proc/42/stat.
  void Script(std::function<kube::Result<kube::ExecResult>()> stat,
              std::function<kube::Result<kube::ExecResult>(const Argv&)> other) {
    client->SetExecHandler([stat, other](const std::string&, const std::string&, const std::string& container, const Argv& argv)
                               -> kube::Result<kube::ExecResult> {
      EXPECT_EQ(container, "app");
      if (argv == Argv{"cat", "/proc/42/stat"}) return stat();
      if (argv == Argv{"readlink", "/proc/42/exe"}) return Out("/tmp/xmrig\n");
      return other(argv);
    });
  }
};

bool Has(const std::vector<Argv>& cmds, const Argv& want) {
  return std::find(cmds.begin(), cmds.end(), want) != cmds.end();
}

TEST(KillProcess, TermEndsTheProcess) {
  Fixture f(R"({"type":"killProcess","graceSeconds":5})");
  int stats = 0;
  f.Script([&]() -> kube::Result<kube::ExecResult> {
             if (stats++ == 0) return Out(Stat(42, "xmrig", 'S', "1000"));
             return Out("", 1, "cat: /proc/42/stat: No such file or directory\n");
           },
           [](const Argv& argv) -> kube::Result<kube::ExecResult> {
             EXPECT_EQ(argv, (Argv{"kill", "-TERM", "42"}));
             return Out("");
           });
  // TERM, then Run returns at once: the grace period is the reconciler's requeue.
  Outcome waiting = f.Run();
  EXPECT_EQ(waiting.state, State::kWaiting) << waiting.message;
  EXPECT_GT(waiting.after.count(), 0);
  EXPECT_LE(waiting.after, std::chrono::milliseconds(5000));
  EXPECT_EQ(json::GetString(waiting.record, {"step"}).value_or(""), "termSent");
  EXPECT_EQ(json::GetString(waiting.record, {"killAt"}).value_or(""), "2026-11-28T10:00:06Z");  // 10:00:00.3 + 5s, rounded up
  EXPECT_EQ(json::GetString(waiting.record, {"starttime"}).value_or(""), "1000");
  EXPECT_TRUE(Has(f.Commands(), Argv{"kill", "-TERM", "42"}));
  // The next reconcile, still within the grace period, finds the process gone.
  Outcome o = f.Resume(waiting);
  EXPECT_EQ(o.state, State::kSucceeded) << o.message;
  EXPECT_NE(o.message.find("ended after TERM"), std::string::npos) << o.message;
  EXPECT_FALSE(Has(f.Commands(), Argv{"kill", "-KILL", "42"}));
  EXPECT_EQ(json::GetString(o.record, {"starttime"}).value_or(""), "1000");
}

TEST(KillProcess, KillAfterGraceWhenTermIsIgnored) {
  Fixture f(R"({"type":"killProcess","graceSeconds":2})");
  bool killed = false;
  f.Script([&]() -> kube::Result<kube::ExecResult> {
             if (killed) return Out("", 1, "cat: /proc/42/stat: No such file or directory\n");
             return Out(Stat(42, "xmrig", 'S', "1000"));
           },
           [&](const Argv& argv) -> kube::Result<kube::ExecResult> {
             if (argv == Argv{"kill", "-KILL", "42"}) killed = true;
             return Out("");
           });
  Outcome o = f.Run();
  EXPECT_EQ(o.state, State::kWaiting) << o.message;
  EXPECT_TRUE(Has(f.Commands(), Argv{"kill", "-TERM", "42"}));
  EXPECT_FALSE(killed) << "KILL before the grace period";
  // A reconcile inside the grace period (a watch event, or the poll) sends nothing.
  f.now += std::chrono::seconds(1);
  o = f.Resume(o);
  EXPECT_EQ(o.state, State::kWaiting) << o.message;
  EXPECT_FALSE(killed);
  EXPECT_LE(o.after, std::chrono::milliseconds(1700));
  f.now += std::chrono::milliseconds(1600);  // 10:00:02.9: 2 s after TERM, not yet the recorded 10:00:03
  o = f.Resume(o);
  EXPECT_EQ(o.state, State::kWaiting) << o.message;
  EXPECT_FALSE(killed);
  EXPECT_EQ(o.after, std::chrono::milliseconds(100));
  f.now += std::chrono::milliseconds(100);
  o = f.Resume(o);
  EXPECT_EQ(o.state, State::kSucceeded) << o.message;
  EXPECT_NE(o.message.find("killed with KILL"), std::string::npos) << o.message;
  EXPECT_TRUE(killed);
  EXPECT_EQ(f.Commands().back(), (Argv{"cat", "/proc/42/stat"})) << "one check after KILL";
  EXPECT_EQ(f.Commands()[f.Commands().size() - 2], (Argv{"kill", "-KILL", "42"}));
}

TEST(KillProcess, KillThatDoesNotEndTheProcessIsCheckedOnTheNextReconcile) {
  for (bool ends : {true, false}) {
    Fixture f(R"({"type":"killProcess","graceSeconds":0})");
    int stats_after_kill = 0;
    bool killed = false;
    f.Script([&]() -> kube::Result<kube::ExecResult> {
               if (killed && ends && stats_after_kill++ > 0) return Out(Stat(42, "xmrig", 'Z', "1000"));
               return Out(Stat(42, "xmrig", 'D', "1000"));
             },
             [&](const Argv& argv) -> kube::Result<kube::ExecResult> {
               if (argv == Argv{"kill", "-KILL", "42"}) killed = true;
               return Out("");
             });
    Outcome o = f.Run();
    EXPECT_TRUE(killed);
    EXPECT_EQ(o.state, State::kWaiting) << o.message;
    EXPECT_EQ(json::GetString(o.record, {"step"}).value_or(""), "killSent");
    const size_t before = f.Commands().size();
    o = f.Resume(o);
    EXPECT_EQ(f.Commands().size(), before + 1) << "only the stat is read again: no second KILL";
    if (ends) {
      EXPECT_EQ(o.state, State::kSucceeded) << o.message;
    } else {
      EXPECT_EQ(o.state, State::kFailed) << o.message;
      EXPECT_NE(o.message.find("still running after KILL"), std::string::npos) << o.message;
    }
  }
}

TEST(KillProcess, PidReusedDuringGraceGetsNoKill) {
  Fixture f(R"({"type":"killProcess","graceSeconds":5})");
  int stats = 0;
  f.Script([&]() { return ++stats == 1 ? Out(Stat(42, "xmrig", 'S', "1000")) : Out(Stat(42, "sh", 'S', "2000")); },
           [](const Argv&) { return kube::Result<kube::ExecResult>(Out("")); });
  Outcome o = f.Run();
  EXPECT_EQ(o.state, State::kWaiting) << o.message;
  f.now += std::chrono::seconds(10);
  o = f.Resume(o);
  EXPECT_EQ(o.state, State::kSucceeded) << o.message;
  EXPECT_NE(o.message.find("KILL not sent"), std::string::npos) << o.message;
  EXPECT_FALSE(Has(f.Commands(), Argv{"kill", "-KILL", "42"}));
}

// The pending KILL lives in the status record only: a controller that restarted (or another
// leader) resumes from it without re-running the checks or TERM, and still sends KILL only
// to the process with the recorded starttime.
TEST(KillProcess, PendingKillResumesFromTheRecordAlone) {
  const value record = value::parse(R"({"container":"app","pid":42,"starttime":"1000","comm":"xmrig",
                                        "step":"termSent","killAt":"2026-11-28T10:00:00Z"})");
  for (const char* starttime : {"1000", "2000"}) {
    Fixture f(R"({"type":"killProcess","graceSeconds":5})");
    bool killed = false;
    f.Script([&]() -> kube::Result<kube::ExecResult> {
               if (killed) return Out("", 1, "No such file or directory");
               return Out(Stat(42, "xmrig", 'S', starttime));
             },
             [&](const Argv& argv) -> kube::Result<kube::ExecResult> {
               EXPECT_EQ(argv, (Argv{"kill", "-KILL", "42"})) << "no TERM or identity check again";
               killed = true;
               return Out("");
             });
    Outcome o = f.Run(record);
    EXPECT_EQ(o.state, State::kSucceeded) << o.message;
    EXPECT_EQ(killed, std::string(starttime) == "1000") << starttime << ": " << o.message;
    EXPECT_FALSE(Has(f.Commands(), Argv{"readlink", "/proc/42/exe"}));
  }
  // A record for another PID or container (a hand-edited status) is not trusted: start over.
  Fixture other(R"({"type":"killProcess","graceSeconds":5})");
  other.Script([]() { return Out(Stat(42, "xmrig", 'S', "1000")); },
               [](const Argv&) { return kube::Result<kube::ExecResult>(Out("")); });
  value foreign = record;
  foreign["pid"] = value::number(43);
  Outcome o = other.Run(foreign);
  EXPECT_EQ(o.state, State::kWaiting) << o.message;
  EXPECT_TRUE(Has(other.Commands(), Argv{"readlink", "/proc/42/exe"}));
  EXPECT_TRUE(Has(other.Commands(), Argv{"kill", "-TERM", "42"}));
  EXPECT_FALSE(Has(other.Commands(), Argv{"kill", "-KILL", "42"}));
}

TEST(KillProcess, PidOfAnotherProcessIsNotSignalled) {
  Fixture f(R"({"type":"killProcess"})");
  f.client->SetExecHandler([](const std::string&, const std::string&, const std::string&, const Argv& argv)
                               -> kube::Result<kube::ExecResult> {
    if (argv == Argv{"cat", "/proc/42/stat"}) return Out(Stat(42, "nginx", 'S', "500"));
    if (argv == Argv{"readlink", "/proc/42/exe"}) return Out("/usr/sbin/nginx\n");
    ADD_FAILURE() << "unexpected command " << argv[0];
    return Out("");
  });
  Outcome o = f.Run();
  EXPECT_EQ(o.state, State::kSkipped) << o.message;
  EXPECT_NE(o.message.find("PID reused"), std::string::npos) << o.message;
}

TEST(KillProcess, DeletedBinaryStillMatches) {
  Fixture f(R"({"type":"killProcess","graceSeconds":0})");
  int stats = 0;
  f.client->SetExecHandler([&](const std::string&, const std::string&, const std::string&, const Argv& argv)
                               -> kube::Result<kube::ExecResult> {
    if (argv == Argv{"cat", "/proc/42/stat"}) {
      if (stats++ == 0) return Out(Stat(42, "xmrig", 'R', "1000"));
      return Out("", 1, "No such file or directory");
    }
    if (argv == Argv{"readlink", "/proc/42/exe"}) return Out("/tmp/xmrig (deleted)\n");
    return Out("");
  });
  Outcome o = f.Run();
  EXPECT_EQ(o.state, State::kSucceeded) << o.message;
  EXPECT_TRUE(Has(f.Commands(), Argv{"kill", "-TERM", "42"}));
}

TEST(KillProcess, ArgumentsDecideWhenTheExeIsUnreadable) {
  Fixture f(R"({"type":"killProcess"})");
  f.client->SetExecHandler([](const std::string&, const std::string&, const std::string&, const Argv& argv)
                               -> kube::Result<kube::ExecResult> {
    if (argv == Argv{"cat", "/proc/42/stat"}) return Out(Stat(42, "xmrig", 'S', "1000"));
    if (argv == Argv{"readlink", "/proc/42/exe"}) return Out("", 1, "readlink: Permission denied");
    if (argv == Argv{"cat", "/proc/42/cmdline"}) return Out(std::string("xmrig\0-o\0other:1\0", 18));
    ADD_FAILURE() << "unexpected command " << argv[0];
    return Out("");
  });
  Outcome o = f.Run();
  EXPECT_EQ(o.state, State::kSkipped) << o.message;
  EXPECT_NE(o.message.find("not the alert's process"), std::string::npos) << o.message;
}

TEST(KillProcess, ImageWithoutKillUsesTheShellBuiltin) {
  Fixture f(R"({"type":"killProcess","graceSeconds":0})");
  int stats = 0;
  f.Script([&]() -> kube::Result<kube::ExecResult> {
             if (stats++ == 0) return Out(Stat(42, "xmrig", 'S', "1000"));
             return Out("", 1, "No such file or directory");
           },
           [](const Argv& argv) -> kube::Result<kube::ExecResult> {
             if (argv[0] == "kill") return NotInImage("kill");
             return Out("");
           });
  Outcome o = f.Run();
  EXPECT_EQ(o.state, State::kSucceeded) << o.message;
  // The script is a constant; the signal and PID are positional parameters.
  EXPECT_TRUE(Has(f.Commands(), (Argv{"sh", "-c", "kill -\"$1\" \"$2\"", "riposte-kill", "TERM", "42"})));
}

TEST(KillProcess, NoKillAndNoShellSaysSoAndCanEscalate) {
  for (bool escalate : {false, true}) {
    Fixture f(escalate ? R"({"type":"killProcess","escalate":"terminate"})" : R"({"type":"killProcess"})");
    f.client->Seed(kube::resources::kPods, f.pod);
    f.pod = f.client->Peek(kube::resources::kPods, "shop", "web-1").value();
    f.Script([]() { return Out(Stat(42, "xmrig", 'S', "1000")); },
             [](const Argv& argv) -> kube::Result<kube::ExecResult> { return NotInImage(argv[0]); });
    Outcome o = f.Run();
    EXPECT_NE(o.message.find("the image has no kill and no sh"), std::string::npos) << o.message;
    if (escalate) {
      EXPECT_EQ(o.state, State::kSucceeded) << o.message;
      EXPECT_NE(o.message.find("escalated to terminate"), std::string::npos);
      EXPECT_EQ(f.client->ActionsFor("delete", "pods").size(), 1u);
    } else {
      EXPECT_EQ(o.state, State::kFailed) << o.message;
      EXPECT_TRUE(f.client->ActionsFor("delete", "pods").empty());
    }
  }
}

TEST(KillProcess, ExecRefusedByRbacFails) {
  Fixture f(R"({"type":"killProcess"})");
  f.client->SetExecHandler([](const std::string&, const std::string&, const std::string&, const Argv&)
                               -> kube::Result<kube::ExecResult> {
    kube::ApiError e = kube::MakeError(kube::ErrorKind::kForbidden, "cannot get resource \"pods/exec\"");
    e.code = 403;
    return e;
  });
  Outcome o = f.Run();
  EXPECT_EQ(o.state, State::kFailed) << o.message;
  EXPECT_NE(o.message.find("pods/exec get and create"), std::string::npos) << o.message;
}

TEST(KillProcess, ContainerGoneMeansNothingLeftToSignal) {
  Fixture f(R"({"type":"killProcess"})");
  f.client->SetExecHandler([](const std::string&, const std::string&, const std::string&, const Argv&)
                               -> kube::Result<kube::ExecResult> {
    return kube::ErrorFromResponse(404, "rpc error: code = NotFound desc = container not found");
  });
  Outcome o = f.Run();
  EXPECT_EQ(o.state, State::kSucceeded) << o.message;
  EXPECT_NE(o.message.find("container is gone"), std::string::npos) << o.message;
}

TEST(KillProcess, StreamClosedMidCommandIsRetried) {
  Fixture f(R"({"type":"killProcess"})");
  f.client->SetExecHandler([](const std::string&, const std::string&, const std::string&, const Argv&)
                               -> kube::Result<kube::ExecResult> {
    kube::ApiError e = kube::MakeError(kube::ErrorKind::kTransport, "stream ended before the status");
    e.reason = kube::kExecStreamClosed;
    return e;
  });
  EXPECT_EQ(f.Run().state, State::kRetry);
}

TEST(KillProcess, AlertValuesAreValidatedBeforeAnyExec) {
  struct Case {
    std::string field, value, why;
  };
  for (const auto& c : std::vector<Case>{{"proc.vpid", "0", "outside"},
                                         {"proc.vpid", "-5", "not a decimal"},
                                         {"proc.vpid", "42; rm -rf /", "not a decimal"},
                                         {"proc.vpid", "4194305", "outside"},
                                         {"proc.vpid", "1", "killContainer"},
                                         {"proc.vpid", "<NA>", "no proc.vpid"},
                                         {"container.id", "host", "on the host"},
                                         {"container.id", "ffffffffffff", "no container of the pod"}}) {
    Fixture f(R"({"type":"killProcess"})");
    f.alert.fields[c.field] = c.value;
    Plan plan = f.action()->Build(f.ctx);
    EXPECT_TRUE(plan.skipped) << c.field << "=" << c.value;
    EXPECT_NE(plan.message.find(c.why), std::string::npos) << c.value << ": " << plan.message;
    EXPECT_EQ(f.Run().state, State::kSkipped);
    EXPECT_TRUE(f.client->ExecCalls().empty()) << c.value;
  }
  Fixture no_identity(R"({"type":"killProcess"})");
  no_identity.alert.fields.erase("proc.exepath");
  no_identity.alert.fields.erase("proc.args");
  EXPECT_TRUE(no_identity.action()->Build(no_identity.ctx).skipped);
}

TEST(KillProcess, RefusesSharedOrHostPidNamespaces) {
  for (const char* field : {"hostPID", "shareProcessNamespace"}) {
    Fixture f(R"({"type":"killProcess"})");
    f.pod["spec"][field] = value::boolean(true);
    Plan plan = f.action()->Build(f.ctx);
    EXPECT_TRUE(plan.skipped) << field;
    EXPECT_TRUE(f.client->ExecCalls().empty());
  }
}

TEST(KillProcess, DryRunDescribesWithoutExec) {
  Fixture f(R"({"type":"killProcess","graceSeconds":3})");
  Plan plan = f.action()->Build(f.ctx);
  EXPECT_FALSE(plan.skipped);
  EXPECT_TRUE(plan.requests.empty());
  EXPECT_EQ(plan.message, "TERM to PID 42 in container app, KILL after 3s, if it is still /tmp/xmrig");
}

TEST(AlertValues, PathsAreNormalisedOrRefused) {
  std::string why;
  EXPECT_EQ(NormalisePath("/tmp//x/./y", &why), std::nullopt);  // "." is refused, not resolved
  EXPECT_EQ(NormalisePath("/tmp//x/y/", &why).value_or(""), "/tmp/x/y");
  for (const std::string& bad : std::vector<std::string>{"tmp/x", "", "/", "//", "/tmp/../etc/passwd", "/proc/1/environ", "/dev/sda", "/sys",
                                "/DIR_TOO_LONG/FILENAME_TOO_LONG", std::string("/tmp/a\0b", 8),
                                "/" + std::string(256, 'a'), std::string(4096, '/')}) {
    why.clear();
    EXPECT_EQ(NormalisePath(bad, &why), std::nullopt) << bad.substr(0, 40);
    EXPECT_FALSE(why.empty());
  }
  EXPECT_EQ(NormalisePath("/procfs/x", &why).value_or(""), "/procfs/x");
  EXPECT_EQ(ParsePid("4194304", &why).value_or(0), 4194304);
  EXPECT_EQ(ParsePid("+4", &why), std::nullopt);
  EXPECT_EQ(ParsePid(" 4", &why), std::nullopt);
}

TEST(AlertValues, ProcStatIsParsedAfterTheLastParenthesis) {
  auto st = ParseProcStat(Stat(7, "evil) name (x", 'S', "169721"));
  ASSERT_TRUE(st.has_value());
  EXPECT_EQ(st->comm, "evil) name (x");
  EXPECT_EQ(st->state, 'S');
  EXPECT_EQ(st->starttime, "169721");
  EXPECT_FALSE(ParseProcStat("garbage").has_value());
}

std::string Decoded(const value& secret, const std::string& key) {
  auto b = utility::conversions::from_base64(secret.at("data").at(key).as_string());
  return std::string(b.begin(), b.end());
}

TEST(CaptureEvidence, StoresManifestLogsAndAlertInAnOwnedSecret) {
  Fixture f(R"({"type":"captureEvidence","tailLines":50,"limitBytes":1000})");
  std::vector<kube::LogOptions> asked;
  f.client->SetLogsHandler([&](const std::string& ns, const std::string& pod, const kube::LogOptions& o)
                               -> kube::Result<kube::LogResult> {
    EXPECT_EQ(ns, "shop");
    EXPECT_EQ(pod, "web-1");
    asked.push_back(o);
    kube::LogResult r;
    r.data = o.container + (o.previous ? " previous" : " current") + " log\n";
    return r;
  });
  Outcome o = f.Run();
  ASSERT_EQ(o.state, State::kSucceeded) << o.message;
  // app restarted (previous asked), side did not.
  ASSERT_EQ(asked.size(), 3u);
  for (const auto& a : asked) {
    EXPECT_EQ(a.tail_lines.value_or(-1), 50);
    EXPECT_EQ(a.limit_bytes, 1000);
  }
  const std::string name = CaptureEvidenceAction::SecretName("kill-miner-1a2b", 0);
  auto secret = f.client->Peek(kube::resources::kSecrets, "shop", name);
  ASSERT_TRUE(secret.has_value());
  EXPECT_EQ(json::GetString(*secret, {"metadata", "labels", "riposte.io/evidence"}).value_or(""), "true");
  EXPECT_EQ(secret->at("metadata").at("ownerReferences").at(0).at("uid").as_string(), "ra-uid-1");
  EXPECT_TRUE(secret->at("immutable").as_bool());
  EXPECT_EQ(Decoded(*secret, "log.app"), "app current log\n");
  EXPECT_EQ(Decoded(*secret, "log.app.previous"), "app previous log\n");
  EXPECT_EQ(Decoded(*secret, "log.side"), "side current log\n");
  EXPECT_NE(Decoded(*secret, "pod.json").find("\"pod-uid-1\""), std::string::npos);
  EXPECT_NE(Decoded(*secret, "alert.json").find("Drop and execute new binary"), std::string::npos);
  EXPECT_NE(Decoded(*secret, "index.json").find("\"truncated\":false"), std::string::npos);
  EXPECT_EQ(json::GetString(o.record, {"secret"}).value_or(""), name);

  // Again (a retry after a lost status write): the Secret is there, nothing is captured twice.
  asked.clear();
  Outcome again = f.Run();
  EXPECT_EQ(again.state, State::kSucceeded) << again.message;
  EXPECT_TRUE(asked.empty());
  EXPECT_EQ(f.client->ActionsFor("create", "secrets").size(), 1u);
}

TEST(CaptureEvidence, CapsTheTotalAndNotesWhatIsMissing) {
  Fixture f(R"({"type":"captureEvidence","maxBytes":3000,"processList":true})");
  f.client->SetLogsHandler([&](const std::string&, const std::string&, const kube::LogOptions& o)
                               -> kube::Result<kube::LogResult> {
    if (o.container == "side") return kube::MakeError(kube::ErrorKind::kForbidden, "cannot get resource \"pods/log\"");
    kube::LogResult r;
    if (o.previous) {
      r.no_previous = true;
      return r;
    }
    r.data = std::string(10000, 'x');
    r.truncated = true;
    return r;
  });
  f.client->SetExecHandler([](const std::string&, const std::string&, const std::string&, const Argv& argv)
                               -> kube::Result<kube::ExecResult> { return NotInImage(argv[0]); });
  Outcome o = f.Run();
  ASSERT_EQ(o.state, State::kSucceeded) << o.message;
  auto secret = f.client->Peek(kube::resources::kSecrets, "shop", CaptureEvidenceAction::SecretName("kill-miner-1a2b", 0)).value();
  size_t total = 0;
  for (const auto& [k, v] : secret.at("data").as_object())
    if (k != "index.json") total += Decoded(secret, k).size();
  EXPECT_LE(total, 3000u);
  const std::string index = Decoded(secret, "index.json");
  EXPECT_NE(index.find("\"truncated\":true"), std::string::npos) << index;
  EXPECT_NE(index.find("log.side: Forbidden"), std::string::npos) << index;
  EXPECT_NE(index.find("log.app.previous: no previous instance"), std::string::npos) << index;
  EXPECT_NE(index.find("processes: the image has no ps"), std::string::npos) << index;
  EXPECT_TRUE(f.client->Count(kube::resources::kSecrets) == 1);
}

TEST(CaptureEvidence, SecretWriteFailuresAreRetriedOrFail) {
  Fixture f(R"({"type":"captureEvidence"})");
  f.client->SetLogsHandler([](const std::string&, const std::string&, const kube::LogOptions&) {
    return kube::Result<kube::LogResult>(kube::LogResult{});
  });
  f.client->FailNext("create", "secrets", kube::MakeError(kube::ErrorKind::kServiceUnavailable, "etcd"));
  EXPECT_EQ(f.Run().state, State::kRetry);
  kube::ApiError forbidden = kube::MakeError(kube::ErrorKind::kForbidden, "cannot create resource \"secrets\"");
  f.client->FailNext("create", "secrets", forbidden);
  EXPECT_EQ(f.Run().state, State::kFailed);
  EXPECT_EQ(f.Run().state, State::kSucceeded);
}

// /proc/1/status with SigCgt for TERM (bit 14) or not.
std::string ProcStatus(bool catches_term) {
  return std::string("Name:\tnginx\nState:\tS (sleeping)\nSigIgn:\t0000000000001000\nSigCgt:\t") +
         (catches_term ? "0000000018016a07" : "0000000000000000") + "\n";
}

// The kubelet's part after TERM to PID 1: the container exits 143 and comes back.
void Restart(fakes::FakeKubeClient& client) {
  auto pod = client.Peek(kube::resources::kPods, "shop", "web-1").value();
  pod["status"]["containerStatuses"][0]["restartCount"] = value::number(2);
  pod["status"]["containerStatuses"][0]["containerID"] = value::string("containerd://99999999999999999999");
  pod["status"]["containerStatuses"][0]["lastState"] = value::parse(R"({"terminated":{"exitCode":143,"reason":"Error"}})");
  EXPECT_TRUE(client.UpdateStatus(kube::resources::kPods, "shop", pod).ok());
}

// A killContainer fixture whose PID 1 handles TERM; counts pod reads and signals.
struct StopFixture : Fixture {
  int pod_reads = 0, terms = 0;
  explicit StopFixture(const std::string& item_json) : Fixture(item_json) {
    client->Seed(kube::resources::kPods, pod);
    pod = client->Peek(kube::resources::kPods, "shop", "web-1").value();
    client->SetExecHandler([this](const std::string&, const std::string&, const std::string& container, const Argv& argv)
                               -> kube::Result<kube::ExecResult> {
      EXPECT_EQ(container, "app");
      if (argv == Argv{"cat", "/proc/1/status"}) return Out(ProcStatus(true));
      EXPECT_EQ(argv, (Argv{"kill", "-TERM", "1"}));
      ++terms;
      // The exec dies with the container's PID namespace.
      kube::ApiError e = kube::MakeError(kube::ErrorKind::kTransport, "stream ended");
      e.reason = kube::kExecStreamClosed;
      return e;
    });
    client->AddReactor([this](const fakes::Action& a) -> std::optional<kube::Result<value>> {
      if (a.verb == "get" && a.resource == "pods") ++pod_reads;
      return std::nullopt;
    });
  }
  // What the reconciler does on a later reconcile: read the pod once, then Run from the record.
  Outcome ResumeWithFreshPod(const value& record) {
    auto now_pod = client->Get(kube::resources::kPods, "shop", "web-1");
    if (now_pod.ok()) pod = now_pod.value();
    ctx.pod = now_pod.ok() ? &pod : nullptr;
    return Run(record);
  }
};

// TERM, then Run returns before the kubelet has restarted anything: the wait for the restart
// is the reconciler's requeue, with what identifies the restart kept in the record.
TEST(KillContainer, ReturnsAfterTermAndTheRestartIsReadOnALaterReconcile) {
  StopFixture f(R"({"type":"killContainer","timeoutSeconds":10})");
  Outcome waiting = f.Run();
  ASSERT_EQ(waiting.state, State::kWaiting) << waiting.message;
  EXPECT_EQ(f.terms, 1);
  EXPECT_EQ(f.pod_reads, 0) << "Run does not poll the pod";
  EXPECT_GT(waiting.after.count(), 0);
  EXPECT_LE(waiting.after, std::chrono::milliseconds(1000));
  EXPECT_EQ(waiting.record.at("step").as_string(), "termSent");
  EXPECT_EQ(waiting.record.at("container").as_string(), "app");
  EXPECT_EQ(waiting.record.at("restartCountBefore").as_integer(), 1);
  EXPECT_EQ(waiting.record.at("containerIdBefore").as_string(), "containerd://0123456789abcdef0123");
  EXPECT_EQ(waiting.record.at("podUid").as_string(), f.pod.at("metadata").at("uid").as_string());
  // Deadline: 10 s after the signal, rounded up to the second.
  EXPECT_EQ(waiting.record.at("deadline").as_string(), "2026-11-28T10:00:11Z");
  EXPECT_NE(waiting.message.find("waiting until 2026-11-28T10:00:11Z"), std::string::npos) << waiting.message;

  // Not restarted yet: keep waiting, nothing signalled again.
  f.now += std::chrono::seconds(1);
  Outcome still = f.ResumeWithFreshPod(waiting.record);
  ASSERT_EQ(still.state, State::kWaiting) << still.message;
  EXPECT_EQ(f.pod_reads, 1);

  Restart(*f.client);
  f.now += std::chrono::seconds(1);
  Outcome o = f.ResumeWithFreshPod(still.record);
  EXPECT_EQ(o.state, State::kSucceeded) << o.message;
  EXPECT_NE(o.message.find("exit 143, Error"), std::string::npos) << o.message;
  EXPECT_NE(o.message.find("restartCount 2"), std::string::npos) << o.message;
  EXPECT_EQ(o.record.at("restartCountBefore").as_integer(), 1);
  EXPECT_EQ(o.record.at("restartCount").as_integer(), 2);
  EXPECT_EQ(o.record.at("containerId").as_string(), "containerd://99999999999999999999");
  EXPECT_EQ(o.record.at("exitCode").as_integer(), 143);
  EXPECT_EQ(f.terms, 1);
  EXPECT_EQ(f.client->ExecCalls().size(), 2u) << "cat /proc/1/status and kill only, on the first reconcile";
  EXPECT_EQ(f.pod_reads, 2);
}

// A container whose restartPolicy does not bring it back stays terminated: that is the stop.
TEST(KillContainer, TerminatedWithoutRestartIsAStop) {
  StopFixture f(R"({"type":"killContainer"})");
  Outcome waiting = f.Run();
  ASSERT_EQ(waiting.state, State::kWaiting) << waiting.message;
  auto pod = f.client->Peek(kube::resources::kPods, "shop", "web-1").value();
  pod["status"]["containerStatuses"][0]["state"] = value::parse(R"({"terminated":{"exitCode":0,"reason":"Completed"}})");
  ASSERT_TRUE(f.client->UpdateStatus(kube::resources::kPods, "shop", pod).ok());
  Outcome o = f.ResumeWithFreshPod(waiting.record);
  EXPECT_EQ(o.state, State::kSucceeded) << o.message;
  EXPECT_NE(o.message.find("restartPolicy does not restart it"), std::string::npos) << o.message;
  EXPECT_EQ(o.record.at("exitCode").as_integer(), 0);
}

TEST(KillContainer, PidOneWithoutTermHandlerIsNotSignalled) {
  for (bool escalate : {false, true}) {
    Fixture f(escalate ? R"({"type":"killContainer","escalate":"terminate"})" : R"({"type":"killContainer"})");
    f.client->Seed(kube::resources::kPods, f.pod);
    f.pod = f.client->Peek(kube::resources::kPods, "shop", "web-1").value();
    f.client->SetExecHandler([](const std::string&, const std::string&, const std::string&, const Argv& argv)
                                 -> kube::Result<kube::ExecResult> {
      EXPECT_EQ(argv, (Argv{"cat", "/proc/1/status"}));
      return Out(ProcStatus(false));
    });
    Outcome o = f.Run();
    EXPECT_NE(o.message.find("PID 1 (nginx) does not handle SIGTERM"), std::string::npos) << o.message;
    EXPECT_EQ(o.state, escalate ? State::kSucceeded : State::kFailed) << o.message;
    EXPECT_EQ(f.client->ActionsFor("delete", "pods").size(), escalate ? 1u : 0u);
  }
}

// The deadline is checked on each later reconcile; the last look at the pod comes first.
TEST(KillContainer, NoRestartBeforeTheDeadlineFails) {
  StopFixture f(R"({"type":"killContainer","timeoutSeconds":3})");
  Outcome o = f.Run();
  int looks = 0;
  while (o.state == State::kWaiting && looks < 100) {
    EXPECT_GT(o.after.count(), 0);
    EXPECT_LE(o.after, std::chrono::milliseconds(1000));
    f.now += o.after;
    o = f.ResumeWithFreshPod(o.record);
    ++looks;
  }
  EXPECT_EQ(o.state, State::kFailed) << o.message;
  EXPECT_NE(o.message.find("shows no stop within 3s"), std::string::npos) << o.message;
  // 10:00:00.3 + 3 s rounds up to 10:00:04: four looks, the last one at the deadline.
  EXPECT_EQ(looks, 4);
  EXPECT_EQ(f.now, *ParseRfc3339("2026-11-28T10:00:04Z"));
  EXPECT_EQ(f.terms, 1);
  EXPECT_EQ(f.pod_reads, looks);
}

// The pending wait lives in the status record only: a restarted controller (or another
// leader) carries on from it with the pod it reads, without checking or signalling PID 1
// again, and with the container named in the record (the alert's container.id no longer
// matches after a restart).
TEST(KillContainer, PendingWaitResumesFromTheRecordAlone) {
  const value record = value::parse(R"({"container":"app","restartCountBefore":1,"step":"termSent",
      "containerIdBefore":"containerd://0123456789abcdef0123","podUid":"pod-uid-1","deadline":"2026-11-28T10:00:30Z"})");
  Fixture f(R"({"type":"killContainer"})");
  f.pod["status"]["containerStatuses"][0]["restartCount"] = value::number(2);
  f.pod["status"]["containerStatuses"][0]["containerID"] = value::string("containerd://99999999999999999999");
  Outcome o = f.Run(record);
  EXPECT_EQ(o.state, State::kSucceeded) << o.message;
  EXPECT_EQ(o.record.at("restartCount").as_integer(), 2);
  EXPECT_EQ(o.record.at("deadline").as_string(), "2026-11-28T10:00:30Z");
  EXPECT_TRUE(f.client->ExecCalls().empty());
  EXPECT_TRUE(f.client->Actions().empty()) << "the pod is the reconciler's read";
  // Past the recorded deadline without a restart: the timeout outcome, still no signal.
  Fixture late(R"({"type":"killContainer","timeoutSeconds":30})");
  late.now = *ParseRfc3339("2026-11-28T10:00:30Z");
  o = late.Run(record);
  EXPECT_EQ(o.state, State::kFailed) << o.message;
  EXPECT_NE(o.message.find("shows no stop within 30s"), std::string::npos) << o.message;
  EXPECT_TRUE(late.client->ExecCalls().empty());
  // A record that cannot be resumed (hand-edited) fails and says what it found.
  for (const char* broken : {R"({"container":"app","restartCountBefore":1,"step":"termSent","deadline":"soon"})",
                             R"({"container":"app","step":"termSent","deadline":"2026-11-28T10:00:30Z"})",
                             R"({"container":"app","restartCountBefore":1,"step":"killSent","deadline":"2026-11-28T10:00:30Z"})"}) {
    Fixture g(R"({"type":"killContainer"})");
    o = g.Run(value::parse(broken));
    EXPECT_EQ(o.state, State::kFailed) << broken;
    EXPECT_NE(o.message.find("cannot resume from status.results[].undo"), std::string::npos) << o.message;
    EXPECT_TRUE(g.client->ExecCalls().empty());
  }
}

// The pod deleted, or replaced by a new pod of the same name (a StatefulSet), while the
// restart was awaited: the container is gone, which is what TERM was for.
TEST(KillContainer, PodGoneWhileWaitingIsAStop) {
  {
    StopFixture f(R"({"type":"killContainer"})");
    Outcome waiting = f.Run();
    ASSERT_EQ(waiting.state, State::kWaiting) << waiting.message;
    ASSERT_TRUE(f.client->Delete(kube::resources::kPods, "shop", "web-1").ok());
    Outcome o = f.ResumeWithFreshPod(waiting.record);
    EXPECT_EQ(o.state, State::kSucceeded) << o.message;
    EXPECT_EQ(o.message, "the pod is gone after TERM");
    EXPECT_EQ(f.terms, 1);
  }
  {
    StopFixture f(R"({"type":"killContainer"})");
    Outcome waiting = f.Run();
    ASSERT_EQ(waiting.state, State::kWaiting) << waiting.message;
    f.pod["metadata"]["uid"] = value::string("pod-uid-2");
    f.pod["status"]["containerStatuses"][0]["restartCount"] = value::number(0);
    f.pod["status"]["containerStatuses"][0]["containerID"] = value::string("containerd://77777777777777777777");
    Outcome o = f.Run(waiting.record);
    EXPECT_EQ(o.state, State::kSucceeded) << o.message;
    EXPECT_NE(o.message.find("a new pod of the same name"), std::string::npos) << o.message;
    EXPECT_FALSE(o.record.has_field("restartCount")) << "not this pod's restart";
    EXPECT_EQ(f.terms, 1);
  }
}

TEST(KillContainer, RefusesSharedProcessNamespace) {
  Fixture f(R"({"type":"killContainer"})");
  f.pod["spec"]["shareProcessNamespace"] = value::boolean(true);
  Plan plan = f.action()->Build(f.ctx);
  EXPECT_TRUE(plan.skipped);
  EXPECT_NE(plan.message.find("pause process"), std::string::npos) << plan.message;
  EXPECT_EQ(f.Run().state, State::kSkipped);
  EXPECT_TRUE(f.client->ExecCalls().empty());
}

TEST(KillContainer, SignalMaskParsing) {
  EXPECT_TRUE(CatchesSignal(ProcStatus(true), 15));
  EXPECT_FALSE(CatchesSignal(ProcStatus(false), 15));
  EXPECT_TRUE(CatchesSignal("SigCgt:\t0000000000004000\n", 15));
  EXPECT_FALSE(CatchesSignal("SigCgt:\t0000000000004000\n", 9));
  EXPECT_FALSE(CatchesSignal("no mask", 15));
}

// A container filesystem for quarantineFile: path -> (stat line, content); symlinks by target.
struct FakeFs {
  std::map<std::string, std::string> stat;  // path -> "size mode uid gid inode dev type"
  std::map<std::string, std::string> link;  // path -> canonical path
  std::map<std::string, std::string> content;
  kube::Result<kube::ExecResult> Exec(const Argv& argv) {
    if (argv.size() == 4 && argv[0] == "readlink" && argv[1] == "-f") {
      auto it = link.find(argv[3]);
      return Out((it == link.end() ? argv[3] : it->second) + "\n");
    }
    if (argv.size() == 5 && argv[0] == "stat") {
      auto it = stat.find(argv[4]);
      if (it == stat.end()) return Out("", 1, "stat: cannot statx: No such file or directory");
      return Out(it->second + "\n");
    }
    if (argv.size() == 3 && argv[0] == "sha256sum") return Out(std::string(64, 'a') + "  " + argv[2] + "\n");
    if (argv.size() == 4 && argv[0] == "mkdir") {
      if (!stat.count(argv[3])) stat[argv[3]] = "4096 700 0 0 500 64769 directory";
      return Out("");
    }
    if (argv.size() == 5 && argv[0] == "mv") {
      if (stat.count(argv[4])) return Out("");
      stat[argv[4]] = stat[argv[3]];
      stat.erase(argv[3]);
      return Out("");
    }
    if (argv.size() == 4 && argv[0] == "chmod") {
      auto it = stat.find(argv[3]);
      if (it == stat.end()) return Out("", 1, "chmod: No such file");
      std::istringstream in(it->second);
      std::string size, mode, rest;
      in >> size >> mode;
      std::getline(in, rest);
      it->second = size + " " + (argv[1] == "000" ? "0" : argv[1]) + rest;
      return Out("");
    }
    return NotInImage(argv[0]);
  }
};

TEST(QuarantineFile, MovesRecordsAndRevertRestores) {
  Fixture f(R"({"type":"quarantineFile"})");
  f.alert.fields["fd.name"] = "/tmp/x/payload.so";
  FakeFs fs;
  fs.stat["/tmp/x/payload.so"] = "35664 755 1000 1000 10977333 64769 regular file";
  f.client->SetExecHandler([&](const std::string&, const std::string&, const std::string&, const Argv& argv) { return fs.Exec(argv); });
  Outcome o = f.Run();
  ASSERT_EQ(o.state, State::kSucceeded) << o.message;
  const std::string dest = "/tmp/x/.riposte-quarantine/kill-miner-1a2b-aaaaaaaaaaaa";
  EXPECT_FALSE(fs.stat.count("/tmp/x/payload.so"));
  EXPECT_EQ(fs.stat[dest], "35664 0 1000 1000 10977333 64769 regular file");
  EXPECT_EQ(o.record.at("sha256").as_string(), std::string(64, 'a'));
  EXPECT_EQ(o.record.at("mode").as_string(), "755");
  EXPECT_EQ(o.record.at("size").as_integer(), 35664);
  EXPECT_TRUE(Has(f.Commands(), (Argv{"mv", "-n", "--", "/tmp/x/payload.so", dest})));

  InContainerEnv env;
  env.client = f.client.get();
  Outcome back = f.action()->Revert(env, f.ctx, o.record);
  EXPECT_EQ(back.state, State::kSucceeded) << back.message;
  EXPECT_EQ(fs.stat["/tmp/x/payload.so"], "35664 755 1000 1000 10977333 64769 regular file");
  EXPECT_FALSE(fs.stat.count(dest));
  // Something took the original's place meanwhile: not overwritten.
  Outcome again = f.Run();
  ASSERT_EQ(again.state, State::kSucceeded);
  fs.stat["/tmp/x/payload.so"] = "10 644 0 0 42 64769 regular file";
  EXPECT_EQ(f.action()->Revert(env, f.ctx, again.record).state, State::kFailed);
}

TEST(QuarantineFile, RefusesSymlinksDotDotAndNonRegularFiles) {
  {
    Fixture f(R"({"type":"quarantineFile"})");
    f.alert.fields["fd.name"] = "/tmp/../etc/passwd";
    EXPECT_TRUE(f.action()->Build(f.ctx).skipped);
    EXPECT_EQ(f.Run().state, State::kSkipped);
    EXPECT_TRUE(f.client->ExecCalls().empty());
  }
  {
    Fixture f(R"({"type":"quarantineFile"})");
    f.alert.fields["fd.name"] = "/app/data/evil";
    FakeFs fs;
    fs.link["/app/data/evil"] = "/var/lib/volume/evil";  // /app/data is a symlink into a volume
    fs.stat["/var/lib/volume/evil"] = "1 644 0 0 1 99 regular file";
    f.client->SetExecHandler([&](const std::string&, const std::string&, const std::string&, const Argv& argv) { return fs.Exec(argv); });
    Outcome o = f.Run();
    EXPECT_EQ(o.state, State::kSkipped) << o.message;
    EXPECT_NE(o.message.find("resolves to /var/lib/volume/evil"), std::string::npos) << o.message;
    for (const auto& argv : f.Commands()) EXPECT_NE(argv[0], "mv");
  }
  {
    Fixture f(R"({"type":"quarantineFile","path":"/etc/nginx"})");
    FakeFs fs;
    fs.stat["/etc/nginx"] = "4096 755 0 0 7 64769 directory";
    f.client->SetExecHandler([&](const std::string&, const std::string&, const std::string&, const Argv& argv) { return fs.Exec(argv); });
    Outcome o = f.Run();
    EXPECT_EQ(o.state, State::kSkipped) << o.message;
    EXPECT_NE(o.message.find("is a directory"), std::string::npos) << o.message;
  }
  EXPECT_NE(BuiltinActions().Find("quarantineFile")->Validate(value::parse(R"({"type":"quarantineFile","path":"/proc/1/mem"})")),
            std::nullopt);
}

TEST(QuarantineFile, RefusesACrossDeviceMoveAndSaysWhenToolsAreMissing) {
  {
    Fixture f(R"({"type":"quarantineFile","path":"/data/drop.bin"})");
    FakeFs fs;
    fs.stat["/data/drop.bin"] = "5 644 0 0 9 100 regular file";
    fs.stat["/data/.riposte-quarantine"] = "4096 700 0 0 10 200 directory";  // another mount
    f.client->SetExecHandler([&](const std::string&, const std::string&, const std::string&, const Argv& argv) { return fs.Exec(argv); });
    Outcome o = f.Run();
    EXPECT_EQ(o.state, State::kFailed) << o.message;
    EXPECT_NE(o.message.find("another filesystem"), std::string::npos) << o.message;
    EXPECT_TRUE(fs.stat.count("/data/drop.bin"));
  }
  {
    Fixture f(R"({"type":"quarantineFile","path":"/data/drop.bin"})");
    f.client->SetExecHandler([](const std::string&, const std::string&, const std::string&, const Argv& argv)
                                 -> kube::Result<kube::ExecResult> { return NotInImage(argv[0]); });
    Outcome o = f.Run();
    EXPECT_EQ(o.state, State::kFailed) << o.message;
    EXPECT_NE(o.message.find("distroless"), std::string::npos) << o.message;
  }
}

}  // namespace
}  // namespace riposte::controller
