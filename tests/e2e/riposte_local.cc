// gtest before cpprestsdk: its U() macro breaks gtest headers included after it.
#include <gtest/gtest.h>

#include "tests/e2e/riposte_local.h"

#include <signal.h>
#include <sys/wait.h>

#include <regex>
#include <stdexcept>

#include "tests/e2e/suite.h"

namespace riposte::e2e {

LocalController::LocalController(std::string name, LocalControllerOptions options)
    : name_(std::move(name)), options_(std::move(options)) {
  Start();
}

LocalController::~LocalController() {
  process_.Stop(std::chrono::seconds(10));
  ExpectNoSanitizerReport(process_.Log(), "riposte controller " + name_);
}

void ExpectNoSanitizerReport(const std::string& log, const std::string& what) {
  // Under the ASan build a child's report ends up in its log, not in the test's exit status.
  for (const char* marker : {"ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:"})
    EXPECT_EQ(log.find(marker), std::string::npos) << what << " reported a sanitizer error:\n" << log;
}

void LocalController::Start() {
  auto& suite = Suite::Get();
  LocalPodOptions o;
  o.binary = suite.binary();
  o.flags = {{"--alerts-listen", "127.0.0.1:0"},
             {"--metrics-listen", "127.0.0.1:0"},
             {"--identity", options_.identity},
             {"--lease-duration-seconds", std::to_string(options_.lease_seconds)}};
  for (const auto& [k, v] : options_.flags) o.flags[k] = v;
  o.extra_args = options_.extra_args;
  o.token_override = options_.token_override;
  pod_ = MaterializeDeployment(suite.cluster(), kReleaseNamespace, std::string(kFullname) + "-controller",
                               suite.NewDir("controller-" + name_), o);
  process_.Start(pod_.argv, pod_.dir + "/controller-" + std::to_string(++starts_) + ".log");
  std::regex alerts_re("alerts listening on .* \\(port ([0-9]+)\\)"), metrics_re("metrics listening on .* \\(port ([0-9]+)\\)");
  bool up = Eventually([&] {
    std::string text = process_.Log();
    std::smatch a, m;
    if (std::regex_search(text, a, alerts_re) && std::regex_search(text, m, metrics_re)) {
      alerts_port_ = std::stoi(a[1]);
      metrics_port_ = std::stoi(m[1]);
      return true;
    }
    return !process_.Running();
  }, std::chrono::seconds(30));
  if (!up || alerts_port_ == 0) throw std::runtime_error("riposte controller did not start:\n" + process_.Log());
  if (options_.wait_ready && !WaitReady(std::chrono::seconds(60)))
    throw std::runtime_error("riposte controller not ready: " + Ops("/readyz").second + "\n" + process_.Log());
}

void LocalController::Kill() { process_.Kill(); }
bool LocalController::Stop() {
  process_.Stop(std::chrono::seconds(20));
  int st = process_.status();
  return WIFEXITED(st) && WEXITSTATUS(st) == 0;
}
void LocalController::Freeze() { process_.Signal(SIGSTOP); }
void LocalController::Thaw() { process_.Signal(SIGCONT); }

bool LocalController::WaitReady(std::chrono::milliseconds timeout) {
  return Eventually([&] { return Ops("/readyz").first == 200; }, timeout);
}

std::pair<int, std::string> LocalController::Ops(const std::string& path) const { return HttpGet(metrics_port_, path); }

testapi::RawResponse LocalController::PostAlert(const std::string& body, const std::string& bearer) const {
  HttpsTarget t;
  t.port = alerts_port_;
  t.server_name = std::string(kFullname) + "-alerts." + kReleaseNamespace + ".svc";
  t.ca_pem = pod_.files.at("/etc/riposte/alerts-tls/ca.crt");
  std::string token = bearer;
  if (token.empty()) {
    for (const auto& [path, content] : pod_.files)
      if (path.rfind("/etc/riposte/alerts-token/", 0) == 0) token = content;
  }
  return HttpsRequest(t, "POST", "/v1/alerts", body, "application/json", token);
}

}  // namespace riposte::e2e
