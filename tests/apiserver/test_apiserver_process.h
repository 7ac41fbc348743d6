#pragma once
// Starts riposte-test-apiserver as a child process for integration tests: random loopback
// port, a fresh self-signed CA and bearer tokens, readiness wait, kubeconfig, the fault /
// control API, kill and restart on the same port with the same CA and tokens.
//
//   riposte::testapi::TestApiServerProcess server;      // started, ready
//   std::string kubeconfig = server.WriteKubeconfig();
//   server.InjectError("/api/v1/namespaces/default/pods*", 429, 2, 1);
//   server.DropWatches();
//   auto stats = server.Stats();  // stats["byObject"]["delete pods default/x"]

#include <cpprest/json.h>

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "tests/apiserver/https_test_client.h"
#include "tests/support/process.h"

namespace riposte::testapi {

struct TestApiServerOptions {
  std::string token = "riposte-test-token";
  std::string admin_token = "riposte-test-admin";
  int history_size = 10000;
  int bookmark_interval_ms = 60000;
  std::vector<std::string> extra_args;
  bool start = true;  // start in the constructor
};

class TestApiServerProcess {
 public:
  explicit TestApiServerProcess(TestApiServerOptions options = {});
  ~TestApiServerProcess();
  TestApiServerProcess(const TestApiServerProcess&) = delete;
  TestApiServerProcess& operator=(const TestApiServerProcess&) = delete;

  // Starts the process (on the previous port and with the previous CA after a Kill) and waits
  // until /readyz answers; throws std::runtime_error with the server's log on failure.
  void Start();
  void Kill();   // SIGKILL and reap: an abrupt crash
  void Stop();   // SIGTERM and reap
  void Restart();  // Kill + Start: same port, CA and tokens; the data is gone
  bool running() const { return child_ != nullptr; }

  int port() const { return port_; }
  std::string url() const;  // https://127.0.0.1:PORT
  const std::string& ca_pem() const { return ca_pem_; }
  std::string ca_file() const { return dir_ + "/ca.crt"; }
  const std::string& token() const { return options_.token; }
  const std::string& admin_token() const { return options_.admin_token; }
  const std::string& dir() const { return dir_; }
  std::string log() const;  // the server's stdout+stderr so far

  // Writes a kubeconfig (CA data, token, context "riposte-test", namespace "default") and
  // returns its path; `path` empty = <dir>/kubeconfig.
  std::string WriteKubeconfig(const std::string& path = "", const std::string& token = "") const;

  // Raw API access with the full-access token (or `token`).
  RawResponse Api(const std::string& method, const std::string& target, const std::string& body = "",
                  const std::string& content_type = "application/json", const std::string& token = "") const;
  HttpsTestClient client() const { return HttpsTestClient("127.0.0.1", port_, ca_pem_); }

  // Control API (POST /_test/...). Each throws std::runtime_error unless the server accepts.
  web::json::value Control(const std::string& method, const std::string& path,
                           const web::json::value& body = web::json::value::null()) const;
  void InjectDelay(const std::string& path_glob, int delay_ms, int count = -1, const std::string& verb = "") const;
  void InjectError(const std::string& path_glob, int code, int count, int retry_after_seconds = 0,
                   const std::string& verb = "") const;
  void ClearFaults() const;
  void DropWatches() const;
  void DropConnections() const;
  void ExpireHistory() const;
  void RestartInPlace(bool keep_data, int down_ms) const;  // same process, connections dropped
  void SetBookmarkInterval(int ms) const;
  void SetHistorySize(int n) const;
  web::json::value Stats() const;
  int64_t StatCount(const std::string& key) const;  // byObject, then byResource, else 0
  void ResetStats() const;
  web::json::value Seed(const web::json::value& list) const;  // {"items":[...]}
  void SetPodReady(const std::string& ns, const std::string& name, bool ready) const;
  void AddUsers(const web::json::value& config) const;  // {"users":[{token,name,rules}]}
  std::string CurrentResourceVersion() const;

 private:
  void Spawn();
  TestApiServerOptions options_;
  std::string dir_;
  int port_ = 0;
  std::string ca_pem_;
  std::unique_ptr<testing::ChildProcess> child_;
};

}  // namespace riposte::testapi
