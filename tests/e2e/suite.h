#pragma once
// The suite-wide state of the end-to-end tests: one real control plane per test binary (a
// gtest Environment starts it once, which keeps the suite inside its time budget), the chart
// installed into it as users install it, and the webhook running locally behind the chart's
// URL-form clientConfig. Tests share the cluster, so each works in namespaces and objects of
// its own and puts back what it changes in the release.

#include <cpprest/json.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "tests/e2e/envtest_cluster.h"
#include "tests/e2e/local_pod.h"
#include "tests/e2e/process.h"

namespace riposte::e2e {

inline constexpr const char* kReleaseNamespace = "riposte-system";
// The release under test. Not "riposte": the plain manifests' cluster-scoped objects (the
// install test applies them too) are named riposte-*.
inline constexpr const char* kRelease = "e2e";
inline constexpr const char* kFullname = "e2e-riposte";  // prefix of the release's object names

class Suite {
 public:
  static Suite& Get();

  void SetUp();     // cluster, `helm install`, local webhook; throws on failure
  void TearDown();  // keeps the cluster's directory (logs) when a test failed

  EnvtestCluster& cluster() { return *cluster_; }
  const std::string& source_dir() const { return source_dir_; }
  const std::string& binary() const { return binary_; }
  // A fresh directory for one test's files (under the cluster directory, kept with it).
  std::string NewDir(const std::string& name);

  // kubectl and helm as the administrator (or with `kubeconfig`); HOME points into the
  // cluster directory so nothing outside it is touched.
  CommandResult Kubectl(const std::vector<std::string>& args, const std::string& stdin_text = "",
                        const std::string& kubeconfig = "");
  CommandResult Helm(const std::vector<std::string>& args);
  // `helm upgrade riposte helm/riposte --reuse-values ARGS...`; throws on failure.
  void UpgradeRelease(const std::vector<std::string>& args);
  std::string ChartPath() const { return source_dir_ + "/helm/riposte"; }

  // The webhook, run from the chart's Deployment on the port named in webhook.url.
  int webhook_port() const { return webhook_port_; }
  int webhook_metrics_port() const { return webhook_metrics_port_; }
  std::string webhook_url() const;
  void StartWebhook();
  void StopWebhook();
  ManagedProcess& webhook() { return webhook_; }
  // riposte_admission_requests_total{result="..."} from the webhook's metrics listener.
  double WebhookReviews(const std::string& outcome);

 private:
  std::unique_ptr<EnvtestCluster> cluster_;
  std::string source_dir_, binary_;
  int webhook_port_ = 0, webhook_metrics_port_ = 0;
  int dirs_ = 0;
  ManagedProcess webhook_;
};

// JSON helpers for tests.
web::json::value Json(const std::string& text);
std::string Str(const web::json::value& v, std::initializer_list<const char*> path);  // "" when absent
const web::json::value* Find(const web::json::value& v, std::initializer_list<const char*> path);

}  // namespace riposte::e2e
