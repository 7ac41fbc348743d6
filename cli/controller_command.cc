// `riposte controller`: Falco alerts in, ResponseActions recorded and carried out.

#include <utility>  // before asio: boost 1.74 uses std::exchange without including it

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

#include "cli/commands.h"
#include "common/flags.h"
#include "common/http_server.h"
#include "common/log.h"
#include "controller/controller.h"
#include "controller/duration.h"
#include "controller/endpoint.h"
#include "controller/names.h"
#include "controller/periodic_audit.h"
#include "kube/config.h"

namespace riposte::cli {
namespace {

volatile std::sig_atomic_t g_stop = 0;
void OnSignal(int) { g_stop = 1; }

int Fail(const std::string& msg) {
  std::fprintf(stderr, "riposte controller: %s\n", msg.c_str());
  return 2;
}

}  // namespace

int RunController(const Args& args) {
  FlagSet flags("controller");
  std::string kubeconfig, alerts_listen = ":2803", cert, key, token_file, client_ca, metrics_listen = ":8080";
  const char* pod_ns = std::getenv("POD_NAMESPACE");
  std::string own_ns = pod_ns != nullptr && *pod_ns ? pod_ns : "riposte-system";
  std::string lease_name = "riposte-controller", identity, log_format = "text", log_level = "info";
  bool dry_run = false, insecure_no_auth = false, help = false;
  int64_t max_destructive = 10, workers = 2, lease_seconds = 15, max_body = 1 << 20, kube_burst = 100;
  double kube_qps = 50;
  std::vector<std::string> protected_ns;
  std::string audit_interval_text = "0", status_interval_text = "5s";
  flags.String("kubeconfig", &kubeconfig, "kubeconfig file; in-cluster service account when empty");
  flags.String("alerts-listen", &alerts_listen, "alert endpoint address (HTTPS)");
  flags.String("alerts-tls-cert", &cert, "TLS certificate (PEM) of the alert endpoint");
  flags.String("alerts-tls-key", &key, "TLS private key (PEM) of the alert endpoint");
  flags.String("alerts-token-file", &token_file, "file holding the bearer token senders must present; re-read on change");
  flags.String("alerts-client-ca", &client_ca, "CA bundle (PEM): require client certificates signed by it (mTLS)");
  flags.Bool("alerts-insecure-no-auth", &insecure_no_auth, "accept alerts without token or client certificate");
  flags.Int("alerts-max-body-bytes", &max_body, "largest accepted alert body");
  flags.String("metrics-listen", &metrics_listen, "address for /healthz, /readyz and /metrics (HTTP)");
  flags.String("namespace", &own_ns, "the controller's own namespace (Lease; always protected)");
  flags.String("lease-name", &lease_name, "name of the leader-election Lease");
  flags.String("identity", &identity, "leader-election identity (default: hostname + random suffix)");
  flags.Int("lease-duration-seconds", &lease_seconds, "Lease duration; renew deadline and retry period scale with it");
  flags.Bool("dry-run", &dry_run, "kill switch: record every response as dryRun, change nothing");
  flags.Int("max-destructive-per-minute", &max_destructive, "global cap on terminate/evict/cordonNode responses per minute");
  flags.StringList("protected-namespace", &protected_ns, "namespace never acted on (repeatable; kube-system and --namespace always)");
  flags.Int("workers", &workers, "concurrent reconcile workers");
  flags.Double("kube-api-qps", &kube_qps, "client-side limit on reconcile requests to the API server per second (<= 0: none)");
  flags.Int("kube-api-burst", &kube_burst, "burst allowed above --kube-api-qps");
  flags.String("audit-interval", &audit_interval_text,
               "run the exposure audit on the leader every DURATION (e.g. 10m, min 1m) and export riposte_audit_* metrics; 0 = off");
  flags.String("policy-status-interval", &status_interval_text,
               "how often ResponsePolicy status counters are written (DURATION, 1s..10m)");
  flags.String("log-format", &log_format, "text or json");
  flags.String("log-level", &log_level, "debug, info, warn or error");
  flags.Bool("help", &help, "show this help");
  std::string error;
  if (!flags.Parse(args, &error)) return Fail(error + "\n" + flags.Usage());
  if (help) {
    std::fputs(flags.Usage().c_str(), stdout);
    return 0;
  }
  log::Format fmt;
  log::Level lvl;
  if (!log::ParseFormat(log_format, &fmt)) return Fail("--log-format must be text or json");
  if (!log::ParseLevel(log_level, &lvl)) return Fail("--log-level must be debug, info, warn or error");
  log::Init(fmt, lvl);
  std::chrono::milliseconds audit_interval{0};
  if (!controller::ParseAuditInterval(audit_interval_text, &audit_interval, &error)) return Fail(error);
  auto status_interval = controller::ParseDuration(status_interval_text, &error);
  if (!status_interval) return Fail("--policy-status-interval: " + error);
  if (*status_interval < std::chrono::seconds(1) || *status_interval > std::chrono::minutes(10))
    return Fail("--policy-status-interval must be between 1s and 10m (got " + status_interval_text + ")");
  if (cert.empty() || key.empty()) return Fail("--alerts-tls-cert and --alerts-tls-key are required (the alert endpoint is HTTPS only)");
  if (token_file.empty() && client_ca.empty() && !insecure_no_auth)
    return Fail("set --alerts-token-file and/or --alerts-client-ca, or explicitly --alerts-insecure-no-auth");
  if (!controller::IsDnsLabel(own_ns)) return Fail("--namespace: \"" + own_ns + "\" is not a namespace name");
  if (max_destructive < 0 || workers < 1 || workers > 64 || lease_seconds < 3 || max_body < 1024)
    return Fail("--max-destructive-per-minute >= 0, 1 <= --workers <= 64, --lease-duration-seconds >= 3, --alerts-max-body-bytes >= 1024");
  if (kube_burst < 1 || kube_burst > 100000) return Fail("--kube-api-burst must be between 1 and 100000");
  std::unique_ptr<controller::TokenFile> token;
  if (!token_file.empty()) {
    token = std::make_unique<controller::TokenFile>(token_file);
    if (!token->Load(&error)) return Fail(error);
  }
  if (insecure_no_auth && token == nullptr && client_ca.empty())
    log::Warn("alert endpoint accepts unauthenticated alerts (--alerts-insecure-no-auth)");

  auto config = kube::LoadDefaultConfig(kubeconfig);
  if (!config.ok()) return Fail("kubernetes config: " + config.error().message);
  config.value().qps = kube_qps;
  config.value().burst = static_cast<int>(kube_burst);
  auto client = kube::NewKubeClient(config.value());
  if (!client.ok()) return Fail("kubernetes client: " + client.error().message);
  // Lease renewals get their own client so reconcile work never queues them past the renew
  // deadline. Recording alerts is not throttled client-side: the guards (cooldown, per-policy
  // rate limit) already bound how many ResponseActions alerts can create, and a throttled
  // recorder would turn a reconcile backlog into 503s for every sender.
  auto election_client = kube::NewKubeClient(config.value());
  kube::ClientConfig recorder_config = config.value();
  recorder_config.qps = 0;
  auto recorder_client = kube::NewKubeClient(recorder_config);
  if (!election_client.ok() || !recorder_client.ok()) return Fail("kubernetes client: cannot create a second client");

  controller::ControllerOptions opts;
  opts.own_namespace = own_ns;
  opts.lease_name = lease_name;
  opts.identity = identity;
  opts.dry_run = dry_run;
  opts.max_destructive_per_minute = max_destructive;
  opts.workers = static_cast<int>(workers);
  for (const auto& ns : protected_ns) opts.protected_namespaces.insert(ns);
  opts.lease_duration = std::chrono::seconds(lease_seconds);
  opts.renew_deadline = std::chrono::milliseconds(lease_seconds * 1000 * 2 / 3);
  opts.retry_period = std::chrono::milliseconds(lease_seconds * 1000 * 2 / 15);
  opts.audit_interval = audit_interval;
  opts.policy_status_interval = *status_interval;
  opts.election_client = election_client.value();
  opts.recorder_client = recorder_client.value();
  controller::ResponseController rc(client.value(), opts);

  controller::AlertAuth auth{token.get(), !client_ca.empty()};
  // Adapts the shared server's request to the library-independent endpoint handlers.
  auto view = [](const http::Request& r) {
    controller::HttpRequestView v;
    v.method = r.method;
    v.target = r.path;
    v.authorization = r.Header("Authorization");
    v.content_type = r.Header("Content-Type");
    v.body = r.body;
    v.client_cert_verified = !r.client_subject.empty();
    return v;
  };
  auto reply = [](controller::HttpReply in) {
    http::Response out;
    out.status = in.status;
    out.content_type = in.content_type;
    out.body = std::move(in.body);
    for (auto& [k, v] : in.headers) out.headers.emplace_back(k, v);
    return out;
  };
  http::ServerOptions alerts_opts;
  alerts_opts.name = "alerts";
  alerts_opts.listen = alerts_listen;
  alerts_opts.tls = http::TlsOptions{cert, key, client_ca, std::chrono::milliseconds(1000)};
  alerts_opts.max_body_bytes = static_cast<size_t>(max_body);
  // A handler holds its thread for the API round trip that records the response, so the
  // thread count is how many senders are recorded at once, not a CPU budget.
  alerts_opts.threads = 8;
  auto alerts = http::NewServer(alerts_opts);
  for (const char* path : {"/", "/v1/alerts"}) {
    alerts->AddRoute({path, {"POST"}, [&, view, reply](const http::Request& r) {
                        return reply(controller::HandleAlertRequest(view(r), auth, rc.ingestor()));
                      }, {}});
  }
  http::ServerOptions metrics_opts;
  metrics_opts.name = "metrics";
  metrics_opts.listen = metrics_listen;
  metrics_opts.max_body_bytes = 0;
  auto metrics = http::NewServer(metrics_opts);
  for (const char* path : {"/healthz", "/readyz", "/metrics"}) {
    metrics->AddRoute({path, {"GET", "HEAD"}, [&, view, reply](const http::Request& r) {
                         return reply(controller::HandleOpsRequest(view(r), [&] { return rc.Ready(); },
                                                                   [&] { return rc.metrics().Render(); }));
                       }, {}});
  }
  if (!alerts->Start(&error)) return Fail("alert listener: " + error);
  if (!metrics->Start(&error)) return Fail("metrics listener: " + error);

  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);
  rc.Start();
  // Ports on stdout: integration tests and scripts bind port 0 and read them here.
  std::printf("alerts listening on %s (port %u)\nmetrics listening on %s (port %u)\n", alerts_listen.c_str(),
              alerts->Port(), metrics_listen.c_str(), metrics->Port());
  std::fflush(stdout);
  log::Info("controller started", {{"alerts", std::to_string(alerts->Port())},
                                   {"metrics", std::to_string(metrics->Port())},
                                   {"namespace", own_ns}, {"dryRun", dry_run ? "true" : "false"},
                                   {"auditInterval", audit_interval.count() ? controller::FormatDuration(audit_interval) : "off"},
                                   {"kube", config.value().source}});
  while (!g_stop) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  log::Info("controller stopping");
  alerts->Stop();
  metrics->Stop();
  rc.Stop();
  return 0;
}

}  // namespace riposte::cli
