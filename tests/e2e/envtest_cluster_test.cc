// The harness itself: RBAC is really on, TokenRequest tokens authenticate as their
// ServiceAccount, a failed start leaves nothing behind, and destruction kills every process.

#include <gtest/gtest.h>

#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>

#include "tests/e2e/https_client.h"
#include "tests/e2e/suite.h"

namespace riposte::e2e {
namespace {

bool Alive(pid_t pid) { return pid > 0 && kill(pid, 0) == 0; }

// Children of this process whose command name is `comm` (the suite's own cluster included).
int ChildrenNamed(const std::string& comm) {
  int n = 0;
  for (const auto& e : std::filesystem::directory_iterator("/proc")) {
    std::string stat = ReadFile(e.path().string() + "/stat");
    auto close = stat.rfind(')');
    if (close == std::string::npos) continue;
    auto open = stat.find('(');
    std::string name = stat.substr(open + 1, close - open - 1);
    int ppid = 0;
    char state = 0;
    if (std::sscanf(stat.c_str() + close + 1, " %c %d", &state, &ppid) != 2) continue;
    if (ppid == getpid() && name == comm && state != 'Z') ++n;
  }
  return n;
}

TEST(EnvtestCluster, RbacIsEnforcedAndTokenRequestTokensAuthenticate) {
  auto& c = Suite::Get().cluster();
  EXPECT_EQ(c.Api("GET", "/api/v1/namespaces", "", "", "not-a-token").status, 401);
  EXPECT_EQ(c.Api("GET", "/api/v1/namespaces").status, 200) << "admin token";
  c.MustApi("POST", "/api/v1/namespaces", R"({"metadata":{"name":"harness"}})");
  c.MustApi("POST", "/api/v1/namespaces/harness/serviceaccounts", R"({"metadata":{"name":"nobody"}})");
  std::string token = c.CreateToken("harness", "nobody");
  auto r = c.Api("GET", "/api/v1/namespaces/harness/pods", "", "", token);
  EXPECT_EQ(r.status, 403) << r.body;
  EXPECT_NE(r.body.find("system:serviceaccount:harness:nobody"), std::string::npos) << r.body;
  EXPECT_FALSE(c.Can(token, "list", "", "pods", "harness"));
  // A kubeconfig written for the token is what kubectl (and riposte) would use.
  auto kc = c.WriteKubeconfig(Suite::Get().NewDir("harness") + "/nobody.kubeconfig", token, "harness");
  // (SelfSubjectReview, behind `kubectl auth whoami`, is not served by v1.26.)
  auto can = Suite::Get().Kubectl({"auth", "can-i", "list", "pods"}, "", kc);
  EXPECT_EQ(can.out, "no\n") << can.Describe();
  auto denied = Suite::Get().Kubectl({"get", "pods"}, "", kc);
  EXPECT_NE(denied.exit_code, 0);
  EXPECT_NE(denied.err.find("forbidden"), std::string::npos) << denied.Describe();
}

TEST(EnvtestCluster, FailedStartAndDestructionLeaveNoProcess) {
  // A kube-apiserver that cannot start: the constructor throws with its log, and etcd is gone.
  const int etcds = ChildrenNamed("etcd"), apiservers = ChildrenNamed("kube-apiserver");
  EnvtestOptions bad;
  bad.apiserver_args = {"--no-such-flag=1"};
  bad.start_timeout = std::chrono::seconds(60);
  try {
    EnvtestCluster never(bad);
    ADD_FAILURE() << "started with an unknown flag";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("unknown flag: --no-such-flag"), std::string::npos) << e.what();
  }
  EXPECT_EQ(ChildrenNamed("etcd"), etcds) << "the failed start's etcd was stopped";
  EXPECT_EQ(ChildrenNamed("kube-apiserver"), apiservers);
  // A good one, destroyed: both processes and the directory are gone.
  pid_t etcd = -1, apiserver = -1;
  std::string dir;
  int port = 0;
  {
    EnvtestCluster c;
    etcd = c.etcd_pid();
    apiserver = c.apiserver_pid();
    dir = c.dir();
    port = c.port();
    EXPECT_TRUE(Alive(etcd));
    EXPECT_TRUE(Alive(apiserver));
    EXPECT_TRUE(c.ApiServerReady());
  }
  EXPECT_FALSE(Alive(etcd));
  EXPECT_FALSE(Alive(apiserver));
  EXPECT_FALSE(std::filesystem::exists(dir));
  EXPECT_EQ(HttpGet(port, "/readyz").first, 0) << "nothing listens on the old port";
}

}  // namespace
}  // namespace riposte::e2e
