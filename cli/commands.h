#pragma once
// Subcommands of the `riposte` executable. Each lives in its own *_command.cc and is listed
// explicitly in main.cc; `args` excludes the program and subcommand names.

#include <string>
#include <vector>

namespace riposte::cli {

using Args = std::vector<std::string>;

int RunVersion(const Args& args);
int RunWebhook(const Args& args);
int RunActions(const Args& args);
int RunController(const Args& args);
int RunAudit(const Args& args);
int RunScan(const Args& args);
int RunVerify(const Args& args);
int RunIncidents(const Args& args);

}  // namespace riposte::cli
