#pragma once
// The whole `riposte webhook` process minus flag parsing and signals: the HTTPS admission
// listener, the plain-HTTP metrics listener, policy and certificate reload, metrics.

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/http_server.h"
#include "common/metrics.h"
#include "kube/kube_client.h"
#include "webhook/configmap_guard.h"
#include "webhook/handler.h"
#include "webhook/policy_watcher.h"

namespace riposte::webhook {

struct ServiceOptions {
  std::string listen = ":8443";
  std::string metrics_listen = ":9090";  // empty = no metrics listener
  std::string tls_cert;
  std::string tls_key;
  // Optional mTLS: the API server presents a client certificate signed by this CA (configured
  // through its AdmissionConfiguration kubeConfigFile); connections without one are refused.
  std::string client_ca;
  std::string policy_file;  // empty = default policy
  size_t max_body_bytes = 3 * 1024 * 1024;  // the API server's own request cap is 3 MiB
  int threads = 2;
  std::chrono::milliseconds reload_interval{1000};
  std::chrono::milliseconds read_timeout{10000};
  // Listener limits (docs/threat-model.md). Connections from trusted_networks (the API
  // server's addresses) or with a verified client certificate are trusted: they use the
  // reserved slots, have no per-peer cap and the long idle timeout, and are never evicted.
  std::vector<std::string> trusted_networks;
  size_t max_connections = 1024;
  size_t reserved_connections = 256;
  size_t max_connections_per_peer = 128;
  // Review bodies being read at once (a quarter kept for trusted connections): with 3 MiB
  // reviews, what keeps many slow large reviews from exhausting the pod's memory.
  size_t max_inflight_body_bytes = 32u << 20;
  std::chrono::milliseconds header_timeout{5000};
  std::chrono::milliseconds untrusted_idle_timeout{5000};
  std::chrono::milliseconds idle_timeout{60000};
  // ConfigMap admission with an informer-backed index of the ConfigMaps Ingresses reference
  // (webhook/configmap_guard.h); needs `kube_client` (list/watch Ingresses and ConfigMaps).
  // Readiness waits for its caches to sync.
  bool configmap_index = false;
  kube::KubeClientPtr kube_client;
  ConfigMapGuardOptions configmap_guard;
};

inline constexpr const char* kValidatePath = "/validate/ingress";

class Service {
 public:
  explicit Service(ServiceOptions options);
  ~Service();

  bool Start(std::string* error);
  void Stop();
  uint16_t Port() const;
  uint16_t MetricsPort() const;
  bool Ready() const;
  // Why Ready() is false ("" when ready), as /readyz reports it.
  std::string NotReadyReason() const;
  const ConfigMapGuard* configmap_guard() const { return guard_.get(); }
  std::string RenderMetrics();
  http::ServerStats Stats() const;  // of the admission listener

 private:
  void AddHealthRoutes(http::Server* server);

  ServiceOptions opts_;
  metrics::Registry registry_;
  PolicyWatcher policy_;
  std::unique_ptr<ConfigMapGuard> guard_;
  AdmissionHandler handler_;
  metrics::Gauge& cert_not_after_;
  // Mirrors the server's cumulative failure count; render_mu_ keeps concurrent scrapes from
  // adding the same increase twice.
  metrics::Counter& cert_reload_failures_;
  std::mutex render_mu_;
  metrics::Gauge& up_;
  http::ServerPtr server_;
  http::ServerPtr metrics_server_;
};

}  // namespace riposte::webhook
