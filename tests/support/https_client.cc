#include <utility>  // boost 1.74 asio needs std::exchange declared first

#pragma GCC diagnostic ignored "-Wnull-dereference"

#include "tests/support/https_client.h"

#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <boost/asio.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <optional>
#include <stdexcept>

namespace riposte::testing {

namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = boost::asio::ip::tcp;

namespace {

HttpResult FromMessage(bhttp::response<bhttp::string_body> msg) {
  HttpResult r;
  r.status = static_cast<int>(msg.result_int());
  for (const auto& f : msg) {
    std::string k(f.name_string());
    for (auto& c : k) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    r.headers[k] = std::string(f.value());
  }
  r.body = std::move(msg.body());
  return r;
}

}  // namespace

struct TestClient::Impl {
  asio::io_context ioc;
  std::string source_address;
  std::optional<ssl::context> ctx;
  std::optional<ssl::stream<tcp::socket>> tls;
  std::optional<tcp::socket> plain;
  beast::flat_buffer buffer;

  tcp::socket& Socket() { return tls ? tls->next_layer() : *plain; }

  template <typename F>
  auto WithStream(F&& f) {
    if (tls) return f(*tls);
    return f(*plain);
  }
};

TestClient::TestClient() : impl_(new Impl) {}
TestClient::~TestClient() {
  Close();
  delete impl_;
}

bool TestClient::Connect(uint16_t port, const ClientOptions& opts, std::string* error) {
  boost::system::error_code ec;
  tcp::socket sock(impl_->ioc);
  if (!impl_->source_address.empty()) {
    sock.open(tcp::v4(), ec);
    if (!ec) sock.bind(tcp::endpoint(asio::ip::make_address(impl_->source_address), 0), ec);
    if (ec) {
      *error = "bind " + impl_->source_address + ": " + ec.message();
      return false;
    }
  }
  sock.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), ec);
  if (ec) {
    *error = "connect: " + ec.message();
    return false;
  }
  sock.set_option(tcp::no_delay(true), ec);
  // A server that never answers fails the test instead of hanging it.
  timeval tv{60, 0};
  setsockopt(sock.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(sock.native_handle(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  if (!opts.tls) {
    impl_->plain.emplace(std::move(sock));
    return true;
  }
  impl_->ctx.emplace(ssl::context::tls_client);
  impl_->ctx->set_verify_mode(ssl::verify_none);  // tests check the served cert explicitly
  if (opts.max_tls_version) SSL_CTX_set_max_proto_version(impl_->ctx->native_handle(), opts.max_tls_version);
  if (opts.min_tls_version) SSL_CTX_set_min_proto_version(impl_->ctx->native_handle(), opts.min_tls_version);
  if (opts.max_tls_version && opts.max_tls_version < TLS1_2_VERSION) {
    // OpenSSL 3 refuses old protocols at its default security level; lower it so the refusal
    // we observe is the server's.
    SSL_CTX_set_security_level(impl_->ctx->native_handle(), 0);
    SSL_CTX_set_cipher_list(impl_->ctx->native_handle(), "DEFAULT:@SECLEVEL=0");
  }
  if (opts.client_cert) {
    impl_->ctx->use_certificate_chain(asio::buffer(opts.client_cert->cert_pem));
    impl_->ctx->use_private_key(asio::buffer(opts.client_cert->key_pem), ssl::context::pem);
  }
  impl_->tls.emplace(std::move(sock), *impl_->ctx);
  impl_->tls->handshake(ssl::stream_base::client, ec);
  if (ec) {
    *error = "handshake: " + ec.message();
    impl_->tls.reset();
    return false;
  }
  return true;
}

bool TestClient::WriteRaw(const std::string& bytes) {
  boost::system::error_code ec;
  impl_->WithStream([&](auto& s) { return asio::write(s, asio::buffer(bytes), ec); });
  return !ec;
}

HttpResult TestClient::ReadResponse() {
  HttpResult r;
  bhttp::response_parser<bhttp::string_body> parser;
  parser.body_limit(64 * 1024 * 1024);
  boost::system::error_code ec;
  impl_->WithStream([&](auto& s) { return bhttp::read(s, impl_->buffer, parser, ec); });
  if (ec) {
    r.error = ec.message();
    return r;
  }
  return FromMessage(parser.release());
}

HttpResult TestClient::Request(const std::string& method, const std::string& target, const std::string& body,
                               const std::string& content_type, bool chunked,
                               const std::vector<std::pair<std::string, std::string>>& extra_headers) {
  bhttp::request<bhttp::string_body> req;
  req.method_string(method);
  req.target(target);
  req.version(11);
  req.set(bhttp::field::host, "localhost");
  if (!content_type.empty()) req.set(bhttp::field::content_type, content_type);
  for (const auto& [k, v] : extra_headers) req.set(k, v);
  req.body() = body;
  if (chunked) req.chunked(true);
  else req.prepare_payload();
  boost::system::error_code ec;
  impl_->WithStream([&](auto& s) { return bhttp::write(s, req, ec); });
  // A server that rejects early may close before the whole body is written; its response is
  // still in our receive buffer, so read it anyway.
  HttpResult r = ReadResponse();
  if (r.status == 0 && ec) r.error = "write: " + ec.message() + "; read: " + r.error;
  return r;
}

std::string TestClient::PeerCommonName() const {
  if (!impl_->tls) return "";
#if OPENSSL_VERSION_NUMBER >= 0x30000000L
  X509* c = SSL_get1_peer_certificate(impl_->tls->native_handle());
#else
  X509* c = SSL_get_peer_certificate(impl_->tls->native_handle());
#endif
  if (!c) return "";
  char buf[256] = {0};
  X509_NAME_get_text_by_NID(X509_get_subject_name(c), NID_commonName, buf, sizeof buf);
  X509_free(c);
  return buf;
}

void TestClient::SetSourceAddress(std::string address) { impl_->source_address = std::move(address); }

std::string TestClient::ReadAvailable(int ms, size_t max) {
  std::string out;
  if (impl_->buffer.size() > 0) {
    auto d = impl_->buffer.data();
    out.assign(static_cast<const char*>(d.data()), std::min(d.size(), max));
    impl_->buffer.consume(out.size());
  }
  auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
  auto& sock = impl_->Socket();
  boost::system::error_code ec;
  sock.non_blocking(true, ec);
  while (out.size() < max) {
    char buf[4096];
    size_t n = impl_->WithStream([&](auto& s) { return s.read_some(asio::buffer(buf, std::min(sizeof buf, max - out.size())), ec); });
    if (!ec) {
      out.append(buf, n);
      continue;
    }
    if (ec != asio::error::would_block && ec != asio::error::try_again) break;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - std::chrono::steady_clock::now()).count();
    if (left <= 0) break;
    pollfd p{sock.native_handle(), POLLIN, 0};
    // Once something arrived, a short quiet period ends the read.
    if (::poll(&p, 1, static_cast<int>(out.empty() ? left : std::min<long>(left, 200))) == 0 && !out.empty()) break;
  }
  sock.non_blocking(false, ec);
  return out;
}

bool TestClient::ClosedByPeer(int ms) {
  // Non-blocking reads until the deadline: a TLS 1.3 server sends session tickets after the
  // handshake, so "readable" does not mean "closed"; only a read error (EOF, reset) does.
  auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
  auto& sock = impl_->Socket();
  boost::system::error_code ec;
  sock.non_blocking(true, ec);
  bool closed = false;
  for (;;) {
    char buf[256];
    impl_->WithStream([&](auto& s) { return s.read_some(asio::buffer(buf), ec); });
    if (ec && ec != asio::error::would_block && ec != asio::error::try_again) {
      closed = true;
      break;
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - std::chrono::steady_clock::now()).count();
    if (left <= 0) break;
    if (ec) {
      pollfd p{sock.native_handle(), POLLIN, 0};
      ::poll(&p, 1, static_cast<int>(left));
    }
  }
  sock.non_blocking(false, ec);
  return closed;
}

void TestClient::Close() {
  boost::system::error_code ec;
  if (impl_->tls) impl_->tls->next_layer().close(ec);
  if (impl_->plain) impl_->plain->close(ec);
  impl_->tls.reset();
  impl_->plain.reset();
}

HttpResult Fetch(uint16_t port, const std::string& method, const std::string& target, const std::string& body,
                 bool tls, const std::string& content_type) {
  TestClient c;
  ClientOptions o;
  o.tls = tls;
  std::string err;
  if (!c.Connect(port, o, &err)) {
    HttpResult r;
    r.error = err;
    return r;
  }
  return c.Request(method, target, body, content_type);
}

HttpResult VerifiedHttpsRequest(const HttpsTarget& t, const std::string& method, const std::string& path,
                                const std::string& body, const std::string& content_type, const std::string& bearer_token,
                                size_t body_limit) {
  const std::string name = t.server_name.empty() ? t.address : t.server_name;
  asio::io_context io;
  ssl::context ctx(ssl::context::tls_client);
  ctx.add_certificate_authority(asio::buffer(t.ca_pem));
  ctx.set_verify_mode(ssl::verify_peer);
  ssl::stream<tcp::socket> stream(io, ctx);
  beast::error_code ec;
  tcp::resolver resolver(io);
  auto results = resolver.resolve(t.address, std::to_string(t.port), ec);
  if (!ec) asio::connect(stream.next_layer(), results, ec);
  if (ec) throw std::runtime_error("connect " + t.address + ":" + std::to_string(t.port) + ": " + ec.message());
  if (!t.server_name.empty()) SSL_set_tlsext_host_name(stream.native_handle(), t.server_name.c_str());
  stream.set_verify_callback(ssl::host_name_verification(name));
  stream.handshake(ssl::stream_base::client, ec);
  if (ec) throw std::runtime_error("TLS handshake with " + name + ": " + ec.message());
  bhttp::request<bhttp::string_body> req{bhttp::string_to_verb(method), path, 11};
  req.set(bhttp::field::host, name);
  if (!bearer_token.empty()) req.set(bhttp::field::authorization, "Bearer " + bearer_token);
  if (!content_type.empty()) req.set(bhttp::field::content_type, content_type);
  req.body() = body;
  req.prepare_payload();
  bhttp::write(stream, req, ec);
  if (ec) throw std::runtime_error("write: " + ec.message());
  beast::flat_buffer buf;
  bhttp::response_parser<bhttp::string_body> parser;
  parser.body_limit(body_limit);
  bhttp::read(stream, buf, parser, ec);
  if (ec) throw std::runtime_error("read: " + ec.message());
  HttpResult out = FromMessage(parser.release());
  stream.shutdown(ec);
  return out;
}

std::pair<int, std::string> HttpGet(int port, const std::string& path) {
  HttpResult r = Fetch(static_cast<uint16_t>(port), "GET", path, "", /*tls=*/false, /*content_type=*/"");
  if (r.status == 0) return {0, ""};
  return {r.status, r.body};
}

}  // namespace riposte::testing
