// `riposte controller`: Falco alerts in, ResponseActions recorded and carried out.

#include <utility>  // before asio: boost 1.74 uses std::exchange without including it

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

#include "cli/commands.h"
#include "cli/periodic_audit.h"
#include "audit/metrics.h"
#include "common/flags.h"
#include "common/http_server.h"
#include "common/k8s_names.h"
#include "common/log.h"
#include "common/signals.h"
#include "controller/duration.h"
#include "controller/preflight.h"
#include "controller/service.h"
#include "kube/config.h"

namespace riposte::cli {
namespace {

// Usage errors: exit 2, before anything starts (as for every command).
int Usage(const std::string& msg) {
  std::fprintf(stderr, "riposte controller: %s\n", msg.c_str());
  return 2;
}

// The process could not start (credentials, files, cluster config, listeners): exit 1 with a
// logged reason, as the webhook does.
int StartFailed(const std::string& msg) {
  log::Error("controller failed to start", {{"error", msg}});
  return 1;
}

}  // namespace

int RunController(const Args& args) {
  FlagSet flags("controller");
  std::string kubeconfig, alerts_listen = ":2803", cert, key, token_file, client_ca, metrics_listen = ":8080";
  const char* pod_ns = std::getenv("POD_NAMESPACE");
  std::string own_ns = pod_ns != nullptr && *pod_ns ? pod_ns : "riposte-system";
  std::string lease_name = "riposte-controller", identity, log_format = "json", log_level = "info";
  bool dry_run = false, insecure_no_auth = false, help = false;
  int64_t max_destructive = 10, workers = 2, lease_seconds = 15, max_body = 1 << 20, kube_burst = 100;
  double kube_qps = 50;
  std::vector<std::string> protected_ns, trusted_networks;
  controller::ServiceOptions so;
  int64_t record_workers = so.record_workers, record_queue = static_cast<int64_t>(so.record_queue);
  int64_t max_conns = static_cast<int64_t>(so.max_connections), reserved = static_cast<int64_t>(so.reserved_connections);
  int64_t per_peer = static_cast<int64_t>(so.max_connections_per_peer);
  int64_t header_ms = so.header_timeout.count(), untrusted_idle_ms = so.untrusted_idle_timeout.count();
  std::string audit_interval_text = "0", status_interval_text = "5s";
  flags.String("kubeconfig", &kubeconfig, "kubeconfig file; in-cluster service account when empty");
  flags.String("alerts-listen", &alerts_listen, "alert endpoint address (HTTPS)");
  flags.String("alerts-tls-cert", &cert, "TLS certificate (PEM) of the alert endpoint");
  flags.String("alerts-tls-key", &key, "TLS private key (PEM) of the alert endpoint");
  flags.String("alerts-token-file", &token_file, "file holding the bearer token senders must present; re-read on change");
  flags.String("alerts-client-ca", &client_ca, "CA bundle (PEM): require client certificates signed by it (mTLS)");
  flags.Bool("alerts-insecure-no-auth", &insecure_no_auth, "accept alerts without token or client certificate");
  flags.Int("alerts-max-body-bytes", &max_body, "largest accepted alert body");
  flags.Int("alerts-recorders", &record_workers,
            "alerts recorded at once (each an API round trip, on its own thread; never on the listener's)");
  flags.Int("alerts-queue", &record_queue, "alerts that may wait for a recorder; beyond, 503 with Retry-After");
  flags.StringList("alerts-trusted-network", &trusted_networks,
                   "CIDR or address of alert senders (repeatable): reserved slots, no per-peer cap, never evicted; "
                   "their requests still need the token or certificate");
  flags.Int("alerts-max-connections", &max_conns, "connections the alert listener holds at once");
  flags.Int("alerts-reserved-connections", &reserved,
            "of --alerts-max-connections, slots only authenticated or trusted senders may use");
  flags.Int("alerts-max-connections-per-peer", &per_peer, "unauthenticated connections one address may hold");
  flags.Int("alerts-header-timeout-ms", &header_ms, "time from the first byte of a request to its complete headers");
  flags.Int("alerts-untrusted-idle-timeout-ms", &untrusted_idle_ms,
            "time an unauthenticated connection may wait for its next request (authenticated ones: 60 s)");
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
  flags.String("log-format", &log_format, "json or text");
  flags.String("log-level", &log_level, "debug, info, warn or error");
  flags.Bool("help", &help, "show this help");
  std::string error;
  if (!flags.Parse(args, &error)) return Usage(error + "\n" + flags.Usage());
  if (help) {
    std::fputs(flags.Usage().c_str(), stdout);
    return 0;
  }
  log::Format fmt;
  log::Level lvl;
  if (!log::ParseFormat(log_format, &fmt)) return Usage("--log-format must be json or text");
  if (!log::ParseLevel(log_level, &lvl)) return Usage("--log-level must be debug, info, warn or error");
  std::chrono::milliseconds audit_interval{0};
  if (!ParseAuditInterval(audit_interval_text, &audit_interval, &error)) return Usage(error);
  auto status_interval = controller::ParseDuration(status_interval_text, &error);
  if (!status_interval) return Usage("--policy-status-interval: " + error);
  if (*status_interval < std::chrono::seconds(1) || *status_interval > std::chrono::minutes(10))
    return Usage("--policy-status-interval must be between 1s and 10m (got " + status_interval_text + ")");
  if (cert.empty() || key.empty()) return Usage("--alerts-tls-cert and --alerts-tls-key are required (the alert endpoint is HTTPS only)");
  if (token_file.empty() && client_ca.empty() && !insecure_no_auth)
    return Usage("set --alerts-token-file and/or --alerts-client-ca, or explicitly --alerts-insecure-no-auth");
  if (std::string why = k8s::ValidateName(k8s::NameKind::kNamespace, own_ns); !why.empty()) return Usage("--namespace: " + why);
  if (max_destructive < 0 || workers < 1 || workers > 64 || lease_seconds < 3 || max_body < 1024)
    return Usage("--max-destructive-per-minute >= 0, 1 <= --workers <= 64, --lease-duration-seconds >= 3, --alerts-max-body-bytes >= 1024");
  if (kube_burst < 1 || kube_burst > 100000) return Usage("--kube-api-burst must be between 1 and 100000");
  if (record_workers < 1 || record_workers > 256 || record_queue < 0 || record_queue > 100000)
    return Usage("--alerts-recorders must be 1..256 and --alerts-queue 0..100000");
  if (max_conns < 16 || max_conns > 65536 || reserved < 0 || reserved >= max_conns || per_peer < 1 || header_ms < 100 ||
      untrusted_idle_ms < 100)
    return Usage("--alerts-max-connections must be 16..65536, --alerts-reserved-connections 0..max-1, "
                 "--alerts-max-connections-per-peer >= 1, --alerts-header-timeout-ms and "
                 "--alerts-untrusted-idle-timeout-ms >= 100");
  for (const auto& n : trusted_networks) {
    http::ServerOptions probe;
    probe.trusted_networks = {n};
    if (std::string bad = http::ValidateOptions(probe); !bad.empty()) return Usage("--alerts-trusted-network: " + bad);
  }

  // Before any thread starts, so that only Wait below receives the stop signals.
  StopSignals signals;
  log::Init(fmt, lvl);
  http::RaiseOpenFileLimit(static_cast<uint64_t>(max_conns) + 256);

  auto config = kube::LoadDefaultConfig(kubeconfig);
  if (!config.ok()) return StartFailed("kubernetes config: " + config.error().message);
  config.value().qps = kube_qps;
  config.value().burst = static_cast<int>(kube_burst);
  auto client = kube::NewKubeClient(config.value());
  if (!client.ok()) return StartFailed("kubernetes client: " + client.error().message);
  // Lease renewals get their own client so reconcile work never queues them past the renew
  // deadline. Recording alerts is not throttled client-side: the guards (cooldown, per-policy
  // rate limit) already bound how many ResponseActions alerts can create, and a throttled
  // recorder would turn a reconcile backlog into 503s for every sender.
  auto election_client = kube::NewKubeClient(config.value());
  kube::ClientConfig recorder_config = config.value();
  recorder_config.qps = 0;
  auto recorder_client = kube::NewKubeClient(recorder_config);
  if (!election_client.ok() || !recorder_client.ok()) return StartFailed("kubernetes client: cannot create a second client");

  controller::ControllerOptions& opts = so.controller;
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
  opts.policy_status_interval = *status_interval;
  opts.election_client = election_client.value();
  opts.recorder_client = recorder_client.value();

  so.alerts_listen = alerts_listen;
  so.metrics_listen = metrics_listen;
  so.tls_cert = cert;
  so.tls_key = key;
  so.token_file = token_file;
  so.client_ca = client_ca;
  so.insecure_no_auth = insecure_no_auth;
  so.max_body_bytes = static_cast<size_t>(max_body);
  so.record_workers = static_cast<int>(record_workers);
  so.record_queue = static_cast<size_t>(record_queue);
  so.trusted_networks = trusted_networks;
  so.max_connections = static_cast<size_t>(max_conns);
  so.reserved_connections = static_cast<size_t>(reserved);
  so.max_connections_per_peer = static_cast<size_t>(per_peer);
  so.header_timeout = std::chrono::milliseconds(header_ms);
  so.untrusted_idle_timeout = std::chrono::milliseconds(untrusted_idle_ms);
  controller::Service service(client.value(), so);
  // Says why a replica never becomes ready (missing namespace, CRDs or RBAC) instead of
  // answering every alert 503 in silence.
  controller::PreflightMonitor preflight(client.value(), {own_ns, lease_name});
  service.SetNotReadyReason([&preflight] { return preflight.Reason(); });

  // Leader-only work is put together here: controller/ knows it only as a LeaderTask.
  std::unique_ptr<PeriodicAudit> audit;
  if (audit_interval.count() > 0) {
    PeriodicAuditConfig ac;
    ac.interval = audit_interval;
    ac.run = [c = client.value()](const std::function<bool()>& cancelled) {
      audit::CollectOptions collect;
      collect.cancelled = cancelled;
      return audit::RunAudit(*c, collect, controller::FormatRfc3339(std::chrono::system_clock::now()));
    };
    audit = std::make_unique<PeriodicAudit>(std::move(ac));
    service.AddLeaderTask(AsLeaderTask(audit.get()));
  }
  if (!service.Start(&error)) return StartFailed(error);
  preflight.Start();

  // Ports on stdout: integration tests and scripts bind port 0 and read them here.
  std::printf("alerts listening on %s (port %u)\nmetrics listening on %s (port %u)\n", alerts_listen.c_str(),
              service.AlertsPort(), metrics_listen.c_str(), service.MetricsPort());
  std::fflush(stdout);
  log::Info("controller started", {{"alerts", std::to_string(service.AlertsPort())},
                                   {"metrics", std::to_string(service.MetricsPort())},
                                   {"namespace", own_ns}, {"dryRun", dry_run ? "true" : "false"},
                                   {"auditInterval", audit_interval.count() ? controller::FormatDuration(audit_interval) : "off"},
                                   {"kube", config.value().source}});
  int sig = signals.Wait();
  log::Info("controller stopping", {{"signal", StopSignals::Name(sig)}});
  preflight.Stop();
  service.Stop();
  log::Info("stopped");
  return 0;
}

}  // namespace riposte::cli
