// The documentation runs (docs/testing.md, "Documentation tests"). Every block of README.md and
// docs/*.md marked `run` or `output` is executed in document order against the real
// kube-apiserver: the chart installed with helm as written, the plain manifests applied with
// kubectl, and Riposte's pods played by ClusterEmulator (its image runs as local processes).
// What the docs assume but this machine lacks is replaced as tests/e2e/doc_substitutions.md
// says; that table is read here, not duplicated. Shown outputs and exit codes must match what
// runs (tests/doc/doc_blocks.h says how samples are compared); a failure names the doc's
// file:line and shows the real output. Paths that install Riposte end with its uninstall
// steps, after which no Riposte object may remain, the CRDs must be gone and an Ingress must
// be writable. Runs last: it removes the CRDs the suite's own release uses.

#include <gtest/gtest.h>

#include <filesystem>
#include <regex>
#include <set>

#include "tests/apiserver/test_apiserver_process.h"
#include "tests/doc/doc_blocks.h"
#include "tests/e2e/cluster_emulator.h"
#include "tests/e2e/fixtures.h"
#include "tests/e2e/suite.h"

namespace riposte::e2e {
namespace {

namespace fs = std::filesystem;
using web::json::value;
using namespace std::chrono_literals;

// --- tests/e2e/doc_substitutions.md -------------------------------------------------------------

struct Substitutions {
  std::vector<std::pair<std::string, std::string>> commands;  // doc text -> what runs
  std::map<std::string, std::string> files;                   // name -> content
};

// The two tables the runner needs from the substitution document: "## Command substitutions"
// (rows `| `doc text` | `runs as` | why |`) and "## Files" ("### `name`" + a fenced block).
Substitutions LoadSubstitutions(const std::string& path) {
  Substitutions s;
  std::string text = ReadFile(path);
  std::istringstream in(text);
  std::string section, file;
  static const std::regex kRow(R"(^\|\s*`([^`]+)`\s*\|\s*`([^`]*)`\s*\|)");
  static const std::regex kFile(R"(^###\s+`([^`]+)`)");
  bool in_fence = false;
  std::string content;
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("```", 0) == 0) {
      if (in_fence && !file.empty()) {
        s.files[file] = content;
        file.clear();
      }
      in_fence = !in_fence;
      content.clear();
      continue;
    }
    if (in_fence) {
      content += line + "\n";
      continue;
    }
    if (line.rfind("## ", 0) == 0) section = line.substr(3);
    std::smatch m;
    if (section == "Command substitutions" && std::regex_search(line, m, kRow)) s.commands.emplace_back(m[1], m[2]);
    if (section == "Files" && std::regex_search(line, m, kFile)) file = m[1];
  }
  if (s.commands.empty()) throw std::runtime_error(path + ": no command substitutions found");
  return s;
}

std::string Apply(const Substitutions& s, std::string command) {
  for (const auto& [from, to] : s.commands) {
    for (size_t at = command.find(from); at != std::string::npos; at = command.find(from, at + to.size()))
      command.replace(at, from.size(), to);
  }
  return command;
}

// --- what a Riposte object is, for the leftover check ------------------------------------------

// Every object of every listable resource whose name or labels say Riposte, as "resource ns/name".
std::set<std::string> RiposteObjects(EnvtestCluster& c) {
  std::set<std::string> out;
  std::vector<std::string> bases = {"/api/v1"};
  auto groups = c.Api("GET", "/apis");
  const value groups_json = groups.Json();
  for (const auto& g : groups_json.at("groups").as_array())
    bases.push_back("/apis/" + Str(g, {"preferredVersion", "groupVersion"}));
  for (const auto& base : bases) {
    auto d = c.Api("GET", base);
    if (d.status != 200) continue;
    const value d_json = d.Json();
    for (const auto& r : d_json.at("resources").as_array()) {
      std::string plural = Str(r, {"name"});
      bool listable = false;
      if (r.has_field("verbs"))
        for (const auto& v : r.at("verbs").as_array()) listable |= v.as_string() == "list";
      if (plural.find('/') != std::string::npos || !listable || plural == "events" || plural == "tokenreviews") continue;
      auto items = c.Api("GET", base + "/" + plural);
      if (items.status != 200) continue;
      const value items_json = items.Json();
      for (const auto& i : items_json.at("items").as_array()) {
        std::string name = Str(i, {"metadata", "name"}), ns = Str(i, {"metadata", "namespace"});
        bool ours = name.find("riposte") != std::string::npos || ns.find("riposte") != std::string::npos ||
                    Str(i, {"metadata", "labels", "app.kubernetes.io/part-of"}) == "riposte" ||
                    Str(i, {"metadata", "labels", "app.kubernetes.io/name"}) == "riposte" ||
                    base.find("riposte.io") != std::string::npos;
        if (ours) out.insert(plural + " " + (ns.empty() ? "" : ns + "/") + name);
      }
    }
  }
  return out;
}

// --- the runner ---------------------------------------------------------------------------------

class DocTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto& suite = Suite::Get();
    subs_ = new Substitutions(LoadSubstitutions(suite.source_dir() + "/tests/e2e/doc_substitutions.md"));
    // The documents install Riposte as release "riposte" and with the plain manifests: the suite's
    // own release steps aside (its webhook would judge the same Ingresses), and what earlier tests
    // left is removed, finalizers of their ResponseActions released as docs/install.md shows. An
    // emulator without played namespaces finalizes namespace riposte meanwhile.
    EmulatorOptions cleanup;
    cleanup.binary = suite.binary();
    cleanup.dir = suite.NewDir("doc-cleanup");
    auto namespace_controller = std::make_unique<ClusterEmulator>(suite.cluster(), cleanup);
    suite.cluster().Api("DELETE", std::string("/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/") + kFullname);
    auto all = suite.Kubectl({"get", "responseactions", "-A", "-o", "jsonpath={range .items[*]}{.metadata.namespace} {.metadata.name}{\"\\n\"}{end}"});
    std::istringstream lines(all.out);
    for (std::string ns, name; lines >> ns >> name;)
      suite.Kubectl({"-n", ns, "patch", "responseaction", name, "--type=merge", "-p", R"({"metadata":{"finalizers":null}})"});
    auto del = suite.Kubectl({"delete", "-k", suite.source_dir() + "/manifests", "--ignore-not-found", "--wait=true", "--timeout=120s"});
    if (del.exit_code != 0) ADD_FAILURE() << "removing the plain manifests' install: " << del.Describe();
    namespace_controller.reset();
    EmulatorOptions eo;
    eo.binary = suite.binary();
    eo.namespaces = {"riposte"};
    eo.dir = suite.NewDir("doc-pods");
    emulator_ = new ClusterEmulator(suite.cluster(), eo);
  }
  static void TearDownTestSuite() {
    audit_server_.reset();
    delete emulator_;
    emulator_ = nullptr;
    delete subs_;
    subs_ = nullptr;
  }

  struct Env {
    std::string dir;
    std::map<std::string, std::string> vars;
  };

  // A working directory that looks like the repository (every top-level entry linked, build
  // trees excepted), the fixture files, riposte/kubectl/helm first on PATH and the cluster's
  // administrator as KUBECONFIG.
  Env MakeEnv(const std::string& name) {
    auto& suite = Suite::Get();
    Env e;
    e.dir = suite.NewDir("doc-" + name);
    for (const auto& entry : fs::directory_iterator(suite.source_dir())) {
      std::string n = entry.path().filename().string();
      if (n == ".git" || n.rfind("build", 0) == 0) continue;
      fs::create_symlink(entry.path(), e.dir + "/" + n);
    }
    fs::create_directories(e.dir + "/.bin");
    fs::create_symlink(suite.binary(), e.dir + "/.bin/riposte");
    fs::create_symlink(suite.cluster().binaries().kubectl, e.dir + "/.bin/kubectl");
    fs::create_symlink(suite.cluster().binaries().helm, e.dir + "/.bin/helm");
    fs::create_directories(e.dir + "/home");
    for (const auto& [file, content] : subs_->files) WriteFile(e.dir + "/" + file, content);
    // Generated fixtures (doc_substitutions.md, "Generated by the runner").
    std::string demo = ReadFile(suite.source_dir() + "/scripts/demo.sh");
    demo = std::regex_replace(demo, std::regex(R"(cd "\$\(dirname "\$0"\)/\.\."\n)"), "");
    demo = std::regex_replace(demo, std::regex(R"(bash scripts/bootstrap\.sh --build-only\n)"),
                              "echo \"bootstrap: all $(bash scripts/bootstrap.sh --print --build-only | wc -l) packages present\"\n");
    demo = std::regex_replace(demo, std::regex(R"(bash scripts/build\.sh build-demo [^\n]*\n)"),
                              "mkdir -p build-demo && ln -sf \"$(command -v riposte)\" build-demo/riposte\n");
    WriteFile(e.dir + "/doctest-demo.sh", demo);
    e.vars = {{"PATH", e.dir + "/.bin:" + std::string(std::getenv("PATH") ? std::getenv("PATH") : "/usr/bin:/bin")},
              {"KUBECONFIG", suite.cluster().admin_kubeconfig()},
              {"HOME", e.dir + "/home"},
              {"HELM_CACHE_HOME", e.dir + "/home/.cache/helm"},
              {"HELM_CONFIG_HOME", e.dir + "/home/.config/helm"},
              {"HELM_DATA_HOME", e.dir + "/home/.local/share/helm"},
              {"NO_COLOR", "1"},
              {"LC_ALL", "C.UTF-8"}};
    return e;
  }

  // The audit sample's cluster: the project's test API server seeded with
  // tests/data/audit/cluster_vulnerable.json, reached with ./kubeconfig.
  void AuditCluster(const Env& e) {
    if (audit_server_ == nullptr) {
      audit_server_ = std::make_unique<testapi::TestApiServerProcess>();
      audit_server_->Seed(Json(ReadFile(std::string(RIPOSTE_TEST_DATA_DIR) + "/audit/cluster_vulnerable.json")));
    }
    audit_server_->WriteKubeconfig(e.dir + "/kubeconfig");
  }

  CommandResult Bash(const Env& e, const std::string& script) {
    // cwd: RunCommand has none, so the script starts with a cd.
    return RunCommand({"/bin/bash", "-c", "cd " + e.dir + " && " + script}, "", e.vars, 240s);
  }

  // Runs the blocks of `doc` that belong to `path` ("" = the document has no paths).
  void RunDocument(const std::string& doc, const std::string& path) {
    auto& suite = Suite::Get();
    Env env = MakeEnv(doc.substr(doc.rfind('/') + 1) + (path.empty() ? "" : "-" + path));
    AuditCluster(env);
    auto blocks = doctest::ParseBlocks(ReadFile(suite.source_dir() + "/" + doc), doc);
    bool installs = false;
    std::set<std::string> before;
    int ran = 0;
    for (const auto& b : blocks) {
      if (!b.marker) continue;
      const auto& m = *b.marker;
      std::string block_path = m.Option("path");
      if (!block_path.empty() && block_path != path) continue;
      if (m.kind == "skip") {
        std::printf("[doc] %s: not run: %s\n", b.Where(-1).c_str(), m.reason.c_str());
        continue;
      }
      std::string all;
      for (const auto& l : b.lines) all += l + "\n";
      if (!installs && (all.find("helm upgrade --install") != std::string::npos ||
                        all.find("kubectl apply -k manifests/") != std::string::npos)) {
        installs = true;
        before = RiposteObjects(suite.cluster());
      }
      ++ran;
      auto started = std::chrono::steady_clock::now();
      struct Timing {
        std::string where;
        std::chrono::steady_clock::time_point t0;
        ~Timing() {
          std::printf("[doc] %s: ran in %.1fs\n", where.c_str(),
                      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
        }
      } timing{b.Where(-1), started};
      auto volatiles = m.Options("volatile");
      int want_exit = std::stoi(m.Option("exit", "0"));
      if (m.kind == "output") {
        auto r = Bash(env, "exec 2>&1; " + Apply(*subs_, m.Option("cmd")));
        EXPECT_EQ(r.exit_code, want_exit) << b.Where(-1) << ": `" << m.Option("cmd") << "` exited " << r.exit_code
                                          << ", the doc says " << want_exit << "\n" << r.out;
        auto match = doctest::MatchOutput(b.lines, doc, b.fence_line + 1, r.out, volatiles);
        EXPECT_TRUE(match.ok) << "output of `" << m.Option("cmd") << "`:\n" << match.explanation;
        continue;
      }
      auto steps = doctest::ConsoleSteps(b);
      if (steps.empty()) {
        auto r = Bash(env, "exec 2>&1; set -e\n" + Apply(*subs_, all));
        EXPECT_EQ(r.exit_code, want_exit) << b.Where(0) << ": the block exited " << r.exit_code << " (the doc expects "
                                          << want_exit << "):\n" << r.out << "\n" << emulator_->Describe();
        continue;
      }
      for (const auto& s : steps) {
        auto r = Bash(env, "exec 2>&1; " + Apply(*subs_, s.command));
        EXPECT_EQ(r.exit_code, s.exit_code) << doc << ":" << s.line << ": `" << s.command << "` exited " << r.exit_code
                                            << (s.exit_code ? "" : " (a command without \"# exit N\" must exit 0)")
                                            << "; output:\n" << r.out << "\n" << emulator_->Describe();
        auto match = doctest::MatchOutput(s.expected, doc, s.expected_line, r.out, volatiles);
        EXPECT_TRUE(match.ok) << "output of `" << s.command << "`:\n" << match.explanation;
      }
    }
    EXPECT_GT(ran, 0) << doc << (path.empty() ? "" : " path " + path) << ": nothing marked to run";
    if (installs) ExpectNothingLeft(before, doc + (path.empty() ? "" : " (path " + path + ")"));
  }

  // After the uninstall steps: no Riposte object that the document's install made, no CRDs,
  // Ingress writes accepted.
  void ExpectNothingLeft(const std::set<std::string>& before, const std::string& what) {
    auto& c = Suite::Get().cluster();
    std::set<std::string> left;
    bool clean = Eventually([&] {
      left.clear();
      for (const auto& o : RiposteObjects(c))
        if (!before.count(o)) left.insert(o);
      return left.empty();
    }, 30s);
    std::string list;
    for (const auto& o : left) list += "  " + o + "\n";
    EXPECT_TRUE(clean) << what << ": after the uninstall steps these Riposte objects remain:\n" << list;
    for (const char* crd : {"responsepolicies.riposte.io", "responseactions.riposte.io"})
      EXPECT_EQ(StatusOf(std::string("/apis/apiextensions.k8s.io/v1/customresourcedefinitions/") + crd), 404)
          << what << ": CRD " << crd << " is still there";
    EXPECT_EQ(StatusOf("/api/v1/namespaces/riposte"), 404) << what << ": namespace riposte is still there";
    auto ing = c.Api("POST", "/apis/networking.k8s.io/v1/namespaces/default/ingresses",
                     R"({"apiVersion":"networking.k8s.io/v1","kind":"Ingress","metadata":{"name":"after-uninstall"},
                        "spec":{"rules":[{"host":"after.example.com"}]}})");
    EXPECT_EQ(ing.status, 201) << what << ": an Ingress write after the uninstall: " << ing.body;
    c.Api("DELETE", "/apis/networking.k8s.io/v1/namespaces/default/ingresses/after-uninstall");
    EXPECT_TRUE(emulator_->Errors().empty()) << emulator_->Describe();
  }

  static Substitutions* subs_;
  static ClusterEmulator* emulator_;
  static std::unique_ptr<testapi::TestApiServerProcess> audit_server_;
};
Substitutions* DocTest::subs_ = nullptr;
ClusterEmulator* DocTest::emulator_ = nullptr;
std::unique_ptr<testapi::TestApiServerProcess> DocTest::audit_server_;

// Which documents (and paths through them) run; a document with runnable blocks that is not
// listed fails DocTest.EveryRunnableDocumentIsRun.
const std::vector<std::pair<std::string, std::string>> kRuns = {
    {"README.md", "helm"},
    {"docs/install.md", "helm"},
    {"docs/install.md", "kubectl"},
    {"docs/scan.md", ""},
};

TEST_F(DocTest, EveryRunnableDocumentIsRun) {
  auto& suite = Suite::Get();
  std::set<std::pair<std::string, std::string>> wanted;
  std::vector<std::string> docs = {"README.md"};
  for (const auto& e : fs::directory_iterator(suite.source_dir() + "/docs"))
    if (e.path().extension() == ".md") docs.push_back("docs/" + e.path().filename().string());
  for (const auto& doc : docs) {
    std::set<std::string> paths;
    bool unpathed = false;
    for (const auto& b : doctest::ParseBlocks(ReadFile(suite.source_dir() + "/" + doc), doc)) {
      if (!b.marker || b.marker->kind == "skip") continue;
      std::string p = b.marker->Option("path");
      if (p.empty()) unpathed = true;
      else paths.insert(p);
    }
    if (paths.empty() && unpathed) wanted.insert({doc, ""});
    for (const auto& p : paths) wanted.insert({doc, p});
  }
  for (const auto& w : wanted)
    EXPECT_NE(std::find(kRuns.begin(), kRuns.end(), w), kRuns.end())
        << w.first << (w.second.empty() ? "" : " path " + w.second) << " has runnable blocks but is not in kRuns";
}

TEST_F(DocTest, Readme) { RunDocument("README.md", "helm"); }
TEST_F(DocTest, InstallWithHelm) { RunDocument("docs/install.md", "helm"); }
TEST_F(DocTest, InstallWithKubectl) { RunDocument("docs/install.md", "kubectl"); }
TEST_F(DocTest, Scan) { RunDocument("docs/scan.md", ""); }

}  // namespace
}  // namespace riposte::e2e
