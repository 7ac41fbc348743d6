#pragma once
// The one HTTP(S) client of the tests. TestClient: a small blocking client for tests of
// servers; it can also send raw bytes, pin a TLS version and present a client certificate, and
// does not verify the server's certificate (tests check what was served explicitly, e.g.
// PeerCommonName()). VerifiedHttpsRequest: one request the way a real client sees the server,
// with the certificate verified against a pinned CA.

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "tests/support/certs.h"

namespace riposte::testing {

struct HttpResult {
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
  std::string error;  // transport error; status is 0 then
};

struct ClientOptions {
  bool tls = true;
  int max_tls_version = 0;  // e.g. TLS1_1_VERSION to test refusal; 0 = library default
  int min_tls_version = 0;
  const CertPair* client_cert = nullptr;
};

class TestClient {
 public:
  TestClient();
  ~TestClient();
  TestClient(const TestClient&) = delete;
  TestClient& operator=(const TestClient&) = delete;

  bool Connect(uint16_t port, const ClientOptions& opts, std::string* error);
  // Local address the next Connect binds to, e.g. "127.0.0.7" (any 127/8 address works on
  // Linux), to appear as a different peer; "" = chosen by the kernel.
  void SetSourceAddress(std::string address);
  HttpResult Request(const std::string& method, const std::string& target, const std::string& body = "",
                     const std::string& content_type = "application/json", bool chunked = false,
                     const std::vector<std::pair<std::string, std::string>>& extra_headers = {});
  bool WriteRaw(const std::string& bytes);
  HttpResult ReadResponse();
  // Whatever arrives within `ms` (decrypted on TLS connections), up to `max` bytes; stops
  // early once something was read and nothing more comes for a moment.
  std::string ReadAvailable(int ms, size_t max = 65536);
  // Common name of the certificate the server presented.
  std::string PeerCommonName() const;
  // True when the server has closed the connection (read returns EOF / error within `ms`).
  bool ClosedByPeer(int ms);
  void Close();

 private:
  struct Impl;
  Impl* impl_;
};

// One request on a fresh connection.
HttpResult Fetch(uint16_t port, const std::string& method, const std::string& target, const std::string& body = "",
                 bool tls = true, const std::string& content_type = "application/json");

// Where VerifiedHttpsRequest connects and whom it expects there: connect to address:port, send
// SNI for server_name (e.g. riposte-alerts.riposte-system.svc, as an in-cluster client would) and
// verify the certificate for it (or for address when server_name is "") against ca_pem.
struct HttpsTarget {
  std::string address = "127.0.0.1";
  int port = 0;
  std::string server_name;  // "" = address, and no SNI
  std::string ca_pem;
};

// One request on a fresh, verified TLS connection. Throws std::runtime_error on connection,
// TLS, write and read failures (the message names which); HTTP errors are results.
HttpResult VerifiedHttpsRequest(const HttpsTarget& target, const std::string& method, const std::string& path,
                                const std::string& body = "", const std::string& content_type = "",
                                const std::string& bearer_token = "", size_t body_limit = 512 * 1024 * 1024);

// Plain-HTTP GET on loopback (metrics and health listeners): {status, body}; {0, ""} when the
// connection fails.
std::pair<int, std::string> HttpGet(int port, const std::string& path);

}  // namespace riposte::testing
