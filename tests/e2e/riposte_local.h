#pragma once
// `riposte controller` run locally from the chart's Deployment (tests/e2e/local_pod.h): the
// chart's args, alert TLS material and token, and a TokenRequest token of the chart's
// ServiceAccount (never an administrator). Ports are picked by the process and read from its
// output.

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "tests/e2e/https_client.h"
#include "tests/e2e/local_pod.h"
#include "tests/e2e/process.h"

namespace riposte::e2e {

struct LocalControllerOptions {
  std::string identity = "e2e-controller";
  int lease_seconds = 3;  // --lease-duration-seconds: short, so takeovers are quick
  std::map<std::string, std::string> flags;  // replace the chart's values (e.g. --namespace)
  std::vector<std::string> extra_args;
  std::string token_override;  // another identity's token ("" = the chart's ServiceAccount)
  bool wait_ready = true;      // Start() also waits for /readyz
};

class LocalController {
 public:
  explicit LocalController(std::string name, LocalControllerOptions options = {});
  ~LocalController();

  // Materializes the Deployment (fresh token) and starts; waits for the listeners (and for
  // readiness when options say so). Throws std::runtime_error with the log on failure.
  void Start();
  void Kill();              // SIGKILL: a crashed replica
  bool Stop();              // SIGTERM; true when it exited 0
  void Freeze();            // SIGSTOP: alive but silent (no renewals, no watch reads)
  void Thaw();              // SIGCONT
  bool Running() { return process_.Running(); }
  bool WaitReady(std::chrono::milliseconds timeout);
  std::pair<int, std::string> Ops(const std::string& path) const;  // metrics listener
  std::string Metrics() const { return Ops("/metrics").second; }
  // POST to the alert endpoint with the chart's token, verifying the chart's CA for the
  // alerts Service name (as Falcosidekick in the cluster would).
  testapi::RawResponse PostAlert(const std::string& body, const std::string& bearer = "") const;
  std::string Log() const { return process_.Log(); }
  bool WaitForLog(const std::string& needle, std::chrono::milliseconds timeout) {
    return process_.WaitForLog(needle, timeout);
  }
  const LocalPod& pod() const { return pod_; }
  const std::string& identity() const { return options_.identity; }
  pid_t pid() const { return process_.pid(); }
  int metrics_port() const { return metrics_port_; }
  int alerts_port() const { return alerts_port_; }

 private:
  std::string name_;
  LocalControllerOptions options_;
  LocalPod pod_;
  ManagedProcess process_;
  int alerts_port_ = 0, metrics_port_ = 0, starts_ = 0;
};

// Fails the current test when a child's log holds an ASan/LSan/UBSan report.
void ExpectNoSanitizerReport(const std::string& log, const std::string& what);

}  // namespace riposte::e2e
