#pragma once
// Runs the real `riposte controller` (RIPOSTE_BINARY) as a child process against a test API
// server, with a fresh TLS pair and bearer token, and reads the ports it reports.

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "tests/apiserver/https_test_client.h"
#include "tests/apiserver/test_apiserver_process.h"
#include "tests/support/process.h"

namespace riposte::controller::testing {

struct ControllerProcessOptions {
  std::string kubeconfig;
  std::vector<std::string> extra_args;
  std::string identity = "test-controller";
  std::string binary;  // "" = RIPOSTE_BINARY (benches point this at a baseline build)
};

class ControllerProcess {
 public:
  ControllerProcess(const std::string& dir, ControllerProcessOptions opts);
  ~ControllerProcess();
  void Start();  // waits for the ports; throws std::runtime_error with the log on failure
  void Kill();   // SIGKILL
  // SIGTERM and wait up to `timeout`; then SIGKILL. True when it exited by itself with status 0.
  bool Stop(std::chrono::milliseconds timeout = std::chrono::seconds(30));
  bool WaitReady(std::chrono::milliseconds timeout) const;
  std::string log() const;

  // POST to the alert endpoint over HTTPS (token, or `token` when given).
  testapi::RawResponse PostAlert(const std::string& body, const std::string& target = "/v1/alerts",
                                 const std::string* token = nullptr) const;
  // Plain HTTP GET on the metrics listener: {status, body}.
  std::pair<int, std::string> GetOps(const std::string& path) const;
  int alerts_port() const { return alerts_port_; }
  pid_t pid() const { return child_ ? child_->pid() : -1; }
  const std::string& cert_pem() const { return cert_pem_; }
  const std::string& token() const { return token_; }

 private:
  std::string dir_;
  ControllerProcessOptions opts_;
  std::string cert_pem_, token_;
  std::unique_ptr<riposte::testing::ChildProcess> child_;
  int alerts_port_ = 0, metrics_port_ = 0;
  int generation_ = 0;
};

// The ResponsePolicy and ResponseAction CRDs from manifests/crds/ (YAML -> JSON).
std::vector<web::json::value> CrdObjects(const std::string& source_dir);
// Creates them in the test API server. Throws std::runtime_error when the server refuses one.
void InstallCrds(const testapi::TestApiServerProcess& server, const std::string& source_dir);

}  // namespace riposte::controller::testing
