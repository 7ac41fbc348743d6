#include "webhook/service.h"

#include "common/log.h"

namespace riposte::webhook {

Service::Service(ServiceOptions options)
    : opts_(std::move(options)),
      policy_(opts_.policy_file, &registry_),
      handler_(&policy_, &registry_),
      cert_not_after_(registry_
                          .AddGauge("riposte_tls_cert_not_after_seconds",
                                    "NotAfter (unix seconds) of the serving certificate currently loaded")
                          .With()),
      cert_reload_failures_(registry_
                                .AddCounter("riposte_tls_cert_reload_failures_total",
                                            "Certificate changes on disk that could not be loaded (the previous pair stays)")
                                .With()),
      up_(registry_.AddGauge("riposte_webhook_ready", "1 when the certificate and the policy are loaded").With()) {}

Service::~Service() { Stop(); }

void Service::AddHealthRoutes(http::Server* server) {
  server->AddRoute({"/healthz", {"GET"}, [](const http::Request&) {
                      return http::Response{200, "application/json", "{\"status\":\"ok\"}", {}};
                    }, {}});
  server->AddRoute({"/readyz", {"GET"}, [this](const http::Request&) {
                      if (Ready()) return http::Response{200, "application/json", "{\"status\":\"ready\"}", {}};
                      return http::JsonError(503, "not ready: certificate or policy not loaded");
                    }, {}});
}

bool Service::Start(std::string* error) {
  if (!policy_.LoadInitial(error)) return false;
  policy_.StartWatching(opts_.reload_interval);

  http::ServerOptions so;
  so.name = "webhook";
  so.listen = opts_.listen;
  so.tls = http::TlsOptions{opts_.tls_cert, opts_.tls_key, "", opts_.reload_interval};
  so.max_body_bytes = opts_.max_body_bytes;
  so.threads = opts_.threads;
  so.read_timeout = opts_.read_timeout;
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
  if (server_) server_->Stop();
  if (metrics_server_) metrics_server_->Stop();
}

uint16_t Service::Port() const { return server_ ? server_->Port() : 0; }
uint16_t Service::MetricsPort() const { return metrics_server_ ? metrics_server_->Port() : 0; }

bool Service::Ready() const { return server_ && server_->CertLoaded() && policy_.Loaded(); }

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
