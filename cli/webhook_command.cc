// `riposte webhook`: the validating admission webhook for Ingress objects.

#include <algorithm>
#include <cstdio>

#include "cli/commands.h"
#include "common/flags.h"
#include "common/http_server.h"
#include "common/log.h"
#include "common/signals.h"
#include "kube/config.h"
#include "webhook/service.h"

namespace riposte::cli {

int RunWebhook(const Args& args) {
  FlagSet flags("webhook");
  webhook::ServiceOptions opts;
  std::string log_format = "json", log_level = "info";
  int64_t max_body = static_cast<int64_t>(opts.max_body_bytes);
  int64_t threads = opts.threads;
  int64_t reload_ms = opts.reload_interval.count();
  int64_t max_conns = static_cast<int64_t>(opts.max_connections);
  int64_t reserved = static_cast<int64_t>(opts.reserved_connections);
  int64_t per_peer = static_cast<int64_t>(opts.max_connections_per_peer);
  int64_t header_ms = opts.header_timeout.count();
  int64_t untrusted_idle_ms = opts.untrusted_idle_timeout.count();
  int64_t inflight = static_cast<int64_t>(opts.max_inflight_body_bytes);
  flags.String("tls-cert", &opts.tls_cert, "PEM certificate chain served on --listen (reloaded when it changes)");
  flags.String("tls-key", &opts.tls_key, "PEM private key for --tls-cert");
  flags.String("listen", &opts.listen, "HTTPS address for admission reviews, ADDR:PORT, :PORT or [IPv6]:PORT");
  flags.String("policy", &opts.policy_file, "policy YAML file (reloaded when it changes); default policy when absent");
  flags.String("metrics-listen", &opts.metrics_listen, "plain-HTTP address for /metrics, /healthz, /readyz; \"\" disables");
  flags.String("log-format", &log_format, "json or text");
  flags.String("log-level", &log_level, "debug, info, warn or error");
  flags.Int("max-body-bytes", &max_body, "largest accepted request body; larger ones get 413");
  flags.Int("threads", &threads, "I/O threads serving admission requests");
  flags.Int("reload-interval-ms", &reload_ms, "how often the certificate and policy files are checked for changes");
  flags.String("client-ca", &opts.client_ca,
               "CA bundle (PEM): require client certificates signed by it (the API server's, configured through its "
               "AdmissionConfiguration); connections without one are refused");
  flags.StringList("trusted-network", &opts.trusted_networks,
                   "CIDR or address of the API server (repeatable): its connections use the reserved slots, have no "
                   "per-peer cap and are never evicted");
  flags.Int("max-connections", &max_conns, "connections held at once; beyond, the oldest idle untrusted one is closed");
  flags.Int("reserved-connections", &reserved,
            "of --max-connections, slots only trusted connections (--trusted-network, --client-ca) may use");
  flags.Int("max-connections-per-peer", &per_peer, "untrusted connections one address may hold");
  flags.Int("header-timeout-ms", &header_ms, "time from the first byte of a request to its complete headers");
  flags.Int("max-inflight-body-bytes", &inflight,
            "review bodies being read at once (a quarter kept for trusted connections); beyond, 503 with Retry-After");
  flags.Int("untrusted-idle-timeout-ms", &untrusted_idle_ms,
            "time an untrusted connection may wait for its next request (trusted ones: 60 s)");
  std::string kubeconfig;
  flags.Bool("configmap-index", &opts.configmap_index,
             "judge ConfigMaps too: the ones Ingresses reference (auth-proxy-set-headers, custom-headers, "
             "fastcgi-params-configmap) and the policy's controllerConfigMaps; watches Ingresses and ConfigMaps, "
             "and /readyz waits for the caches to sync");
  flags.String("kubeconfig", &kubeconfig, "kubeconfig file for --configmap-index; in-cluster service account when empty");
  bool help = false;
  flags.Bool("help", &help, "show this help");
  std::string error;
  if (!flags.Parse(args, &error)) {
    std::fprintf(stderr, "riposte webhook: %s\n%s", error.c_str(), flags.Usage().c_str());
    return 2;
  }
  if (help) {
    std::printf("usage: riposte webhook --tls-cert FILE --tls-key FILE [FLAGS]\n%s", flags.Usage().c_str());
    return 0;
  }
  log::Format format;
  log::Level level;
  if (!log::ParseFormat(log_format, &format) || !log::ParseLevel(log_level, &level)) {
    std::fprintf(stderr, "riposte webhook: bad --log-format or --log-level\n");
    return 2;
  }
  if (opts.tls_cert.empty() || opts.tls_key.empty()) {
    std::fprintf(stderr, "riposte webhook: --tls-cert and --tls-key are required (admission is HTTPS only)\n%s",
                 flags.Usage().c_str());
    return 2;
  }
  if (max_body < 1024 || max_body > 64 * 1024 * 1024 || threads < 1 || threads > 64 || reload_ms < 100) {
    std::fprintf(stderr,
                 "riposte webhook: --max-body-bytes must be 1024..67108864, --threads 1..64, "
                 "--reload-interval-ms >= 100\n");
    return 2;
  }
  // Room for at least four bodies of the largest size unless set explicitly.
  if (!flags.WasSet("max-inflight-body-bytes")) inflight = std::max<int64_t>(inflight, 4 * max_body);
  if (max_conns < 16 || max_conns > 65536 || reserved < 0 || reserved >= max_conns || per_peer < 1 || header_ms < 100 ||
      untrusted_idle_ms < 100 || inflight < max_body) {
    std::fprintf(stderr,
                 "riposte webhook: --max-connections must be 16..65536, --reserved-connections 0..max-1, "
                 "--max-connections-per-peer >= 1, --header-timeout-ms and --untrusted-idle-timeout-ms >= 100, "
                 "--max-inflight-body-bytes >= --max-body-bytes\n");
    return 2;
  }
  opts.max_connections = static_cast<size_t>(max_conns);
  opts.max_inflight_body_bytes = static_cast<size_t>(inflight);
  opts.reserved_connections = static_cast<size_t>(reserved);
  opts.max_connections_per_peer = static_cast<size_t>(per_peer);
  opts.header_timeout = std::chrono::milliseconds(header_ms);
  opts.untrusted_idle_timeout = std::chrono::milliseconds(untrusted_idle_ms);
  opts.max_body_bytes = static_cast<size_t>(max_body);
  opts.threads = static_cast<int>(threads);
  opts.reload_interval = std::chrono::milliseconds(reload_ms);
  log::Init(format, level);

  // Before any thread starts, so that only Wait below receives the stop signals.
  StopSignals signals;

  // Room for every connection the listeners may hold, plus files and the metrics listener.
  http::RaiseOpenFileLimit(opts.max_connections + 256);

  if (opts.configmap_index) {
    auto config = kube::LoadDefaultConfig(kubeconfig);
    if (!config.ok()) {
      log::Error("webhook failed to start", {{"error", "kubernetes config: " + config.error().message}});
      return 1;
    }
    auto client = kube::NewKubeClient(config.value());
    if (!client.ok()) {
      log::Error("webhook failed to start", {{"error", "kubernetes client: " + client.error().message}});
      return 1;
    }
    opts.kube_client = client.value();
  }

  webhook::Service service(opts);
  if (!service.Start(&error)) {
    log::Error("webhook failed to start", {{"error", error}});
    return 1;
  }
  log::Info("webhook ready", {{"port", std::to_string(service.Port())},
                              {"metrics_port", std::to_string(service.MetricsPort())},
                              {"policy", opts.policy_file.empty() ? "(default)" : opts.policy_file}});
  int sig = signals.Wait();
  log::Info("shutting down", {{"signal", StopSignals::Name(sig)}});
  service.Stop();
  log::Info("stopped");
  return 0;
}

}  // namespace riposte::cli
