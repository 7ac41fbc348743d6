#pragma once
// A generic HTTP/1.1 server (Boost.Beast parser on asio) shared by the admission webhook and
// the controller's alert endpoint: TLS 1.2+ with certificate hot reload and optional mTLS, or
// plain HTTP for metrics; keep-alive; JSON errors everywhere.
//
// Built to be reachable by hostile clients (docs/threat-model.md):
// - Everything read before a request is authenticated is bounded by small budgets: the request
//   line and headers (max_header_bytes), and what is read and thrown away after an early
//   answer. Authentication runs on the request head, before any body byte is read, and a
//   refused request is answered 401 and its connection closed.
// - A body is read only after that, and its framing (chunk-size lines, chunk extensions,
//   trailers) has its own budget (max_framing_bytes) next to the body limit.
// - Transfer-Encoding per RFC 9112 (chunked last and once, or 400 and close; other codings
//   501); Expect: 100-continue answered once the head is accepted, other expectations 417.
// - Every answer of 400 or more closes the connection.
// - Connections that have not authenticated get short timeouts, a per-peer cap and a share of
//   the global cap; the rest is reserved for trusted connections (authenticated, or from
//   trusted networks such as the API server's). When the untrusted share is full, the oldest
//   untrusted connection that is not in the middle of a request is closed to make room, so
//   idle connections cannot lock new senders out.
// - Deadlines are checked by one sweeper per server instead of a timer per socket operation.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace riposte::metrics {
class Registry;
}

namespace riposte::http {

using Headers = std::vector<std::pair<std::string, std::string>>;

struct Request {
  std::string method;  // "GET", "POST", ...
  std::string target;  // raw request target, e.g. "/validate/ingress?timeout=10s"
  std::string path;    // target without the query string
  std::string body;
  std::string remote;          // "ip:port" of the peer
  std::string client_subject;  // RFC 2253 subject of the verified client cert (mTLS), else ""
  int version = 11;            // 10 or 11

  // First value of a header, case-insensitive name; empty when absent.
  std::string_view Header(std::string_view name) const;
  size_t HeaderCount() const { return index_.size(); }
  std::pair<std::string_view, std::string_view> HeaderAt(size_t i) const;
  void AddHeader(std::string_view name, std::string_view value);
  // Empties every field, keeping allocated capacity for the next request on the connection.
  void Clear();

 private:
  // Names and values of all headers in one buffer (one allocation per connection, not per
  // header); offsets stay valid when the request is moved.
  std::string header_bytes_;
  struct Ref {
    uint32_t name_off, name_len, value_off, value_len;
  };
  std::vector<Ref> index_;
};

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  Headers headers;  // extra headers
};

using Handler = std::function<Response(const Request&)>;

// Answers a request handed to an AsyncHandler, from any thread, at most once. A Responder that
// is destroyed without answering answers 500, so a dropped task never leaves a client waiting.
class Responder {
 public:
  struct Target {
    virtual ~Target() = default;
    virtual void Complete(Response r) = 0;
  };
  Responder() = default;
  explicit Responder(std::shared_ptr<Target> target) : target_(std::move(target)) {}
  Responder(Responder&&) noexcept = default;
  Responder& operator=(Responder&& other) noexcept;
  Responder(const Responder&) = delete;
  Responder& operator=(const Responder&) = delete;
  ~Responder();

  void operator()(Response r);
  explicit operator bool() const { return target_ != nullptr; }

 private:
  std::shared_ptr<Target> target_;
};

// Runs on an I/O thread and must not block: hand the work to a thread of your own and answer
// through the Responder.
using AsyncHandler = std::function<void(Request&& req, Responder respond)>;

// {"error":{"code":N,"message":"..."}} — the shape of every error the server itself produces.
// With `reason`: {"error":{"code":N,"reason":"...","message":"..."}} (machine-readable cause).
Response JsonError(int status, std::string_view message, std::string_view reason = {});
// A JSON string literal (with quotes) for `s`; control characters and bad UTF-8 escaped.
std::string JsonQuote(std::string_view s);

struct TlsOptions {
  std::string cert_file;       // PEM chain
  std::string key_file;        // PEM private key
  std::string client_ca_file;  // non-empty: require and verify client certificates (mTLS)
  std::chrono::milliseconds reload_interval{1000};  // how often the files are checked
};

// Decides from the request head alone (method, target, headers, peer; the body is not read
// yet) whether the request is authenticated. nullopt: it is, and its connection becomes
// trusted. A Response (normally 401): sent, then the connection is closed.
using Authenticator = std::function<std::optional<Response>(const Request& head)>;

struct ServerOptions {
  std::string name = "http";     // used in logs and as the `server` label of metrics
  std::string listen = ":8443";  // "ADDR:PORT", ":PORT" (all IPv4 addresses), "[v6]:PORT"; port 0 = ephemeral
  std::optional<TlsOptions> tls;  // absent = plain HTTP

  // Byte budgets.
  size_t max_body_bytes = 1 << 20;
  size_t max_header_bytes = 8 * 1024;   // request line + header fields: all that is read before authentication
  size_t max_framing_bytes = 4 * 1024;  // chunk-size lines, chunk extensions and trailers of one body

  // Timeouts. Untrusted connections get the short ones between requests.
  std::chrono::milliseconds handshake_timeout{5000};       // accept to TLS handshake done
  std::chrono::milliseconds header_timeout{5000};          // first byte of a request to its complete head
  std::chrono::milliseconds read_timeout{10000};           // the body of one request
  std::chrono::milliseconds untrusted_idle_timeout{5000};  // waiting for a request, untrusted connection
  std::chrono::milliseconds idle_timeout{60000};           // waiting for a request, trusted connection
  std::chrono::milliseconds write_timeout{10000};

  // Connection caps. Untrusted connections may hold max_connections - reserved_connections
  // slots, at most max_connections_per_peer from one address; trusted connections may use all
  // max_connections.
  size_t max_connections = 1024;
  size_t reserved_connections = 256;
  size_t max_connections_per_peer = 64;
  // Bytes of request bodies being read at once (a body's Content-Length, or max_body_bytes
  // when chunked, is reserved once its head is accepted); a quarter is kept for trusted
  // connections. Beyond: 503 with Retry-After and close. 0 = no budget.
  size_t max_inflight_body_bytes = 0;
  // CIDRs ("10.0.0.0/8", "fd00::/8", "192.0.2.7") whose connections are trusted from accept
  // (reserved slots, no per-peer cap, long idle timeout, never evicted). Their requests still
  // go through `authenticate` when it is set.
  std::vector<std::string> trusted_networks;

  // Required for routes with require_auth; null = no authentication on this server (every
  // request is anonymous, and only mTLS or trusted_networks make a connection trusted).
  Authenticator authenticate;

  // Connection metrics (riposte_http_connections_*{server=name}) are registered here when set.
  metrics::Registry* metrics = nullptr;
  int threads = 2;
};

// Accepted Content-Type media types for a route (case-insensitive, parameters ignored);
// empty = any.
struct Route {
  std::string path;
  std::vector<std::string> methods;
  Handler handler;
  std::vector<std::string> content_types;
  AsyncHandler async_handler = nullptr;  // used instead of `handler` when set
  bool require_auth = true;              // only where ServerOptions::authenticate is set
};

// Why a connection was refused at accept.
enum class RefuseReason { kPerPeer, kUntrustedFull, kFull, kCount };
// Why a connection was closed (the first cause wins).
enum class CloseReason {
  kDone,              // Connection: close, HTTP/1.0 without keep-alive, or the server stopping
  kPeerClosed,        // the client closed or reset it
  kUnauthenticated,   // answered 401
  kBadRequest,        // malformed head, bad framing, unknown path/method/type, expectation: 4xx/501
  kHeaderLimit,       // head larger than max_header_bytes: 431
  kBodyLimit,         // body larger than max_body_bytes: 413
  kFramingLimit,      // chunk framing/extensions/trailers beyond max_framing_bytes: 400
  kErrorResponse,     // a handler answered 400 or more
  kHandshakeFailed,   // TLS handshake refused (protocol, cipher, client certificate)
  kHandshakeTimeout,
  kIdleTimeout,
  kHeaderTimeout,
  kBodyTimeout,
  kWriteTimeout,
  kEvicted,           // untrusted and idle while the untrusted share was full
  kBusy,              // its body did not fit in max_inflight_body_bytes: 503
  kCount
};
std::string_view RefuseReasonName(RefuseReason r);  // "per_peer", "untrusted_full", "full"
std::string_view CloseReasonName(CloseReason r);    // "done", "peer_closed", "unauthenticated", ...

struct ServerStats {
  uint64_t connections_total = 0;     // accepted
  uint64_t connections_rejected = 0;  // refused at accept, all reasons
  uint64_t active_connections = 0;
  uint64_t trusted_connections = 0;   // of active
  uint64_t idle_untrusted_connections = 0;  // of active: between requests, first to be evicted
  uint64_t tls_handshake_failures = 0;
  uint64_t timeouts = 0;              // closes for any timeout
  uint64_t refused[static_cast<size_t>(RefuseReason::kCount)] = {};
  uint64_t closed[static_cast<size_t>(CloseReason::kCount)] = {};
  uint64_t Refused(RefuseReason r) const { return refused[static_cast<size_t>(r)]; }
  uint64_t Closed(CloseReason r) const { return closed[static_cast<size_t>(r)]; }
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

// GET /healthz ({"status":"ok"}) and GET /readyz ({"status":"ready"}, or 503 with
// `not_ready_message` in the usual error shape): the same bodies on every Riposte listener.
// Anonymous routes (kubelet probes carry no credentials).
// `not_ready_reason`, when given and non-empty, replaces the message with "not ready: REASON"
// (the controller's preflight says which namespace, CRD or permission is missing).
void AddHealthRoutes(Server& server, std::function<bool()> ready, std::string not_ready_message,
                     std::function<std::string()> not_ready_reason = nullptr);

// Checks the options (caps, CIDRs); "" when they are usable.
std::string ValidateOptions(const ServerOptions& options);
ServerPtr NewServer(ServerOptions options);

// Raises the soft open-file limit to `want` (at most the hard limit), so that a server can
// hold max_connections sockets; returns the soft limit now in force (0 if unknown).
uint64_t RaiseOpenFileLimit(uint64_t want);

// Splits "ADDR:PORT", ":PORT", "[v6]:PORT" into an address and a port. Exposed for tests.
bool ParseListenAddress(std::string_view text, std::string* address, uint16_t* port, std::string* error);

}  // namespace riposte::http
