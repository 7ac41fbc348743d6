#include "tests/controller/controller_process.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <regex>
#include <sstream>
#include <stdexcept>

#include "tests/support/certs.h"
#include "tests/support/eventually.h"
#include "tests/support/files.h"
#include "tests/support/https_client.h"

#include <yaml-cpp/yaml.h>


namespace riposte::controller::testing {

namespace {

using web::json::value;

value YamlToJson(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Map: {
      auto o = value::object();
      for (const auto& kv : n) o[kv.first.as<std::string>()] = YamlToJson(kv.second);
      return o;
    }
    case YAML::NodeType::Sequence: {
      auto a = value::array();
      for (size_t i = 0; i < n.size(); ++i) a[i] = YamlToJson(n[i]);
      return a;
    }
    case YAML::NodeType::Scalar: {
      const std::string s = n.Scalar();
      if (n.Tag() == "?") {  // plain scalar: YAML 1.2 core schema types
        if (s == "true") return value::boolean(true);
        if (s == "false") return value::boolean(false);
        if (s == "null" || s == "~") return value::null();
        char* end = nullptr;
        long long v = std::strtoll(s.c_str(), &end, 10);
        if (!s.empty() && *end == '\0') return value::number(static_cast<int64_t>(v));
      }
      return value::string(s);
    }
    default:
      return value::null();
  }
}

}  // namespace

std::vector<value> CrdObjects(const std::string& source_dir) {
  std::vector<value> out;
  for (const char* f : {"responsepolicies.riposte.io.yaml", "responseactions.riposte.io.yaml"})
    out.push_back(YamlToJson(YAML::LoadFile(source_dir + "/manifests/crds/" + f)));
  return out;
}

void InstallCrds(const testapi::TestApiServerProcess& server, const std::string& source_dir) {
  for (const auto& crd : CrdObjects(source_dir)) {
    auto r = server.Api("POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", crd.serialize());
    if (r.status >= 300) throw std::runtime_error("installing " + crd.at("metadata").at("name").as_string() + ": " + r.body);
  }
}

ControllerProcess::ControllerProcess(const std::string& dir, ControllerProcessOptions opts)
    : dir_(dir), opts_(std::move(opts)) {
  auto pair = riposte::testing::SelfSignedServerCert("127.0.0.1");
  cert_pem_ = pair.cert_pem;
  std::ofstream(dir_ + "/alerts.crt") << pair.cert_pem;
  std::ofstream(dir_ + "/alerts.key") << pair.key_pem;
  token_ = "alert-token-" + std::to_string(getpid()) + "-0123456789";
  std::ofstream(dir_ + "/alerts.token") << token_ << "\n";
}

ControllerProcess::~ControllerProcess() { Kill(); }

std::string ControllerProcess::log() const {
  return riposte::testing::ReadFile(dir_ + "/controller-" + std::to_string(generation_) + ".log");
}

void ControllerProcess::Start() {
  ++generation_;
  std::string log_path = dir_ + "/controller-" + std::to_string(generation_) + ".log";
  std::vector<std::string> args = {"controller",
                                   "--kubeconfig", opts_.kubeconfig,
                                   "--alerts-listen", "127.0.0.1:0",
                                   "--metrics-listen", "127.0.0.1:0",
                                   "--alerts-tls-cert", dir_ + "/alerts.crt",
                                   "--alerts-tls-key", dir_ + "/alerts.key",
                                   "--alerts-token-file", dir_ + "/alerts.token",
                                   "--namespace", "riposte-system",
                                   "--identity", opts_.identity,
                                   "--lease-duration-seconds", "3",
                                   "--log-format", "json"};
  args.insert(args.end(), opts_.extra_args.begin(), opts_.extra_args.end());
  child_ = std::make_unique<riposte::testing::ChildProcess>(opts_.binary.empty() ? std::string(RIPOSTE_BINARY) : opts_.binary,
                                                             args, log_path);
  if (!child_->started()) {
    child_.reset();
    throw std::runtime_error("spawn riposte controller failed");
  }
  std::regex alerts_re("alerts listening on .* \\(port ([0-9]+)\\)"), metrics_re("metrics listening on .* \\(port ([0-9]+)\\)");
  bool ports = false;
  riposte::testing::Eventually(
      [&] {
        std::string text = log();
        std::smatch a, m;
        if (std::regex_search(text, a, alerts_re) && std::regex_search(text, m, metrics_re)) {
          alerts_port_ = std::stoi(a[1]);
          metrics_port_ = std::stoi(m[1]);
          return ports = true;
        }
        return !child_->Running();
      },
      std::chrono::seconds(20), std::chrono::milliseconds(20));
  if (!ports) {
    child_.reset();
    throw std::runtime_error("riposte controller did not start:\n" + log());
  }
}

void ControllerProcess::Kill() {
  if (!child_) return;
  child_->Kill();
  child_.reset();
}

bool ControllerProcess::Stop(std::chrono::milliseconds timeout) {
  if (!child_) return false;
  const int status = child_->Signal(SIGTERM, timeout);
  if (status == -1) child_->Kill();
  child_.reset();
  return status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

bool ControllerProcess::WaitReady(std::chrono::milliseconds timeout) const {
  return riposte::testing::Eventually([&] { return GetOps("/readyz").first == 200; }, timeout,
                                      std::chrono::milliseconds(20));
}

testapi::RawResponse ControllerProcess::PostAlert(const std::string& body, const std::string& target,
                                                  const std::string* token) const {
  testapi::HttpsTestClient client("127.0.0.1", alerts_port_, cert_pem_);
  return client.Request("POST", target, body, "application/json", token ? *token : token_);
}

std::pair<int, std::string> ControllerProcess::GetOps(const std::string& path) const {
  return riposte::testing::HttpGet(metrics_port_, path);
}

}  // namespace riposte::controller::testing
