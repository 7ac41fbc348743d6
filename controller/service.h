#pragma once
// The whole `riposte controller` process minus flag parsing and signals, as webhook::Service
// is for the webhook: the HTTPS alert listener, the plain-HTTP metrics/health listener, the
// bounded executor that records alerts, and the response controller.
//
// Threading at the edge: the listeners' I/O threads parse, authenticate and route; recording an
// alert (an API round trip) runs on the recording executor, never on an I/O thread. When every
// recorder is busy and the queue is full the sender gets 503 with Retry-After at once.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/bounded_executor.h"
#include "common/http_server.h"
#include "common/metrics.h"
#include "controller/controller.h"
#include "controller/endpoint.h"
#include "controller/leader_task.h"
#include "controller/token_auth.h"
#include "kube/kube_client.h"

namespace riposte::controller {

struct ServiceOptions {
  std::string alerts_listen = ":2803";
  std::string metrics_listen = ":8080";  // empty = no metrics listener
  std::string tls_cert;
  std::string tls_key;
  std::string token_file;  // bearer token senders must present; re-read on change
  std::string client_ca;   // require client certificates signed by it (mTLS)
  bool insecure_no_auth = false;
  size_t max_body_bytes = 1 << 20;
  int io_threads = 2;
  std::chrono::milliseconds reload_interval{1000};
  // Recording: how many alerts are recorded at once (each an API round trip) and how many may
  // wait. 503 + Retry-After beyond.
  int record_workers = 8;
  size_t record_queue = 256;
  size_t record_queue_bytes = 16u << 20;
  int busy_retry_after_seconds = 2;
  // Listener limits (docs/threat-model.md): an authenticated sender becomes trusted.
  std::vector<std::string> trusted_networks;
  size_t max_connections = 1024;
  size_t reserved_connections = 256;
  size_t max_connections_per_peer = 64;
  size_t max_inflight_body_bytes = 16u << 20;  // alert bodies being read and recorded at once
  std::chrono::milliseconds header_timeout{5000};
  std::chrono::milliseconds untrusted_idle_timeout{5000};
  std::chrono::milliseconds idle_timeout{60000};
  std::chrono::milliseconds read_timeout{10000};
  ControllerOptions controller;
};

class Service {
 public:
  Service(kube::KubeClientPtr client, ServiceOptions options);
  ~Service();
  Service(const Service&) = delete;
  Service& operator=(const Service&) = delete;

  // Leader-only work (the periodic audit); before Start.
  void AddLeaderTask(LeaderTask task);
  // Why the replica is not ready, when something knows (the preflight checks); shown by
  // /readyz instead of the generic message. Before Start.
  void SetNotReadyReason(std::function<std::string()> reason) { not_ready_reason_ = std::move(reason); }
  // Loads the token, starts the listeners and the controller. False with *error on failure.
  bool Start(std::string* error);
  // Stops accepting, lets in-flight alerts finish, answers queued ones 503, stops the
  // controller.
  void Stop();

  uint16_t AlertsPort() const;
  uint16_t MetricsPort() const;
  bool Ready() const;
  std::string RenderMetrics();
  http::ServerStats AlertStats() const;
  ResponseController& controller() { return *controller_; }

 private:
  void OnAlert(http::Request&& req, http::Responder respond);

  kube::KubeClientPtr client_;
  ServiceOptions opts_;
  std::vector<LeaderTask> leader_tasks_;
  std::function<std::string()> not_ready_reason_;
  std::unique_ptr<TokenFile> token_;
  std::unique_ptr<ResponseController> controller_;
  metrics::Registry registry_;  // listeners and the recording executor
  metrics::Counter* busy_ = nullptr;
  metrics::Gauge* queued_ = nullptr;
  metrics::Gauge* recording_ = nullptr;
  metrics::Gauge* cert_not_after_ = nullptr;
  // Declared before the executor: the executor's tasks hold Responders of these servers, so
  // it is stopped and destroyed first.
  http::ServerPtr alerts_;
  http::ServerPtr metrics_server_;
  std::unique_ptr<BoundedExecutor> recorders_;
  bool started_ = false;
};

}  // namespace riposte::controller
