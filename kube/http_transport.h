#pragma once
// HTTPS to the API server on the calling thread (Boost.Beast over OpenSSL).
//
// Each request runs on the thread that asks for it: a pooled keep-alive connection is taken,
// the request written and the answer read by that thread alone (every connection has its
// own io_context, run only by its current user), and the connection goes back to the pool.
// No thread pool, no hand-off between threads, no futures: a request costs the I/O and TLS
// work and nothing else, and its latency is the server's plus the syscalls.
//
// Watches use a connection of their own and hand the body to the caller as bytes arrive;
// a std::stop_token closes that connection from any thread.

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <stop_token>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "kube/result.h"

namespace riposte::kube::internal {

struct TransportConfig {
  std::string host;  // DNS name or IP literal (no brackets)
  std::string port;
  std::string ca_pem;  // "" = the system trust store
  std::string client_cert_pem, client_key_pem;
  bool insecure_skip_tls_verify = false;
  std::chrono::milliseconds request_timeout{30000};
  size_t max_idle_connections = 16;
};

struct HttpResponse {
  int status = 0;
  std::string body;
  std::string retry_after;  // Retry-After header, when present
};

using Headers = std::vector<std::pair<std::string, std::string>>;

class HttpTransport {
 public:
  // Fails on unusable TLS material.
  static Result<std::unique_ptr<HttpTransport>, std::string> Create(TransportConfig cfg);
  ~HttpTransport();
  HttpTransport(const HttpTransport&) = delete;
  HttpTransport& operator=(const HttpTransport&) = delete;

  // One request and its whole answer (capped at `max_body` bytes: kDecode beyond). A
  // connection found closed by the server when it is taken from the pool is replaced before
  // anything is sent. Errors: kTimeout, kTransport (connect, TLS, reset), kDecode.
  Result<HttpResponse> Request(std::string_view method, const std::string& target, const Headers& headers,
                               const std::string* body, std::string_view content_type, size_t max_body);

  // A streaming GET. Calls on_bytes with the decoded body as it arrives (chunked framing
  // removed) until the server ends it, on_bytes returns false, `idle_timeout` passes
  // without data, or `stop` fires (kCancelled). A non-2xx answer is returned whole (up to
  // 1 MiB) in `*error_response` with no bytes delivered.
  Result<int> Stream(const std::string& target, const Headers& headers, std::chrono::milliseconds idle_timeout,
                     std::stop_token stop, const std::function<bool(const char*, size_t)>& on_bytes,
                     HttpResponse* error_response);

  size_t idle_connections() const;

 private:
  struct Impl;
  explicit HttpTransport(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace riposte::kube::internal
