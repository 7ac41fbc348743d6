// The image: a Debian build stage using the CI bootstrap and `cmake --install`, and a runtime
// stage that runs as a numeric non-root user with no shell (no RUN, exec-form ENTRYPOINT),
// copying exactly what `cmake --install` produces.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <regex>

#include "tests/deploy/deploy_util.h"

namespace riposte::deploy_test {
namespace {

struct Stage {
  std::string from;
  std::string alias;
  std::vector<std::pair<std::string, std::string>> instructions;  // INSTRUCTION, arguments
};

std::vector<Stage> ParseDockerfile() {
  const std::string text = ReadFile(Repo("Dockerfile"));
  std::vector<Stage> stages;
  std::string logical;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string::npos) nl = text.size();
    std::string line = text.substr(pos, nl - pos);
    pos = nl + 1;
    const auto first = line.find_first_not_of(" \t");
    if (first == std::string::npos || line[first] == '#') {
      if (logical.empty()) continue;  // comments between instructions
      continue;                       // comment lines inside a continued RUN are dropped
    }
    const bool continued = !line.empty() && line.back() == '\\';
    if (continued) line.pop_back();
    logical += line + " ";
    if (continued) continue;
    const auto b = logical.find_first_not_of(" \t");
    const auto sp = logical.find_first_of(" \t", b);
    std::string instruction = logical.substr(b, sp - b);
    for (auto& ch : instruction) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    const std::string args = sp == std::string::npos ? "" : logical.substr(sp + 1);
    logical.clear();
    if (instruction == "FROM") {
      static const std::regex kFrom(R"(^\s*(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?\s*$)",
                                    std::regex::icase);
      std::smatch m;
      Stage stage;
      if (std::regex_match(args, m, kFrom)) {
        stage.from = m[1].str();
        stage.alias = m[2].str();
      }
      stages.push_back(stage);
    } else if (!stages.empty()) {
      stages.back().instructions.emplace_back(instruction, args);
    }
  }
  return stages;
}

std::vector<std::string> Args(const Stage& stage, const std::string& instruction) {
  std::vector<std::string> out;
  for (const auto& [ins, args] : stage.instructions) {
    if (ins == instruction) out.push_back(args);
  }
  return out;
}

TEST(Dockerfile, BuildStageUsesBootstrapAndCmakeInstall) {
  const auto stages = ParseDockerfile();
  ASSERT_GE(stages.size(), 2u) << "Dockerfile must be multi-stage";
  const Stage& build = stages.front();
  EXPECT_EQ(build.from.rfind("debian:bookworm", 0), 0u) << "build stage: " << build.from;
  std::string runs;
  for (const auto& r : Args(build, "RUN")) runs += r + "\n";
  EXPECT_NE(runs.find("scripts/bootstrap.sh"), std::string::npos);
  EXPECT_NE(runs.find("cmake --install"), std::string::npos);
  EXPECT_NE(runs.find("ldd "), std::string::npos) << "runtime libraries must come from ldd";
}

TEST(Dockerfile, RuntimeStageIsNonRootAndShellFree) {
  const auto stages = ParseDockerfile();
  ASSERT_GE(stages.size(), 2u);
  const Stage& runtime = stages.back();
  EXPECT_TRUE(Args(runtime, "RUN").empty())
      << "runtime stage must not RUN anything (no shell in the image)";
  const auto users = Args(runtime, "USER");
  ASSERT_FALSE(users.empty()) << "runtime stage has no USER";
  static const std::regex kNumericUser(R"(^\s*(\d+)(?::(\d+))?\s*$)");
  std::smatch m;
  const std::string user = users.back();
  ASSERT_TRUE(std::regex_match(user, m, kNumericUser))
      << "USER must be numeric (runAsNonRoot verifies UIDs, not names): " << user;
  EXPECT_NE(std::stoi(m[1].str()), 0) << "runtime USER is root";
  if (m[2].matched) {
    EXPECT_NE(std::stoi(m[2].str()), 0) << "runtime group is root";
  }
  const auto values = LoadDocs(Repo("helm/riposte/values.yaml"))[0];
  EXPECT_EQ(values["securityContext"]["runAsUser"].as<int>(), std::stoi(m[1].str()))
      << "values.yaml securityContext.runAsUser should be the image's USER";
  const auto entrypoints = Args(runtime, "ENTRYPOINT");
  ASSERT_EQ(entrypoints.size(), 1u);
  EXPECT_EQ(entrypoints[0].find_first_not_of(' '), entrypoints[0].find('['))
      << "ENTRYPOINT must be exec form (a shell form needs /bin/sh)";
  for (const auto& copy : Args(runtime, "COPY")) {
    EXPECT_NE(copy.find("--from=" + stages.front().alias), std::string::npos)
        << "runtime COPY must come from the build stage: " << copy;
  }
}

// `cmake --install` must produce exactly the binary the runtime stage starts.
TEST(Dockerfile, CmakeInstallProducesExactlyWhatTheImageRuns) {
  const auto stages = ParseDockerfile();
  ASSERT_GE(stages.size(), 2u);
  std::string runs;
  for (const auto& r : Args(stages.front(), "RUN")) runs += r + "\n";
  static const std::regex kInstall(R"(cmake --install \S+ --prefix (\S+))");
  std::smatch m;
  ASSERT_TRUE(std::regex_search(runs, m, kInstall)) << "no `cmake --install DIR --prefix P`";
  const std::string prefix = m[1].str();  // e.g. /rootfs/usr/local; /rootfs becomes /
  const auto entry = Args(stages.back(), "ENTRYPOINT");
  ASSERT_EQ(entry.size(), 1u);
  const std::string in_image = prefix.substr(prefix.find("/usr")) + "/bin/riposte";
  EXPECT_NE(entry[0].find("\"" + in_image + "\""), std::string::npos)
      << "ENTRYPOINT should start " << in_image;

  std::string tmpl = (fs::temp_directory_path() / "riposte-install-XXXXXX").string();
  ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
  const fs::path dest(tmpl);
  const auto result =
      RunProcess({RIPOSTE_CMAKE_COMMAND, "--install", RIPOSTE_BUILD_DIR, "--prefix", dest.string()});
  EXPECT_EQ(result.exit_code, 0) << "cmake --install failed:\n" << result.out;
  std::vector<std::string> installed;
  for (const auto& entry_path : fs::recursive_directory_iterator(dest)) {
    if (!entry_path.is_directory()) installed.push_back(fs::relative(entry_path.path(), dest));
  }
  fs::remove_all(dest);
  EXPECT_EQ(installed, std::vector<std::string>{"bin/riposte"})
      << "cmake --install must install exactly bin/riposte (what the runtime stage runs)";
}

TEST(Dockerfile, DockerignoreKeepsBuildTreesOut) {
  const std::string ignore = ReadFile(Repo(".dockerignore"));
  for (const char* pattern : {".git", "build", "build-*"}) {
    EXPECT_NE(ignore.find(std::string("\n") + pattern + "\n"), std::string::npos)
        << ".dockerignore should exclude " << pattern;
  }
}

}  // namespace
}  // namespace riposte::deploy_test
