#include "controller/service.h"

#include "common/log.h"

namespace riposte::controller {

Service::Service(kube::KubeClientPtr client, ServiceOptions options)
    : client_(std::move(client)), opts_(std::move(options)) {}

Service::~Service() { Stop(); }

void Service::AddLeaderTask(LeaderTask task) { leader_tasks_.push_back(std::move(task)); }

bool Service::Start(std::string* error) {
  if (started_) return true;
  if (opts_.token_file.empty() && opts_.client_ca.empty() && !opts_.insecure_no_auth) {
    *error = "set a token file and/or a client CA for the alert endpoint, or explicitly allow unauthenticated alerts";
    return false;
  }
  if (!opts_.token_file.empty()) {
    token_ = std::make_unique<TokenFile>(opts_.token_file);
    if (!token_->Load(error)) return false;
  }
  if (!token_ && opts_.client_ca.empty())
    log::Warn("alert endpoint accepts unauthenticated alerts (--alerts-insecure-no-auth)");

  ControllerOptions co = opts_.controller;
  co.leader_tasks.insert(co.leader_tasks.end(), leader_tasks_.begin(), leader_tasks_.end());
  controller_ = std::make_unique<ResponseController>(client_, co);

  busy_ = &registry_
               .AddCounter("riposte_alerts_busy_total",
                           "Alerts answered 503 at once because every recorder was busy and the queue was full")
               .With();
  queued_ = &registry_.AddGauge("riposte_alert_record_queue", "Alerts waiting for a recorder").With();
  recording_ = &registry_.AddGauge("riposte_alert_recorders_busy", "Alerts being recorded (API round trips in flight)").With();
  cert_not_after_ = &registry_
                        .AddGauge("riposte_tls_cert_not_after_seconds",
                                  "NotAfter (unix seconds) of the alert listener's certificate currently loaded")
                        .With();

  BoundedExecutor::Options eo;
  eo.name = "alert-recorders";
  eo.workers = opts_.record_workers;
  eo.max_queued = opts_.record_queue;
  eo.max_queued_bytes = opts_.record_queue_bytes;
  recorders_ = std::make_unique<BoundedExecutor>(eo);
  recorders_->Start();

  http::ServerOptions ao;
  ao.name = "alerts";
  ao.listen = opts_.alerts_listen;
  ao.tls = http::TlsOptions{opts_.tls_cert, opts_.tls_key, opts_.client_ca, opts_.reload_interval};
  ao.max_body_bytes = opts_.max_body_bytes;
  ao.threads = opts_.io_threads;
  ao.header_timeout = opts_.header_timeout;
  ao.untrusted_idle_timeout = opts_.untrusted_idle_timeout;
  ao.idle_timeout = opts_.idle_timeout;
  ao.read_timeout = opts_.read_timeout;
  ao.max_connections = opts_.max_connections;
  ao.reserved_connections = opts_.reserved_connections;
  ao.max_connections_per_peer = opts_.max_connections_per_peer;
  ao.max_inflight_body_bytes = opts_.max_inflight_body_bytes;
  ao.trusted_networks = opts_.trusted_networks;
  ao.authenticate = MakeAlertAuthenticator(AlertAuth{token_.get(), !opts_.client_ca.empty()});
  ao.metrics = &registry_;
  alerts_ = http::NewServer(ao);
  for (const char* path : kAlertPaths) {
    http::Route r{path, {"POST"}, nullptr, kAlertContentTypes};
    r.async_handler = [this](http::Request&& req, http::Responder respond) { OnAlert(std::move(req), std::move(respond)); };
    alerts_->AddRoute(std::move(r));
  }
  if (!alerts_->Start(error)) {
    *error = "alert listener: " + *error;
    return false;
  }

  if (!opts_.metrics_listen.empty()) {
    http::ServerOptions mo;
    mo.name = "metrics";
    mo.listen = opts_.metrics_listen;
    mo.threads = 1;
    mo.max_body_bytes = 0;
    mo.header_timeout = opts_.header_timeout;
    mo.max_connections = 64;
    mo.reserved_connections = 0;
    mo.max_connections_per_peer = 16;
    mo.metrics = &registry_;
    metrics_server_ = http::NewServer(mo);
    http::Route m{"/metrics", {"GET", "HEAD"}, [this](const http::Request&) {
                    return http::Response{200, std::string(metrics::kContentType), RenderMetrics(), {}};
                  },
                  {}};
    m.require_auth = false;
    metrics_server_->AddRoute(std::move(m));
    http::AddHealthRoutes(*metrics_server_, [this] { return Ready(); }, "not ready: caches syncing or no leader known",
                          not_ready_reason_);
    if (!metrics_server_->Start(error)) {
      *error = "metrics listener: " + *error;
      return false;
    }
  }
  controller_->Start();
  started_ = true;
  return true;
}

void Service::OnAlert(http::Request&& req, http::Responder respond) {
  // Runs on an I/O thread: hand the recording (an API round trip) to a recorder, or refuse at
  // once. std::function needs copyable state, hence the shared pointers.
  auto body = std::make_shared<std::string>(std::move(req.body));
  auto responder = std::make_shared<http::Responder>(std::move(respond));
  const int retry_after = opts_.busy_retry_after_seconds;
  BoundedExecutor::Task task;
  task.bytes = body->size();
  task.run = [this, body, responder] { (*responder)(ToResponse(controller_->ingestor().Handle(*body))); };
  task.cancel = [responder, retry_after] {
    (*responder)(BusyResponse("the controller is shutting down; retry", retry_after));
  };
  if (!recorders_->TrySubmit(std::move(task))) {
    busy_->Inc();
    log::Warn("alert refused: every recorder is busy", {{"remote", req.remote}});
    (*responder)(BusyResponse("every alert recorder is busy; retry later", retry_after));
  }
}

void Service::Stop() {
  if (!started_) {
    if (recorders_) recorders_->Stop();
    return;
  }
  started_ = false;
  // In-flight alerts finish on the recorders while the listener drains; then whatever is
  // still queued is answered 503 (or dropped with its closed connection).
  if (alerts_) alerts_->Stop();
  if (metrics_server_) metrics_server_->Stop();
  recorders_->Stop();
  controller_->Stop();
}

uint16_t Service::AlertsPort() const { return alerts_ ? alerts_->Port() : 0; }
uint16_t Service::MetricsPort() const { return metrics_server_ ? metrics_server_->Port() : 0; }
bool Service::Ready() const { return controller_ && controller_->Ready(); }
http::ServerStats Service::AlertStats() const { return alerts_ ? alerts_->Stats() : http::ServerStats{}; }

std::string Service::RenderMetrics() {
  if (recorders_) {
    auto st = recorders_->GetStats();
    queued_->Set(static_cast<double>(st.queued));
    recording_->Set(static_cast<double>(st.running));
  }
  if (alerts_ && cert_not_after_) cert_not_after_->Set(static_cast<double>(alerts_->CertNotAfter()));
  return (controller_ ? controller_->metrics().Render() : std::string()) + registry_.Render();
}

}  // namespace riposte::controller
