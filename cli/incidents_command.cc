// `riposte incidents [--kubeconfig F] [--context C] [-n|--namespace N] [--pod NAME] [--format table|json]`:
// the timeline of the responses in a namespace, or for one pod, from the ResponseActions
// (created, actions and results, incident records) and their Events. Read-only.

#include <cstdio>
#include <string>

#include "cli/commands.h"
#include "common/flags.h"
#include "controller/incident_timeline.h"
#include "kube/kube_client.h"
#include "kube/config.h"

namespace riposte::cli {

namespace {

int Fail(const std::string& msg, int code = 2) {
  std::fprintf(stderr, "riposte incidents: %s\n", msg.c_str());
  return code;
}

}  // namespace

int RunIncidents(const Args& args) {
  FlagSet flags("incidents");
  std::string kubeconfig, context, ns, ns_short, pod, format = "table";
  bool help = false, insecure = false;
  flags.String("kubeconfig", &kubeconfig, "kubeconfig file (default: $KUBECONFIG, in-cluster, ~/.kube/config)");
  flags.String("context", &context, "kubeconfig context (default: current-context)");
  flags.String("namespace", &ns, "namespace to show (default: the kubeconfig context's namespace)");
  flags.String("n", &ns_short, "same as --namespace");
  flags.String("pod", &pod, "only the responses to this pod (and the pod's Events)");
  flags.String("format", &format, "output format: table or json");
  flags.Bool("insecure-skip-tls-verify", &insecure, "accept insecure-skip-tls-verify in the kubeconfig");
  flags.Bool("help", &help, "show this help");
  std::string error;
  if (!flags.Parse(args, &error)) {
    std::fprintf(stderr, "riposte incidents: %s\n%s", error.c_str(), flags.Usage().c_str());
    return 2;
  }
  if (help) {
    std::fputs(flags.Usage().c_str(), stdout);
    return 0;
  }
  if (!flags.positional().empty()) return Fail("unexpected argument \"" + flags.positional()[0] + "\"");
  if (format != "table" && format != "json") return Fail("unknown --format \"" + format + "\" (table, json)");
  if (!ns.empty() && !ns_short.empty() && ns != ns_short) return Fail("-n and --namespace disagree");
  if (ns.empty()) ns = ns_short;
  if (!pod.empty()) {
    if (std::string msg = kube::ValidateObjectName(pod); !msg.empty()) return Fail("--pod: " + msg);
  }
  auto config = kube::LoadDefaultConfig(kubeconfig, context, insecure);
  if (!config.ok()) return Fail(config.error().message);
  auto client = kube::NewKubeClient(config.value());
  if (!client.ok()) return Fail(client.error().message);
  if (ns.empty()) ns = client.value()->DefaultNamespace();
  if (ns.empty()) ns = "default";
  if (std::string msg = kube::ValidateNamespaceName(ns); !msg.empty()) return Fail("--namespace: " + msg);

  controller::TimelineError terr;
  auto timeline = controller::BuildTimeline(*client.value(), ns, pod, &terr);
  if (!timeline) return Fail(terr.message, 1);
  std::string out = format == "json" ? controller::TimelineJson(*timeline).serialize() + "\n"
                                     : controller::RenderTimelineTable(*timeline);
  std::fwrite(out.data(), 1, out.size(), stdout);
  std::fflush(stdout);
  if (!timeline->events_error.empty()) std::fprintf(stderr, "riposte incidents: warning: %s\n", timeline->events_error.c_str());
  return 0;
}

}  // namespace riposte::cli
