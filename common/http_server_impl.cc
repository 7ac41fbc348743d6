// Beast/asio implementation of common/http_server.h.
//
// Every connection runs on its own strand; all its I/O carries a deadline (handshake, wait
// for the next request, headers+body, write), so a client that stalls only ever holds its
// own connection slot until the deadline. Limits are enforced from the headers first (413 on
// Content-Length before any body byte is read) and again by the parser's body limit, which
// also covers chunked bodies.

// asio's scheduler trips -Wnull-dereference after inlining (a false positive inside boost).
#pragma GCC diagnostic ignored "-Wnull-dereference"

#include <utility>  // boost 1.74 asio needs std::exchange declared first

#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <condition_variable>
#include <ctime>
#include <fstream>
#include <list>
#include <mutex>
#include <sstream>
#include <thread>

#include "common/http_server.h"
#include "common/json.h"
#include "common/log.h"

namespace riposte::http {

namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = boost::asio::ip::tcp;

namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string Trim(std::string_view s) {
  size_t b = s.find_first_not_of(" \t");
  if (b == std::string_view::npos) return "";
  size_t e = s.find_last_not_of(" \t");
  return std::string(s.substr(b, e - b + 1));
}

bool ReadFile(const std::string& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream ss;
  ss << in.rdbuf();
  *out = ss.str();
  return true;
}

std::string OpenSslError() {
  unsigned long e = ERR_get_error();
  if (e == 0) return "unknown OpenSSL error";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof buf);
  ERR_clear_error();
  return buf;
}

// Modern AEAD suites only (TLS 1.2); TLS 1.3 suites are OpenSSL's defaults, all AEAD.
constexpr const char* kCipherList =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

int64_t NotAfterOf(const std::string& cert_pem) {
  BIO* bio = BIO_new_mem_buf(cert_pem.data(), static_cast<int>(cert_pem.size()));
  if (!bio) return 0;
  X509* x = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  if (!x) return 0;
  std::tm tm{};
  int64_t result = 0;
  if (ASN1_TIME_to_tm(X509_get0_notAfter(x), &tm) == 1) result = static_cast<int64_t>(timegm(&tm));
  X509_free(x);
  return result;
}

// A server context from PEM contents; nullptr with *error when anything is wrong.
std::shared_ptr<ssl::context> BuildContext(const std::string& cert_pem, const std::string& key_pem,
                                           const std::string& ca_file, std::string* error) {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_server);
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                   ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 | ssl::context::single_dh_use |
                   ssl::context::no_compression);
  SSL_CTX* native = ctx->native_handle();
  if (SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION) != 1 ||
      SSL_CTX_set_cipher_list(native, kCipherList) != 1) {
    *error = "TLS setup: " + OpenSslError();
    return nullptr;
  }
  SSL_CTX_set_options(native, SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_RENEGOTIATION);
  boost::system::error_code ec;
  ctx->use_certificate_chain(asio::buffer(cert_pem), ec);
  if (ec) {
    *error = "certificate: " + ec.message();
    return nullptr;
  }
  ctx->use_private_key(asio::buffer(key_pem), ssl::context::pem, ec);
  if (ec) {
    *error = "private key: " + ec.message();
    return nullptr;
  }
  if (SSL_CTX_check_private_key(native) != 1) {
    *error = "private key does not match the certificate";
    ERR_clear_error();
    return nullptr;
  }
  if (!ca_file.empty()) {
    ctx->load_verify_file(ca_file, ec);
    if (ec) {
      *error = "client CA file " + ca_file + ": " + ec.message();
      return nullptr;
    }
    ctx->set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert);
    static const unsigned char kSid[] = "riposte";
    SSL_CTX_set_session_id_context(native, kSid, sizeof kSid - 1);
  }
  return ctx;
}

std::string PeerSubject(SSL* ssl_handle) {
#if OPENSSL_VERSION_NUMBER >= 0x30000000L
  X509* cert = SSL_get1_peer_certificate(ssl_handle);
#else
  X509* cert = SSL_get_peer_certificate(ssl_handle);
#endif
  if (!cert) return "";
  std::string out;
  if (SSL_get_verify_result(ssl_handle) == X509_V_OK) {
    BIO* bio = BIO_new(BIO_s_mem());
    if (bio) {
      X509_NAME_print_ex(bio, X509_get_subject_name(cert), 0, XN_FLAG_RFC2253);
      char* data = nullptr;
      long n = BIO_get_mem_data(bio, &data);
      if (n > 0) out.assign(data, static_cast<size_t>(n));
      BIO_free(bio);
    }
  }
  X509_free(cert);
  return out;
}

}  // namespace

std::string_view Request::Header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (k.size() == name.size() && Lower(k) == Lower(name)) return v;
  }
  return {};
}

std::string JsonQuote(std::string_view s) { return json::Quote(s); }

Response JsonError(int status, std::string_view message) {
  Response r;
  r.status = status;
  r.body = "{\"error\":{\"code\":" + std::to_string(status) + ",\"message\":" + JsonQuote(message) + "}}";
  return r;
}

bool ParseListenAddress(std::string_view text, std::string* address, uint16_t* port, std::string* error) {
  std::string_view host, port_text;
  if (!text.empty() && text.front() == '[') {
    size_t close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      *error = "listen address \"" + std::string(text) + "\": expected [IPv6]:PORT";
      return false;
    }
    host = text.substr(1, close - 1);
    port_text = text.substr(close + 2);
  } else {
    size_t colon = text.rfind(':');
    if (colon == std::string_view::npos) {
      *error = "listen address \"" + std::string(text) + "\": expected ADDR:PORT or :PORT";
      return false;
    }
    host = text.substr(0, colon);
    if (host.find(':') != std::string_view::npos) {
      *error = "listen address \"" + std::string(text) + "\": IPv6 addresses need brackets, e.g. [::1]:8443";
      return false;
    }
    port_text = text.substr(colon + 1);
  }
  if (port_text.empty() || port_text.size() > 5 ||
      !std::all_of(port_text.begin(), port_text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    *error = "listen address \"" + std::string(text) + "\": bad port";
    return false;
  }
  unsigned long p = std::stoul(std::string(port_text));
  if (p > 65535) {
    *error = "listen address \"" + std::string(text) + "\": port out of range";
    return false;
  }
  std::string h = host.empty() ? "0.0.0.0" : std::string(host);
  boost::system::error_code ec;
  asio::ip::make_address(h, ec);
  if (ec) {
    *error = "listen address \"" + std::string(text) + "\": \"" + h + "\" is not an IP address";
    return false;
  }
  *address = h;
  *port = static_cast<uint16_t>(p);
  return true;
}

namespace {

// Certificate material with hot reload: the current context is swapped atomically; sessions
// keep a shared_ptr to the context they were created with.
class CertStore {
 public:
  explicit CertStore(TlsOptions opts) : opts_(std::move(opts)) {}

  bool LoadInitial(std::string* error) {
    std::string cert, key, ca;
    if (!ReadAll(&cert, &key, &ca, error)) return false;
    auto ctx = BuildContext(cert, key, opts_.client_ca_file, error);
    if (!ctx) return false;
    Install(std::move(ctx), cert, key, ca);
    return true;
  }

  // Called periodically. A changed but invalid pair is logged once and the old one stays.
  void Poll(const std::string& server_name) {
    std::string cert, key, ca, error;
    if (!ReadAll(&cert, &key, &ca, &error)) {
      Fail(server_name, cert + key + ca, error);
      return;
    }
    std::string fingerprint = cert + '\0' + key + '\0' + ca;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (fingerprint == good_fingerprint_) return;
    }
    auto ctx = BuildContext(cert, key, opts_.client_ca_file, &error);
    if (!ctx) {
      Fail(server_name, fingerprint, error);
      return;
    }
    Install(std::move(ctx), cert, key, ca);
    reloads_.fetch_add(1);
    log::Info("tls certificate reloaded",
              {{"server", server_name}, {"cert", opts_.cert_file}, {"not_after", std::to_string(NotAfter())}});
  }

  std::shared_ptr<ssl::context> Current() const {
    std::lock_guard<std::mutex> lock(mu_);
    return ctx_;
  }
  int64_t NotAfter() const { return not_after_.load(); }
  uint64_t Reloads() const { return reloads_.load(); }
  uint64_t Failures() const { return failures_.load(); }
  const TlsOptions& options() const { return opts_; }

 private:
  bool ReadAll(std::string* cert, std::string* key, std::string* ca, std::string* error) const {
    if (!ReadFile(opts_.cert_file, cert)) {
      *error = "cannot read certificate file " + opts_.cert_file;
      return false;
    }
    if (!ReadFile(opts_.key_file, key)) {
      *error = "cannot read key file " + opts_.key_file;
      return false;
    }
    if (!opts_.client_ca_file.empty() && !ReadFile(opts_.client_ca_file, ca)) {
      *error = "cannot read client CA file " + opts_.client_ca_file;
      return false;
    }
    return true;
  }

  void Install(std::shared_ptr<ssl::context> ctx, const std::string& cert, const std::string& key,
               const std::string& ca) {
    std::lock_guard<std::mutex> lock(mu_);
    ctx_ = std::move(ctx);
    good_fingerprint_ = cert + '\0' + key + '\0' + ca;
    bad_fingerprint_.clear();
    not_after_.store(NotAfterOf(cert));
  }

  void Fail(const std::string& server_name, const std::string& fingerprint, const std::string& error) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      // Files are often written in two steps (cert, then key); report each bad state once.
      if (fingerprint == bad_fingerprint_) return;
      bad_fingerprint_ = fingerprint;
    }
    failures_.fetch_add(1);
    log::Error("tls certificate reload failed, keeping the previous certificate",
               {{"server", server_name}, {"error", error}});
  }

  TlsOptions opts_;
  mutable std::mutex mu_;
  std::shared_ptr<ssl::context> ctx_;
  std::string good_fingerprint_;
  std::string bad_fingerprint_;
  std::atomic<int64_t> not_after_{0};
  std::atomic<uint64_t> reloads_{0};
  std::atomic<uint64_t> failures_{0};
};

struct Shared;

class SessionBase {
 public:
  virtual ~SessionBase() = default;
  virtual void CloseIfIdle() = 0;
};

// State shared by the server and its sessions; sessions hold a shared_ptr so a late
// completion handler never touches a destroyed server.
struct Shared {
  ServerOptions opts;
  std::vector<Route> routes;
  std::atomic<bool> stopping{false};
  std::atomic<uint64_t> active{0};
  std::atomic<uint64_t> total{0};
  std::atomic<uint64_t> rejected{0};
  std::atomic<uint64_t> handshake_failures{0};
  std::atomic<uint64_t> timeouts{0};
  std::mutex mu;
  std::condition_variable cv;
  std::list<std::weak_ptr<SessionBase>> sessions;

  Response Dispatch(const Request& req, bool* known_route) const;
  // Checks that need only the headers (404, 405, 415); nullopt when the request may proceed.
  std::optional<Response> PreCheck(std::string_view method, std::string_view path,
                                   std::string_view content_type) const;
};

std::optional<Response> Shared::PreCheck(std::string_view method, std::string_view path,
                                         std::string_view content_type) const {
  std::vector<std::string> allowed;
  for (const auto& r : routes) {
    if (r.path != path) continue;
    if (std::find(r.methods.begin(), r.methods.end(), method) == r.methods.end()) {
      allowed.insert(allowed.end(), r.methods.begin(), r.methods.end());
      continue;
    }
    if (!r.content_types.empty()) {
      std::string media = Lower(Trim(content_type.substr(0, content_type.find(';'))));
      bool ok = std::any_of(r.content_types.begin(), r.content_types.end(),
                            [&](const std::string& t) { return Lower(t) == media; });
      if (!ok) {
        std::string want;
        for (const auto& t : r.content_types) want += (want.empty() ? "" : ", ") + t;
        return JsonError(415, "unsupported content type \"" + std::string(content_type) + "\"; expected " + want);
      }
    }
    return std::nullopt;
  }
  if (!allowed.empty()) {
    std::string allow;
    for (const auto& m : allowed) allow += (allow.empty() ? "" : ", ") + m;
    Response r = JsonError(405, "method " + std::string(method) + " not allowed; allowed: " + allow);
    r.headers.emplace_back("Allow", allow);
    return r;
  }
  return JsonError(404, "no such path");
}

Response Shared::Dispatch(const Request& req, bool* known_route) const {
  *known_route = false;
  for (const auto& r : routes) {
    if (r.path == req.path && std::find(r.methods.begin(), r.methods.end(), req.method) != r.methods.end()) {
      *known_route = true;
      try {
        return r.handler(req);
      } catch (const std::exception& e) {
        log::Error("handler threw", {{"server", opts.name}, {"path", req.path}, {"error", e.what()}});
      } catch (...) {
        log::Error("handler threw", {{"server", opts.name}, {"path", req.path}});
      }
      return JsonError(500, "internal error");
    }
  }
  return JsonError(404, "no such path");
}

template <bool kTls>
class Session : public SessionBase, public std::enable_shared_from_this<Session<kTls>> {
  using Stream = std::conditional_t<kTls, beast::ssl_stream<beast::tcp_stream>, beast::tcp_stream>;

 public:
  Session(std::shared_ptr<Shared> shared, tcp::socket socket, std::shared_ptr<ssl::context> ctx)
      : shared_(std::move(shared)), ctx_(std::move(ctx)), stream_(MakeStream(std::move(socket))) {
    boost::system::error_code ec;
    auto ep = beast::get_lowest_layer(stream_).socket().remote_endpoint(ec);
    if (!ec) {
      remote_ = ep.address().is_v6() ? "[" + ep.address().to_string() + "]:" + std::to_string(ep.port())
                                     : ep.address().to_string() + ":" + std::to_string(ep.port());
    }
  }

  ~Session() override {
    shared_->active.fetch_sub(1);
    std::lock_guard<std::mutex> lock(shared_->mu);
    shared_->cv.notify_all();
  }

  void Run() {
    asio::dispatch(stream_.get_executor(), [self = this->shared_from_this()] { self->Begin(); });
  }

  void CloseIfIdle() override {
    asio::post(stream_.get_executor(), [self = this->shared_from_this()] {
      if (self->idle_) {
        boost::system::error_code ec;
        beast::get_lowest_layer(self->stream_).socket().close(ec);
      }
    });
  }

 private:
  Stream MakeStream(tcp::socket socket) {
    if constexpr (kTls) return Stream(std::move(socket), *ctx_);
    else return Stream(std::move(socket));
  }

  const ServerOptions& opts() const { return shared_->opts; }

  void Begin() {
    if constexpr (kTls) {
      beast::get_lowest_layer(stream_).expires_after(opts().read_timeout);
      stream_.async_handshake(ssl::stream_base::server,
                              [self = this->shared_from_this()](beast::error_code ec) { self->OnHandshake(ec); });
    } else {
      WaitForRequest(opts().read_timeout);
    }
  }

  void OnHandshake(beast::error_code ec) {
    if (ec) {
      shared_->handshake_failures.fetch_add(1);
      if (ec == beast::error::timeout) shared_->timeouts.fetch_add(1);
      log::Debug("tls handshake failed", {{"server", opts().name}, {"remote", remote_}, {"error", ec.message()}});
      return;  // dropping the last reference closes the socket
    }
    if constexpr (kTls) subject_ = PeerSubject(stream_.native_handle());
    WaitForRequest(opts().read_timeout);
  }

  // Waits for the first byte of the next request under `timeout` (the idle timeout between
  // keep-alive requests); the request itself then gets read_timeout.
  void WaitForRequest(std::chrono::milliseconds timeout) {
    if (shared_->stopping.load()) return DoClose();
    if (buffer_.size() > 0) return ReadHeader();
    idle_ = true;
    beast::get_lowest_layer(stream_).expires_after(timeout);
    stream_.async_read_some(buffer_.prepare(4096),
                            [self = this->shared_from_this()](beast::error_code ec, size_t n) {
                              self->idle_ = false;
                              if (ec) {
                                if (ec == beast::error::timeout) self->shared_->timeouts.fetch_add(1);
                                return self->DoClose();
                              }
                              self->buffer_.commit(n);
                              self->ReadHeader();
                            });
  }

  void ReadHeader() {
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(std::min<size_t>(opts().max_header_bytes, UINT32_MAX)));
    parser_->body_limit(opts().max_body_bytes);
    beast::get_lowest_layer(stream_).expires_after(opts().read_timeout);
    bhttp::async_read_header(stream_, buffer_, *parser_,
                             [self = this->shared_from_this()](beast::error_code ec, size_t) { self->OnHeader(ec); });
  }

  bool ReadError(beast::error_code ec) {
    if (!ec) return false;
    // Errors answered here leave unread input behind (see Drain).
    if (ec == bhttp::error::header_limit) {
      drain_ = true;
      Send(JsonError(431, "request headers too large"), false);
    } else if (ec == bhttp::error::body_limit) {
      drain_ = true;
      Send(JsonError(413, "request body larger than " + std::to_string(opts().max_body_bytes) + " bytes"), false);
    } else if (ec == beast::error::timeout) {
      shared_->timeouts.fetch_add(1);
      log::Debug("request read timed out", {{"server", opts().name}, {"remote", remote_}});
      DoClose();
    } else if (ec == bhttp::error::end_of_stream || ec == asio::error::eof || ec == asio::error::connection_reset ||
               ec == asio::error::operation_aborted || ec == asio::ssl::error::stream_truncated) {
      DoClose();
    } else {
      drain_ = true;
      Send(JsonError(400, "malformed HTTP request: " + ec.message()), false);
    }
    return true;
  }

  void OnHeader(beast::error_code ec) {
    if (ReadError(ec)) return;
    auto& h = parser_->get();
    if (auto len = parser_->content_length(); len && *len > opts().max_body_bytes) {
      drain_ = true;
      return Send(JsonError(413, "request body larger than " + std::to_string(opts().max_body_bytes) + " bytes"), false);
    }
    std::string_view target(h.target().data(), h.target().size());
    std::string_view path = target.substr(0, target.find('?'));
    std::string_view method(h.method_string().data(), h.method_string().size());
    auto ct = h[bhttp::field::content_type];
    if (auto early = shared_->PreCheck(method, path, std::string_view(ct.data(), ct.size()))) {
      // The body was not read, so the connection cannot be reused.
      drain_ = true;
      return Send(std::move(*early), false);
    }
    bhttp::async_read(stream_, buffer_, *parser_,
                      [self = this->shared_from_this()](beast::error_code e, size_t) { self->OnBody(e); });
  }

  void OnBody(beast::error_code ec) {
    if (ReadError(ec)) return;
    auto msg = parser_->release();
    Request req;
    req.method = std::string(msg.method_string());
    req.target = std::string(msg.target());
    req.path = req.target.substr(0, req.target.find('?'));
    for (const auto& f : msg) req.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
    req.body = std::move(msg.body());
    req.remote = remote_;
    req.client_subject = subject_;
    bool known = false;
    Response res = shared_->Dispatch(req, &known);
    Send(std::move(res), msg.keep_alive());
  }

  void Send(Response r, bool keep_alive) {
    keep_alive = keep_alive && !shared_->stopping.load();
    res_ = {};
    res_.version(11);
    res_.result(static_cast<unsigned>(r.status));
    res_.set(bhttp::field::server, "riposte");
    res_.set(bhttp::field::content_type, r.content_type);
    for (auto& [k, v] : r.headers) res_.set(k, v);
    res_.body() = std::move(r.body);
    res_.keep_alive(keep_alive);
    res_.prepare_payload();
    beast::get_lowest_layer(stream_).expires_after(opts().write_timeout);
    bhttp::async_write(stream_, res_, [self = this->shared_from_this(), keep_alive](beast::error_code ec, size_t) {
      if (ec || !keep_alive) return self->DoClose();
      self->WaitForRequest(self->opts().idle_timeout);
    });
  }

  void DoClose() {
    if (closing_) return;
    closing_ = true;
    if (drain_) return Drain();
    if constexpr (kTls) {
      // close_notify with a short deadline; a peer that never answers is just dropped.
      beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(1));
      stream_.async_shutdown([self = this->shared_from_this()](beast::error_code) {
        boost::system::error_code ec;
        beast::get_lowest_layer(self->stream_).socket().close(ec);
      });
    } else {
      boost::system::error_code ec;
      stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
      stream_.socket().close(ec);
    }
  }

  // Lingering close after an early error response: the client may still be sending the body we
  // refused; closing with unread data would make the kernel send RST, which can destroy our
  // response before the client reads it. So stop sending, discard input for a bounded time and
  // amount, then close.
  void Drain() {
    auto& sock = beast::get_lowest_layer(stream_).socket();
    boost::system::error_code ec;
    sock.shutdown(tcp::socket::shutdown_send, ec);
    beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(1));
    DrainSome();
  }
  void DrainSome() {
    beast::get_lowest_layer(stream_).async_read_some(
        asio::buffer(drain_buf_), [self = this->shared_from_this()](beast::error_code ec, size_t n) {
          self->drained_ += n;
          if (ec || self->drained_ > kMaxDrainBytes) {
            boost::system::error_code ignored;
            beast::get_lowest_layer(self->stream_).socket().close(ignored);
            return;
          }
          self->DrainSome();
        });
  }
  static constexpr size_t kMaxDrainBytes = 4 * 1024 * 1024;

  std::shared_ptr<Shared> shared_;
  std::shared_ptr<ssl::context> ctx_;  // must outlive stream_ (declared before it)
  Stream stream_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  bhttp::response<bhttp::string_body> res_;
  std::string remote_;
  std::string subject_;
  bool idle_ = false;
  bool closing_ = false;
  bool drain_ = false;
  size_t drained_ = 0;
  std::array<char, 16384> drain_buf_{};
};

class ServerImpl : public Server {
 public:
  explicit ServerImpl(ServerOptions opts) : shared_(std::make_shared<Shared>()) {
    shared_->opts = std::move(opts);
    if (shared_->opts.threads < 1) shared_->opts.threads = 1;
    if (shared_->opts.tls) certs_ = std::make_unique<CertStore>(*shared_->opts.tls);
  }
  ~ServerImpl() override { Stop(std::chrono::milliseconds(0)); }

  void AddRoute(Route route) override { shared_->routes.push_back(std::move(route)); }

  bool Start(std::string* error) override {
    const auto& o = shared_->opts;
    std::string address;
    uint16_t port = 0;
    if (!ParseListenAddress(o.listen, &address, &port, error)) return false;
    if (certs_ && !certs_->LoadInitial(error)) {
      *error = o.name + ": " + *error;
      return false;
    }
    boost::system::error_code ec;
    tcp::endpoint ep(asio::ip::make_address(address), port);
    acceptor_.open(ep.protocol(), ec);
    if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec && ep.address().is_v6()) acceptor_.set_option(asio::ip::v6_only(true), ec);
    if (!ec) acceptor_.bind(ep, ec);
    if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      *error = o.name + ": cannot listen on " + o.listen + ": " + ec.message();
      return false;
    }
    port_ = acceptor_.local_endpoint().port();
    Accept();
    for (int i = 0; i < o.threads; ++i) threads_.emplace_back([this] { ioc_.run(); });
    if (certs_) {
      reloader_ = std::thread([this] { ReloadLoop(); });
    }
    started_ = true;
    log::Info("listening", {{"server", o.name}, {"address", address}, {"port", std::to_string(port_)},
                            {"tls", certs_ ? "true" : "false"}});
    return true;
  }

  uint16_t Port() const override { return port_; }

  void Stop(std::chrono::milliseconds grace) override {
    if (!started_ || stopped_) return;
    stopped_ = true;
    shared_->stopping.store(true);
    asio::post(acceptor_.get_executor(), [this] {
      boost::system::error_code ec;
      acceptor_.close(ec);
    });
    // Collected under the lock, used outside it: dropping what may be the last reference to a
    // session runs its destructor, which takes the same mutex.
    std::vector<std::shared_ptr<SessionBase>> live;
    {
      std::lock_guard<std::mutex> lock(shared_->mu);
      for (auto& w : shared_->sessions) {
        if (auto s = w.lock()) live.push_back(std::move(s));
      }
    }
    for (auto& s : live) s->CloseIfIdle();
    live.clear();
    {
      std::unique_lock<std::mutex> lock(shared_->mu);
      shared_->cv.wait_for(lock, grace, [this] { return shared_->active.load() == 0; });
    }
    {
      std::lock_guard<std::mutex> lock(reload_mu_);
      reload_stop_ = true;
    }
    reload_cv_.notify_all();
    if (reloader_.joinable()) reloader_.join();
    ioc_.stop();
    for (auto& t : threads_) t.join();
    threads_.clear();
  }

  bool CertLoaded() const override { return certs_ && certs_->Current() != nullptr; }
  int64_t CertNotAfter() const override { return certs_ ? certs_->NotAfter() : 0; }
  uint64_t CertReloads() const override { return certs_ ? certs_->Reloads() : 0; }
  uint64_t CertReloadFailures() const override { return certs_ ? certs_->Failures() : 0; }
  ServerStats Stats() const override {
    ServerStats s;
    s.connections_total = shared_->total.load();
    s.connections_rejected = shared_->rejected.load();
    s.active_connections = shared_->active.load();
    s.tls_handshake_failures = shared_->handshake_failures.load();
    s.timeouts = shared_->timeouts.load();
    return s;
  }

 private:
  void Accept() {
    acceptor_.async_accept(asio::make_strand(ioc_), [this](beast::error_code ec, tcp::socket socket) {
      if (ec == asio::error::operation_aborted || !acceptor_.is_open()) return;
      if (!ec) OnAccept(std::move(socket));
      Accept();
    });
  }

  void OnAccept(tcp::socket socket) {
    shared_->total.fetch_add(1);
    if (shared_->active.load() >= shared_->opts.max_connections) {
      shared_->rejected.fetch_add(1);
      boost::system::error_code ec;
      socket.close(ec);
      return;
    }
    shared_->active.fetch_add(1);
    std::shared_ptr<SessionBase> base;
    if (certs_) {
      auto s = std::make_shared<Session<true>>(shared_, std::move(socket), certs_->Current());
      s->Run();
      base = s;
    } else {
      auto s = std::make_shared<Session<false>>(shared_, std::move(socket), nullptr);
      s->Run();
      base = s;
    }
    std::lock_guard<std::mutex> lock(shared_->mu);
    shared_->sessions.remove_if([](const std::weak_ptr<SessionBase>& w) { return w.expired(); });
    shared_->sessions.push_back(base);
  }

  void ReloadLoop() {
    std::unique_lock<std::mutex> lock(reload_mu_);
    while (!reload_stop_) {
      reload_cv_.wait_for(lock, certs_->options().reload_interval, [this] { return reload_stop_; });
      if (reload_stop_) break;
      lock.unlock();
      certs_->Poll(shared_->opts.name);
      lock.lock();
    }
  }

  std::shared_ptr<Shared> shared_;
  std::unique_ptr<CertStore> certs_;
  asio::io_context ioc_;
  tcp::acceptor acceptor_{asio::make_strand(ioc_)};
  std::vector<std::thread> threads_;
  std::thread reloader_;
  std::mutex reload_mu_;
  std::condition_variable reload_cv_;
  bool reload_stop_ = false;
  uint16_t port_ = 0;
  bool started_ = false;
  bool stopped_ = false;
};

}  // namespace

ServerPtr NewServer(ServerOptions options) { return std::make_unique<ServerImpl>(std::move(options)); }

}  // namespace riposte::http
