#pragma once
// What `riposte controller` checks about its installation, before and while it runs: the
// conditions that otherwise fail silently, most of all out of cluster, where nothing in a
// Deployment's events says why a replica never becomes ready:
//   - its --namespace exists (the leader-election Lease lives there; without it no replica
//     can lead and every alert is answered 503);
//   - the ResponsePolicy and ResponseAction CRDs are installed (without them the API server
//     answers "404 page not found");
//   - RBAC grants the controller what it always needs (the Lease, the CRDs, pods, nodes,
//     namespaces, events; see BaseRbac()), asked through SelfSubjectAccessReviews.
// Each problem becomes one log line (when it appears and when it is fixed), the reason
// /readyz gives, and says how to fix it.

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "kube/kube_client.h"

namespace riposte::controller {

struct PreflightProblem {
  std::string check;    // "namespace", "crds", "rbac"
  std::string problem;  // what is wrong
  std::string fix;      // what to do about it
  bool operator==(const PreflightProblem&) const = default;
};

struct PreflightConfig {
  std::string ns;          // the controller's --namespace
  std::string lease_name;  // for messages
};

// One pass against the API server. Errors that say nothing about the installation
// (unreachable server, 5xx, a server without SelfSubjectAccessReview) yield no problem:
// connectivity is reported where requests fail.
std::vector<PreflightProblem> RunPreflight(kube::KubeClient& client, const PreflightConfig& config);

// "problem; fix: fix" for each, joined with " | ".
std::string DescribeProblems(const std::vector<PreflightProblem>& problems);

// Runs RunPreflight in the background: at Start(), then every `interval` while a problem
// remains (so a namespace created or CRDs installed later are noticed without a restart).
class PreflightMonitor {
 public:
  using Logger = std::function<void(bool resolved, const PreflightProblem& p)>;
  // `log` defaults to log::Error for a new problem and log::Info when it is resolved.
  PreflightMonitor(kube::KubeClientPtr client, PreflightConfig config,
                   std::chrono::milliseconds interval = std::chrono::seconds(5), Logger log = nullptr);
  ~PreflightMonitor();
  PreflightMonitor(const PreflightMonitor&) = delete;
  PreflightMonitor& operator=(const PreflightMonitor&) = delete;

  void Start();
  void Stop();
  // Runs one pass now and updates the state (logging changes); what Start's thread calls.
  void CheckOnce();
  // "" when no problem is known, else DescribeProblems() of the current ones.
  std::string Reason() const;
  bool passed() const;  // a pass completed without problems

 private:
  kube::KubeClientPtr client_;
  PreflightConfig config_;
  std::chrono::milliseconds interval_;
  Logger log_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<PreflightProblem> problems_;
  bool passed_ = false;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace riposte::controller
