#include "webhook/service.h"

#include "common/log.h"

namespace riposte::webhook {

Service::Service(ServiceOptions options)
    : opts_(std::move(options)),
      policy_(opts_.policy_file, &registry_),
      guard_(opts_.configmap_index && opts_.kube_client
                 ? std::make_unique<ConfigMapGuard>(opts_.kube_client, &policy_, &registry_, opts_.configmap_guard)
                 : nullptr),
      handler_(&policy_, &registry_, guard_.get()),
      cert_not_after_(registry_
                          .AddGauge("riposte_tls_cert_not_after_seconds",
                                    "NotAfter (unix seconds) of the serving certificate currently loaded")
                          .With()),
      cert_reload_failures_(registry_
                                .AddCounter("riposte_tls_cert_reload_failures_total",
                                            "Certificate changes on disk that could not be loaded (the previous pair stays)")
                                .With()),
      up_(registry_.AddGauge("riposte_webhook_ready",
                             "1 when the certificate and the policy are loaded (and the ConfigMap caches synced)")
              .With()) {}

Service::~Service() { Stop(); }

void Service::AddHealthRoutes(http::Server* server) {
  http::AddHealthRoutes(*server, [this] { return Ready(); }, "not ready: certificate or policy not loaded",
                        [this] { return NotReadyReason(); });
}

bool Service::Start(std::string* error) {
  if (!policy_.LoadInitial(error)) return false;
  policy_.StartWatching(opts_.reload_interval);
  if (opts_.configmap_index && !guard_) {
    *error = "ConfigMap admission needs a Kubernetes client (--kubeconfig or in-cluster)";
    return false;
  }
  if (guard_) guard_->Start();

  http::ServerOptions so;
  so.name = "webhook";
  so.listen = opts_.listen;
  so.tls = http::TlsOptions{opts_.tls_cert, opts_.tls_key, opts_.client_ca, opts_.reload_interval};
  so.max_body_bytes = opts_.max_body_bytes;
  so.threads = opts_.threads;
  so.read_timeout = opts_.read_timeout;
  so.header_timeout = opts_.header_timeout;
  so.untrusted_idle_timeout = opts_.untrusted_idle_timeout;
  so.idle_timeout = opts_.idle_timeout;
  so.max_connections = opts_.max_connections;
  so.reserved_connections = opts_.reserved_connections;
  so.max_connections_per_peer = opts_.max_connections_per_peer;
  so.max_inflight_body_bytes = opts_.max_inflight_body_bytes;
  so.trusted_networks = opts_.trusted_networks;
  // No authenticator: the API server sends no credentials of its own unless configured for
  // mTLS, which the TLS layer checks. Every request is judged; trust only decides limits.
  so.metrics = &registry_;
  server_ = http::NewServer(so);
  server_->AddRoute({kValidatePath, {"POST"}, [this](const http::Request& r) { return handler_.Handle(r); },
                     {"application/json"}});
  AddHealthRoutes(server_.get());
  if (!server_->Start(error)) return false;

  if (!opts_.metrics_listen.empty()) {
    http::ServerOptions mo;
    mo.name = "metrics";
    mo.listen = opts_.metrics_listen;
    mo.threads = 1;
    mo.max_body_bytes = 0;
    mo.read_timeout = opts_.read_timeout;
    mo.header_timeout = opts_.header_timeout;
    mo.max_connections = 64;
    mo.reserved_connections = 0;
    mo.max_connections_per_peer = 16;
    mo.metrics = &registry_;
    metrics_server_ = http::NewServer(mo);
    metrics_server_->AddRoute({"/metrics", {"GET"}, [this](const http::Request&) {
                                 return http::Response{200, std::string(metrics::kContentType), RenderMetrics(), {}};
                               }, {}});
    AddHealthRoutes(metrics_server_.get());
    if (!metrics_server_->Start(error)) return false;
  }
  return true;
}

void Service::Stop() {
  policy_.StopWatching();
  if (guard_) guard_->Stop();
  if (server_) server_->Stop();
  if (metrics_server_) metrics_server_->Stop();
}

uint16_t Service::Port() const { return server_ ? server_->Port() : 0; }
http::ServerStats Service::Stats() const { return server_ ? server_->Stats() : http::ServerStats{}; }
uint16_t Service::MetricsPort() const { return metrics_server_ ? metrics_server_->Port() : 0; }

bool Service::Ready() const {
  return server_ && server_->CertLoaded() && policy_.Loaded() && (!guard_ || guard_->Synced());
}

std::string Service::NotReadyReason() const {
  if (!server_ || !server_->CertLoaded()) return "certificate not loaded";
  if (!policy_.Loaded()) return "policy not loaded";
  if (guard_ && !guard_->Synced()) return guard_->NotReadyReason();
  return "";
}

std::string Service::RenderMetrics() {
  std::lock_guard lock(render_mu_);
  if (server_) {
    cert_not_after_.Set(static_cast<double>(server_->CertNotAfter()));
    const double failures = static_cast<double>(server_->CertReloadFailures());
    if (failures > cert_reload_failures_.Value()) cert_reload_failures_.Inc(failures - cert_reload_failures_.Value());
  }
  up_.Set(Ready() ? 1 : 0);
  return registry_.Render();
}

}  // namespace riposte::webhook
