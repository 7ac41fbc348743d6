// `riposte controller` behaves like `riposte webhook` at its edges: JSON logs by default, exit 2
// for usage errors, exit 1 with a logged reason when it cannot start.

#include <gtest/gtest.h>
#include <sys/wait.h>

#include "tests/support/process.h"
#include "tests/support/certs.h"
#include "tests/support/files.h"
#include "tests/support/https_client.h"

namespace riposte::controller {
namespace {

using riposte::testing::ChildProcess;
using namespace std::chrono_literals;

TEST(ControllerCommand, UsageErrorsExit2AndStartFailuresExit1WithAJsonReason) {
  const std::string dir = riposte::testing::MakeTempDir();
  auto pair = riposte::testing::MakeCert("alerts");
  riposte::testing::WriteFile(dir + "/tls.crt", pair.cert_pem);
  riposte::testing::WriteFile(dir + "/tls.key", pair.key_pem);
  {
    ChildProcess p(RIPOSTE_BINARY, {"controller", "--alerts-tls-cert", dir + "/tls.crt"}, dir + "/usage.log");
    int status = p.Signal(0, 20000ms);
    ASSERT_NE(status, -1);
    EXPECT_EQ(WEXITSTATUS(status), 2) << p.Output();
    EXPECT_NE(p.Output().find("--alerts-tls-cert and --alerts-tls-key are required"), std::string::npos) << p.Output();
  }
  {
    // Neither the kubeconfig nor the token file exists: the command cannot start.
    ChildProcess p(RIPOSTE_BINARY,
                   {"controller", "--kubeconfig", dir + "/kubeconfig", "--alerts-tls-cert", dir + "/tls.crt",
                    "--alerts-tls-key", dir + "/tls.key", "--alerts-token-file", dir + "/missing-token",
                    "--alerts-listen", "127.0.0.1:0", "--metrics-listen", "127.0.0.1:0"},
                   dir + "/start.log");
    int status = p.Signal(0, 20000ms);
    ASSERT_NE(status, -1);
    EXPECT_EQ(WEXITSTATUS(status), 1) << p.Output();
    EXPECT_NE(p.Output().find("\"level\":\"error\",\"msg\":\"controller failed to start\""), std::string::npos)
        << p.Output();
  }
  riposte::testing::RemoveTree(dir);
}

}  // namespace
}  // namespace riposte::controller
