#include <sys/socket.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

// After Boost: cpprestsdk defines a U() macro that breaks Boost headers included later.
#include "tests/apiserver/https_test_client.h"

namespace riposte::testapi {

namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace ssl = boost::asio::ssl;
using tcp = boost::asio::ip::tcp;

web::json::value RawResponse::Json() const { return web::json::value::parse(body); }

namespace {

std::unique_ptr<ssl::context> ClientContext(const std::string& ca_pem) {
  auto ctx = std::make_unique<ssl::context>(ssl::context::tls_client);
  ctx->add_certificate_authority(boost::asio::buffer(ca_pem));
  ctx->set_verify_mode(ssl::verify_peer);
  return ctx;
}

}  // namespace

HttpsTestClient::HttpsTestClient(std::string host, int port, std::string ca_pem)
    : host_(std::move(host)), port_(port), ca_pem_(std::move(ca_pem)) {}

RawResponse HttpsTestClient::Request(const std::string& method, const std::string& target,
                                     const std::string& body, const std::string& content_type,
                                     const std::string& token) const {
  riposte::testing::HttpsTarget t;
  t.address = host_;
  t.port = port_;
  t.ca_pem = ca_pem_;
  return RawResponse{riposte::testing::VerifiedHttpsRequest(t, method, target, body, content_type, token)};
}

WatchStream::WatchStream(const std::string& host, int port, const std::string& ca_pem,
                         const std::string& target, const std::string& token) {
  thread_ = std::thread([=, this] { Run(host, port, ca_pem, target, token); });
}

WatchStream::~WatchStream() { Close(); }

void WatchStream::Close() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    closing_ = true;
    if (fd_ >= 0) ::shutdown(fd_, SHUT_RDWR);
  }
  if (thread_.joinable()) thread_.join();
}

void WatchStream::Run(std::string host, int port, std::string ca_pem, std::string target,
                      std::string token) {
  boost::asio::io_context io;
  auto ctx = ClientContext(ca_pem);
  ssl::stream<tcp::socket> stream(io, *ctx);
  beast::error_code ec;
  std::string pending;
  auto push_lines = [&](bool flush) {
    std::lock_guard<std::mutex> lock(mu_);
    size_t nl;
    while ((nl = pending.find('\n')) != std::string::npos) {
      if (nl > 0) lines_.push_back(pending.substr(0, nl));
      pending.erase(0, nl + 1);
    }
    if (flush && !pending.empty()) {
      lines_.push_back(pending);
      pending.clear();
    }
    cv_.notify_all();
  };
  auto finish = [&](bool clean) {
    std::lock_guard<std::mutex> lock(mu_);
    if (status_ < 0) status_ = 0;
    ended_ = true;
    clean_ = clean;
    cv_.notify_all();
  };
  tcp::resolver resolver(io);
  auto results = resolver.resolve(host, std::to_string(port), ec);
  if (!ec) boost::asio::connect(stream.next_layer(), results, ec);
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!ec) fd_ = stream.next_layer().native_handle();
    if (closing_) ec = boost::asio::error::operation_aborted;
  }
  if (!ec) {
    stream.set_verify_callback(ssl::host_name_verification(host));
    stream.handshake(ssl::stream_base::client, ec);
  }
  if (!ec) {
    http::request<http::empty_body> req{http::verb::get, target, 11};
    req.set(http::field::host, host);
    if (!token.empty()) req.set(http::field::authorization, "Bearer " + token);
    http::write(stream, req, ec);
  }
  if (ec) {
    finish(false);
    return;
  }
  beast::flat_buffer buf;
  http::response_parser<http::string_body> parser;
  parser.body_limit(boost::none);
  auto on_chunk = [&](std::uint64_t, beast::string_view data, beast::error_code&) -> std::size_t {
    pending.append(data.data(), data.size());
    push_lines(false);
    return data.size();
  };
  parser.on_chunk_body(on_chunk);
  http::read_header(stream, buf, parser, ec);
  if (ec) {
    finish(false);
    return;
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    status_ = parser.get().result_int();
    cv_.notify_all();
  }
  while (!parser.is_done()) {
    http::read_some(stream, buf, parser, ec);
    if (ec) break;
  }
  bool clean = !ec && parser.is_done();
  if (clean && !parser.chunked()) {
    pending += parser.get().body();
  }
  push_lines(true);
  finish(clean);
}

int WatchStream::WaitStatus(std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait_for(lock, timeout, [&] { return status_ >= 0; });
  return status_;
}

std::optional<web::json::value> WatchStream::Next(std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait_for(lock, timeout, [&] { return !lines_.empty() || ended_; });
  if (lines_.empty()) return std::nullopt;
  std::string line = std::move(lines_.front());
  lines_.pop_front();
  return web::json::value::parse(line);
}

bool WatchStream::WaitEnded(std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  return cv_.wait_for(lock, timeout, [&] { return ended_; });
}

bool WatchStream::ended_cleanly() const {
  std::lock_guard<std::mutex> lock(mu_);
  return clean_;
}

}  // namespace riposte::testapi
