#include "tests/apiserver/test_apiserver_process.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace riposte::testapi {

using web::json::value;

namespace {

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

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
  std::string tmpl = (std::filesystem::temp_directory_path() / "riposte-apiserver-XXXXXX").string();
  if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
  dir_ = tmpl;
  if (options_.start) Start();
}

TestApiServerProcess::~TestApiServerProcess() {
  Kill();
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

std::string TestApiServerProcess::url() const { return "https://127.0.0.1:" + std::to_string(port_); }

std::string TestApiServerProcess::log() const { return ReadAll(dir_ + "/server.log"); }

void TestApiServerProcess::Spawn() {
  std::string port_file = dir_ + "/port";
  std::filesystem::remove(port_file);
  std::vector<std::string> args = {Binary(),
                                   "--port", std::to_string(port_),
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
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  std::string log_path = dir_ + "/server.log";
  posix_spawn_file_actions_addopen(&actions, 1, log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  int rc = posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    pid_ = -1;
    throw std::runtime_error("cannot start " + args[0] + ": " + std::strerror(rc));
  }
}

void TestApiServerProcess::Start() {
  if (pid_ > 0) return;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  // The previous port may still be held briefly after a kill; retry the spawn until it binds.
  while (true) {
    Spawn();
    std::string port_file = dir_ + "/port";
    bool ready = false, exited = false;
    while (std::chrono::steady_clock::now() < deadline) {
      int status;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        exited = true;
        break;
      }
      if (std::filesystem::exists(port_file)) {
        ready = true;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    if (ready) break;
    if (!exited) {
      Kill();
      throw std::runtime_error("riposte-test-apiserver did not start in time:\n" + log());
    }
    if (std::chrono::steady_clock::now() >= deadline || port_ == 0)
      throw std::runtime_error("riposte-test-apiserver exited:\n" + log());
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  port_ = std::stoi(ReadAll(dir_ + "/port"));
  ca_pem_ = ReadAll(dir_ + "/ca.crt");
  while (true) {
    try {
      if (client().Request("GET", "/readyz").status == 200) return;
    } catch (const std::exception&) {
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      Kill();
      throw std::runtime_error("riposte-test-apiserver never became ready:\n" + log());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

void TestApiServerProcess::Kill() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  int status;
  waitpid(pid_, &status, 0);
  pid_ = -1;
}

void TestApiServerProcess::Stop() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);
  int status;
  waitpid(pid_, &status, 0);
  pid_ = -1;
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
