#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

// After Boost: cpprestsdk defines a U() macro that breaks Boost headers included later.
#include "tests/e2e/https_client.h"

namespace riposte::e2e {

namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace ssl = boost::asio::ssl;
using tcp = boost::asio::ip::tcp;

testapi::RawResponse HttpsRequest(const HttpsTarget& t, const std::string& method, const std::string& path,
                                  const std::string& body, const std::string& content_type,
                                  const std::string& bearer_token) {
  const std::string name = t.server_name.empty() ? t.address : t.server_name;
  boost::asio::io_context io;
  ssl::context ctx(ssl::context::tls_client);
  ctx.add_certificate_authority(boost::asio::buffer(t.ca_pem));
  ctx.set_verify_mode(ssl::verify_peer);
  ssl::stream<tcp::socket> stream(io, ctx);
  beast::error_code ec;
  tcp::resolver resolver(io);
  auto results = resolver.resolve(t.address, std::to_string(t.port), ec);
  if (!ec) boost::asio::connect(stream.next_layer(), results, ec);
  if (ec) throw std::runtime_error("connect " + t.address + ":" + std::to_string(t.port) + ": " + ec.message());
  SSL_ctrl(stream.native_handle(), SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name, const_cast<char*>(name.c_str()));
  stream.set_verify_callback(ssl::host_name_verification(name));
  stream.handshake(ssl::stream_base::client, ec);
  if (ec) throw std::runtime_error("TLS handshake with " + name + ": " + ec.message());
  http::request<http::string_body> req{http::string_to_verb(method), path, 11};
  req.set(http::field::host, name);
  if (!bearer_token.empty()) req.set(http::field::authorization, "Bearer " + bearer_token);
  if (!content_type.empty()) req.set(http::field::content_type, content_type);
  req.body() = body;
  req.prepare_payload();
  http::write(stream, req, ec);
  if (ec) throw std::runtime_error("write: " + ec.message());
  beast::flat_buffer buf;
  http::response_parser<http::string_body> parser;
  parser.body_limit(64 * 1024 * 1024);
  http::read(stream, buf, parser, ec);
  if (ec) throw std::runtime_error("read: " + ec.message());
  testapi::RawResponse out;
  out.status = parser.get().result_int();
  out.body = parser.get().body();
  for (const auto& f : parser.get()) {
    std::string key(f.name_string());
    for (auto& c : key) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    out.headers[key] = std::string(f.value());
  }
  stream.shutdown(ec);
  return out;
}

std::pair<int, std::string> HttpGet(int port, const std::string& path) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return {0, ""};
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd);
    return {0, ""};
  }
  std::string req = "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
  if (write(fd, req.data(), req.size()) != static_cast<ssize_t>(req.size())) {
    close(fd);
    return {0, ""};
  }
  std::string resp;
  char buf[4096];
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) > 0) resp.append(buf, static_cast<size_t>(n));
  close(fd);
  if (resp.size() < 12) return {0, ""};
  int status = std::atoi(resp.substr(9, 3).c_str());
  auto at = resp.find("\r\n\r\n");
  return {status, at == std::string::npos ? "" : resp.substr(at + 4)};
}

}  // namespace riposte::e2e
