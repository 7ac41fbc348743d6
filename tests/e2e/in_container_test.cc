// The in-container actions and their transport through the real kube-apiserver: its pods/exec
// and pods/log proxy forwards to a stub kubelet (tests/e2e/stub_kubelet.h) registered as the
// kubelet of a Node, exactly as it would to a real one. Proven here: subprotocol negotiation
// (the client offers v5 then v4, a 1.26 kubelet picks v4), argv passing, exit codes, RBAC for
// exec (get on pods/exec) and logs, tailLines/limitBytes/previous, and killProcess,
// killContainer, captureEvidence and quarantineFile (with its revert through the reconciler)
// end to end.

#include <gtest/gtest.h>

#include <cpprest/asyncrt_utils.h>

#include "controller/actions/capture_evidence.h"
#include "controller/actions/in_container.h"
#include "controller/actions/registry.h"
#include "controller/reconciler.h"
#include "kube/config.h"
#include "kube/kube_client.h"
#include "tests/e2e/fixtures.h"
#include "tests/e2e/stub_kubelet.h"
#include "tests/e2e/suite.h"

namespace riposte::e2e {
namespace {

using web::json::value;
namespace k = riposte::kube;
namespace c = riposte::controller;

constexpr const char* kNs = "in-container";
constexpr const char* kNode = "in-container-node";

EnvtestCluster& C() { return Suite::Get().cluster(); }

k::KubeClientPtr Client(const std::string& kubeconfig) {
  k::KubeconfigOptions o;
  o.path = kubeconfig;
  auto cfg = k::LoadKubeconfig(o);
  EXPECT_TRUE(cfg.ok()) << cfg.error().message;
  auto cc = cfg.value();
  cc.qps = 0;
  cc.retry.max_attempts = 1;
  auto client = k::NewKubeClient(cc);
  EXPECT_TRUE(client.ok()) << client.error().message;
  return client.value();
}

StubKubelet* kubelet = nullptr;

void CreatePod(const std::string& name) {
  C().MustApi("POST", std::string("/api/v1/namespaces/") + kNs + "/pods",
              R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":")" + name + R"("},
                  "spec":{"nodeName":")" + kNode + R"(","containers":[{"name":"app","image":"nginx:1.27"},
                                                    {"name":"side","image":"busybox:1.36"}]}})");
  // The kubelet's part: running containers with runtime ids; app restarted once.
  C().MustApi("PATCH", std::string("/api/v1/namespaces/") + kNs + "/pods/" + name + "/status",
              R"({"status":{"phase":"Running","containerStatuses":[
                  {"name":"app","image":"nginx:1.27","imageID":"","ready":true,"restartCount":1,
                   "containerID":"containerd://0123456789abcdef0123456789abcdef","state":{"running":{}},
                   "lastState":{"terminated":{"exitCode":137,"reason":"Error"}}},
                  {"name":"side","image":"busybox:1.36","imageID":"","ready":true,"restartCount":0,
                   "containerID":"containerd://fedcba9876543210fedcba9876543210","state":{"running":{}}}]}})",
              "application/merge-patch+json");
}

class InContainerE2E : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    kubelet = new StubKubelet();
    // kube-apiserver dials nodes through the cluster network's egress proxy (the "cluster"
    // network covers the kubelet too): route the node's address to the stub.
    if (auto* net = C().network()) net->Route("127.0.0.1", kubelet->port(), kubelet->port());
    CreateNamespace(kNs);
    C().MustApi("POST", "/api/v1/nodes",
                std::string(R"({"apiVersion":"v1","kind":"Node","metadata":{"name":")") + kNode + R"("},"spec":{}})");
    // The API server proxies exec and logs to the node's InternalIP and kubelet port.
    C().MustApi("PATCH", std::string("/api/v1/nodes/") + kNode + "/status",
                R"({"status":{"addresses":[{"type":"InternalIP","address":"127.0.0.1"}],
                    "daemonEndpoints":{"kubeletEndpoint":{"Port":)" + std::to_string(kubelet->port()) + "}}}}",
                "application/merge-patch+json");
  }
  static void TearDownTestSuite() {
    if (auto* net = C().network()) net->Unroute("127.0.0.1", kubelet->port());
    delete kubelet;
    kubelet = nullptr;
  }

  k::KubeClientPtr admin_ = Client(C().admin_kubeconfig());
};

// A ServiceAccount allowed `verbs` on `resource` in the namespace; returns its kubeconfig.
std::string Restricted(const std::string& name, const std::string& resource, const std::string& verbs) {
  const std::string ns = kNs;
  C().MustApi("POST", "/api/v1/namespaces/" + ns + "/serviceaccounts", R"({"metadata":{"name":")" + name + R"("}})");
  C().MustApi("POST", "/apis/rbac.authorization.k8s.io/v1/namespaces/" + ns + "/roles",
              R"({"metadata":{"name":")" + name + R"("},"rules":[{"apiGroups":[""],"resources":[")" + resource +
                  R"("],"verbs":)" + verbs + "}]}");
  C().MustApi("POST", "/apis/rbac.authorization.k8s.io/v1/namespaces/" + ns + "/rolebindings",
              R"({"metadata":{"name":")" + name + R"("},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"Role","name":")" +
                  name + R"("},"subjects":[{"kind":"ServiceAccount","name":")" + name + R"(","namespace":")" + ns + R"("}]})");
  const std::string path = Suite::Get().NewDir("in-container-" + name) + "/kubeconfig";
  C().WriteKubeconfig(path, C().CreateToken(ns, name), ns);
  return path;
}

TEST_F(InContainerE2E, ExecThroughTheApiServerProxy) {
  CreatePod("exec-1");
  kubelet->AddProcess(kNs, "exec-1", "app", {42, "xmrig", "/tmp/xmrig", {"/tmp/xmrig", "-o", "pool:3333"}});
  auto r = admin_->Exec(kNs, "exec-1", "app", {"cat", "/proc/42/cmdline"});
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  // Offered v5 then v4; the 1.26 API server passes the offer through and the kubelet picks v4.
  EXPECT_EQ(r->protocol, "v4.channel.k8s.io");
  EXPECT_EQ(r->exit_code, 0);
  EXPECT_EQ(r->stdout_data, std::string("/tmp/xmrig\0-o\0pool:3333\0", 24));

  auto gone = admin_->Exec(kNs, "exec-1", "app", {"cat", "/proc/99/stat"});
  ASSERT_TRUE(gone.ok()) << gone.error().ToString();
  EXPECT_EQ(gone->exit_code, 1);
  EXPECT_NE(gone->stderr_data.find("No such file or directory"), std::string::npos);

  auto missing = admin_->Exec(kNs, "exec-1", "app", {"tcpdump", "-w", "/tmp/x"});
  ASSERT_FALSE(missing.ok());
  EXPECT_TRUE(k::ExecCommandNotFound(missing)) << missing.error().ToString();

  // The API server's own refusals arrive as the upgrade's answer.
  auto no_pod = admin_->Exec(kNs, "ghost", "app", {"true"});
  ASSERT_FALSE(no_pod.ok());
  EXPECT_TRUE(k::IsNotFound(no_pod.error())) << no_pod.error().ToString();
  auto no_container = admin_->Exec(kNs, "exec-1", "nope", {"true"});
  ASSERT_FALSE(no_container.ok());
  EXPECT_TRUE(k::IsBadRequest(no_container.error())) << no_container.error().ToString();

  // The kubelet received each argv element as its own command= value.
  bool seen = false;
  for (const auto& req : kubelet->Requests()) {
    if (req.find("/exec/in-container/exec-1/app?command=cat&command=%2Fproc%2F42%2Fcmdline") != std::string::npos ||
        req.find("/exec/in-container/exec-1/app?command=cat&command=/proc/42/cmdline") != std::string::npos)
      seen = true;
  }
  EXPECT_TRUE(seen);
  // No stdin and no tty reach the kubelet (its names: input, tty): nothing is ever streamed
  // into a container (docs/in-container-actions.md, "Transport details").
  for (const auto& req : kubelet->Requests()) {
    if (req.find("/exec/") == std::string::npos) continue;
    EXPECT_EQ(req.find("input=1"), std::string::npos) << req;
    EXPECT_EQ(req.find("tty=1"), std::string::npos) << req;
    EXPECT_NE(req.find("output=1"), std::string::npos) << req;  // the check would see the flags
  }
}

TEST_F(InContainerE2E, ExecNeedsGetOnPodsExec) {
  CreatePod("exec-rbac");
  kubelet->AddProcess(kNs, "exec-rbac", "app", {7, "sleep", "/bin/sleep", {"sleep", "1000"}});
  auto create_only = Client(Restricted("exec-create-only", "pods/exec", R"(["create"])"));
  auto denied = create_only->Exec(kNs, "exec-rbac", "app", {"cat", "/proc/7/stat"});
  ASSERT_FALSE(denied.ok());
  EXPECT_TRUE(k::IsForbidden(denied.error())) << denied.error().ToString();
  EXPECT_NE(denied.error().message.find("cannot get resource \"pods/exec\""), std::string::npos);
  auto get_create = Client(Restricted("exec-get-create", "pods/exec", R"(["get","create"])"));
  auto allowed = get_create->Exec(kNs, "exec-rbac", "app", {"cat", "/proc/7/stat"});
  ASSERT_TRUE(allowed.ok()) << allowed.error().ToString();
  EXPECT_EQ(allowed->exit_code, 0);
  // Exec alone does not read logs.
  k::LogOptions lo;
  lo.container = "app";
  auto logs = get_create->Logs(kNs, "exec-rbac", lo);
  ASSERT_FALSE(logs.ok());
  EXPECT_TRUE(k::IsForbidden(logs.error())) << logs.error().ToString();
}

TEST_F(InContainerE2E, LogsThroughTheApiServerProxy) {
  CreatePod("logs-1");
  std::string text;
  for (int i = 0; i < 100; ++i) text += "line " + std::to_string(i) + "\n";
  kubelet->SetLog(kNs, "logs-1", "app", false, text);
  k::LogOptions lo;
  lo.container = "app";
  lo.tail_lines = 3;
  lo.limit_bytes = 10;
  auto r = admin_->Logs(kNs, "logs-1", lo);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r->data, "line 97\nli");
  lo.previous = true;
  lo.limit_bytes = 1000;
  auto none = admin_->Logs(kNs, "logs-1", lo);
  ASSERT_TRUE(none.ok()) << none.error().ToString();
  EXPECT_TRUE(none->no_previous);
  kubelet->SetLog(kNs, "logs-1", "app", true, "before the restart\n");
  auto prev = admin_->Logs(kNs, "logs-1", lo);
  ASSERT_TRUE(prev.ok()) << prev.error().ToString();
  EXPECT_EQ(prev->data, "before the restart\n");
  bool forwarded = false;
  for (const auto& req : kubelet->Requests())
    forwarded |= req.rfind("GET /containerLogs/in-container/logs-1/app?", 0) == 0 && req.find("limitBytes=10") != std::string::npos;
  EXPECT_TRUE(forwarded);
}

// Runs an in-container action with the real client, as the reconciler would.
struct ActionRun {
  value pod, item;
  c::AlertRef alert;
  c::ActionParamsPtr params;
  c::ActionContext ctx;
  const c::InContainerAction* action = nullptr;

  ActionRun(const std::string& pod_name, const std::string& item_json) : item(value::parse(item_json)) {
    pod = C().MustApi("GET", std::string("/api/v1/namespaces/") + kNs + "/pods/" + pod_name);
    action = dynamic_cast<const c::InContainerAction*>(c::BuiltinActions().Find(item.at("type").as_string()).get());
    json::Errors errors;
    params = action->Decode(json::Reader(item, &errors, "spec.actions[0]"));
    EXPECT_TRUE(errors.empty()) << errors.Join();
    ctx.ns = kNs;
    ctx.pod_name = pod_name;
    ctx.pod = &pod;
    ctx.params = params.get();
    ctx.response_action_name = "ra-" + pod_name;
    ctx.response_action_uid = "00000000-0000-0000-0000-000000000001";
    ctx.now = "2026-11-28T10:00:00Z";
    ctx.alert = &alert;
    alert.rule = "Drop and execute new binary in container";
  }
  // Runs the action as the reconciler does: a kWaiting outcome is run again from its record
  // once its delay has passed (on a clock moved by hand: no waiting in the test), with the
  // pod read again through the API server first (null once it is gone).
  c::Outcome Run(k::KubeClient& client) {
    c::InContainerEnv env;
    env.client = &client;
    env.now = [this] { return now; };
    c::Outcome out = action->Run(env, ctx);
    for (int i = 0; out.state == c::Outcome::State::kWaiting && i < 100; ++i) {
      ++waits;
      now += out.after;
      env.previous = out.record;
      auto fresh = client.Get(k::resources::kPods, ctx.ns, ctx.pod_name);
      if (fresh.ok()) pod = fresh.value();
      else EXPECT_TRUE(k::IsNotFound(fresh.error())) << fresh.error().ToString();
      ctx.pod = fresh.ok() ? &pod : nullptr;
      out = action->Run(env, ctx);
    }
    return out;
  }
  std::chrono::system_clock::time_point now = std::chrono::system_clock::now();
  int waits = 0;
};

StubFile Regular(const std::string& content, const std::string& mode = "644") {
  StubFile f;
  f.content = content;
  f.mode = mode;
  return f;
}

StubFile Symlink(const std::string& target) {
  StubFile f;
  f.type = StubFile::Type::kSymlink;
  f.target = target;
  return f;
}

std::vector<std::vector<std::string>> CommandsFor(const std::string& pod) {
  std::vector<std::vector<std::string>> out;
  for (const auto& cmd : kubelet->Commands())
    if (cmd.container_key == std::string(kNs) + "/" + pod + "/app") out.push_back(cmd.argv);
  return out;
}

TEST_F(InContainerE2E, KillProcessThroughTheApiServer) {
  CreatePod("kill-1");
  kubelet->AddProcess(kNs, "kill-1", "app", {42, "xmrig", "/tmp/xmrig", {"/tmp/xmrig", "-o", "pool:3333"}, "5000"});
  ActionRun run("kill-1", R"({"type":"killProcess","graceSeconds":1})");
  run.alert.fields = {{"proc.vpid", "42"}, {"proc.exepath", "/tmp/xmrig"}, {"container.id", "0123456789ab"}};
  auto out = run.Run(*admin_);
  EXPECT_EQ(out.state, c::Outcome::State::kSucceeded) << out.message;
  EXPECT_FALSE(kubelet->Alive(kNs, "kill-1", "app", 42));
  const auto cmds = CommandsFor("kill-1");
  ASSERT_GE(cmds.size(), 4u);
  EXPECT_EQ(cmds[0], (std::vector<std::string>{"cat", "/proc/42/stat"}));
  EXPECT_EQ(cmds[1], (std::vector<std::string>{"readlink", "/proc/42/exe"}));
  EXPECT_EQ(cmds[2], (std::vector<std::string>{"kill", "-TERM", "42"}));
  EXPECT_EQ(std::count(cmds.begin(), cmds.end(), std::vector<std::string>{"kill", "-KILL", "42"}), 0);
}

TEST_F(InContainerE2E, KillProcessEscalatesToKillAndFallsBackToTheShell) {
  CreatePod("kill-2");
  StubProcess stubborn{42, "xmrig", "/tmp/xmrig", {"/tmp/xmrig"}, "5000"};
  stubborn.handles_term = false;
  kubelet->AddProcess(kNs, "kill-2", "app", stubborn);
  kubelet->RemoveBinary(kNs, "kill-2", "app", "kill");  // a Debian base image: no /bin/kill
  ActionRun run("kill-2", R"({"type":"killProcess","graceSeconds":1})");
  run.alert.fields = {{"proc.vpid", "42"}, {"proc.exepath", "/tmp/xmrig"}, {"container.id", "0123456789ab"}};
  auto out = run.Run(*admin_);
  EXPECT_EQ(out.state, c::Outcome::State::kSucceeded) << out.message;
  EXPECT_NE(out.message.find("killed with KILL"), std::string::npos) << out.message;
  EXPECT_GE(run.waits, 1) << "the grace period is a requeue, not a wait inside Run";
  EXPECT_FALSE(kubelet->Alive(kNs, "kill-2", "app", 42));
  const auto cmds = CommandsFor("kill-2");
  auto has = [&](const std::vector<std::string>& want) { return std::find(cmds.begin(), cmds.end(), want) != cmds.end(); };
  EXPECT_TRUE(has({"sh", "-c", "kill -\"$1\" \"$2\"", "riposte-kill", "TERM", "42"}));
  EXPECT_TRUE(has({"sh", "-c", "kill -\"$1\" \"$2\"", "riposte-kill", "KILL", "42"}));
}

TEST_F(InContainerE2E, KillProcessNeverSignalsAReusedPid) {
  CreatePod("kill-3");
  kubelet->AddProcess(kNs, "kill-3", "app", {42, "nginx", "/usr/sbin/nginx", {"nginx: worker process"}, "6000"});
  ActionRun run("kill-3", R"({"type":"killProcess"})");
  run.alert.fields = {{"proc.vpid", "42"}, {"proc.exepath", "/tmp/xmrig"}, {"container.id", "0123456789ab"}};
  auto out = run.Run(*admin_);
  EXPECT_EQ(out.state, c::Outcome::State::kSkipped) << out.message;
  EXPECT_TRUE(kubelet->Alive(kNs, "kill-3", "app", 42));
  for (const auto& cmd : CommandsFor("kill-3")) EXPECT_NE(cmd[0], "kill");
}

TEST_F(InContainerE2E, KillContainerRestartIsReadFromThePodStatus) {
  CreatePod("stop-1");
  kubelet->AddProcess(kNs, "stop-1", "app", {1, "nginx", "/usr/sbin/nginx", {"nginx: master process"}, "100"});
  // The kubelet's part once PID 1 exits: the container ends with 143 and is restarted.
  kubelet->on_exit = [](const std::string& key, int pid) {
    if (key != std::string(kNs) + "/stop-1/app" || pid != 1) return;
    C().MustApi("PATCH", std::string("/api/v1/namespaces/") + kNs + "/pods/stop-1/status",
                R"({"status":{"containerStatuses":[
                    {"name":"app","image":"nginx:1.27","imageID":"","ready":true,"restartCount":2,
                     "containerID":"containerd://aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa","state":{"running":{}},
                     "lastState":{"terminated":{"exitCode":143,"reason":"Error"}}},
                    {"name":"side","image":"busybox:1.36","imageID":"","ready":true,"restartCount":0,
                     "containerID":"containerd://fedcba9876543210fedcba9876543210","state":{"running":{}}}]}})",
                "application/merge-patch+json");
  };
  ActionRun run("stop-1", R"({"type":"killContainer","timeoutSeconds":30})");
  run.alert.fields = {{"container.id", "0123456789ab"}};
  auto out = run.Run(*admin_);
  kubelet->on_exit = nullptr;
  EXPECT_EQ(out.state, c::Outcome::State::kSucceeded) << out.message;
  EXPECT_NE(out.message.find("exit 143, Error"), std::string::npos) << out.message;
  EXPECT_GE(run.waits, 1) << "the wait for the restart is a requeue, not a wait inside Run";
  EXPECT_EQ(out.record.at("restartCountBefore").as_integer(), 1);
  EXPECT_EQ(out.record.at("restartCount").as_integer(), 2);
  EXPECT_EQ(out.record.at("containerId").as_string(), "containerd://aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
  const auto cmds = CommandsFor("stop-1");
  ASSERT_EQ(cmds.size(), 2u);
  EXPECT_EQ(cmds[0], (std::vector<std::string>{"cat", "/proc/1/status"}));
  EXPECT_EQ(cmds[1], (std::vector<std::string>{"kill", "-TERM", "1"}));
}

TEST_F(InContainerE2E, KillContainerRefusesAPidOneWithoutTermHandler) {
  CreatePod("stop-2");
  StubProcess sh{1, "sh", "/bin/sh", {"sh", "-c", "sleep 1000"}, "100"};
  sh.handles_term = false;
  kubelet->AddProcess(kNs, "stop-2", "app", sh);
  ActionRun run("stop-2", R"({"type":"killContainer","timeoutSeconds":5})");
  run.alert.fields = {{"container.id", "0123456789ab"}};
  auto out = run.Run(*admin_);
  EXPECT_EQ(out.state, c::Outcome::State::kFailed) << out.message;
  EXPECT_NE(out.message.find("PID 1 (sh) does not handle SIGTERM"), std::string::npos) << out.message;
  EXPECT_EQ(CommandsFor("stop-2").size(), 1u);
  EXPECT_TRUE(kubelet->Alive(kNs, "stop-2", "app", 1));
}

TEST_F(InContainerE2E, CaptureEvidenceThroughTheApiServer) {
  CreatePod("evidence-1");
  kubelet->SetLog(kNs, "evidence-1", "app", false, "GET /exploit 200\n");
  kubelet->SetLog(kNs, "evidence-1", "app", true, "segfault\n");
  kubelet->SetLog(kNs, "evidence-1", "side", false, "sidecar ok\n");
  kubelet->AddProcess(kNs, "evidence-1", "app", {42, "xmrig", "/tmp/xmrig", {"/tmp/xmrig", "-o", "pool:3333"}});
  ActionRun run("evidence-1", R"({"type":"captureEvidence","tailLines":10,"processList":true})");
  run.alert.fields = {{"container.id", "0123456789ab"}};
  auto out = run.Run(*admin_);
  ASSERT_EQ(out.state, c::Outcome::State::kSucceeded) << out.message;
  const std::string name = c::CaptureEvidenceAction::SecretName("ra-evidence-1", 0);
  auto secret = C().MustApi("GET", std::string("/api/v1/namespaces/") + kNs + "/secrets/" + name);
  auto decoded = [&](const std::string& key) {
    auto b = utility::conversions::from_base64(secret.at("data").at(key).as_string());
    return std::string(b.begin(), b.end());
  };
  EXPECT_EQ(decoded("log.app"), "GET /exploit 200\n");
  EXPECT_EQ(decoded("log.app.previous"), "segfault\n");
  EXPECT_EQ(decoded("log.side"), "sidecar ok\n");
  EXPECT_NE(decoded("processes.app.txt").find("/tmp/xmrig -o pool:3333"), std::string::npos);
  EXPECT_NE(decoded("pod.json").find("\"evidence-1\""), std::string::npos);
  EXPECT_TRUE(secret.at("immutable").as_bool());
  EXPECT_EQ(secret.at("metadata").at("labels").at("riposte.io/evidence").as_string(), "true");
  EXPECT_EQ(secret.at("metadata").at("ownerReferences").at(0).at("kind").as_string(), "ResponseAction");
  // Findable the documented way.
  auto listed = C().MustApi("GET", std::string("/api/v1/namespaces/") + kNs + "/secrets?labelSelector=riposte.io%2Fevidence%3Dtrue");
  EXPECT_GE(listed.at("items").size(), 1u);
  // A second run (a retry) changes nothing.
  auto again = run.Run(*admin_);
  EXPECT_EQ(again.state, c::Outcome::State::kSucceeded) << again.message;
}


// quarantineFile through the reconciler, as the controller runs it: the ResponseAction is a
// real object, its status holds the record, and spec.revert: true puts the file back.
TEST_F(InContainerE2E, QuarantineFileAndRevertThroughTheReconciler) {
  CreatePod("quarantine-1");
  kubelet->AddFile(kNs, "quarantine-1", "app", "/tmp/xmrig", Regular("miner payload\n", "755"));
  const auto inode = kubelet->File(kNs, "quarantine-1", "app", "/tmp/xmrig")->inode;
  CreateResponseAction(kNs, "quarantine-1", R"({"target":{"pod":"quarantine-1"},"actions":[{"type":"quarantineFile"}],
      "alert":{"rule":"Drop and execute new binary in container","priority":"Critical","source":"syscall",
               "time":"2026-11-28T10:00:00Z","tags":[],
               "fields":{"fd.name":"/tmp/xmrig","container.id":"0123456789ab"}}})");
  c::ReconcilerDeps deps;
  deps.client = admin_;
  deps.get_cached = [this](const std::string& ns, const std::string& name) -> std::shared_ptr<const value> {
    auto r = admin_->Get(k::resources::kResponseActions, ns, name);
    return r.ok() ? std::make_shared<const value>(r.value()) : nullptr;
  };
  deps.registry = &c::BuiltinActions();
  c::Reconciler reconciler(deps);
  const std::string key = std::string(kNs) + "/quarantine-1";
  auto converge = [&] {
    for (int i = 0; i < 10; ++i) {
      auto r = reconciler.Reconcile(key);
      if (!r.requeue) return r;
    }
    return c::ReconcileResult{true, {}, "did not converge", false};
  };
  auto ra = [&] { return C().MustApi("GET", RaPath(kNs, "quarantine-1")); };

  auto r = converge();
  ASSERT_FALSE(r.requeue) << r.error;
  auto res = ra().at("status").at("results").at(0);
  ASSERT_EQ(ra().at("status").at("phase").as_string(), "Succeeded") << res.serialize();
  const value& undo = res.at("undo");
  EXPECT_EQ(undo.at("sha256").as_string(), "30047b9cc0c985899920019181986c00ed113e6d48aeb8d3872428a68c4ef52c");
  EXPECT_EQ(undo.at("size").as_integer(), 14);
  EXPECT_EQ(undo.at("mode").as_string(), "755");
  EXPECT_EQ(undo.at("originalPath").as_string(), "/tmp/xmrig");
  const std::string dest = "/tmp/.riposte-quarantine/quarantine-1-30047b9cc0c9";
  EXPECT_EQ(undo.at("quarantinePath").as_string(), dest);
  EXPECT_FALSE(kubelet->File(kNs, "quarantine-1", "app", "/tmp/xmrig").has_value());
  auto moved = kubelet->File(kNs, "quarantine-1", "app", dest);
  ASSERT_TRUE(moved.has_value());
  EXPECT_EQ(moved->mode, "0");
  EXPECT_EQ(moved->inode, inode) << "moved, not copied";
  EXPECT_EQ(kubelet->File(kNs, "quarantine-1", "app", "/tmp/.riposte-quarantine")->mode, "700");
  const auto cmds = CommandsFor("quarantine-1");
  ASSERT_FALSE(cmds.empty());
  EXPECT_EQ(cmds[0], (std::vector<std::string>{"readlink", "-f", "--", "/tmp/xmrig"}));
  EXPECT_NE(std::find(cmds.begin(), cmds.end(), std::vector<std::string>{"mv", "-n", "--", "/tmp/xmrig", dest}), cmds.end());

  C().MustApi("PATCH", RaPath(kNs, "quarantine-1"), R"({"spec":{"revert":true}})", "application/merge-patch+json");
  r = converge();
  ASSERT_FALSE(r.requeue) << r.error;
  EXPECT_EQ(ra().at("status").at("phase").as_string(), "Reverted") << ra().at("status").serialize();
  auto back = kubelet->File(kNs, "quarantine-1", "app", "/tmp/xmrig");
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->mode, "755");
  EXPECT_EQ(back->content, "miner payload\n");
  EXPECT_EQ(back->inode, inode);
  EXPECT_FALSE(kubelet->File(kNs, "quarantine-1", "app", dest).has_value());

  // Deleting it now only drops the finalizer: nothing is restored twice.
  C().MustApi("DELETE", RaPath(kNs, "quarantine-1"));
  r = converge();
  EXPECT_FALSE(r.requeue) << r.error;
  EXPECT_EQ(C().Api("GET", RaPath(kNs, "quarantine-1")).status, 404);
}

TEST_F(InContainerE2E, QuarantineFileRefusesDotDotAndSymlinks) {
  CreatePod("quarantine-2");
  kubelet->AddFile(kNs, "quarantine-2", "app", "/etc/shadow", Regular("root:*:19000:0:99999:7:::\n", "640"));
  kubelet->AddFile(kNs, "quarantine-2", "app", "/tmp/innocent", Symlink("/etc/shadow"));
  kubelet->AddFile(kNs, "quarantine-2", "app", "/var/cfg", Symlink("/etc"));

  // ".." is refused before any exec.
  {
    ActionRun run("quarantine-2", R"({"type":"quarantineFile"})");
    run.alert.fields = {{"fd.name", "/tmp/../etc/shadow"}, {"container.id", "0123456789ab"}};
    auto out = run.Run(*admin_);
    EXPECT_EQ(out.state, c::Outcome::State::kSkipped) << out.message;
    EXPECT_NE(out.message.find("\"..\" component"), std::string::npos) << out.message;
    EXPECT_TRUE(CommandsFor("quarantine-2").empty());
  }
  // A symlink as the file, and a symlinked directory on the path: resolved in the container,
  // refused, nothing moved or changed.
  for (const char* path : {"/tmp/innocent", "/var/cfg/shadow"}) {
    const size_t before = CommandsFor("quarantine-2").size();
    ActionRun run("quarantine-2", R"({"type":"quarantineFile"})");
    run.alert.fields = {{"fd.name", path}, {"container.id", "0123456789ab"}};
    auto out = run.Run(*admin_);
    EXPECT_EQ(out.state, c::Outcome::State::kSkipped) << out.message;
    EXPECT_NE(out.message.find("resolves to /etc/shadow (a symlink on the path)"), std::string::npos) << out.message;
    const auto cmds = CommandsFor("quarantine-2");
    ASSERT_EQ(cmds.size(), before + 1) << path;
    EXPECT_EQ(cmds.back(), (std::vector<std::string>{"readlink", "-f", "--", path}));
  }
  EXPECT_EQ(kubelet->File(kNs, "quarantine-2", "app", "/etc/shadow")->mode, "640");
  EXPECT_EQ(kubelet->File(kNs, "quarantine-2", "app", "/tmp/innocent")->type, StubFile::Type::kSymlink);
}

TEST_F(InContainerE2E, QuarantineFileInAContainerThatIsGone) {
  CreatePod("quarantine-3");
  kubelet->AddFile(kNs, "quarantine-3", "app", "/tmp/dropped", Regular("x"));
  ActionRun run("quarantine-3", R"({"type":"quarantineFile"})");  // the pod as read before
  run.alert.fields = {{"fd.name", "/tmp/dropped"}, {"container.id", "0123456789ab"}};
  // Gone between the alert and the action: the API server answers the exec with 404.
  C().MustApi("DELETE", std::string("/api/v1/namespaces/") + kNs + "/pods/quarantine-3?gracePeriodSeconds=0");
  auto out = run.Run(*admin_);
  EXPECT_EQ(out.state, c::Outcome::State::kFailed) << out.message;
  EXPECT_NE(out.message.find("the container is gone"), std::string::npos) << out.message;
  EXPECT_TRUE(CommandsFor("quarantine-3").empty());
  EXPECT_TRUE(kubelet->File(kNs, "quarantine-3", "app", "/tmp/dropped").has_value());
}

}  // namespace
}  // namespace riposte::e2e
