// gtest before cpprestsdk: its U() macro breaks gtest headers included after it.
#include <gtest/gtest.h>

#include "tests/e2e/suite.h"

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <regex>

#include "tests/e2e/https_client.h"
#include "tests/e2e/riposte_local.h"

namespace riposte::e2e {

using web::json::value;

Suite& Suite::Get() {
  static Suite suite;
  return suite;
}

std::string Suite::NewDir(const std::string& name) {
  std::string d = cluster_->dir() + "/work/" + std::to_string(++dirs_) + "-" + name;
  std::filesystem::create_directories(d);
  return d;
}

CommandResult Suite::Kubectl(const std::vector<std::string>& args, const std::string& stdin_text,
                             const std::string& kubeconfig) {
  std::vector<std::string> argv = {cluster_->binaries().kubectl};
  argv.insert(argv.end(), args.begin(), args.end());
  return RunCommand(argv, stdin_text,
                    {{"KUBECONFIG", kubeconfig.empty() ? cluster_->admin_kubeconfig() : kubeconfig},
                     {"HOME", cluster_->dir() + "/home"}});
}

CommandResult Suite::Helm(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {cluster_->binaries().helm};
  argv.insert(argv.end(), args.begin(), args.end());
  const std::string home = cluster_->dir() + "/home";
  return RunCommand(argv, "",
                    {{"KUBECONFIG", cluster_->admin_kubeconfig()},
                     {"HOME", home},
                     {"HELM_CACHE_HOME", home + "/.cache/helm"},
                     {"HELM_CONFIG_HOME", home + "/.config/helm"},
                     {"HELM_DATA_HOME", home + "/.local/share/helm"}},
                    std::chrono::seconds(180));
}

void Suite::UpgradeRelease(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"upgrade", kRelease, ChartPath(), "-n", kReleaseNamespace, "--reuse-values"};
  argv.insert(argv.end(), args.begin(), args.end());
  auto r = Helm(argv);
  if (r.exit_code != 0) throw std::runtime_error("helm upgrade failed: " + r.Describe());
}

std::string Suite::webhook_url() const {
  return "https://127.0.0.1:" + std::to_string(webhook_port_) + "/validate/ingress";
}

void Suite::SetUp() {
  // tests/data -> the source tree (no absolute path on the compile line; see tests/test_paths.h).
  source_dir_ = std::filesystem::path(RIPOSTE_TEST_DATA_DIR).parent_path().parent_path().string();
  binary_ = RIPOSTE_BINARY;
  auto t0 = std::chrono::steady_clock::now();
  auto secs = [](auto a, auto b) { return std::chrono::duration<double>(b - a).count(); };
  cluster_ = std::make_unique<EnvtestCluster>();
  auto t1 = std::chrono::steady_clock::now();
  if (cluster_->binaries().helm.empty() || cluster_->binaries().kubectl.empty())
    throw std::runtime_error("helm and kubectl are required (scripts/envtest-tools.sh puts them next to kube-apiserver)");
  webhook_port_ = FreeLoopbackPort();
  auto r = Helm({"install", kRelease, ChartPath(), "-n", kReleaseNamespace, "--create-namespace",
                 "--set", "webhook.url=" + webhook_url()});
  if (r.exit_code != 0) throw std::runtime_error("helm install failed: " + r.Describe());
  auto t2 = std::chrono::steady_clock::now();
  StartWebhook();
  auto t3 = std::chrono::steady_clock::now();
  std::printf("[e2e] kube-apiserver %s ready in %.1fs (dir %s); helm install %.1fs; webhook %.1fs\n",
              cluster_->url().c_str(), secs(t0, t1), cluster_->dir().c_str(), secs(t1, t2), secs(t2, t3));
  std::fflush(stdout);
}

void Suite::StartWebhook() {
  LocalPodOptions o;
  o.binary = binary_;
  o.flags = {{"--listen", "127.0.0.1:" + std::to_string(webhook_port_)}, {"--metrics-listen", "127.0.0.1:0"}};
  auto pod = MaterializeDeployment(*cluster_, kReleaseNamespace, std::string(kFullname) + "-webhook",
                                   cluster_->dir() + "/webhook", o);
  // The log file is appended to across restarts: wait for this start's "webhook ready" line
  // (not an earlier one), and take the last start's port.
  const std::string ready = "\"msg\":\"webhook ready\"";
  const std::string log_file = pod.dir + "/webhook.log";
  auto starts = [&] {
    std::ifstream in(log_file);
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    size_t n = 0;
    for (size_t at = text.find(ready); at != std::string::npos; at = text.find(ready, at + 1)) ++n;
    return n;
  };
  const size_t before = starts();
  webhook_.Start(pod.argv, log_file);
  if (!Eventually([&] { return starts() > before || !webhook_.Running(); }, std::chrono::seconds(30)) ||
      starts() <= before)
    throw std::runtime_error("riposte webhook did not start:\n" + webhook_.Log());
  std::string log = webhook_.Log();
  const std::regex port_re("\"metrics_port\":\"([0-9]+)\"");
  for (std::sregex_iterator it(log.begin(), log.end(), port_re), end; it != end; ++it) {
    webhook_metrics_port_ = std::stoi((*it)[1]);
  }
}

double Suite::WebhookReviews(const std::string& outcome) {
  std::string text = HttpGet(webhook_metrics_port_, "/metrics").second;
  std::smatch m;
  std::regex re("riposte_admission_requests_total\\{result=\"" + outcome + "\"\\} ([0-9.e+]+)");
  return std::regex_search(text, m, re) ? std::stod(m[1]) : 0;
}

void Suite::StopWebhook() { webhook_.Stop(); }

void Suite::TearDown() {
  webhook_.Stop();
  ExpectNoSanitizerReport(webhook_.Log(), "riposte webhook");
  if (cluster_ && ::testing::UnitTest::GetInstance()->Failed()) {
    cluster_->set_keep_dir(true);
    std::printf("[e2e] a test failed: logs kept in %s\n", cluster_->dir().c_str());
  }
  cluster_.reset();
}

value Json(const std::string& text) { return value::parse(text); }

const value* Find(const value& v, std::initializer_list<const char*> path) {
  const value* cur = &v;
  for (const char* k : path) {
    if (!cur->is_object() || !cur->has_field(k)) return nullptr;
    cur = &cur->at(k);
  }
  return cur;
}

std::string Str(const value& v, std::initializer_list<const char*> path) {
  const value* f = Find(v, path);
  return f != nullptr && f->is_string() ? f->as_string() : "";
}

}  // namespace riposte::e2e
