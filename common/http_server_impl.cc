// Beast/asio implementation of common/http_server.h.
//
// Each connection runs on its own strand (see Shared::ioc) and reads through a Beast request
// parser that fills the Request directly (RequestParser below), so every byte is accounted for: the head
// against max_header_bytes, the body against max_body_bytes and the chunked framing against
// max_framing_bytes. The head is judged (framing, route, authentication, size, expectation)
// before any body byte is read.
//
// Deadlines are an atomic per connection checked by one sweeper per server (every tick of
// roughly a tenth of the shortest timeout) instead of an asio timer per socket operation: a
// timer per read and write costs a timer-queue insert and cancel, usually with a timerfd
// re-arm, on every operation of every request.

// asio's scheduler trips -Wnull-dereference after inlining (a false positive inside boost).
#pragma GCC diagnostic ignored "-Wnull-dereference"

#include <utility>  // boost 1.74 asio needs std::exchange declared first

#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <sys/resource.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/basic_parser.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/status.hpp>
#include <condition_variable>
#include <ctime>
#include <fstream>
#include <limits>
#include <list>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>

#include "common/http_server.h"
#include "common/json.h"
#include "common/log.h"
#include "common/metrics.h"

namespace riposte::http {

namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = boost::asio::ip::tcp;
using SteadyClock = std::chrono::steady_clock;
// Sockets bound to their connection's strand by type: the default socket type erases the
// executor (any_io_executor), which costs a heap allocation and indirect calls for every
// completion handler it dispatches.
using Strand = boost::asio::strand<boost::asio::io_context::executor_type>;
using Socket = tcp::socket::rebind_executor<Strand>::other;

namespace {

char LowerChar(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool IEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (LowerChar(a[i]) != LowerChar(b[i])) return false;
  return true;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = LowerChar(c);
  return out;
}

std::string_view TrimView(std::string_view s) {
  size_t b = s.find_first_not_of(" \t");
  if (b == std::string_view::npos) return {};
  size_t e = s.find_last_not_of(" \t");
  return s.substr(b, e - b + 1);
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
  // Idle connections give their 2 x 16 KiB record buffers back: 1,024 idle connections
  // would otherwise hold 32 MiB.
  SSL_CTX_set_mode(native, SSL_MODE_RELEASE_BUFFERS);
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

// An address as 16 bytes (IPv4 as IPv4-mapped IPv6), so one table and one CIDR test serve both.
using PeerKey = std::array<unsigned char, 16>;

PeerKey KeyOf(const asio::ip::address& a) {
  if (a.is_v4()) return asio::ip::make_address_v6(asio::ip::v4_mapped, a.to_v4()).to_bytes();
  return a.to_v6().to_bytes();
}

struct Network {
  PeerKey base{};
  unsigned prefix = 0;  // in bits of the 16-byte form

  bool Contains(const PeerKey& k) const {
    unsigned bits = prefix;
    for (size_t i = 0; i < 16 && bits > 0; ++i) {
      unsigned take = std::min(bits, 8u);
      auto mask = static_cast<unsigned char>(0xFF << (8 - take));
      if ((k[i] & mask) != (base[i] & mask)) return false;
      bits -= take;
    }
    return true;
  }
};

bool ParseNetwork(std::string_view text, Network* out, std::string* error) {
  std::string_view addr = text;
  std::optional<unsigned> prefix;
  if (size_t slash = text.find('/'); slash != std::string_view::npos) {
    addr = text.substr(0, slash);
    std::string_view p = text.substr(slash + 1);
    if (p.empty() || p.size() > 3 || !std::all_of(p.begin(), p.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      *error = "trusted network \"" + std::string(text) + "\": bad prefix length";
      return false;
    }
    prefix = static_cast<unsigned>(std::stoul(std::string(p)));
  }
  boost::system::error_code ec;
  auto a = asio::ip::make_address(std::string(addr), ec);
  if (ec) {
    *error = "trusted network \"" + std::string(text) + "\": not an IP address or CIDR";
    return false;
  }
  unsigned max = a.is_v4() ? 32 : 128;
  unsigned bits = prefix.value_or(max);
  if (bits > max) {
    *error = "trusted network \"" + std::string(text) + "\": prefix longer than " + std::to_string(max);
    return false;
  }
  out->base = KeyOf(a);
  out->prefix = a.is_v4() ? bits + 96 : bits;
  return true;
}

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(SteadyClock::now().time_since_epoch()).count();
}

std::string_view ReasonPhrase(int status) {
  auto s = bhttp::obsolete_reason(bhttp::int_to_status(static_cast<unsigned>(status)));
  return std::string_view(s.data(), s.size());
}

bool SafeHeaderText(std::string_view s) {
  return std::none_of(s.begin(), s.end(), [](char c) { return c == '\r' || c == '\n' || c == '\0'; });
}

}  // namespace

// ----- Request, Responder, JSON errors --------------------------------------------------------

std::string_view Request::Header(std::string_view name) const {
  for (const Ref& r : index_) {
    if (r.name_len == name.size() && IEquals(std::string_view(header_bytes_).substr(r.name_off, r.name_len), name))
      return std::string_view(header_bytes_).substr(r.value_off, r.value_len);
  }
  return {};
}

std::pair<std::string_view, std::string_view> Request::HeaderAt(size_t i) const {
  const Ref& r = index_.at(i);
  std::string_view all(header_bytes_);
  return {all.substr(r.name_off, r.name_len), all.substr(r.value_off, r.value_len)};
}

void Request::AddHeader(std::string_view name, std::string_view value) {
  Ref r{};
  r.name_off = static_cast<uint32_t>(header_bytes_.size());
  r.name_len = static_cast<uint32_t>(name.size());
  header_bytes_.append(name);
  r.value_off = static_cast<uint32_t>(header_bytes_.size());
  r.value_len = static_cast<uint32_t>(value.size());
  header_bytes_.append(value);
  index_.push_back(r);
}

void Request::Clear() {
  method.clear();
  target.clear();
  path.clear();
  body.clear();
  version = 11;
  header_bytes_.clear();
  index_.clear();
}

Responder& Responder::operator=(Responder&& other) noexcept {
  if (this != &other) {
    Responder old(std::move(*this));  // an unanswered target is answered by its destructor
    target_ = std::move(other.target_);
  }
  return *this;
}

Responder::~Responder() {
  if (!target_) return;
  auto t = std::move(target_);
  try {
    t->Complete(JsonError(500, "internal error: the request was dropped"));
  } catch (...) {
  }
}

void Responder::operator()(Response r) {
  if (!target_) return;
  auto t = std::move(target_);
  t->Complete(std::move(r));
}

std::string JsonQuote(std::string_view s) { return json::Quote(s); }

Response JsonError(int status, std::string_view message, std::string_view reason) {
  Response r;
  r.status = status;
  r.body = "{\"error\":{\"code\":" + std::to_string(status) +
           (reason.empty() ? std::string() : ",\"reason\":" + JsonQuote(reason)) + ",\"message\":" + JsonQuote(message) +
           "}}";
  return r;
}

std::string_view RefuseReasonName(RefuseReason r) {
  switch (r) {
    case RefuseReason::kPerPeer: return "per_peer";
    case RefuseReason::kUntrustedFull: return "untrusted_full";
    case RefuseReason::kFull: return "full";
    case RefuseReason::kCount: break;
  }
  return "unknown";
}

std::string_view CloseReasonName(CloseReason r) {
  switch (r) {
    case CloseReason::kDone: return "done";
    case CloseReason::kPeerClosed: return "peer_closed";
    case CloseReason::kUnauthenticated: return "unauthenticated";
    case CloseReason::kBadRequest: return "bad_request";
    case CloseReason::kHeaderLimit: return "header_limit";
    case CloseReason::kBodyLimit: return "body_limit";
    case CloseReason::kFramingLimit: return "framing_limit";
    case CloseReason::kErrorResponse: return "error_response";
    case CloseReason::kHandshakeFailed: return "handshake_failed";
    case CloseReason::kHandshakeTimeout: return "handshake_timeout";
    case CloseReason::kIdleTimeout: return "idle_timeout";
    case CloseReason::kHeaderTimeout: return "header_timeout";
    case CloseReason::kBodyTimeout: return "body_timeout";
    case CloseReason::kWriteTimeout: return "write_timeout";
    case CloseReason::kEvicted: return "evicted";
    case CloseReason::kBusy: return "busy";
    case CloseReason::kCount: break;
  }
  return "unknown";
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

std::string ValidateOptions(const ServerOptions& o) {
  if (o.max_connections < 1) return o.name + ": max_connections must be at least 1";
  if (o.reserved_connections >= o.max_connections)
    return o.name + ": reserved connections (" + std::to_string(o.reserved_connections) +
           ") must be fewer than max connections (" + std::to_string(o.max_connections) + ")";
  if (o.max_connections_per_peer < 1) return o.name + ": the per-peer connection cap must be at least 1";
  if (o.max_header_bytes < 256) return o.name + ": max_header_bytes must be at least 256";
  for (const auto& n : o.trusted_networks) {
    Network net;
    std::string error;
    if (!ParseNetwork(n, &net, &error)) return o.name + ": " + error;
  }
  return "";
}

namespace {

// ----- Certificates ---------------------------------------------------------------------------

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

// ----- Request parser -------------------------------------------------------------------------

// What the parser found wrong beyond Beast's own errors; it reports them as
// bhttp::error::bad_transfer_encoding / body_limit and the session looks here for the cause.
enum class Violation { kNone, kTransferEncoding, kUnsupportedCoding, kFraming, kBody };

// Fills a Request straight from the wire: headers into the request's single header buffer,
// the body into request.body. Beast's own body limit is not used because it refuses a large
// Content-Length in the header callback, before the server can authenticate the request;
// this one is checked in the session after authentication.
class RequestParser final : public bhttp::basic_parser<true> {
 public:
  RequestParser(Request* req, size_t max_body, size_t max_framing) : req_(req), max_body_(max_body), max_ext_(max_framing) {
    body_limit(std::numeric_limits<std::uint64_t>::max());
  }

  Violation violation() const { return violation_; }
  const std::string& violation_text() const { return violation_text_; }
  bool expect_seen() const { return expect_seen_; }
  bool expect_continue() const { return expect_continue_; }

 private:
  void on_request_impl(bhttp::verb, beast::string_view method, beast::string_view target, int version,
                       beast::error_code&) override {
    req_->method.assign(method.data(), method.size());
    req_->target.assign(target.data(), target.size());
    req_->path.assign(req_->target, 0, req_->target.find('?'));
    req_->version = version;
  }
  void on_response_impl(int, beast::string_view, int, beast::error_code& ec) override {
    ec = bhttp::error::bad_method;
  }

  void on_field_impl(bhttp::field f, beast::string_view name, beast::string_view value, beast::error_code& ec) override {
    if (head_done_) {
      // A trailer. Never merged into the headers (the head was already authenticated and
      // judged); only counted.
      ext_bytes_ += name.size() + value.size() + 4;
      if (ext_bytes_ > max_ext_) Fail(ec, Violation::kFraming, "chunk extensions and trailers larger than " + std::to_string(max_ext_) + " bytes");
      return;
    }
    std::string_view v(value.data(), value.size());
    if (f == bhttp::field::transfer_encoding) {
      if (te_seen_) te_ += ',';
      te_seen_ = true;
      te_.append(v);
    } else if (f == bhttp::field::expect) {
      expect_seen_ = true;
      expect_continue_ = expect_continue_ || IEquals(TrimView(v), "100-continue");
      if (!IEquals(TrimView(v), "100-continue")) expect_other_ = true;
    }
    req_->AddHeader(std::string_view(name.data(), name.size()), v);
  }

  void on_header_impl(beast::error_code& ec) override {
    head_done_ = true;
    if (expect_other_) expect_continue_ = false;
    if (!te_seen_) return;
    // RFC 9112 §6.1: an HTTP/1.0 message with Transfer-Encoding has faulty framing.
    if (req_->version < 11) return Fail(ec, Violation::kTransferEncoding, "Transfer-Encoding in an HTTP/1.0 request");
    // RFC 9112 §6.3 and §7: chunked must be the final coding and appear once; codings other
    // than chunked are not implemented here (§6.1: 501).
    std::vector<std::string_view> codings;
    std::string_view rest(te_);
    while (true) {
      size_t comma = rest.find(',');
      std::string_view item = TrimView(rest.substr(0, comma));
      item = TrimView(item.substr(0, item.find(';')));
      if (!item.empty()) codings.push_back(item);
      if (comma == std::string_view::npos) break;
      rest.remove_prefix(comma + 1);
    }
    if (codings.empty()) return Fail(ec, Violation::kTransferEncoding, "empty Transfer-Encoding");
    size_t chunked = static_cast<size_t>(std::count_if(codings.begin(), codings.end(), [](std::string_view c) { return IEquals(c, "chunked"); }));
    if (!IEquals(codings.back(), "chunked"))
      return Fail(ec, Violation::kTransferEncoding, "Transfer-Encoding does not end in chunked, so the body length is unknown");
    if (chunked > 1) return Fail(ec, Violation::kTransferEncoding, "chunked applied more than once");
    if (codings.size() > 1)
      return Fail(ec, Violation::kUnsupportedCoding, "transfer coding \"" + std::string(codings.front().substr(0, 32)) + "\" is not supported; only chunked");
  }

  void on_body_init_impl(const boost::optional<std::uint64_t>& length, beast::error_code&) override {
    // 64 spare bytes: JSON parsers (simdjson) can then read the body in place.
    if (length) req_->body.reserve(static_cast<size_t>(std::min<std::uint64_t>(*length, max_body_)) + 64);
  }

  size_t on_body_impl(beast::string_view body, beast::error_code& ec) override {
    if (req_->body.size() + body.size() > max_body_) {
      Fail(ec, Violation::kBody, "");
      return 0;
    }
    req_->body.append(body.data(), body.size());
    return body.size();
  }

  void on_chunk_header_impl(std::uint64_t size, beast::string_view extensions, beast::error_code& ec) override {
    ext_bytes_ += extensions.size();
    if (ext_bytes_ > max_ext_)
      return Fail(ec, Violation::kFraming, "chunk extensions and trailers larger than " + std::to_string(max_ext_) + " bytes");
    if (size > max_body_ || req_->body.size() + size > max_body_) return Fail(ec, Violation::kBody, "");
  }

  size_t on_chunk_body_impl(std::uint64_t, beast::string_view body, beast::error_code& ec) override {
    return on_body_impl(body, ec);
  }

  void on_finish_impl(beast::error_code&) override {}

  void Fail(beast::error_code& ec, Violation v, std::string text) {
    violation_ = v;
    violation_text_ = std::move(text);
    ec = v == Violation::kBody ? bhttp::error::body_limit : bhttp::error::bad_transfer_encoding;
  }

  Request* req_;
  size_t max_body_;
  size_t max_ext_;
  size_t ext_bytes_ = 0;
  bool head_done_ = false;
  bool expect_seen_ = false;
  bool expect_continue_ = false;
  bool expect_other_ = false;
  bool te_seen_ = false;
  std::string te_;
  Violation violation_ = Violation::kNone;
  std::string violation_text_;
};

// ----- Shared state, sessions -----------------------------------------------------------------

enum class Phase : uint8_t { kHandshake, kIdle, kHeader, kBody, kHandling, kWriting, kClosing };

class SessionBase : public std::enable_shared_from_this<SessionBase> {
 public:
  virtual ~SessionBase() = default;
  virtual void Expire() = 0;      // the sweeper saw the deadline pass; re-checked on the strand
  virtual void Evict() = 0;       // make room for a new connection
  virtual void CloseIfIdle() = 0;  // server stopping
  virtual void ForceClose() = 0;   // server stopping, grace over

  // Read by the sweeper and the evictor without the strand.
  std::atomic<int64_t> deadline_ns{0};  // 0 = none
  std::atomic<Phase> phase{Phase::kHandshake};
  std::atomic<bool> trusted{false};
  // Owned by Shared::mu.
  bool counted = false;  // holds a slot in the counts below
  bool listed = false;
  std::list<SessionBase*>::iterator it;
  PeerKey peer{};
};

// State shared by the server and its sessions; sessions hold a shared_ptr so a late
// completion handler never touches a destroyed server.
struct Shared {
  ServerOptions opts;
  std::vector<Route> routes;
  std::vector<Network> trusted_networks;
  // One io_context run by all I/O threads, a strand per connection. One io_context per
  // thread saves the hand-offs between threads, but then a large review, or the thread
  // being descheduled on a busy node, holds up every connection of that thread: p99 rose from
  // about 4 to 11 ms in webhook_bench for no gain in CPU per request.
  asio::io_context ioc;
  std::atomic<bool> stopping{false};
  // Threads joined and the queue drained: completions from other threads are dropped (which
  // closes their connection) instead of being posted where nothing would ever run them.
  // post_mu orders a completion's check-and-post against the final drain.
  std::recursive_mutex post_mu;  // recursive: a handler run by the final drain may complete inline
  bool stopped = false;

  // Accounting (mu).
  std::mutex mu;
  std::condition_variable cv;
  std::list<SessionBase*> sessions;  // accept order
  size_t untrusted = 0;
  size_t trusted = 0;
  std::map<PeerKey, size_t> per_peer;  // untrusted connections per address

  // Bodies being read (max_inflight_body_bytes).
  std::atomic<size_t> inflight_body{0};

  bool ReserveBody(size_t bytes, bool from_trusted) {
    const size_t budget = opts.max_inflight_body_bytes;
    if (budget == 0 || bytes == 0) return true;
    const size_t cap = from_trusted ? budget : budget - budget / 4;
    size_t cur = inflight_body.load();
    do {
      if (cur + bytes > cap) return false;
    } while (!inflight_body.compare_exchange_weak(cur, cur + bytes));
    return true;
  }
  void ReleaseBody(size_t bytes) {
    if (bytes > 0) inflight_body.fetch_sub(bytes);
  }

  // Statistics.
  std::atomic<uint64_t> accepted{0};
  std::atomic<uint64_t> active{0};
  std::atomic<uint64_t> handshake_failures{0};
  std::array<std::atomic<uint64_t>, static_cast<size_t>(RefuseReason::kCount)> refused{};
  std::array<std::atomic<uint64_t>, static_cast<size_t>(CloseReason::kCount)> closed{};
  metrics::Counter* m_accepted = nullptr;
  std::array<metrics::Counter*, static_cast<size_t>(RefuseReason::kCount)> m_refused{};
  std::array<metrics::Counter*, static_cast<size_t>(CloseReason::kCount)> m_closed{};
  metrics::Gauge* m_open_trusted = nullptr;
  metrics::Gauge* m_open_untrusted = nullptr;

  size_t max_buffer = 0;  // per-connection read buffer cap

  void RegisterMetrics() {
    if (opts.metrics == nullptr) return;
    auto& reg = *opts.metrics;
    m_accepted = &reg.AddCounter("riposte_http_connections_accepted_total", "Connections accepted, by listener",
                                 {"server"})
                      .With({opts.name});
    auto& ref = reg.AddCounter("riposte_http_connections_refused_total",
                               "Connections closed at accept, by listener and reason (per_peer: the address "
                               "already holds its share; untrusted_full / full: no slot and none to evict)",
                               {"server", "reason"});
    for (size_t i = 0; i < m_refused.size(); ++i)
      m_refused[i] = &ref.With({opts.name, std::string(RefuseReasonName(static_cast<RefuseReason>(i)))});
    auto& cl = reg.AddCounter("riposte_http_connections_closed_total",
                              "Connections closed, by listener and the first cause (timeouts by phase, limits, "
                              "401, error answers, evictions, the peer, or normal end)",
                              {"server", "reason"});
    for (size_t i = 0; i < m_closed.size(); ++i)
      m_closed[i] = &cl.With({opts.name, std::string(CloseReasonName(static_cast<CloseReason>(i)))});
    auto& open = reg.AddGauge("riposte_http_connections_open",
                              "Open connections by listener and trust (trusted: authenticated, mTLS or from a "
                              "trusted network)",
                              {"server", "trust"});
    m_open_trusted = &open.With({opts.name, "trusted"});
    m_open_untrusted = &open.With({opts.name, "untrusted"});
  }

  void CountRefused(RefuseReason r) {
    refused[static_cast<size_t>(r)].fetch_add(1, std::memory_order_relaxed);
    if (m_refused[static_cast<size_t>(r)]) m_refused[static_cast<size_t>(r)]->Inc();
  }
  void CountClosed(CloseReason r) {
    closed[static_cast<size_t>(r)].fetch_add(1, std::memory_order_relaxed);
    if (m_closed[static_cast<size_t>(r)]) m_closed[static_cast<size_t>(r)]->Inc();
  }
  void UpdateOpenGauges() {  // under mu
    if (m_open_trusted) m_open_trusted->Set(static_cast<double>(trusted));
    if (m_open_untrusted) m_open_untrusted->Set(static_cast<double>(untrusted));
  }

  bool IsTrustedAddress(const PeerKey& k) const {
    return std::any_of(trusted_networks.begin(), trusted_networks.end(), [&](const Network& n) { return n.Contains(k); });
  }

  // Releases the slot `s` holds (under mu).
  void ReleaseLocked(SessionBase* s) {
    if (!s->counted) return;
    s->counted = false;
    if (s->trusted.load()) {
      --trusted;
    } else {
      --untrusted;
      auto it = per_peer.find(s->peer);
      if (it != per_peer.end() && --it->second == 0) per_peer.erase(it);
    }
    UpdateOpenGauges();
  }

  // The oldest untrusted connection not in the middle of a request (then, failing that, one
  // still reading its body); its slot is released at once. Under mu.
  std::shared_ptr<SessionBase> TakeVictimLocked() {
    for (int pass = 0; pass < 2; ++pass) {
      for (SessionBase* s : sessions) {
        if (!s->counted || s->trusted.load()) continue;
        Phase p = s->phase.load();
        bool evictable = pass == 0 ? (p == Phase::kHandshake || p == Phase::kIdle || p == Phase::kHeader ||
                                      p == Phase::kClosing)
                                   : p == Phase::kBody;
        if (!evictable) continue;
        auto victim = s->weak_from_this().lock();
        if (!victim) continue;
        ReleaseLocked(s);
        return victim;
      }
    }
    return nullptr;
  }

  // Untrusted -> trusted (authenticated). Under mu.
  void PromoteLocked(SessionBase* s) {
    if (s->trusted.load()) return;
    if (s->counted) {
      --untrusted;
      auto it = per_peer.find(s->peer);
      if (it != per_peer.end() && --it->second == 0) per_peer.erase(it);
      ++trusted;
    }
    s->trusted.store(true);
    UpdateOpenGauges();
  }

  void Promote(SessionBase* s) {
    if (s->trusted.load(std::memory_order_relaxed)) return;
    std::lock_guard<std::mutex> lock(mu);
    PromoteLocked(s);
  }

  const Route* FindRoute(std::string_view method, std::string_view path, std::string_view content_type,
                         std::optional<Response>* early) const;
};

const Route* Shared::FindRoute(std::string_view method, std::string_view path, std::string_view content_type,
                               std::optional<Response>* early) const {
  std::string allow;
  for (const auto& r : routes) {
    if (r.path != path) continue;
    if (std::find(r.methods.begin(), r.methods.end(), method) == r.methods.end()) {
      for (const auto& m : r.methods) allow += (allow.empty() ? "" : ", ") + m;
      continue;
    }
    if (!r.content_types.empty()) {
      std::string media = Lower(TrimView(content_type.substr(0, content_type.find(';'))));
      bool ok = std::any_of(r.content_types.begin(), r.content_types.end(),
                            [&](const std::string& t) { return IEquals(t, media); });
      if (!ok) {
        std::string want;
        for (const auto& t : r.content_types)
          if (!t.empty()) want += (want.empty() ? "" : ", ") + t;
        if (std::find(r.content_types.begin(), r.content_types.end(), "") != r.content_types.end()) want += " or none";
        *early = JsonError(415, "unsupported content type \"" + std::string(content_type.substr(0, 128)) +
                                    "\"; expected " + want);
        return nullptr;
      }
    }
    return &r;
  }
  if (!allow.empty()) {
    Response r = JsonError(405, "method " + std::string(method.substr(0, 32)) + " not allowed; allowed: " + allow);
    r.headers.emplace_back("Allow", allow);
    *early = std::move(r);
    return nullptr;
  }
  *early = JsonError(404, "no such path");
  return nullptr;
}

template <bool kTls>
class Session final : public SessionBase {
  using Stream = std::conditional_t<kTls, ssl::stream<Socket>, Socket>;

 public:
  Session(std::shared_ptr<Shared> shared, Socket socket, std::shared_ptr<ssl::context> ctx, std::string remote)
      : shared_(std::move(shared)),
        ctx_(std::move(ctx)),
        stream_(MakeStream(std::move(socket))),
        buffer_(shared_->max_buffer),
        remote_(std::move(remote)) {}

  ~Session() override {
    shared_->ReleaseBody(body_reserved_);
    shared_->CountClosed(reason_.value_or(CloseReason::kPeerClosed));
    {
      std::lock_guard<std::mutex> lock(shared_->mu);
      shared_->ReleaseLocked(this);
      if (listed) shared_->sessions.erase(it);
      listed = false;
      shared_->active.fetch_sub(1);
    }
    shared_->cv.notify_all();
  }

  void Run() {
    asio::dispatch(Lowest().get_executor(), [self = Self()] { self->Begin(); });
  }

  void Expire() override {
    asio::post(Lowest().get_executor(), [self = Self()] {
      int64_t d = self->deadline_ns.load();
      if (d == 0 || NowNs() < d || self->closed_) return;
      self->CloseNow(self->TimeoutReason());
    });
  }

  void Evict() override {
    asio::post(Lowest().get_executor(), [self = Self()] { self->CloseNow(CloseReason::kEvicted); });
  }

  void CloseIfIdle() override {
    asio::post(Lowest().get_executor(), [self = Self()] {
      Phase p = self->phase.load();
      if (p == Phase::kIdle || p == Phase::kHandshake) self->CloseNow(CloseReason::kDone);
    });
  }

  void ForceClose() override {
    asio::post(Lowest().get_executor(), [self = Self()] { self->CloseNow(CloseReason::kDone); });
  }

  // From a Responder, any thread.
  void CompleteAsync(Response r) {
    std::lock_guard<std::recursive_mutex> lock(shared_->post_mu);
    if (shared_->stopped) return;  // nothing runs the strand any more; dropping closes
    asio::post(Lowest().get_executor(), [self = Self(), r = std::move(r)]() mutable {
      if (self->closed_) return;
      self->Answer(std::move(r));
    });
  }

 private:
  std::shared_ptr<Session> Self() { return std::static_pointer_cast<Session>(shared_from_this()); }
  Socket& Lowest() {
    if constexpr (kTls) return stream_.next_layer();
    else return stream_;
  }
  Stream MakeStream(Socket socket) {
    if constexpr (kTls) return Stream(std::move(socket), *ctx_);
    else return Stream(std::move(socket));
  }
  const ServerOptions& opts() const { return shared_->opts; }

  void SetPhase(Phase p, std::chrono::milliseconds timeout) {
    phase.store(p, std::memory_order_relaxed);
    deadline_ns.store(timeout.count() > 0 ? NowNs() + std::chrono::duration_cast<std::chrono::nanoseconds>(timeout).count() : 0,
                      std::memory_order_relaxed);
  }

  CloseReason TimeoutReason() const {
    switch (phase.load()) {
      case Phase::kHandshake: return CloseReason::kHandshakeTimeout;
      case Phase::kIdle: return CloseReason::kIdleTimeout;
      case Phase::kHeader: return CloseReason::kHeaderTimeout;
      case Phase::kBody: return CloseReason::kBodyTimeout;
      case Phase::kWriting: return CloseReason::kWriteTimeout;
      case Phase::kHandling:
      case Phase::kClosing: break;
    }
    return reason_.value_or(CloseReason::kDone);
  }

  std::chrono::milliseconds IdleTimeout() const {
    return trusted.load(std::memory_order_relaxed) ? opts().idle_timeout : opts().untrusted_idle_timeout;
  }

  void SetReason(CloseReason r) {
    if (!reason_) reason_ = r;
  }

  // Closes the socket at once: pending operations complete with operation_aborted and the
  // session ends when the last of them returns.
  void CloseNow(CloseReason r) {
    SetReason(r);
    if (closed_) return;
    closed_ = true;
    deadline_ns.store(0);
    boost::system::error_code ec;
    Lowest().close(ec);
  }

  void Begin() {
    if (shared_->stopping.load()) return CloseNow(CloseReason::kDone);
    if constexpr (kTls) {
      SetPhase(Phase::kHandshake, opts().handshake_timeout);
      stream_.async_handshake(ssl::stream_base::server, [self = Self()](const boost::system::error_code& ec) {
        self->OnHandshake(ec);
      });
    } else {
      StartRequest();
    }
  }

  void OnHandshake(const boost::system::error_code& ec) {
    if (closed_) return;
    if (ec) {
      shared_->handshake_failures.fetch_add(1);
      log::Debug("tls handshake failed", {{"server", opts().name}, {"remote", remote_}, {"error", ec.message()}});
      return CloseNow(CloseReason::kHandshakeFailed);
    }
    if constexpr (kTls) {
      subject_ = PeerSubject(stream_.native_handle());
      // A verified client certificate is authentication (the server only asks for one when a
      // client CA is configured, and then refuses connections without one).
      if (!subject_.empty()) shared_->Promote(this);
    }
    StartRequest();
  }

  // A new request on this connection: fresh parser, idle until its first byte.
  void StartRequest() {
    if (shared_->stopping.load()) return CloseNow(CloseReason::kDone);
    req_.Clear();
    parser_.emplace(&req_, opts().max_body_bytes, opts().max_framing_bytes);
    parser_->header_limit(static_cast<std::uint32_t>(std::min<size_t>(opts().max_header_bytes, UINT32_MAX)));
    parser_->eager(false);
    head_done_ = false;
    head_bytes_ = 0;
    consumed_in_body_ = 0;
    if (buffer_.size() > 0) {
      SetPhase(Phase::kHeader, opts().header_timeout);
      return Parse();
    }
    SetPhase(Phase::kIdle, IdleTimeout());
    ReadSome();
  }

  void ReadSome() {
    size_t room = buffer_.max_size() - buffer_.size();
    if (room == 0) return OnBufferFull();
    auto mb = buffer_.prepare(std::min<size_t>(room, 16 * 1024));
    stream_.async_read_some(mb, [self = Self()](const boost::system::error_code& ec, size_t n) { self->OnRead(ec, n); });
  }

  void OnRead(const boost::system::error_code& ec, size_t n) {
    if (closed_) return;
    if (ec) {
      // EOF, reset or a TLS error; what the session was waiting for decides the wording only.
      return CloseNow(CloseReason::kPeerClosed);
    }
    buffer_.commit(n);
    if (phase.load(std::memory_order_relaxed) == Phase::kIdle) SetPhase(Phase::kHeader, opts().header_timeout);
    Parse();
  }

  // The parser needs more input than the buffer can hold: only a head or a chunk line this
  // large does that, and both are over their budgets.
  void OnBufferFull() {
    if (!head_done_) return Reject(431, "request headers too large", CloseReason::kHeaderLimit);
    return Reject(400, "chunk framing larger than " + std::to_string(opts().max_framing_bytes) + " bytes",
                  CloseReason::kFramingLimit);
  }

  void Parse() {
    for (;;) {
      if (head_done_ && parser_->is_done()) return OnRequest();
      if (buffer_.size() == 0) return ReadSome();
      beast::error_code ec;
      size_t body_before = req_.body.size();
      size_t used = parser_->put(buffer_.data(), ec);
      buffer_.consume(used);
      if (!head_done_) {
        // Beast bounds the request line and the fields each by its header limit; the budget
        // is for both together. Unparsed bytes while the head is incomplete are head bytes.
        head_bytes_ += used;
        size_t pending = ec == bhttp::error::need_more ? buffer_.size() : 0;
        if (head_bytes_ + pending > opts().max_header_bytes)
          return Reject(431, "request headers too large", CloseReason::kHeaderLimit);
      } else {
        consumed_in_body_ += used - (req_.body.size() - body_before);
        // Chunk-size lines and CRLFs: a fixed allowance plus an eighth of the body, so that
        // small chunks are fine and a stream of framing without content is not.
        if (consumed_in_body_ > opts().max_framing_bytes + req_.body.size() / 8)
          return Reject(400, "chunk framing larger than allowed for a body of this size", CloseReason::kFramingLimit);
      }
      if (ec == bhttp::error::need_more) {
        if (buffer_.size() >= buffer_.max_size()) return OnBufferFull();
        return ReadSome();
      }
      if (ec) return OnParseError(ec);
      if (!head_done_ && parser_->is_header_done()) {
        head_done_ = true;
        if (!OnHead()) return;  // answered, or writing 100 Continue (Parse resumes after it)
      }
    }
  }

  void OnParseError(const beast::error_code& ec) {
    switch (parser_->violation()) {
      case Violation::kTransferEncoding:
        return Reject(400, "bad Transfer-Encoding: " + parser_->violation_text(), CloseReason::kBadRequest);
      case Violation::kUnsupportedCoding:
        return Reject(501, parser_->violation_text(), CloseReason::kBadRequest);
      case Violation::kFraming:
        return Reject(400, parser_->violation_text(), CloseReason::kFramingLimit);
      case Violation::kBody:
        return Reject(413, "request body larger than " + std::to_string(opts().max_body_bytes) + " bytes",
                      CloseReason::kBodyLimit);
      case Violation::kNone:
        break;
    }
    if (ec == bhttp::error::header_limit) return Reject(431, "request headers too large", CloseReason::kHeaderLimit);
    return Reject(400, "malformed HTTP request: " + ec.message(), CloseReason::kBadRequest);
  }

  // The head is complete and no body byte has been read. False when the request was answered
  // here (or a 100 Continue is being written and Parse resumes after it).
  bool OnHead() {
    deadline_ns.store(0);  // judging the head takes no I/O
    std::optional<Response> early;
    std::string_view ct = req_.Header("Content-Type");
    route_ = shared_->FindRoute(req_.method, req_.path, ct, &early);
    if (!route_) {
      Reject(std::move(*early), CloseReason::kBadRequest);
      return false;
    }
    if (route_->require_auth && opts().authenticate) {
      req_.remote = remote_;
      req_.client_subject = subject_;
      std::optional<Response> refused;
      try {
        refused = opts().authenticate(req_);
      } catch (const std::exception& e) {
        log::Error("authenticator threw", {{"server", opts().name}, {"error", e.what()}});
        refused = JsonError(500, "internal error");
      }
      if (refused) {
        CloseReason why = refused->status == 401 ? CloseReason::kUnauthenticated : CloseReason::kErrorResponse;
        Reject(std::move(*refused), why);
        return false;
      }
      shared_->Promote(this);
    }
    auto len = parser_->content_length();
    if (len && *len > opts().max_body_bytes) {
      Reject(413, "request body larger than " + std::to_string(opts().max_body_bytes) + " bytes", CloseReason::kBodyLimit);
      return false;
    }
    if (!parser_->is_done()) {
      size_t want = len ? static_cast<size_t>(*len) : opts().max_body_bytes;
      if (!shared_->ReserveBody(want, trusted.load(std::memory_order_relaxed))) {
        Response busy = JsonError(503, "too many request bodies being read; retry", "busy");
        busy.headers.emplace_back("Retry-After", "1");
        Reject(std::move(busy), CloseReason::kBusy);
        return false;
      }
      body_reserved_ = want;
    }
    parser_->eager(true);
    if (req_.version >= 11 && parser_->expect_seen()) {
      if (!parser_->expect_continue()) {
        Reject(417, "unsupported expectation; only 100-continue", CloseReason::kBadRequest);
        return false;
      }
      // The client waits for this before sending the body (RFC 9110 §10.1.1). Not needed when
      // part of the body is already here or there is none.
      if (buffer_.size() == 0 && !parser_->is_done()) {
        static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
        SetPhase(Phase::kWriting, opts().write_timeout);
        asio::async_write(stream_, asio::buffer(kContinue.data(), kContinue.size()),
                          [self = Self()](const boost::system::error_code& ec, size_t) {
                            if (self->closed_) return;
                            if (ec) return self->CloseNow(CloseReason::kPeerClosed);
                            self->SetPhase(Phase::kBody, self->opts().read_timeout);
                            self->Parse();
                          });
        return false;
      }
    }
    SetPhase(Phase::kBody, opts().read_timeout);
    return true;
  }

  void OnRequest() {
    SetPhase(Phase::kHandling, std::chrono::milliseconds(0));
    req_.remote = remote_;
    req_.client_subject = subject_;
    keep_alive_ = parser_->keep_alive();
    if (route_->async_handler) {
      Request moved = std::move(req_);
      req_ = Request{};
      try {
        route_->async_handler(std::move(moved), Responder(std::make_shared<AsyncTarget>(Self())));
      } catch (const std::exception& e) {
        log::Error("handler threw", {{"server", opts().name}, {"path", route_->path}, {"error", e.what()}});
      }
      return;
    }
    Answer(RunHandler());
  }

  Response RunHandler() {
    try {
      return route_->handler(req_);
    } catch (const std::exception& e) {
      log::Error("handler threw", {{"server", opts().name}, {"path", req_.path}, {"error", e.what()}});
    } catch (...) {
      log::Error("handler threw", {{"server", opts().name}, {"path", req_.path}});
    }
    return JsonError(500, "internal error");
  }

  struct AsyncTarget final : Responder::Target {
    explicit AsyncTarget(std::shared_ptr<Session> s) : session(std::move(s)) {}
    void Complete(Response r) override { session->CompleteAsync(std::move(r)); }
    std::shared_ptr<Session> session;
  };

  // A handler's answer: keep-alive unless the client or the status says otherwise.
  void Answer(Response r) {
    bool error = r.status >= 400;
    Write(std::move(r), keep_alive_ && !error, error ? CloseReason::kErrorResponse : CloseReason::kDone);
  }

  // An answer decided before the body was read (or while reading it): always closes, after a
  // bounded lingering read (see Linger).
  void Reject(Response r, CloseReason reason) { Write(std::move(r), false, reason); }
  void Reject(int status, const std::string& message, CloseReason reason) { Reject(JsonError(status, message), reason); }

  void Write(Response r, bool keep_alive, CloseReason reason_if_closing) {
    // The body has been read and handled: its share of the budget is free again (released
    // here rather than after the write, so that a client's next request never finds it taken).
    shared_->ReleaseBody(std::exchange(body_reserved_, 0));
    keep_alive = keep_alive && !shared_->stopping.load();
    bool head = req_.method == "HEAD";
    out_.clear();
    out_.reserve(160 + r.body.size());
    out_ += req_.version == 10 ? "HTTP/1.0 " : "HTTP/1.1 ";
    out_ += std::to_string(r.status);
    out_ += ' ';
    out_ += ReasonPhrase(r.status);
    out_ += "\r\nServer: riposte\r\nContent-Type: ";
    out_ += SafeHeaderText(r.content_type) ? r.content_type : "application/octet-stream";
    out_ += "\r\nContent-Length: ";
    out_ += std::to_string(r.body.size());
    for (const auto& [k, v] : r.headers) {
      if (!SafeHeaderText(k) || !SafeHeaderText(v) || k.empty()) continue;
      out_ += "\r\n";
      out_ += k;
      out_ += ": ";
      out_ += v;
    }
    if (!keep_alive) out_ += "\r\nConnection: close";
    else if (req_.version == 10) out_ += "\r\nConnection: keep-alive";
    out_ += "\r\n\r\n";
    if (!head) out_ += r.body;
    if (!keep_alive) SetReason(reason_if_closing);
    SetPhase(Phase::kWriting, opts().write_timeout);
    asio::async_write(stream_, asio::buffer(out_), [self = Self(), keep_alive](const boost::system::error_code& ec, size_t) {
      if (self->closed_) return;
      if (ec) return self->CloseNow(CloseReason::kPeerClosed);
      if (!keep_alive) return self->Linger();
      self->StartRequest();
    });
  }

  // Close after an answer without destroying it: the client may still be sending (the body we
  // refused, or more); closing with unread input makes the kernel send RST, which can discard
  // the answer before the client reads it. So stop sending, read and discard for at most 1 s
  // and kMaxLingerBytes, then close. The bytes are never stored.
  void Linger() {
    boost::system::error_code ec;
    Lowest().shutdown(tcp::socket::shutdown_send, ec);
    if (ec) return CloseNow(CloseReason::kDone);
    SetPhase(Phase::kClosing, std::chrono::milliseconds(1000));
    buffer_.consume(buffer_.size());
    LingerRead();
  }
  void LingerRead() {
    Lowest().async_read_some(buffer_.prepare(std::min<size_t>(buffer_.max_size(), 4096)),
                             [self = Self()](const boost::system::error_code& ec, size_t n) {
                               if (self->closed_) return;
                               self->lingered_ += n;
                               if (ec || self->lingered_ > kMaxLingerBytes) return self->CloseNow(CloseReason::kDone);
                               self->LingerRead();
                             });
  }
  static constexpr size_t kMaxLingerBytes = 64 * 1024;

  std::shared_ptr<Shared> shared_;
  std::shared_ptr<ssl::context> ctx_;  // must outlive stream_ (declared before it)
  Stream stream_;
  beast::flat_buffer buffer_;
  std::optional<RequestParser> parser_;
  Request req_;
  const Route* route_ = nullptr;
  std::string out_;
  std::string remote_;
  std::string subject_;
  std::optional<CloseReason> reason_;
  size_t head_bytes_ = 0;
  size_t consumed_in_body_ = 0;
  size_t lingered_ = 0;
  size_t body_reserved_ = 0;  // of Shared::inflight_body, until the answer is written
  bool head_done_ = false;
  bool keep_alive_ = true;
  bool closed_ = false;
};

// ----- Server ---------------------------------------------------------------------------------

class ServerImpl : public Server {
 public:
  explicit ServerImpl(ServerOptions opts) : shared_(std::make_shared<Shared>()) {
    shared_->opts = std::move(opts);
    auto& o = shared_->opts;
    if (o.threads < 1) o.threads = 1;
    shared_->max_buffer = std::max<size_t>(o.max_header_bytes, 16 * 1024) + 16 * 1024;
    if (o.tls) certs_ = std::make_unique<CertStore>(*o.tls);
    acceptor_.emplace(asio::make_strand(shared_->ioc));
    sweep_timer_.emplace(asio::make_strand(shared_->ioc));
    accept_retry_.emplace(acceptor_->get_executor());
  }
  ~ServerImpl() override { Stop(std::chrono::milliseconds(0)); }

  void AddRoute(Route route) override { shared_->routes.push_back(std::move(route)); }

  bool Start(std::string* error) override {
    auto& o = shared_->opts;
    if (std::string bad = ValidateOptions(o); !bad.empty()) {
      *error = bad;
      return false;
    }
    for (const auto& n : o.trusted_networks) {
      Network net;
      ParseNetwork(n, &net, error);
      shared_->trusted_networks.push_back(net);
    }
    std::string address;
    uint16_t port = 0;
    if (!ParseListenAddress(o.listen, &address, &port, error)) return false;
    if (certs_ && !certs_->LoadInitial(error)) {
      *error = o.name + ": " + *error;
      return false;
    }
    shared_->RegisterMetrics();
    boost::system::error_code ec;
    tcp::endpoint ep(asio::ip::make_address(address), port);
    acceptor_->open(ep.protocol(), ec);
    if (!ec) acceptor_->set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec && ep.address().is_v6()) acceptor_->set_option(asio::ip::v6_only(true), ec);
    if (!ec) acceptor_->bind(ep, ec);
    if (!ec) acceptor_->listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      *error = o.name + ": cannot listen on " + o.listen + ": " + ec.message();
      return false;
    }
    port_ = acceptor_->local_endpoint().port();
    if (struct rlimit rl{}; getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < o.max_connections + 64)
      log::Warn("open-file limit is below the connection cap; connections beyond it wait in the backlog",
                {{"server", o.name}, {"limit", std::to_string(rl.rlim_cur)},
                 {"max_connections", std::to_string(o.max_connections)}});
    Accept();
    ScheduleSweep();
    for (int i = 0; i < o.threads; ++i) threads_.emplace_back([this] { shared_->ioc.run(); });
    if (certs_) reloader_ = std::thread([this] { ReloadLoop(); });
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
    asio::post(acceptor_->get_executor(), [this] {
      boost::system::error_code ec;
      acceptor_->close(ec);
      accept_retry_->cancel();
    });
    for (auto& s : LiveSessions()) s->CloseIfIdle();
    {
      std::unique_lock<std::mutex> lock(shared_->mu);
      shared_->cv.wait_for(lock, grace, [this] { return shared_->active.load() == 0; });
    }
    for (auto& s : LiveSessions()) s->ForceClose();
    {
      // The force-closes complete at once (every pending operation is cancelled); a session
      // whose request is with an async handler ends when the handler answers.
      std::unique_lock<std::mutex> lock(shared_->mu);
      shared_->cv.wait_for(lock, std::chrono::milliseconds(200), [this] { return shared_->active.load() == 0; });
    }
    {
      std::lock_guard<std::mutex> lock(reload_mu_);
      reload_stop_ = true;
    }
    reload_cv_.notify_all();
    if (reloader_.joinable()) reloader_.join();
    asio::post(sweep_timer_->get_executor(), [this] { sweep_timer_->cancel(); });
    shared_->ioc.stop();
    for (auto& t : threads_) t.join();
    threads_.clear();
    // Whatever is still queued only releases sessions now (their sockets are closed).
    std::lock_guard<std::recursive_mutex> lock(shared_->post_mu);
    shared_->ioc.restart();
    shared_->ioc.poll();
    shared_->stopped = true;
  }

  bool CertLoaded() const override { return certs_ && certs_->Current() != nullptr; }
  int64_t CertNotAfter() const override { return certs_ ? certs_->NotAfter() : 0; }
  uint64_t CertReloads() const override { return certs_ ? certs_->Reloads() : 0; }
  uint64_t CertReloadFailures() const override { return certs_ ? certs_->Failures() : 0; }
  ServerStats Stats() const override {
    ServerStats s;
    s.connections_total = shared_->accepted.load();
    s.active_connections = shared_->active.load();
    s.tls_handshake_failures = shared_->handshake_failures.load();
    for (size_t i = 0; i < std::size(s.refused); ++i) {
      s.refused[i] = shared_->refused[i].load();
      s.connections_rejected += s.refused[i];
    }
    for (size_t i = 0; i < std::size(s.closed); ++i) s.closed[i] = shared_->closed[i].load();
    for (CloseReason r : {CloseReason::kHandshakeTimeout, CloseReason::kIdleTimeout, CloseReason::kHeaderTimeout,
                          CloseReason::kBodyTimeout, CloseReason::kWriteTimeout})
      s.timeouts += s.Closed(r);
    {
      std::lock_guard<std::mutex> lock(shared_->mu);
      s.trusted_connections = shared_->trusted;
      for (SessionBase* session : shared_->sessions)
        if (session->counted && !session->trusted.load() && session->phase.load() == Phase::kIdle)
          ++s.idle_untrusted_connections;
    }
    return s;
  }

 private:
  std::vector<std::shared_ptr<SessionBase>> LiveSessions() {
    // Collected under the lock, used outside it: dropping what may be the last reference to a
    // session runs its destructor, which takes the same mutex.
    std::vector<std::shared_ptr<SessionBase>> live;
    std::lock_guard<std::mutex> lock(shared_->mu);
    for (SessionBase* s : shared_->sessions)
      if (auto p = s->weak_from_this().lock()) live.push_back(std::move(p));
    return live;
  }

  void Accept() {
    acceptor_->async_accept(asio::make_strand(shared_->ioc), [this](boost::system::error_code ec, Socket socket) {
      if (ec == asio::error::operation_aborted || !acceptor_->is_open()) return;
      if (!ec) {
        OnAccept(std::move(socket));
        return Accept();
      }
      // Out of file descriptors (or another resource): the connection stays in the backlog.
      // Retrying at once would spin; wait for sessions to end.
      log::Warn("accept failed; retrying shortly", {{"server", shared_->opts.name}, {"error", ec.message()}});
      accept_retry_->expires_after(std::chrono::milliseconds(100));
      accept_retry_->async_wait([this](const boost::system::error_code& e) {
        if (!e && !shared_->stopping.load()) Accept();
      });
    });
  }

  void OnAccept(Socket socket) {
    auto& sh = *shared_;
    const auto& o = sh.opts;
    boost::system::error_code ec;
    auto ep = socket.remote_endpoint(ec);
    if (ec) return;  // already gone
    PeerKey key = KeyOf(ep.address());
    bool trusted_net = sh.IsTrustedAddress(key);
    std::shared_ptr<SessionBase> victim;
    std::optional<RefuseReason> refuse;
    {
      std::lock_guard<std::mutex> lock(sh.mu);
      size_t total = sh.trusted + sh.untrusted;
      if (!trusted_net) {
        auto it = sh.per_peer.find(key);
        size_t mine = it == sh.per_peer.end() ? 0 : it->second;
        size_t untrusted_cap = o.max_connections - o.reserved_connections;
        if (mine >= o.max_connections_per_peer) {
          refuse = RefuseReason::kPerPeer;
        } else if (sh.untrusted >= untrusted_cap || total >= o.max_connections) {
          victim = sh.TakeVictimLocked();
          if (!victim) refuse = sh.untrusted >= untrusted_cap ? RefuseReason::kUntrustedFull : RefuseReason::kFull;
        }
      } else if (total >= o.max_connections) {
        victim = sh.TakeVictimLocked();
        if (!victim) refuse = RefuseReason::kFull;
      }
      if (!refuse) {
        if (trusted_net) ++sh.trusted;
        else {
          ++sh.untrusted;
          ++sh.per_peer[key];
        }
        sh.UpdateOpenGauges();
      }
    }
    if (victim) {
      victim->Evict();
      victim.reset();  // may be the last reference: outside the lock
    }
    if (refuse) {
      sh.CountRefused(*refuse);
      log::Debug("connection refused", {{"server", o.name}, {"remote", ep.address().to_string()},
                                        {"reason", std::string(RefuseReasonName(*refuse))}});
      socket.close(ec);
      return;
    }
    sh.accepted.fetch_add(1);
    if (sh.m_accepted) sh.m_accepted->Inc();
    sh.active.fetch_add(1);
    socket.set_option(tcp::no_delay(true), ec);
    std::string remote = ep.address().is_v6() ? "[" + ep.address().to_string() + "]:" + std::to_string(ep.port())
                                              : ep.address().to_string() + ":" + std::to_string(ep.port());
    std::shared_ptr<SessionBase> s;
    try {
      if (certs_) s = std::make_shared<Session<true>>(shared_, std::move(socket), certs_->Current(), std::move(remote));
      else s = std::make_shared<Session<false>>(shared_, std::move(socket), nullptr, std::move(remote));
    } catch (const std::exception& e) {
      // Out of memory for the TLS state, most likely: give the slot back and drop the socket.
      log::Error("cannot set up a connection", {{"server", o.name}, {"error", e.what()}});
      std::lock_guard<std::mutex> lock(sh.mu);
      if (trusted_net) --sh.trusted;
      else if (auto it = sh.per_peer.find(key); it != sh.per_peer.end()) {
        --sh.untrusted;
        if (--it->second == 0) sh.per_peer.erase(it);
      }
      sh.active.fetch_sub(1);
      sh.UpdateOpenGauges();
      return;
    }
    s->peer = key;
    {
      std::lock_guard<std::mutex> lock(sh.mu);
      s->counted = true;
      s->trusted.store(trusted_net);
      s->it = sh.sessions.insert(sh.sessions.end(), s.get());
      s->listed = true;
    }
    if (certs_) std::static_pointer_cast<Session<true>>(s)->Run();
    else std::static_pointer_cast<Session<false>>(s)->Run();
  }

  // One sweep per tick: connections past their deadline are closed on their strands.
  void ScheduleSweep() {
    const auto& o = shared_->opts;
    auto shortest = std::min({o.handshake_timeout, o.header_timeout, o.read_timeout, o.untrusted_idle_timeout,
                              o.idle_timeout, o.write_timeout});
    auto tick = std::clamp(shortest / 10, std::chrono::milliseconds(10), std::chrono::milliseconds(250));
    sweep_timer_->expires_after(tick);
    sweep_timer_->async_wait([this](const boost::system::error_code& ec) {
      if (ec || shared_->stopping.load()) return;
      Sweep();
      ScheduleSweep();
    });
  }

  void Sweep() {
    int64_t now = NowNs();
    std::vector<std::shared_ptr<SessionBase>> expired;
    {
      std::lock_guard<std::mutex> lock(shared_->mu);
      for (SessionBase* s : shared_->sessions) {
        int64_t d = s->deadline_ns.load(std::memory_order_relaxed);
        if (d != 0 && now >= d)
          if (auto p = s->weak_from_this().lock()) expired.push_back(std::move(p));
      }
    }
    for (auto& s : expired) s->Expire();
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
  std::optional<tcp::acceptor> acceptor_;
  std::optional<asio::steady_timer> sweep_timer_;
  std::optional<asio::steady_timer> accept_retry_;  // on the acceptor's strand
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

void AddHealthRoutes(Server& server, std::function<bool()> ready, std::string not_ready_message,
                     std::function<std::string()> not_ready_reason) {
  Route health{"/healthz", {"GET", "HEAD"}, [](const Request&) {
                 return Response{200, "application/json", "{\"status\":\"ok\"}", {}};
               },
               {}};
  health.require_auth = false;
  server.AddRoute(std::move(health));
  Route readyz{"/readyz", {"GET", "HEAD"},
               [ready = std::move(ready), msg = std::move(not_ready_message),
                reason = std::move(not_ready_reason)](const Request&) {
                 if (ready()) return Response{200, "application/json", "{\"status\":\"ready\"}", {}};
                 if (reason) {
                   if (std::string why = reason(); !why.empty()) return JsonError(503, "not ready: " + why);
                 }
                 return JsonError(503, msg);
               },
               {}};
  readyz.require_auth = false;
  server.AddRoute(std::move(readyz));
}

uint64_t RaiseOpenFileLimit(uint64_t want) {
  struct rlimit rl {};
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return 0;
  if (rl.rlim_cur < want) {
    rlim_t target = rl.rlim_max == RLIM_INFINITY ? want : std::min<rlim_t>(want, rl.rlim_max);
    if (target > rl.rlim_cur) {
      rl.rlim_cur = target;
      if (setrlimit(RLIMIT_NOFILE, &rl) != 0) getrlimit(RLIMIT_NOFILE, &rl);
    }
  }
  return rl.rlim_cur;
}

}  // namespace riposte::http
