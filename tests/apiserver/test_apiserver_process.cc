#include "tests/apiserver/test_apiserver_process.h"

#include <signal.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <thread>

#include "tests/support/eventually.h"
#include "tests/support/files.h"

namespace riposte::testapi {

using web::json::value;

namespace {

std::string Binary() {
  if (const char* env = std::getenv("RIPOSTE_TEST_APISERVER")) return env;
#ifdef RIPOSTE_TEST_APISERVER_BINARY
  return RIPOSTE_TEST_APISERVER_BINARY;
#else
  return "riposte-test-apiserver";
#endif
}

}  // namespace

TestApiServerProcess::TestApiServerProcess(TestApiServerOptions options) : options_(std::move(options)) {
  dir_ = testing::MakeTempDir("riposte-apiserver");
  if (options_.start) Start();
}

TestApiServerProcess::~TestApiServerProcess() {
  Kill();
  testing::RemoveTree(dir_);
}

std::string TestApiServerProcess::url() const { return "https://127.0.0.1:" + std::to_string(port_); }

std::string TestApiServerProcess::log() const { return testing::ReadFile(dir_ + "/server.log"); }

void TestApiServerProcess::Spawn() {
  std::string port_file = dir_ + "/port";
  std::filesystem::remove(port_file);
  std::vector<std::string> args = {"--port", std::to_string(port_),
                                   "--port-file", port_file,
                                   "--token", options_.token,
                                   "--admin-token", options_.admin_token,
                                   "--history-size", std::to_string(options_.history_size),
                                   "--bookmark-interval-ms", std::to_string(options_.bookmark_interval_ms)};
  if (std::filesystem::exists(dir_ + "/ca.crt") && std::filesystem::exists(dir_ + "/tls.key")) {
    args.insert(args.end(), {"--tls-cert-file", dir_ + "/ca.crt", "--tls-key-file", dir_ + "/tls.key"});
  } else {
    args.insert(args.end(), {"--write-cert-file", dir_ + "/ca.crt", "--write-key-file", dir_ + "/tls.key"});
  }
  args.insert(args.end(), options_.extra_args.begin(), options_.extra_args.end());
  testing::ChildProcess::Options opts;
  opts.append_output = true;  // one log across restarts
  child_ = std::make_unique<testing::ChildProcess>(Binary(), args, dir_ + "/server.log", opts);
  if (!child_->started()) {
    child_.reset();
    throw std::runtime_error("cannot start " + Binary());
  }
}

void TestApiServerProcess::Start() {
  if (child_) return;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  // The previous port may still be held briefly after a kill; retry the spawn until it binds.
  while (true) {
    Spawn();
    std::string port_file = dir_ + "/port";
    bool ready = false, exited = false;
    testing::Eventually(
        [&] {
          if (!child_->Running()) return exited = true;
          return ready = std::filesystem::exists(port_file);
        },
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()),
        std::chrono::milliseconds(10));
    if (exited) child_.reset();
    if (ready) break;
    if (!exited) {
      Kill();
      throw std::runtime_error("riposte-test-apiserver did not start in time:\n" + log());
    }
    if (std::chrono::steady_clock::now() >= deadline || port_ == 0)
      throw std::runtime_error("riposte-test-apiserver exited:\n" + log());
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  port_ = std::stoi(testing::ReadFile(dir_ + "/port"));
  ca_pem_ = testing::ReadFile(dir_ + "/ca.crt");
  const bool serving = testing::Eventually(
      [&] {
        try {
          return client().Request("GET", "/readyz").status == 200;
        } catch (const std::exception&) {
          return false;
        }
      },
      std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()),
      std::chrono::milliseconds(10));
  if (!serving) {
    Kill();
    throw std::runtime_error("riposte-test-apiserver never became ready:\n" + log());
  }
}

void TestApiServerProcess::Kill() {
  if (!child_) return;
  child_->Kill();
  child_.reset();
}

void TestApiServerProcess::Stop() {
  if (!child_) return;
  if (child_->Signal(SIGTERM, std::chrono::seconds(30)) == -1) child_->Kill();
  child_.reset();
}

void TestApiServerProcess::Restart() {
  Kill();
  Start();
}

std::string TestApiServerProcess::WriteKubeconfig(const std::string& path, const std::string& token) const {
  std::string out = path.empty() ? dir_ + "/kubeconfig" : path;
  std::vector<unsigned char> bytes(ca_pem_.begin(), ca_pem_.end());
  std::ofstream f(out, std::ios::trunc);
  f << "apiVersion: v1\nkind: Config\nclusters:\n- name: riposte-test\n  cluster:\n    server: " << url()
    << "\n    certificate-authority-data: " << utility::conversions::to_base64(bytes)
    << "\nusers:\n- name: riposte-test\n  user:\n    token: " << (token.empty() ? options_.token : token)
    << "\ncontexts:\n- name: riposte-test\n  context:\n    cluster: riposte-test\n    user: riposte-test\n"
       "    namespace: default\ncurrent-context: riposte-test\n";
  if (!f) throw std::runtime_error("cannot write " + out);
  return out;
}

RawResponse TestApiServerProcess::Api(const std::string& method, const std::string& target,
                                      const std::string& body, const std::string& content_type,
                                      const std::string& token) const {
  return client().Request(method, target, body, body.empty() ? "" : content_type,
                          token.empty() ? options_.token : token);
}

value TestApiServerProcess::Control(const std::string& method, const std::string& path, const value& body) const {
  auto r = client().Request(method, "/_test/" + path, body.is_null() ? "" : body.serialize(),
                            body.is_null() ? "" : "application/json", options_.admin_token);
  if (r.status / 100 != 2)
    throw std::runtime_error("control " + method + " /_test/" + path + ": HTTP " + std::to_string(r.status) + " " + r.body);
  return r.body.empty() ? value::null() : r.Json();
}

static value Fault(const std::string& type) {
  value f = value::object();
  f["type"] = value::string(type);
  return f;
}

void TestApiServerProcess::InjectDelay(const std::string& glob, int delay_ms, int count, const std::string& verb) const {
  value f = Fault("delay");
  f["pathGlob"] = value::string(glob);
  f["delayMs"] = value::number(delay_ms);
  f["count"] = value::number(count);
  if (!verb.empty()) f["verb"] = value::string(verb);
  Control("POST", "faults", f);
}

void TestApiServerProcess::InjectError(const std::string& glob, int code, int count, int retry_after,
                                       const std::string& verb) const {
  value f = Fault("error");
  f["pathGlob"] = value::string(glob);
  f["code"] = value::number(code);
  f["count"] = value::number(count);
  f["retryAfterSeconds"] = value::number(retry_after);
  if (!verb.empty()) f["verb"] = value::string(verb);
  Control("POST", "faults", f);
}

void TestApiServerProcess::ClearFaults() const { Control("DELETE", "faults"); }
void TestApiServerProcess::DropWatches() const { Control("POST", "faults", Fault("dropWatches")); }
void TestApiServerProcess::DropConnections() const { Control("POST", "faults", Fault("dropConnections")); }
void TestApiServerProcess::ExpireHistory() const { Control("POST", "faults", Fault("expireHistory")); }

void TestApiServerProcess::RestartInPlace(bool keep_data, int down_ms) const {
  value f = Fault("restart");
  f["keepData"] = value::boolean(keep_data);
  f["downMs"] = value::number(down_ms);
  Control("POST", "faults", f);
}

void TestApiServerProcess::SetBookmarkInterval(int ms) const {
  value c = value::object();
  c["bookmarkIntervalMs"] = value::number(ms);
  Control("POST", "config", c);
}

void TestApiServerProcess::SetHistorySize(int n) const {
  value c = value::object();
  c["historySize"] = value::number(n);
  Control("POST", "config", c);
}

value TestApiServerProcess::Stats() const { return Control("GET", "stats"); }

int64_t TestApiServerProcess::StatCount(const std::string& key) const {
  value s = Stats();
  for (const char* section : {"byObject", "byResource"})
    if (s.at(section).has_field(key)) return s.at(section).at(key).as_number().to_int64();
  return 0;
}

void TestApiServerProcess::ResetStats() const { Control("DELETE", "stats"); }

value TestApiServerProcess::Seed(const value& list) const { return Control("POST", "seed", list); }

void TestApiServerProcess::SetPodReady(const std::string& ns, const std::string& name, bool ready) const {
  value b = value::object();
  b["ready"] = value::boolean(ready);
  Control("POST", "pods/" + ns + "/" + name + "/ready", b);
}

void TestApiServerProcess::AddUsers(const value& config) const { Control("POST", "users", config); }

std::string TestApiServerProcess::CurrentResourceVersion() const {
  return Control("GET", "revision").at("resourceVersion").as_string();
}

}  // namespace riposte::testapi
