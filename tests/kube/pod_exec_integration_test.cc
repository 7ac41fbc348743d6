// KubeClient::Exec and KubeClient::Logs against riposte-test-apiserver, which serves
// pods/exec over a real WebSocket with the channel protocol and pods/log as a plain-text
// stream. Each failure mode of the transport has its own test.
#include <gtest/gtest.h>

#include "common/json_value.h"
#include "kube/config.h"
#include "tests/apiserver/test_apiserver_process.h"
#include "tests/kube/test_util.h"

namespace riposte::kube {
namespace {
namespace json = web::json;
using std::chrono::milliseconds;
using testing::MakePod;

class PodExecIT : public ::testing::Test {
 protected:
  void SetUp() override {
    client_ = NewClient(server_.token());
    ASSERT_TRUE(client_->Create(resources::kPods, "default", MakePod("default", "web")).ok());
  }

  KubeClientPtr NewClient(const std::string& token) {
    KubeconfigOptions o;
    o.path = server_.WriteKubeconfig(server_.dir() + "/kubeconfig-" + token, token);
    auto cfg = LoadKubeconfig(o);
    EXPECT_TRUE(cfg.ok()) << cfg.error().message;
    ClientConfig c = cfg.value();
    c.retry.base_backoff = milliseconds(10);
    c.retry.max_backoff = milliseconds(50);
    c.qps = 0;
    auto r = NewKubeClient(c);
    EXPECT_TRUE(r.ok()) << r.error().message;
    return r.value();
  }

  void Rules(const std::string& rules_json) {
    server_.Control("POST", "exec", json::value::parse("{\"rules\":" + rules_json + "}"));
  }
  void Log(const std::string& body_json) { server_.Control("POST", "logs", json::value::parse(body_json)); }

  testapi::TestApiServerProcess server_;
  KubeClientPtr client_;
};

TEST_F(PodExecIT, RunsArgvAndReturnsOutputAndExitCode) {
  Rules(R"([{"pod":"web","container":"app","command":["echo","hello world","a;b"],"stdout":"hello world a;b\n","stderr":"warn\n"}])");
  auto r = client_->Exec("default", "web", "app", {"echo", "hello world", "a;b"});
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r->exit_code, 0);
  EXPECT_EQ(r->stdout_data, "hello world a;b\n");
  EXPECT_EQ(r->stderr_data, "warn\n");
  // A 1.26 kubelet accepts v4 only: the client offered v5 first and settled on v4.
  EXPECT_EQ(r->protocol, "v4.channel.k8s.io");
  // Each argv element arrived as its own command= value, unsplit.
  auto calls = server_.Control("GET", "exec").at("calls");
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].at("command").serialize(), R"(["echo","hello world","a;b"])");
  EXPECT_EQ(calls[0].at("container").as_string(), "app");
}

TEST_F(PodExecIT, PrefersV5WhenTheServerSpeaksIt) {
  server_.Control("POST", "exec",
                  json::value::parse(R"({"protocols":["v5.channel.k8s.io","v4.channel.k8s.io"],
                                         "rules":[{"command":["true"]}]})"));
  auto r = client_->Exec("default", "web", "app", {"true"});
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r->protocol, "v5.channel.k8s.io");
}

TEST_F(PodExecIT, NoAgreedSubprotocolIsRefused) {
  // The kubelet speaks only the legacy protocol: bare 403, not an RBAC denial.
  server_.Control("POST", "exec", json::value::parse(R"({"protocols":["channel.k8s.io"]})"));
  auto r = client_->Exec("default", "web", "app", {"true"});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().reason, kExecProtocolRejected) << r.error().ToString();
  EXPECT_FALSE(IsForbidden(r.error()));
}

TEST_F(PodExecIT, NonZeroExitIsAResult) {
  Rules(R"([{"command":["cat","/proc/42/stat"],"stderr":"cat: /proc/42/stat: No such file or directory\n","exitCode":1}])");
  auto r = client_->Exec("default", "web", "app", {"cat", "/proc/42/stat"});
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r->exit_code, 1);
  EXPECT_EQ(r->stderr_data, "cat: /proc/42/stat: No such file or directory\n");
  EXPECT_FALSE(ExecCommandNotFound(r));
}

TEST_F(PodExecIT, MissingExecutableIsRecognised) {
  // No rule: the runtime cannot find the binary (distroless), an InternalError status.
  auto r = client_->Exec("default", "web", "app", {"kill", "-TERM", "42"});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().reason, kExecStartFailed) << r.error().ToString();
  EXPECT_TRUE(ExecCommandNotFound(r)) << r.error().ToString();
}

TEST_F(PodExecIT, ContainerGone) {
  Rules(R"([{"command":["true"],"fault":"containerGone"}])");
  auto r = client_->Exec("default", "web", "app", {"true"});
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(IsNotFound(r.error())) << r.error().ToString();
  EXPECT_NE(r.error().message.find("NotFound"), std::string::npos);  // the kubelet's text is kept

  auto pod_gone = client_->Exec("default", "ghost", "app", {"true"});
  ASSERT_FALSE(pod_gone.ok());
  EXPECT_TRUE(IsNotFound(pod_gone.error())) << pod_gone.error().ToString();

  auto not_in_spec = client_->Exec("default", "web", "nope", {"true"});
  ASSERT_FALSE(not_in_spec.ok());
  EXPECT_TRUE(IsBadRequest(not_in_spec.error())) << not_in_spec.error().ToString();
  EXPECT_NE(not_in_spec.error().message.find("container nope is not valid"), std::string::npos);
}

TEST_F(PodExecIT, RefusedByRbacNeedsGetOnPodsExec) {
  server_.AddUsers(json::value::parse(R"({"users":[
    {"token":"create-only","name":"create-only","rules":[{"verbs":["create"],"apiGroups":[""],"resources":["pods/exec"]}]},
    {"token":"get-only","name":"get-only","rules":[{"verbs":["get"],"apiGroups":[""],"resources":["pods/exec"]}]}]})"));
  Rules(R"([{"command":["true"]}])");
  auto denied = NewClient("create-only")->Exec("default", "web", "app", {"true"});
  ASSERT_FALSE(denied.ok());
  EXPECT_TRUE(IsForbidden(denied.error())) << denied.error().ToString();
  EXPECT_NE(denied.error().message.find("cannot get resource \"pods/exec\""), std::string::npos);
  // A WebSocket exec is a GET: `get` on pods/exec is what lets it through.
  auto allowed = NewClient("get-only")->Exec("default", "web", "app", {"true"});
  EXPECT_TRUE(allowed.ok()) << allowed.error().ToString();
}

TEST_F(PodExecIT, StreamDroppedMidCommand) {
  Rules(R"([{"command":["sleep","1"],"stdout":"partial\n","fault":"drop"}])");
  auto r = client_->Exec("default", "web", "app", {"sleep", "1"});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().reason, kExecStreamClosed) << r.error().ToString();
  EXPECT_TRUE(IsTransport(r.error()));
}

TEST_F(PodExecIT, ClosedWithoutStatus) {
  Rules(R"([{"command":["sleep","1"],"stdout":"partial\n","fault":"close"}])");
  auto r = client_->Exec("default", "web", "app", {"sleep", "1"});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().reason, kExecStreamClosed) << r.error().ToString();
  EXPECT_NE(r.error().message.find("1011"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("kubelet went away"), std::string::npos) << r.error().message;
}

TEST_F(PodExecIT, TimesOut) {
  Rules(R"([{"command":["sleep","3600"],"fault":"hang"}])");
  ExecOptions opts;
  opts.timeout = milliseconds(300);
  auto r = client_->Exec("default", "web", "app", {"sleep", "3600"}, opts);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(IsTimeout(r.error())) << r.error().ToString();
}

TEST_F(PodExecIT, HugeOutputIsCapped) {
  Rules(R"([{"command":["cat","/big"],"hugeBytes":8388608,"stderr":"0123456789"}])");
  ExecOptions opts;
  opts.max_stdout_bytes = 100000;
  opts.max_stderr_bytes = 4;
  auto r = client_->Exec("default", "web", "app", {"cat", "/big"}, opts);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r->stdout_data.size(), 100000u);
  EXPECT_TRUE(r->stdout_truncated);
  EXPECT_EQ(r->stdout_total, 8388608u);
  EXPECT_EQ(r->stderr_data, "0123");
  EXPECT_TRUE(r->stderr_truncated);
  EXPECT_EQ(r->exit_code, 0);
}

TEST_F(PodExecIT, ArgumentsAreValidatedBeforeSending) {
  EXPECT_EQ(client_->Exec("default", "web", "app", {}).error().kind, ErrorKind::kInvalidArgument);
  EXPECT_EQ(client_->Exec("default", "web", "App_1", {"true"}).error().kind, ErrorKind::kInvalidArgument);
  EXPECT_EQ(client_->Exec("default", "web", "app", {"cat", std::string("/a\0b", 4)}).error().kind,
            ErrorKind::kInvalidArgument);
  EXPECT_EQ(client_->Exec("default", "../x", "app", {"true"}).error().kind, ErrorKind::kInvalidArgument);
  EXPECT_EQ(server_.Control("GET", "exec").at("calls").size(), 0u);
}

TEST_F(PodExecIT, LogsTailAndLimit) {
  std::string text;
  for (int i = 0; i < 100; ++i) text += "line " + std::to_string(i) + "\n";
  json::value body = json::value::object();
  body["namespace"] = json::value::string("default");
  body["pod"] = json::value::string("web");
  body["container"] = json::value::string("app");
  body["data"] = json::value::string(text);
  server_.Control("POST", "logs", body);

  LogOptions opts;
  opts.container = "app";
  opts.tail_lines = 2;
  auto tail = client_->Logs("default", "web", opts);
  ASSERT_TRUE(tail.ok()) << tail.error().ToString();
  EXPECT_EQ(tail->data, "line 98\nline 99\n");
  EXPECT_FALSE(tail->truncated);

  // tailLines then limitBytes: the head of the tail window, as the kubelet does it.
  opts.tail_lines = 3;
  opts.limit_bytes = 10;
  auto both = client_->Logs("default", "web", opts);
  ASSERT_TRUE(both.ok()) << both.error().ToString();
  EXPECT_EQ(both->data, "line 97\nli");
}

TEST_F(PodExecIT, LogsPreviousInstance) {
  LogOptions opts;
  opts.container = "app";
  opts.previous = true;
  auto none = client_->Logs("default", "web", opts);
  ASSERT_TRUE(none.ok()) << none.error().ToString();
  EXPECT_TRUE(none->no_previous);
  EXPECT_TRUE(none->data.empty());

  Log(R"({"namespace":"default","pod":"web","container":"app","previous":true,"data":"before the crash\n"})");
  auto prev = client_->Logs("default", "web", opts);
  ASSERT_TRUE(prev.ok()) << prev.error().ToString();
  EXPECT_FALSE(prev->no_previous);
  EXPECT_EQ(prev->data, "before the crash\n");
}

TEST_F(PodExecIT, HugeLogIsCappedEvenWhenTheServerIgnoresTheLimit) {
  Log(R"({"namespace":"default","pod":"web","container":"app","generateBytes":67108864,"ignoreLimitBytes":true})");
  LogOptions opts;
  opts.container = "app";
  opts.limit_bytes = 200000;
  auto r = client_->Logs("default", "web", opts);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r->data.size(), 200000u);
  EXPECT_TRUE(r->truncated);
  EXPECT_EQ(r->data.substr(0, 14), "line 00000001 ");
}

TEST_F(PodExecIT, LogsOfGoneOrUnscheduledPods) {
  LogOptions opts;
  opts.container = "app";
  auto gone = client_->Logs("default", "ghost", opts);
  ASSERT_FALSE(gone.ok());
  EXPECT_TRUE(IsNotFound(gone.error())) << gone.error().ToString();

  ASSERT_TRUE(client_->Create(resources::kPods, "default", MakePod("default", "pending", {}, "")).ok());
  auto pending = client_->Logs("default", "pending", opts);
  ASSERT_TRUE(pending.ok()) << pending.error().ToString();
  EXPECT_TRUE(pending->unscheduled);

  opts.limit_bytes = 0;
  EXPECT_EQ(client_->Logs("default", "web", opts).error().kind, ErrorKind::kInvalidArgument);
}

TEST_F(PodExecIT, LogsRefusedByRbac) {
  server_.AddUsers(json::value::parse(R"({"users":[
    {"token":"exec-only","name":"exec-only","rules":[{"verbs":["get"],"apiGroups":[""],"resources":["pods/exec"]}]}]})"));
  LogOptions opts;
  opts.container = "app";
  auto r = NewClient("exec-only")->Logs("default", "web", opts);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(IsForbidden(r.error())) << r.error().ToString();
}

}  // namespace
}  // namespace riposte::kube
