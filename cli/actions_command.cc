// `riposte actions [--format json|rbac-yaml|markdown]`: prints the declarations of every
// response action. The Helm chart's RBAC and docs/actions.md are generated from this output.

#include <cstdio>
#include <string>

#include "cli/commands.h"
#include "common/flags.h"
#include "controller/actions/describe.h"

namespace riposte::cli {

int RunActions(const Args& args) {
  FlagSet flags("actions");
  std::string format = "json";
  bool help = false;
  flags.String("format", &format, "output format: json, rbac-yaml or markdown");
  flags.Bool("help", &help, "show this help");
  std::string error;
  if (!flags.Parse(args, &error)) {
    std::fprintf(stderr, "riposte actions: %s\n%s", error.c_str(), flags.Usage().c_str());
    return 2;
  }
  if (help) {
    std::fputs(flags.Usage().c_str(), stdout);
    return 0;
  }
  if (!flags.positional().empty()) {
    std::fprintf(stderr, "riposte actions: unexpected argument \"%s\"\n", flags.positional()[0].c_str());
    return 2;
  }
  const auto& registry = controller::BuiltinActions();
  std::string out;
  if (format == "json") {
    out = controller::ActionsJson(registry);
  } else if (format == "rbac-yaml") {
    out = controller::ActionsRbacYaml(registry);
  } else if (format == "markdown") {
    out = controller::ActionsMarkdown(registry);
  } else {
    std::fprintf(stderr, "riposte actions: unknown --format \"%s\" (json, rbac-yaml, markdown)\n",
                 format.c_str());
    return 2;
  }
  std::fwrite(out.data(), 1, out.size(), stdout);
  return 0;
}

}  // namespace riposte::cli
