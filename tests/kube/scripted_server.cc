#include "tests/kube/scripted_server.h"

#include <cstdio>
#include <utility>  // before asio: boost 1.74 awaitable.hpp uses std::exchange

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "tests/support/certs.h"
#include "tests/support/files.h"

namespace riposte::kube::testing {
namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;

struct ScriptedServer::Impl {
  asio::io_context io;
  asio::ssl::context ssl{asio::ssl::context::tls_server};
  tcp::acceptor acceptor{io};
  std::thread thread;
  std::atomic<bool> stopping{false};
};

ScriptedServer::ScriptedServer(Script script) : impl_(std::make_unique<Impl>()) {
  const auto& pki = riposte::testing::Pki();
  impl_->ssl.use_certificate_chain(asio::buffer(pki.server.cert_pem));
  impl_->ssl.use_private_key(asio::buffer(pki.server.key_pem), asio::ssl::context::pem);
  tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), 0);
  impl_->acceptor.open(ep.protocol());
  impl_->acceptor.set_option(tcp::acceptor::reuse_address(true));
  impl_->acceptor.bind(ep);
  impl_->acceptor.listen();
  port_ = impl_->acceptor.local_endpoint().port();
  Impl* impl = impl_.get();
  impl_->thread = std::thread([this, impl, script = std::move(script)] {
    // One connection at a time is enough for these tests; each is served to completion.
    while (!impl->stopping) {
      beast::error_code ec;
      tcp::socket sock(impl->io);
      impl->acceptor.accept(sock, ec);
      if (ec || impl->stopping) break;
      asio::ssl::stream<tcp::socket> stream(std::move(sock), impl->ssl);
      stream.handshake(asio::ssl::stream_base::server, ec);
      if (ec) continue;
      beast::flat_buffer buf;
      for (;;) {
        beast::http::request<beast::http::string_body> req;
        beast::http::read(stream, buf, req, ec);
        if (ec) break;
        ++requests_;
        const std::string out = script({std::string(req.method_string()), std::string(req.target()), req.body()});
        if (!out.empty()) asio::write(stream, asio::buffer(out), ec);
        break;  // close after each response so every request sees the script afresh
      }
      stream.shutdown(ec);
    }
  });
}

ScriptedServer::~ScriptedServer() {
  impl_->stopping = true;
  beast::error_code ec;
  // Wake the blocking accept with a throw-away connection.
  tcp::socket poke(impl_->io);
  poke.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port_)), ec);
  impl_->thread.join();
}

std::string ScriptedServer::Response(int status, const std::string& body, const std::string& extra_headers) {
  return "HTTP/1.1 " + std::to_string(status) + " X\r\nContent-Type: application/json\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\nConnection: close\r\n" + extra_headers + "\r\n" + body;
}

std::string ScriptedServer::Chunked(int status, const std::string& payload) {
  char len[32];
  std::snprintf(len, sizeof len, "%zx", payload.size());
  return "HTTP/1.1 " + std::to_string(status) +
         " X\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n" +
         (payload.empty() ? "" : std::string(len) + "\r\n" + payload + "\r\n") + "0\r\n\r\n";
}

}  // namespace riposte::kube::testing
