#pragma once
// A generic HTTP/1.1 server (Boost.Beast on asio) shared by the admission webhook and the
// controller's alert endpoint: TLS 1.2+ with certificate hot reload and optional mTLS, or plain
// HTTP for metrics; keep-alive; hard caps on header and body sizes, read timeouts and
// connection counts so slow or hostile clients cannot starve others; JSON errors everywhere.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace riposte::http {

using Headers = std::vector<std::pair<std::string, std::string>>;

struct Request {
  std::string method;  // "GET", "POST", ...
  std::string target;  // raw request target, e.g. "/validate/ingress?timeout=10s"
  std::string path;    // target without the query string
  Headers headers;     // as received (names in original case)
  std::string body;
  std::string remote;          // "ip:port" of the peer
  std::string client_subject;  // RFC 2253 subject of the verified client cert (mTLS), else ""

  // First value of a header, case-insensitive name; empty when absent.
  std::string_view Header(std::string_view name) const;
};

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  Headers headers;  // extra headers
};

using Handler = std::function<Response(const Request&)>;

// {"error":{"code":N,"message":"..."}} — the shape of every error the server itself produces.
Response JsonError(int status, std::string_view message);
// A JSON string literal (with quotes) for `s`; control characters and bad UTF-8 escaped.
std::string JsonQuote(std::string_view s);

struct TlsOptions {
  std::string cert_file;       // PEM chain
  std::string key_file;        // PEM private key
  std::string client_ca_file;  // non-empty: require and verify client certificates (mTLS)
  std::chrono::milliseconds reload_interval{1000};  // how often the files are checked
};

struct ServerOptions {
  std::string name = "http";  // used in logs
  std::string listen = ":8443";  // "ADDR:PORT", ":PORT" (all IPv4 addresses), "[v6]:PORT"; port 0 = ephemeral
  std::optional<TlsOptions> tls;  // absent = plain HTTP
  size_t max_body_bytes = 1 << 20;
  size_t max_header_bytes = 16 * 1024;
  std::chrono::milliseconds read_timeout{10000};   // TLS handshake, headers and body of one request
  std::chrono::milliseconds idle_timeout{60000};   // between keep-alive requests
  std::chrono::milliseconds write_timeout{10000};
  size_t max_connections = 1024;  // further connections are closed at accept
  int threads = 2;
};

// Accepted Content-Type media types for a route (case-insensitive, parameters ignored);
// empty = any.
struct Route {
  std::string path;
  std::vector<std::string> methods;
  Handler handler;
  std::vector<std::string> content_types;
};

struct ServerStats {
  uint64_t connections_total = 0;
  uint64_t connections_rejected = 0;  // over max_connections
  uint64_t active_connections = 0;
  uint64_t tls_handshake_failures = 0;
  uint64_t timeouts = 0;
};

class Server {
 public:
  virtual ~Server() = default;

  // Routes must be added before Start().
  virtual void AddRoute(Route route) = 0;
  // Binds, loads the certificate (TLS) and starts serving. False with *error on failure.
  virtual bool Start(std::string* error) = 0;
  // The bound port (useful with port 0). 0 before Start.
  virtual uint16_t Port() const = 0;
  // Stops accepting, lets in-flight requests finish (up to `grace`), closes the rest.
  virtual void Stop(std::chrono::milliseconds grace = std::chrono::milliseconds(5000)) = 0;

  // TLS only: whether a valid certificate is loaded, its NotAfter (unix seconds), and the
  // number of successful / failed reloads after the initial load.
  virtual bool CertLoaded() const = 0;
  virtual int64_t CertNotAfter() const = 0;
  virtual uint64_t CertReloads() const = 0;
  virtual uint64_t CertReloadFailures() const = 0;
  virtual ServerStats Stats() const = 0;
};

using ServerPtr = std::unique_ptr<Server>;

ServerPtr NewServer(ServerOptions options);

// Splits "ADDR:PORT", ":PORT", "[v6]:PORT" into an address and a port. Exposed for tests.
bool ParseListenAddress(std::string_view text, std::string* address, uint16_t* port, std::string* error);

}  // namespace riposte::http
