// The image: a Debian build stage with the build-only package set and `cmake --install`, a
// self-test inside the copied root, the revision as a build argument that ends up in the binary
// and the OCI labels, and a runtime stage that runs as a numeric non-root user with no shell
// (no RUN, exec-form ENTRYPOINT), copying exactly what `cmake --install` produces.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <map>
#include <regex>
#include <set>

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
  EXPECT_NE(runs.find("scripts/bootstrap.sh --build-only"), std::string::npos)
      << "the build stage installs only the build packages";
  EXPECT_NE(runs.find("cmake --install"), std::string::npos);
  EXPECT_NE(runs.find("scripts/image-rootfs.sh /rootfs"), std::string::npos)
      << "the runtime root is completed by scripts/image-rootfs.sh";
  EXPECT_NE(ReadFile(Repo("scripts/image-rootfs.sh")).find("ldd "), std::string::npos)
      << "runtime libraries must come from ldd";
  // The self-test runs the binary with the copied root only, so a library that was not copied
  // fails the build instead of being found in the build stage's /usr/lib.
  EXPECT_NE(runs.find("chroot /rootfs /usr/local/bin/riposte version"), std::string::npos) << runs;
  EXPECT_NE(runs.find("ca file:"), std::string::npos)
      << "the self-test must check that the default CA file holds certificates";
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string::npos) nl = text.size();
    if (nl > pos) out.push_back(text.substr(pos, nl - pos));
    pos = nl + 1;
  }
  return out;
}

// The build stage installed everything CI needs (browsers, clang, nginx, wrk, ...); now it gets
// a set that only builds the binary, and that set stays part of what CI installs.
TEST(Dockerfile, BuildOnlyPackageSetBuildsAndNothingMore) {
  const std::string script = Repo("scripts/bootstrap.sh").string();
  const auto build_only = RunProcess({"/bin/bash", script, "--print", "--build-only"});
  const auto full = RunProcess({"/bin/bash", script, "--print"});
  ASSERT_EQ(build_only.exit_code, 0);
  ASSERT_EQ(full.exit_code, 0);
  const auto build_set = Lines(build_only.out);
  const auto full_list = Lines(full.out);
  const std::set<std::string> full_set(full_list.begin(), full_list.end());
  for (const auto& p : build_set) EXPECT_TRUE(full_set.count(p)) << p << " is not in the full set";
  for (const char* needed : {"cmake", "g++", "libcpprest-dev", "libssl-dev", "libyaml-cpp-dev", "libspdlog-dev",
                             "libboost-system-dev", "libsimdjson-dev", "ca-certificates", "openssl"}) {
    EXPECT_NE(std::find(build_set.begin(), build_set.end(), needed), build_set.end())
        << needed << " missing from the build-only set";
  }
  for (const char* not_needed : {"chromium", "clang", "nginx-light", "wrk", "libgtest-dev", "libgmock-dev",
                                 "etcd-server", "git", "ccache", "buildah", "podman", "mmdebstrap", "npm"}) {
    EXPECT_EQ(std::find(build_set.begin(), build_set.end(), not_needed), build_set.end())
        << not_needed << " does not belong in the image's build stage";
    if (std::string(not_needed) != "npm") {
      EXPECT_TRUE(full_set.count(not_needed)) << not_needed << " missing from the CI set";
    }
  }
  const auto bad = RunProcess({"/bin/bash", script, "--bogus"}, /*merge_stderr=*/true);
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.out.find("unknown argument --bogus"), std::string::npos) << bad.out;
}

// ARG name -> default ("" when none) declared in a stage.
std::map<std::string, std::string> StageArgs(const Stage& stage) {
  std::map<std::string, std::string> out;
  for (const auto& arg : Args(stage, "ARG")) {
    const auto b = arg.find_first_not_of(' ');
    const auto e = arg.find_last_not_of(' ');
    const std::string decl = arg.substr(b, e - b + 1);
    const auto eq = decl.find('=');
    out[decl.substr(0, eq)] = eq == std::string::npos ? "" : decl.substr(eq + 1);
  }
  return out;
}

// key -> value of every LABEL in a stage (quotes removed).
std::map<std::string, std::string> StageLabels(const Stage& stage) {
  std::map<std::string, std::string> out;
  static const std::regex kPair(R"re(([A-Za-z0-9._-]+)=("([^"]*)"|(\S+)))re");
  for (const auto& label : Args(stage, "LABEL")) {
    for (std::sregex_iterator it(label.begin(), label.end(), kPair), end; it != end; ++it) {
      out[(*it)[1].str()] = (*it)[3].matched ? (*it)[3].str() : (*it)[4].str();
    }
  }
  return out;
}

std::string ProjectVersion() {
  static const std::regex kProject(R"(project\(riposte VERSION ([0-9.]+))");
  std::smatch m;
  const std::string cmake = ReadFile(Repo("CMakeLists.txt"));
  return std::regex_search(cmake, m, kProject) ? m[1].str() : "";
}

// .dockerignore drops .git, so the revision must come in as a build argument: the build stage
// passes it to CMake, and the runtime stage labels the image with it. An ARG is visible only
// in the stage that declares it, so each stage must declare what it uses.
TEST(Dockerfile, RevisionIsABuildArgumentInTheBinaryAndTheLabels) {
  const auto stages = ParseDockerfile();
  ASSERT_GE(stages.size(), 2u);
  const Stage& build = stages.front();
  const Stage& runtime = stages.back();
  const auto build_args = StageArgs(build);
  ASSERT_TRUE(build_args.count("RIPOSTE_GIT_REVISION")) << "build stage lacks ARG RIPOSTE_GIT_REVISION";
  std::string runs;
  for (const auto& r : Args(build, "RUN")) runs += r + "\n";
  EXPECT_NE(runs.find("-DRIPOSTE_GIT_REVISION=\"${RIPOSTE_GIT_REVISION}\""), std::string::npos) << runs;
  EXPECT_NE(runs.find("${RIPOSTE_GIT_REVISION}\" /tmp/version"), std::string::npos)
      << "the self-test should check that the binary prints the revision";

  // The package layer comes before the revision, so a new commit does not reinstall packages.
  bool seen_bootstrap = false;
  for (const auto& [ins, args] : build.instructions) {
    if (ins == "RUN" && args.find("bootstrap.sh") != std::string::npos) seen_bootstrap = true;
    if (ins == "ARG" && args.find("RIPOSTE_GIT_REVISION") != std::string::npos) {
      EXPECT_TRUE(seen_bootstrap) << "ARG RIPOSTE_GIT_REVISION before the package layer invalidates its cache";
    }
  }

  const auto runtime_args = StageArgs(runtime);
  const auto labels = StageLabels(runtime);
  const std::map<std::string, std::string> wanted = {
      {"org.opencontainers.image.revision", "RIPOSTE_GIT_REVISION"},
      {"org.opencontainers.image.version", "RIPOSTE_VERSION"},
      {"org.opencontainers.image.source", "RIPOSTE_SOURCE"}};
  for (const auto& [key, arg] : wanted) {
    ASSERT_TRUE(labels.count(key)) << "runtime stage has no LABEL " << key;
    EXPECT_EQ(labels.at(key), "${" + arg + "}") << key;
    EXPECT_TRUE(runtime_args.count(arg)) << "runtime stage uses ${" << arg << "} without declaring ARG " << arg;
  }
  // Every ${VAR} a stage's RUN or LABEL uses is declared in that stage (ARG or ENV).
  static const std::regex kUse(R"(\$\{([A-Za-z_][A-Za-z0-9_]*)\})");
  for (const Stage* stage : {&build, &runtime}) {
    auto declared = StageArgs(*stage);
    for (const auto& env : Args(*stage, "ENV")) declared[env.substr(0, env.find('='))] = "";
    for (const char* ins : {"RUN", "LABEL"}) {
      for (const auto& args : Args(*stage, ins)) {
        for (std::sregex_iterator it(args.begin(), args.end(), kUse), end; it != end; ++it) {
          EXPECT_TRUE(declared.count((*it)[1].str()))
              << ins << " in stage " << stage->alias << " uses ${" << (*it)[1].str() << "}, not declared there";
        }
      }
    }
  }

  // Defaults: the version is the project's (the build stage also checks the binary prints it),
  // the source is the chart's.
  const std::string version = ProjectVersion();
  ASSERT_FALSE(version.empty());
  EXPECT_EQ(runtime_args.at("RIPOSTE_VERSION"), version) << "ARG RIPOSTE_VERSION default (runtime stage)";
  ASSERT_TRUE(build_args.count("RIPOSTE_VERSION"));
  EXPECT_EQ(build_args.at("RIPOSTE_VERSION"), version) << "ARG RIPOSTE_VERSION default (build stage)";
  EXPECT_NE(runs.find("grep -qx \"riposte ${RIPOSTE_VERSION}\" /tmp/version"), std::string::npos)
      << "the self-test should check that the binary's version is the labelled one";
  const auto chart = LoadDocs(Repo("helm/riposte/Chart.yaml"))[0];
  EXPECT_EQ(runtime_args.at("RIPOSTE_SOURCE"), chart["sources"][0].as<std::string>());
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
