#pragma once
// Small blocking HTTP(S) listener for the controller's alert and metrics endpoints
// (Boost.Beast, thread per connection with a hard connection cap, socket timeouts against
// slow clients, body and header caps, TLS 1.2+ with optional client-certificate check).
//
// Stopgap: the shared common/http_server.h this was meant to reuse had not landed when the
// controller was written; the handler interface (endpoint.h) is library-independent, so
// switching is confined to this file and its callers in cli/controller_command.cc.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "controller/endpoint.h"

namespace riposte::controller {

struct ListenerOptions {
  std::string address = "0.0.0.0";
  int port = 0;  // 0 = pick a free port (see port())
  bool tls = true;
  std::string cert_file, key_file;
  std::string client_ca_file;        // verify client certificates against this CA
  bool require_client_cert = false;  // refuse the handshake without one
  size_t max_body_bytes = 1 << 20;
  size_t max_header_bytes = 16 * 1024;
  int max_connections = 256;
  std::chrono::seconds io_timeout{10};
};

using RequestHandler = std::function<HttpReply(const HttpRequestView&)>;

// Parses "ADDR:PORT", ":PORT" or "[v6]:PORT".
bool ParseListenAddress(const std::string& text, std::string* address, int* port, std::string* error);

class Listener {
 public:
  Listener();
  ~Listener();
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;

  bool Start(const ListenerOptions& opts, RequestHandler handler, std::string* error);
  void Stop();
  int port() const { return port_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  int port_ = 0;
};

}  // namespace riposte::controller
