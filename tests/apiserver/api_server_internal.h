#pragma once
// Pieces shared by the transport (api_server.cc) and the resource handlers (api_handlers.cc).

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>

#include <atomic>
#include <string>

#include "tests/apiserver/api_server.h"

namespace riposte::testapi {

struct ApiServer::RequestInfo {
  std::string verb;  // get list watch create update patch delete deletecollection
  std::string group, version, ns, resource, name, subresource;
  ResourceInfoPtr info;
};

class Connection {
 public:
  Connection(boost::asio::io_context& io, boost::asio::ssl::context& ctx, int fd)
      : stream_(io, ctx), fd_(fd) {
    stream_.next_layer().assign(boost::asio::ip::tcp::v4(), fd);
  }
  boost::asio::ssl::stream<boost::asio::ip::tcp::socket>& stream() { return stream_; }
  int fd() const { return fd_; }
  // Wakes any blocked read or write on this connection from another thread: a syscall on the
  // descriptor, so it does not race with the asio object the owning thread is using.
  void Abort();
  std::atomic<bool> is_watch{false};

 private:
  boost::asio::ssl::stream<boost::asio::ip::tcp::socket> stream_;
  int fd_;
};

// JSON helpers shared by the handlers.
std::string JStr(const web::json::value& v, const std::string& a);
std::string JStr(const web::json::value& v, const std::string& a, const std::string& b);
std::string NowRfc3339();
std::string NewUid();

}  // namespace riposte::testapi
