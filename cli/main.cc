#include <cstdio>
#include <string>
#include <string_view>

#include "cli/commands.h"

namespace {

struct Command {
  const char* name;
  const char* summary;
  int (*run)(const riposte::cli::Args&);
};

// Explicit registry: adding a subcommand is one line here plus its *_command.cc.
constexpr Command kCommands[] = {
    {"version", "print version and build information", riposte::cli::RunVersion},
    {"webhook", "validating admission webhook for Ingress objects (HTTPS)", riposte::cli::RunWebhook},
    {"actions", "list response actions, their parameters and RBAC", riposte::cli::RunActions},
    {"controller", "respond to Falco alerts through the Kubernetes API", riposte::cli::RunController},
    {"incidents", "timeline of the responses in a namespace or for a pod (table, json)", riposte::cli::RunIncidents},
    {"scan", "check Ingress manifests offline (files, dirs, stdin)", riposte::cli::RunScan},
    {"audit", "exposure report for a live cluster (text, json, html)", riposte::cli::RunAudit},
    {"verify", "check that the cluster is protected: dry-run attack, webhook, controller", riposte::cli::RunVerify},
};

void PrintUsage(std::FILE* out) {
  std::fprintf(out, "usage: riposte COMMAND [FLAGS] [ARGS]\n\ncommands:\n");
  for (const auto& c : kCommands) std::fprintf(out, "  %-12s %s\n", c.name, c.summary);
  std::fprintf(out, "\nrun `riposte COMMAND --help` for the flags of a command\n");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    PrintUsage(stderr);
    return 2;
  }
  std::string_view name = argv[1];
  if (name == "-h" || name == "--help" || name == "help") {
    PrintUsage(stdout);
    return 0;
  }
  for (const auto& c : kCommands) {
    if (name == c.name) return c.run(riposte::cli::Args(argv + 2, argv + argc));
  }
  std::fprintf(stderr, "riposte: unknown command \"%.*s\"\n\n", static_cast<int>(name.size()),
               name.data());
  PrintUsage(stderr);
  return 2;
}
