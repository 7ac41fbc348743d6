#pragma once
// A tiny HTTPS server for tests of the client's handling of bad servers: every request is
// answered by a script that returns the raw bytes to send (so tests can send malformed JSON,
// HTML, broken chunking, huge watch events or nothing at all). Loopback, random port, TLS
// with the test PKI's server certificate.

#include <atomic>
#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <thread>

namespace riposte::kube::testing {

struct ScriptedRequest {
  std::string method;
  std::string target;  // path + query
  std::string body;
};

class ScriptedServer {
 public:
  // Returns the raw HTTP response bytes; the connection is closed after writing them.
  using Script = std::function<std::string(const ScriptedRequest&)>;
  explicit ScriptedServer(Script script);
  ~ScriptedServer();
  int port() const { return port_; }
  int requests() const { return requests_.load(); }

  static std::string Response(int status, const std::string& body, const std::string& extra_headers = "");
  static std::string Chunked(int status, const std::string& payload);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  int port_ = 0;
  std::atomic<int> requests_{0};
};

}  // namespace riposte::kube::testing
