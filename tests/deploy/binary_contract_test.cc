// The deployments start the real binary: every flag the chart and the plain manifests pass
// must be one the subcommand accepts (a typo would crash-loop the pods), and the default
// policy they ship must load in the real policy loader.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <fstream>
#include <map>
#include <regex>

#include "tests/deploy/deploy_util.h"

namespace riposte::deploy_test {
namespace {

// Flags `riposte COMMAND --help` documents; empty when the subcommand does not exist.
std::set<std::string> AcceptedFlags(const std::string& command, bool* exists) {
  const auto result = RunProcess({RIPOSTE_BINARY, command, "--help"}, /*merge_stderr=*/true);
  *exists = result.out.find("unknown command") == std::string::npos;
  std::set<std::string> flags;
  static const std::regex kFlag(R"((?:^|\n)\s+(--[a-z0-9][a-z0-9-]*))");
  for (std::sregex_iterator it(result.out.begin(), result.out.end(), kFlag), end; it != end; ++it) {
    flags.insert((*it)[1].str());
  }
  return flags;
}

std::string FlagName(const std::string& arg) { return arg.substr(0, arg.find('=')); }

// subcommand -> (flag -> where it is used)
std::map<std::string, std::map<std::string, std::string>> FlagsUsedByDeployments() {
  std::map<std::string, std::map<std::string, std::string>> used;
  for (const char* file : {"manifests/webhook.yaml", "manifests/controller.yaml"}) {
    for (const auto& doc : LoadDocs(Repo(file))) {
      if (doc["kind"].as<std::string>("") != "Deployment") continue;
      for (const auto& c : doc["spec"]["template"]["spec"]["containers"]) {
        const auto args = c["args"];
        if (!args || args.size() == 0) continue;
        const std::string command = args[0].as<std::string>();
        for (size_t i = 1; i < args.size(); ++i) {
          used[command].emplace(FlagName(args[i].as<std::string>()), file);
        }
      }
    }
  }
  // Chart templates: the `args:` list items of each container, up to the first non-item line.
  static const std::regex kItem(R"(^\s*- (--[a-z0-9-]+)(=.*)?$|^\s*- ([a-z]+)\s*$)");
  for (const char* tpl : {"helm/riposte/templates/webhook-deployment.yaml",
                          "helm/riposte/templates/controller-deployment.yaml",
                          "helm/riposte/templates/tests/verify.yaml"}) {
    const std::string text = ReadFile(Repo(tpl));
    const size_t begin = text.find("args:");
    if (begin == std::string::npos) {
      ADD_FAILURE() << tpl << ": no args";
      continue;
    }
    std::string command;
    size_t pos = text.find('\n', begin) + 1;
    while (pos < text.size()) {
      const size_t nl = text.find('\n', pos);
      const std::string line = text.substr(pos, nl - pos);
      pos = nl == std::string::npos ? text.size() : nl + 1;
      // Conditionals and extraArgs; a flag whose value is templated is still checked.
      const size_t first = line.find_first_not_of(' ');
      if (first != std::string::npos && line.compare(first, 2, "{{") == 0) continue;
      std::smatch m;
      if (!std::regex_match(line, m, kItem)) break;
      if (m[3].matched) {
        command = m[3].str();
      } else {
        used[command].emplace(m[1].str(), tpl);
      }
    }
  }
  return used;
}

TEST(BinaryContract, DeploymentFlagsAreAcceptedBySubcommands) {
  const auto used = FlagsUsedByDeployments();
  ASSERT_TRUE(used.count("webhook") && used.count("controller"));
  for (const auto& [command, flags] : used) {
    bool exists = false;
    const auto accepted = AcceptedFlags(command, &exists);
    if (!exists) {
      // Reported, not failed: the subcommand is built by another part of the project.
      std::cerr << "[ NOTE ] riposte " << command << " is not built yet; its flags are unchecked\n";
      continue;
    }
    ASSERT_FALSE(accepted.empty()) << "`riposte " << command << " --help` lists no flags";
    for (const auto& [flag, where] : flags) {
      EXPECT_TRUE(accepted.count(flag))
          << where << ": `riposte " << command << "` does not accept " << flag;
    }
  }
}

TEST(BinaryContract, EveryCommandAnswersHelpOnStdout) {
  const auto top = RunProcess({RIPOSTE_BINARY, "--help"});
  ASSERT_EQ(top.exit_code, 0) << top.out;
  static const std::regex kCommand(R"(\n  ([a-z]+) {2,})");
  std::vector<std::string> commands;
  for (std::sregex_iterator it(top.out.begin(), top.out.end(), kCommand), end; it != end; ++it) {
    commands.push_back((*it)[1].str());
  }
  ASSERT_GE(commands.size(), 6u) << top.out;
  for (const auto& command : commands) {
    if (command == "version") continue;  // takes no flags
    const auto help = RunProcess({RIPOSTE_BINARY, command, "--help"});
    EXPECT_EQ(help.exit_code, 0) << "riposte " << command << " --help: " << help.out;
    EXPECT_NE(help.out.find("  --help"), std::string::npos) << "riposte " << command << " --help: " << help.out;
  }
}

TEST(BinaryContract, ShippedDefaultPolicyLoads) {
  bool exists = false;
  const auto flags = AcceptedFlags("scan", &exists);
  if (!exists || !flags.count("--policy")) {
    GTEST_SKIP() << "riposte scan --policy is not built yet";
  }
  const auto cm = FindDoc(Repo("manifests/webhook.yaml"), "ConfigMap", "riposte-policy");
  ASSERT_TRUE(cm);
  std::string dir_template = (fs::temp_directory_path() / "riposte-policy-XXXXXX").string();
  ASSERT_NE(mkdtemp(dir_template.data()), nullptr);
  const fs::path dir(dir_template);
  std::ofstream(dir / "policy.yaml") << cm["data"]["policy.yaml"].as<std::string>();
  std::ofstream(dir / "ingress.yaml") << "apiVersion: networking.k8s.io/v1\n"
                                         "kind: Ingress\n"
                                         "metadata: {name: web, namespace: shop}\n"
                                         "spec:\n"
                                         "  rules:\n"
                                         "  - host: shop.example.com\n"
                                         "    http:\n"
                                         "      paths:\n"
                                         "      - path: /\n"
                                         "        pathType: Prefix\n"
                                         "        backend: {service: {name: web, port: {number: 80}}}\n";
  const auto result = RunProcess({RIPOSTE_BINARY, "scan", "--policy", (dir / "policy.yaml").string(),
                                  (dir / "ingress.yaml").string()});
  fs::remove_all(dir);
  EXPECT_EQ(result.exit_code, 0)
      << "the default policy shipped in manifests/webhook.yaml (= values.yaml webhook.policy) "
         "must load and admit a plain Ingress; riposte scan said:\n"
      << result.out;
}

}  // namespace
}  // namespace riposte::deploy_test
