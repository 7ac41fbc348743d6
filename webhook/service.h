#pragma once
// The whole `riposte webhook` process minus flag parsing and signals: the HTTPS admission
// listener, the plain-HTTP metrics listener, policy and certificate reload, metrics.

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include "common/http_server.h"
#include "common/metrics.h"
#include "webhook/handler.h"
#include "webhook/policy_watcher.h"

namespace riposte::webhook {

struct ServiceOptions {
  std::string listen = ":8443";
  std::string metrics_listen = ":9090";  // empty = no metrics listener
  std::string tls_cert;
  std::string tls_key;
  std::string policy_file;  // empty = default policy
  size_t max_body_bytes = 3 * 1024 * 1024;  // the API server's own request cap is 3 MiB
  int threads = 2;
  std::chrono::milliseconds reload_interval{1000};
  std::chrono::milliseconds read_timeout{10000};
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
  std::string RenderMetrics();

 private:
  void AddHealthRoutes(http::Server* server);

  ServiceOptions opts_;
  metrics::Registry registry_;
  PolicyWatcher policy_;
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
