// `riposte audit [--kubeconfig F] [--namespace N] [--format text|json|html] [--output FILE]
// [--migration]`: exposure report for a live cluster (or for a saved snapshot with --snapshot),
// optionally with the Gateway API migration inventory.
// Exit 0 = nothing at risk, 1 = at risk, 2 = could not complete or usage error.

#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>

#include <sys/stat.h>
#include <unistd.h>

#include "audit/analyze.h"
#include "audit/cluster_audit.h"
#include "audit/collector.h"
#include "audit/render.h"
#include "audit/snapshot.h"
#include "cli/commands.h"
#include "common/flags.h"
#include "kube/api_time.h"
#include "kube/config.h"

namespace riposte::cli {

namespace {

// Writes next to the target and renames, so a failed run never leaves half a report. A target
// that exists and is not a regular file (/dev/null, a FIFO, a terminal) is written in place:
// renaming over it would replace the device with a file (as root, /dev/null itself).
bool WriteFileAtomically(const std::string& path, const std::string& data, std::string* error) {
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode)) {
    std::ofstream out(path, std::ios::binary);
    out.write(data.data(), static_cast<std::streamsize>(data.size()));
    out.flush();
    if (!out) {
      *error = path + ": write failed";
      return false;
    }
    return true;
  }
  std::string tmp = path + ".tmp." + std::to_string(::getpid());
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) {
      *error = path + ": cannot write";
      return false;
    }
    out.write(data.data(), static_cast<std::streamsize>(data.size()));
    out.flush();
    if (!out) {
      *error = path + ": write failed";
      std::remove(tmp.c_str());
      return false;
    }
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    *error = path + ": cannot rename temporary file into place";
    std::remove(tmp.c_str());
    return false;
  }
  return true;
}

int Fail(const std::string& msg) {
  std::fprintf(stderr, "riposte audit: %s\n", msg.c_str());
  return 2;
}

}  // namespace

int RunAudit(const Args& args) {
  FlagSet flags("audit");
  std::string kubeconfig, context, ns, format = "text", output, snapshot_in, snapshot_out;
  bool help = false, no_timestamp = false, insecure = false, migration = false;
  int64_t page_size = audit::CollectOptions{}.page_size;
  flags.String("kubeconfig", &kubeconfig, "kubeconfig file (default: $KUBECONFIG, in-cluster, ~/.kube/config)");
  flags.String("context", &context, "kubeconfig context (default: current-context)");
  flags.String("namespace", &ns, "audit only this namespace (default: all namespaces)");
  flags.String("format", &format, "output format: text, json or html");
  flags.String("output", &output, "write the report to FILE instead of stdout");
  flags.String("snapshot", &snapshot_in, "analyze a saved snapshot file instead of a live cluster");
  flags.String("save-snapshot", &snapshot_out, "also save what was read from the cluster to FILE (JSON)");
  flags.Bool("no-timestamp", &no_timestamp, "omit the generation time (reproducible output)");
  flags.Bool("migration", &migration,
             "add the Gateway API migration inventory (annotations per Ingress, per-namespace counts, blockers)");
  flags.Bool("insecure-skip-tls-verify", &insecure, "accept insecure-skip-tls-verify in the kubeconfig");
  flags.Int("page-size", &page_size, "objects per list request (1-5000); the audit's peak memory follows it");
  flags.Bool("help", &help, "show this help");
  std::string error;
  if (!flags.Parse(args, &error)) {
    std::fprintf(stderr, "riposte audit: %s\n%s", error.c_str(), flags.Usage().c_str());
    return 2;
  }
  if (help) {
    std::fputs(flags.Usage().c_str(), stdout);
    return 0;
  }
  if (!flags.positional().empty()) return Fail("unexpected argument \"" + flags.positional()[0] + "\"");
  if (format != "text" && format != "json" && format != "html") {
    return Fail("unknown --format \"" + format + "\" (text, json, html)");
  }
  if (page_size < 1 || page_size > 5000) return Fail("--page-size must be between 1 and 5000");
  if (!ns.empty()) {
    if (std::string msg = kube::ValidateNamespaceName(ns); !msg.empty()) return Fail("--namespace: " + msg);
  }
  if (!snapshot_in.empty() && (!kubeconfig.empty() || !context.empty() || !snapshot_out.empty())) {
    return Fail("--snapshot reads a saved file; it cannot be combined with --kubeconfig, --context or --save-snapshot");
  }

  const audit::AnalyzeOptions analyze{.checker = audit::NewEngineChecker(),
                                      .generated_at = no_timestamp ? "" : kube::FormatTime(std::chrono::system_clock::now()),
                                      .migration = migration};
  audit::Report report;
  if (!snapshot_in.empty()) {
    audit::ClusterSnapshot snap;
    if (!audit::LoadSnapshotFile(snapshot_in, &snap, &error)) return Fail(error);
    if (!ns.empty()) return Fail("--namespace cannot narrow a saved snapshot; save it with --namespace instead");
    report = audit::Analyze(snap, analyze);
  } else {
    auto config = kube::LoadDefaultConfig(kubeconfig, context, insecure);
    if (!config.ok()) return Fail(config.error().message);
    auto client = kube::NewKubeClient(config.value());
    if (!client.ok()) return Fail(client.error().message);
    const audit::CollectOptions collect{.ns = ns, .page_size = page_size};
    if (!snapshot_out.empty()) {
      // A saved snapshot holds every object read, so this path keeps the whole cluster in memory.
      audit::ClusterSnapshot snap = audit::Collect(*client.value(), collect);
      snap.source = config.value().source;
      if (!WriteFileAtomically(snapshot_out, audit::PrettyJson(audit::SnapshotToJson(snap)), &error)) {
        return Fail(error);
      }
      report = audit::Analyze(snap, analyze);
    } else {
      // Bounded memory: pages are filtered and dropped, Ingresses judged as they arrive.
      report = audit::AuditCluster(*client.value(), collect, analyze);
      report.source = config.value().source;
    }
  }

  std::string rendered = format == "json"   ? audit::RenderJson(report)
                         : format == "html" ? audit::RenderHtml(report)
                                            : audit::RenderText(report);
  if (output.empty()) {
    std::fwrite(rendered.data(), 1, rendered.size(), stdout);
    std::fflush(stdout);
  } else if (!WriteFileAtomically(output, rendered, &error)) {
    return Fail(error);
  }
  if (!report.complete()) {
    std::fprintf(stderr, "riposte audit: incomplete: %zu resource(s) could not be read\n", report.unreadable.size());
  }
  return report.ExitCode();
}

}  // namespace riposte::cli
