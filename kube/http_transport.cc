#include "kube/http_transport.h"

#include <utility>  // before asio: boost 1.74 uses std::exchange without including it

#include <sys/socket.h>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <limits>
#include <mutex>
#include <optional>

#include <openssl/ssl.h>
#include <openssl/x509.h>

namespace riposte::kube::internal {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

namespace {

constexpr size_t kHeaderLimit = 64 * 1024;
constexpr size_t kErrorBodyLimit = 1024 * 1024;
constexpr size_t kStreamChunk = 64 * 1024;

// One keep-alive TLS connection with its own io_context: whichever thread holds the
// connection runs the context, so an operation never leaves the calling thread.
struct Conn {
  explicit Conn(ssl::context& ctx) : ioc(1), stream(ioc, ctx) {}
  asio::io_context ioc;
  beast::ssl_stream<beast::tcp_stream> stream;
  beast::flat_buffer buffer;

  int fd() { return beast::get_lowest_layer(stream).socket().native_handle(); }

  // Starts `start(handler)` and runs the context until the handler has run.
  template <typename Start>
  beast::error_code Run(Start&& start) {
    beast::error_code result;
    bool done = false;
    start([&](beast::error_code ec, auto&&...) {
      result = ec;
      done = true;
    });
    ioc.restart();
    while (!done && ioc.run_one() > 0) {
    }
    if (!done) result = asio::error::operation_aborted;
    // Let cancelled timers and other leftovers finish so the context is idle for the next user.
    ioc.poll();
    return result;
  }

  // A pooled connection the server has closed (or written to unasked, e.g. a TLS alert)
  // must not carry the next request.
  bool LooksAlive() {
    char b;
    const ssize_t n = ::recv(fd(), &b, 1, MSG_PEEK | MSG_DONTWAIT);
    return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
  }
};

bool IsIpLiteral(const std::string& host) {
  beast::error_code ec;
  asio::ip::make_address(host, ec);
  return !ec;
}

ApiError TransportError(const std::string& what, const beast::error_code& ec) {
  if (ec == beast::error::timeout) return MakeError(ErrorKind::kTimeout, "request timed out: " + what);
  return MakeError(ErrorKind::kTransport, what + ": " + ec.message());
}

// The connection can be written again after this exchange: a resent request is never a
// second copy of one the server may have processed.
bool NothingSent(const beast::error_code& ec) {
  return ec == asio::error::broken_pipe || ec == asio::error::connection_reset || ec == asio::error::eof ||
         ec == ssl::error::stream_truncated;
}

}  // namespace

struct HttpTransport::Impl {
  TransportConfig cfg;
  ssl::context ctx{ssl::context::tls_client};
  std::string host_header;
  mutable std::mutex mu;
  std::vector<std::unique_ptr<Conn>> idle;

  std::unique_ptr<Conn> Take() {
    for (;;) {
      std::unique_ptr<Conn> c;
      {
        std::lock_guard<std::mutex> lock(mu);
        if (idle.empty()) return nullptr;
        c = std::move(idle.back());
        idle.pop_back();
      }
      if (c->LooksAlive()) return c;
    }
  }

  void Give(std::unique_ptr<Conn> c) {
    std::lock_guard<std::mutex> lock(mu);
    if (idle.size() < cfg.max_idle_connections) idle.push_back(std::move(c));
  }

  Result<std::unique_ptr<Conn>> Connect() {
    auto c = std::make_unique<Conn>(ctx);
    tcp::resolver resolver(c->ioc);
    tcp::resolver::results_type endpoints;
    beast::error_code ec = c->Run([&](auto handler) {
      resolver.async_resolve(cfg.host, cfg.port, [&, handler](beast::error_code e, tcp::resolver::results_type r) mutable {
        endpoints = std::move(r);
        handler(e);
      });
    });
    if (ec) return TransportError("resolving " + cfg.host, ec);
    auto& tcp_stream = beast::get_lowest_layer(c->stream);
    tcp_stream.expires_after(cfg.request_timeout);
    ec = c->Run([&](auto handler) { tcp_stream.async_connect(endpoints, std::move(handler)); });
    if (ec) return TransportError("connecting to " + host_header, ec);
    tcp_stream.socket().set_option(tcp::no_delay(true));
    if (!IsIpLiteral(cfg.host)) {
      // SSL_set_tlsext_host_name, without the macro's C cast.
      SSL_ctrl(c->stream.native_handle(), SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
               const_cast<char*>(cfg.host.c_str()));
    }
    if (!cfg.insecure_skip_tls_verify) {
      c->stream.set_verify_mode(ssl::verify_peer);
      c->stream.set_verify_callback(ssl::host_name_verification(cfg.host));
    }
    tcp_stream.expires_after(cfg.request_timeout);
    ec = c->Run([&](auto handler) { c->stream.async_handshake(ssl::stream_base::client, std::move(handler)); });
    if (ec) return TransportError("TLS handshake with " + host_header, ec);
    return c;
  }

  bhttp::request<bhttp::string_body> Build(std::string_view method, const std::string& target, const Headers& headers,
                                           const std::string* body, std::string_view content_type) {
    bhttp::request<bhttp::string_body> req;
    req.method(bhttp::string_to_verb(beast::string_view(method.data(), method.size())));
    req.target(target);
    req.version(11);
    req.set(bhttp::field::host, host_header);
    for (const auto& [k, v] : headers) req.set(k, v);
    if (body != nullptr) {
      req.set(bhttp::field::content_type, beast::string_view(content_type.data(), content_type.size()));
      req.body() = *body;
    }
    req.keep_alive(true);
    req.prepare_payload();
    return req;
  }
};

Result<std::unique_ptr<HttpTransport>, std::string> HttpTransport::Create(TransportConfig cfg) {
  auto impl = std::make_unique<Impl>();
  impl->cfg = std::move(cfg);
  const auto& c = impl->cfg;
  const bool ipv6 = c.host.find(':') != std::string::npos;
  impl->host_header = (ipv6 ? "[" + c.host + "]" : c.host) + (c.port == "443" ? "" : ":" + c.port);
  SSL_CTX* native = impl->ctx.native_handle();
  SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION);
  beast::error_code ec;
  if (!c.insecure_skip_tls_verify) {
    if (!c.ca_pem.empty()) {
      // Trust only the configured bundle, not the system store.
      SSL_CTX_set_cert_store(native, X509_STORE_new());
      impl->ctx.add_certificate_authority(asio::buffer(c.ca_pem.data(), c.ca_pem.size()), ec);
      if (ec) return std::string("CA: ") + ec.message();
    } else {
      impl->ctx.set_default_verify_paths(ec);
      if (ec) return std::string("system trust store: ") + ec.message();
    }
  }
  if (!c.client_cert_pem.empty()) {
    impl->ctx.use_certificate_chain(asio::buffer(c.client_cert_pem.data(), c.client_cert_pem.size()), ec);
    if (ec) return std::string("client certificate: ") + ec.message();
    impl->ctx.use_private_key(asio::buffer(c.client_key_pem.data(), c.client_key_pem.size()), ssl::context::pem, ec);
    if (ec) return std::string("client key: ") + ec.message();
  }
  return std::unique_ptr<HttpTransport>(new HttpTransport(std::move(impl)));
}

HttpTransport::HttpTransport(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
HttpTransport::~HttpTransport() = default;

size_t HttpTransport::idle_connections() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->idle.size();
}

Result<HttpResponse> HttpTransport::Request(std::string_view method, const std::string& target, const Headers& headers,
                                            const std::string* body, std::string_view content_type, size_t max_body) {
  auto req = impl_->Build(method, target, headers, body, content_type);
  for (int attempt = 0;; ++attempt) {
    std::unique_ptr<Conn> conn = impl_->Take();
    const bool reused = conn != nullptr;
    if (!reused) {
      auto fresh = impl_->Connect();
      if (!fresh.ok()) return fresh.error();
      conn = std::move(fresh.value());
    }
    auto& tcp_stream = beast::get_lowest_layer(conn->stream);
    tcp_stream.expires_after(impl_->cfg.request_timeout);
    beast::error_code ec = conn->Run([&](auto handler) { bhttp::async_write(conn->stream, req, std::move(handler)); });
    // A pooled connection the server dropped between the liveness check and the write: the
    // request did not get through, so sending it on a new connection cannot duplicate it.
    if (ec && reused && attempt == 0 && NothingSent(ec)) continue;
    if (ec) return TransportError(std::string(method) + " " + target, ec);
    bhttp::response_parser<bhttp::string_body> parser;
    parser.header_limit(kHeaderLimit);
    parser.body_limit(max_body);
    tcp_stream.expires_after(impl_->cfg.request_timeout);
    ec = conn->Run([&](auto handler) { bhttp::async_read(conn->stream, conn->buffer, parser, std::move(handler)); });
    if (ec == bhttp::error::body_limit) {
      return MakeError(ErrorKind::kDecode, "response body exceeds " + std::to_string(max_body / (1024 * 1024)) + " MiB");
    }
    // Closed before a single byte of an answer on a reused connection: the server had
    // already given up on it (idle timeout), the request was not processed.
    if (ec && reused && attempt == 0 && !parser.got_some() && NothingSent(ec) && method != "POST") continue;
    if (ec) return TransportError(std::string(method) + " " + target, ec);
    auto res = parser.release();
    HttpResponse out;
    out.status = static_cast<int>(res.result_int());
    if (auto it = res.find(bhttp::field::retry_after); it != res.end()) out.retry_after = std::string(it->value());
    out.body = std::move(res.body());
    if (res.keep_alive()) impl_->Give(std::move(conn));
    return out;
  }
}

Result<int> HttpTransport::Stream(const std::string& target, const Headers& headers, std::chrono::milliseconds idle_timeout,
                                  std::stop_token stop, const std::function<bool(const char*, size_t)>& on_bytes,
                                  HttpResponse* error_response) {
  if (stop.stop_requested()) return MakeError(ErrorKind::kCancelled, "watch cancelled");
  auto connected = impl_->Connect();
  if (!connected.ok()) return connected.error();
  std::unique_ptr<Conn> conn = std::move(connected.value());
  auto& tcp_stream = beast::get_lowest_layer(conn->stream);
  // Runs on the streaming thread, inside its io_context, so it never races the read.
  std::stop_callback on_stop(stop, [c = conn.get()] {
    asio::post(c->ioc, [c] { beast::get_lowest_layer(c->stream).cancel(); });
  });
  auto cancelled = [&](const beast::error_code& ec) -> std::optional<ApiError> {
    if (stop.stop_requested()) return MakeError(ErrorKind::kCancelled, "watch cancelled");
    return TransportError("watch " + target, ec);
  };
  auto req = impl_->Build("GET", target, headers, nullptr, "");
  tcp_stream.expires_after(impl_->cfg.request_timeout);
  beast::error_code ec = conn->Run([&](auto handler) { bhttp::async_write(conn->stream, req, std::move(handler)); });
  if (ec) return *cancelled(ec);
  bhttp::response_parser<bhttp::buffer_body> parser;
  parser.header_limit(kHeaderLimit);
  // The caller caps each event; the stream itself is unbounded. (Not boost::none: Beast 1.74
  // compares a Content-Length against an empty limit as exceeding it.)
  parser.body_limit(std::numeric_limits<std::uint64_t>::max());
  tcp_stream.expires_after(impl_->cfg.request_timeout);
  ec = conn->Run([&](auto handler) { bhttp::async_read_header(conn->stream, conn->buffer, parser, std::move(handler)); });
  if (ec) return *cancelled(ec);
  const int status = static_cast<int>(parser.get().result_int());
  if (status < 200 || status > 299) {
    bhttp::response_parser<bhttp::string_body> whole(std::move(parser));
    whole.body_limit(kErrorBodyLimit);
    tcp_stream.expires_after(impl_->cfg.request_timeout);
    ec = conn->Run([&](auto handler) { bhttp::async_read(conn->stream, conn->buffer, whole, std::move(handler)); });
    auto res = whole.release();
    error_response->status = status;
    if (auto it = res.find(bhttp::field::retry_after); it != res.end()) error_response->retry_after = std::string(it->value());
    error_response->body = std::move(res.body());
    return status;
  }
  std::vector<char> chunk(kStreamChunk);
  while (!parser.is_done()) {
    if (stop.stop_requested()) return MakeError(ErrorKind::kCancelled, "watch cancelled");
    parser.get().body().data = chunk.data();
    parser.get().body().size = chunk.size();
    tcp_stream.expires_after(idle_timeout);
    ec = conn->Run([&](auto handler) { bhttp::async_read_some(conn->stream, conn->buffer, parser, std::move(handler)); });
    if (ec == bhttp::error::need_buffer) ec = {};
    const size_t n = chunk.size() - parser.get().body().size;
    if (n > 0 && !on_bytes(chunk.data(), n)) return status;
    if (ec == asio::error::eof || ec == ssl::error::stream_truncated) break;  // server closed the stream
    if (ec) return *cancelled(ec);
  }
  return status;
}

}  // namespace riposte::kube::internal
