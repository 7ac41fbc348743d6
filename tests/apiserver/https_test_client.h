#pragma once
// A deliberately raw HTTPS client for tests of the API test server (and for tests that need to
// poke it without the kube/ client): one request per connection (tests/support's
// VerifiedHttpsRequest), CA pinned to the server's.

#include <cpprest/json.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "tests/support/https_client.h"

namespace riposte::testapi {

// The shared client's result (status, lower-case headers, body) read as JSON on demand.
struct RawResponse : riposte::testing::HttpResult {
  web::json::value Json() const;  // throws when the body is not JSON
};

class HttpsTestClient {
 public:
  HttpsTestClient(std::string host, int port, std::string ca_pem);
  // Throws std::runtime_error on transport failures (connection refused, TLS errors).
  RawResponse Request(const std::string& method, const std::string& target,
                      const std::string& body = "", const std::string& content_type = "",
                      const std::string& token = "") const;

 private:
  std::string host_;
  int port_;
  std::string ca_pem_;
};

// A watch (or any streaming GET) read line by line on a background thread.
class WatchStream {
 public:
  WatchStream(const std::string& host, int port, const std::string& ca_pem,
              const std::string& target, const std::string& token);
  ~WatchStream();
  WatchStream(const WatchStream&) = delete;
  WatchStream& operator=(const WatchStream&) = delete;

  // Waits for the response header; returns the HTTP status (0 when the connection failed).
  int WaitStatus(std::chrono::milliseconds timeout);
  // The next JSON line, or nullopt when the deadline passes or the stream has ended.
  std::optional<web::json::value> Next(std::chrono::milliseconds timeout);
  // Waits until the server ends the stream; true when it did within the timeout.
  bool WaitEnded(std::chrono::milliseconds timeout);
  bool ended_cleanly() const;  // terminating chunk seen (vs. connection dropped)
  void Close();

 private:
  void Run(std::string host, int port, std::string ca_pem, std::string target, std::string token);

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::string> lines_;
  int status_ = -1;
  bool ended_ = false;
  bool clean_ = false;
  int fd_ = -1;
  bool closing_ = false;
  std::thread thread_;
};

}  // namespace riposte::testapi
