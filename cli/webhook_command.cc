// `riposte webhook`: the validating admission webhook for Ingress objects.

#include <pthread.h>
#include <signal.h>

#include <cstdio>

#include "cli/commands.h"
#include "common/flags.h"
#include "common/log.h"
#include "webhook/service.h"

namespace riposte::cli {

int RunWebhook(const Args& args) {
  FlagSet flags("webhook");
  webhook::ServiceOptions opts;
  std::string log_format = "json", log_level = "info";
  int64_t max_body = static_cast<int64_t>(opts.max_body_bytes);
  int64_t threads = opts.threads;
  int64_t reload_ms = opts.reload_interval.count();
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
  opts.max_body_bytes = static_cast<size_t>(max_body);
  opts.threads = static_cast<int>(threads);
  opts.reload_interval = std::chrono::milliseconds(reload_ms);
  log::Init(format, level);

  // Block the stop signals before any thread starts so only sigwait below receives them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  webhook::Service service(opts);
  if (!service.Start(&error)) {
    log::Error("webhook failed to start", {{"error", error}});
    return 1;
  }
  log::Info("webhook ready", {{"port", std::to_string(service.Port())},
                              {"metrics_port", std::to_string(service.MetricsPort())},
                              {"policy", opts.policy_file.empty() ? "(default)" : opts.policy_file}});
  int sig = 0;
  sigwait(&stop_signals, &sig);
  log::Info("shutting down", {{"signal", sig == SIGTERM ? "SIGTERM" : "SIGINT"}});
  service.Stop();
  log::Info("stopped");
  return 0;
}

}  // namespace riposte::cli
