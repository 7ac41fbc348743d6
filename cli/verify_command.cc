// `riposte verify [--name N] [--namespace NS] [--test-namespace NS] [--format text|json]`: is the
// cluster protected by Riposte right now? Dry-run attack and benign Ingresses, then the webhook
// configuration, caBundle, endpoints, controller Lease and readiness (verify/verify.h,
// docs/verify.md). Also the chart's `helm test`.
// Exit 0 = protected, 1 = not protected (each failed check says why and how to fix it),
// 2 = usage error or the cluster could not be reached.

#include <cstdio>
#include <cstdlib>
#include <string>

#include "cli/commands.h"
#include "common/flags.h"
#include "kube/config.h"
#include "kube/kube_client.h"
#include "kube/selector.h"
#include "verify/verify.h"

namespace riposte::cli {

namespace {

int Fail(const std::string& msg) {
  std::fprintf(stderr, "riposte verify: %s\n", msg.c_str());
  return 2;
}

}  // namespace

int RunVerify(const Args& args) {
  FlagSet flags("verify");
  verify::Options o;
  std::string kubeconfig, context, format = "text";
  std::vector<std::string> labels;
  bool help = false, in_cluster = false;
  int64_t timeout = 10;
  flags.String("kubeconfig", &kubeconfig, "kubeconfig file (default: $KUBECONFIG, in-cluster, ~/.kube/config)");
  flags.String("context", &context, "kubeconfig context (default: current-context)");
  flags.String("name", &o.name, "ValidatingWebhookConfiguration of the install, also the prefix of its objects' names "
                                "(the Helm release's full name; riposte for release riposte and the plain manifests)");
  flags.String("namespace", &o.ns, "Riposte's namespace (default: the namespace of the webhook's Service)");
  flags.String("test-namespace", &o.test_namespace, "namespace the dry-run Ingresses are submitted to (must be judged)");
  flags.String("ingress-class", &o.ingress_class, "spec.ingressClassName of the test Ingresses (\"\" = none)");
  flags.StringList("label", &labels, "KEY=VALUE label on the test Ingresses (repeatable), for a webhook objectSelector");
  flags.String("lease-name", &o.lease_name, "the controller's leader-election Lease");
  flags.Bool("controller", &o.controller, "check the response controller too (--controller=false for a webhook-only install)");
  flags.Bool("in-cluster", &in_cluster,
             "reach the Services by cluster IP (default: true when the in-cluster service account is used)");
  flags.String("webhook-address", &o.webhook_address,
               "HOST:PORT where the webhook answers (e.g. a port-forward); its certificate is still checked for the name "
               "the API server uses");
  flags.String("controller-address", &o.controller_address, "HOST:PORT of the controller's metrics listener (/readyz)");
  flags.Int("timeout", &timeout, "seconds for each request (1-120)");
  flags.String("format", &format, "output format: text or json");
  flags.Bool("help", &help, "show this help");
  std::string error;
  if (!flags.Parse(args, &error)) {
    std::fprintf(stderr, "riposte verify: %s\n%s", error.c_str(), flags.Usage().c_str());
    return 2;
  }
  if (help) {
    std::fputs(flags.Usage().c_str(), stdout);
    return 0;
  }
  if (!flags.positional().empty()) return Fail("unexpected argument \"" + flags.positional()[0] + "\"");
  if (format != "text" && format != "json") return Fail("unknown --format \"" + format + "\" (text, json)");
  if (timeout < 1 || timeout > 120) return Fail("--timeout must be between 1 and 120 seconds");
  if (std::string m = kube::ValidateObjectName(o.name); !m.empty()) return Fail("--name: " + m);
  if (!o.ns.empty()) {
    if (std::string m = kube::ValidateNamespaceName(o.ns); !m.empty()) return Fail("--namespace: " + m);
  }
  if (std::string m = kube::ValidateNamespaceName(o.test_namespace); !m.empty()) return Fail("--test-namespace: " + m);
  if (std::string m = kube::ValidateObjectName(o.lease_name); !m.empty()) return Fail("--lease-name: " + m);
  for (const auto& l : labels) {
    size_t eq = l.find('=');
    if (eq == std::string::npos) return Fail("--label " + l + ": expected KEY=VALUE");
    std::string k = l.substr(0, eq), v = l.substr(eq + 1);
    if (std::string m = kube::ValidateLabelKey(k); !m.empty()) return Fail("--label " + l + ": " + m);
    if (std::string m = kube::ValidateLabelValue(v); !m.empty()) return Fail("--label " + l + ": " + m);
    o.labels[k] = v;
  }

  auto config = kube::LoadDefaultConfig(kubeconfig, context);
  if (!config.ok()) return Fail(config.error().message);
  kube::ClientConfig cfg = config.value();
  // One answer per question, as kubectl would get it: a retried dry run behind a webhook that
  // times out would only multiply the wait.
  cfg.retry.max_attempts = 1;
  cfg.request_timeout = std::chrono::seconds(timeout + 30);  // the API server waits up to 30 s for webhooks
  cfg.user_agent = "riposte-verify";
  auto client = kube::NewKubeClient(cfg);
  if (!client.ok()) return Fail(client.error().message);
  o.in_cluster = flags.WasSet("in-cluster") ? in_cluster : cfg.source == "in-cluster";
  auto prober = verify::NewProber(std::chrono::seconds(timeout));

  verify::Report report = verify::Run(*client.value(), *prober, o);
  std::string out = format == "json" ? verify::RenderJson(report) : verify::RenderText(report);
  std::fwrite(out.data(), 1, out.size(), stdout);
  std::fflush(stdout);
  return report.ExitCode();
}

}  // namespace riposte::cli
