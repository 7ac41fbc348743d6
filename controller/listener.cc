#include "controller/listener.h"

#include <utility>  // boost 1.74 asio headers use std::exchange without including it

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <sys/socket.h>
#include <sys/time.h>

#include <set>

#include "common/log.h"

namespace riposte::controller {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

bool ParseListenAddress(const std::string& text, std::string* address, int* port, std::string* error) {
  auto colon = text.rfind(':');
  if (colon == std::string::npos) {
    *error = "listen address \"" + text + "\" must be ADDR:PORT or :PORT";
    return false;
  }
  std::string host = text.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  *address = host.empty() ? "0.0.0.0" : host;
  try {
    size_t used = 0;
    int p = std::stoi(text.substr(colon + 1), &used);
    if (used != text.size() - colon - 1 || p < 0 || p > 65535) throw std::out_of_range("port");
    *port = p;
  } catch (const std::exception&) {
    *error = "invalid port in listen address \"" + text + "\"";
    return false;
  }
  return true;
}

struct Listener::Impl {
  ListenerOptions opts;
  RequestHandler handler;
  asio::io_context io;
  tcp::acceptor acceptor{io};
  std::unique_ptr<ssl::context> tls;
  std::thread accept_thread;
  std::atomic<bool> stopping{false};
  std::mutex mu;
  std::condition_variable cv;
  std::set<int> open_fds;
  int active = 0;

  void SetTimeouts(int fd) const {
    timeval tv{};
    tv.tv_sec = static_cast<time_t>(opts.io_timeout.count());
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  }

  template <typename Stream>
  void Serve(Stream& stream, bool cert_ok) {
    beast::flat_buffer buffer;
    while (!stopping) {
      http::request_parser<http::string_body> parser;
      parser.body_limit(opts.max_body_bytes);
      parser.header_limit(static_cast<uint32_t>(opts.max_header_bytes));
      beast::error_code ec;
      http::read(stream, buffer, parser, ec);
      if (ec == http::error::end_of_stream || ec == asio::error::eof || ec == asio::error::connection_reset) return;
      HttpReply reply;
      bool close = false;
      if (ec == http::error::body_limit) {
        reply.status = 413;
        reply.body = R"({"error":"body_too_large","message":"request body exceeds )" +
                     std::to_string(opts.max_body_bytes) + R"( bytes"})";
        close = true;
      } else if (ec == http::error::header_limit) {
        reply.status = 431;
        reply.body = R"({"error":"headers_too_large","message":"request headers too large"})";
        close = true;
      } else if (ec) {
        // Timeouts (slow clients) and malformed requests: answer when the request line was
        // readable, otherwise just drop the connection.
        if (!parser.is_header_done()) return;
        reply.status = 400;
        reply.body = R"({"error":"bad_request","message":"malformed HTTP request"})";
        close = true;
      } else {
        const auto& req = parser.get();
        HttpRequestView view;
        std::string method(req.method_string()), target(req.target());
        std::string auth(req[http::field::authorization]), ctype(req[http::field::content_type]);
        view.method = method;
        view.target = target;
        view.authorization = auth;
        view.content_type = ctype;
        view.body = req.body();
        view.client_cert_verified = cert_ok;
        try {
          reply = handler(view);
        } catch (const std::exception& e) {
          log::Error("request handler failed", {{"error", e.what()}});
          reply.status = 500;
          reply.body = R"({"error":"internal","message":"internal error"})";
        }
        close = !req.keep_alive();
      }
      http::response<http::string_body> res{static_cast<http::status>(reply.status), 11};
      res.set(http::field::server, "riposte");
      res.set(http::field::content_type, reply.content_type);
      for (const auto& [k, v] : reply.headers) res.set(k, v);
      res.keep_alive(!close);
      res.body() = std::move(reply.body);
      res.prepare_payload();
      http::write(stream, res, ec);
      if (ec || close) return;
    }
  }

  void Handle(tcp::socket socket) {
    int fd = socket.native_handle();
    SetTimeouts(fd);
    beast::error_code ec;
    if (tls) {
      beast::ssl_stream<tcp::socket> stream(std::move(socket), *tls);
      stream.handshake(ssl::stream_base::server, ec);
      if (ec) return;
      bool cert_ok = false;
      if (X509* peer = SSL_get_peer_certificate(stream.native_handle())) {
        cert_ok = SSL_get_verify_result(stream.native_handle()) == X509_V_OK;
        X509_free(peer);
      }
      Serve(stream, cert_ok);
      stream.shutdown(ec);
    } else {
      Serve(socket, false);
      socket.shutdown(tcp::socket::shutdown_both, ec);
    }
  }

  void AcceptLoop() {
    while (!stopping) {
      beast::error_code ec;
      tcp::socket socket(io);
      acceptor.accept(socket, ec);
      if (ec) {
        if (stopping) return;
        continue;
      }
      std::unique_lock lock(mu);
      if (active >= opts.max_connections) {
        lock.unlock();
        // Over the cap: refuse fast instead of queueing unbounded work.
        static const std::string kBusy =
            "HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
        if (!tls) asio::write(socket, asio::buffer(kBusy), ec);
        socket.close(ec);
        continue;
      }
      ++active;
      int fd = socket.native_handle();
      open_fds.insert(fd);
      lock.unlock();
      std::thread([this, s = std::move(socket), fd]() mutable {
        Handle(std::move(s));
        std::lock_guard l(mu);
        open_fds.erase(fd);
        --active;
        cv.notify_all();
      }).detach();
    }
  }
};

Listener::Listener() : impl_(std::make_unique<Impl>()) {}
Listener::~Listener() { Stop(); }

bool Listener::Start(const ListenerOptions& opts, RequestHandler handler, std::string* error) {
  impl_->opts = opts;
  impl_->handler = std::move(handler);
  try {
    if (opts.tls) {
      auto ctx = std::make_unique<ssl::context>(ssl::context::tls_server);
      ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                       ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 | ssl::context::single_dh_use);
      ctx->use_certificate_chain_file(opts.cert_file);
      ctx->use_private_key_file(opts.key_file, ssl::context::pem);
      if (!opts.client_ca_file.empty()) {
        ctx->load_verify_file(opts.client_ca_file);
        ctx->set_verify_mode(ssl::verify_peer | (opts.require_client_cert ? ssl::verify_fail_if_no_peer_cert : 0));
      }
      impl_->tls = std::move(ctx);
    }
    auto addr = asio::ip::make_address(opts.address);
    tcp::endpoint ep(addr, static_cast<unsigned short>(opts.port));
    impl_->acceptor.open(ep.protocol());
    impl_->acceptor.set_option(asio::socket_base::reuse_address(true));
    impl_->acceptor.bind(ep);
    impl_->acceptor.listen(asio::socket_base::max_listen_connections);
    port_ = impl_->acceptor.local_endpoint().port();
  } catch (const std::exception& e) {
    *error = std::string("listening on ") + opts.address + ":" + std::to_string(opts.port) + ": " + e.what();
    return false;
  }
  impl_->accept_thread = std::thread([this] { impl_->AcceptLoop(); });
  return true;
}

void Listener::Stop() {
  if (!impl_ || impl_->stopping.exchange(true)) return;
  beast::error_code ec;
  impl_->acceptor.cancel(ec);
  ::shutdown(impl_->acceptor.native_handle(), SHUT_RDWR);
  impl_->acceptor.close(ec);
  if (impl_->accept_thread.joinable()) impl_->accept_thread.join();
  std::unique_lock lock(impl_->mu);
  for (int fd : impl_->open_fds) ::shutdown(fd, SHUT_RDWR);
  impl_->cv.wait(lock, [this] { return impl_->active == 0; });
}

}  // namespace riposte::controller
