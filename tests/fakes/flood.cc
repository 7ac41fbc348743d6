#include "tests/fakes/flood.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <sstream>

namespace riposte::testing {
namespace {

// A client socket from `source` to 127.0.0.1:port, with send/receive timeouts so that a test
// never hangs on a server that stops reading or answering.
int Connect(uint16_t port, const std::string& source) {
  signal(SIGPIPE, SIG_IGN);
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  timeval tv{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  if (!source.empty()) {
    sockaddr_in local{};
    local.sin_family = AF_INET;
    inet_pton(AF_INET, source.c_str(), &local.sin_addr);
    if (::bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0) {
      ::close(fd);
      return -1;
    }
  }
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

SSL_CTX* ClientContext() {
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
  return ctx;
}

}  // namespace

struct IdleFlood::Conn {
  int fd = -1;
  SSL* ssl = nullptr;
  bool closed = false;
  ~Conn() {
    if (ssl) SSL_free(ssl);
    if (fd >= 0) ::close(fd);
  }
};

IdleFlood::IdleFlood() = default;

IdleFlood::~IdleFlood() {
  CloseAll();
  if (ctx_) SSL_CTX_free(static_cast<SSL_CTX*>(ctx_));
}

size_t IdleFlood::Open(uint16_t port, size_t count, size_t per_address, bool tls) {
  if (tls && !ctx_) ctx_ = ClientContext();
  size_t ok = 0;
  for (size_t i = 0; i < count; ++i) {
    size_t addr = i / (per_address == 0 ? 1 : per_address);
    std::string source = "127.1." + std::to_string(addr / 250) + "." + std::to_string(addr % 250 + 1);
    auto c = std::make_unique<Conn>();
    c->fd = Connect(port, source);
    if (c->fd < 0) continue;
    if (tls) {
      c->ssl = SSL_new(static_cast<SSL_CTX*>(ctx_));
      SSL_set_fd(c->ssl, c->fd);
      if (SSL_connect(c->ssl) != 1) {
        ERR_clear_error();
        c->closed = true;
      }
    }
    if (!c->closed) ++ok;
    conns_.push_back(std::move(c));
  }
  return ok;
}

size_t IdleFlood::StillOpen() {
  size_t open = 0;
  for (auto& c : conns_) {
    if (c->closed) continue;
    // Whatever is readable is drained (TLS 1.3 session tickets); EOF or an error means closed.
    for (;;) {
      char buf[4096];
      ssize_t n = ::recv(c->fd, buf, sizeof buf, MSG_DONTWAIT);
      if (n > 0) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
      c->closed = true;
      break;
    }
    if (!c->closed) ++open;
  }
  return open;
}

void IdleFlood::CloseAll() { conns_.clear(); }

uint64_t StreamChunkExtension(uint16_t port, bool tls, const std::string& head, uint64_t max_bytes) {
  int fd = Connect(port, "");
  if (fd < 0) return 0;
  SSL_CTX* ctx = nullptr;
  SSL* ssl = nullptr;
  auto write_all = [&](const char* data, size_t n) -> bool {
    while (n > 0) {
      ssize_t w = ssl ? SSL_write(ssl, data, static_cast<int>(n)) : ::send(fd, data, n, MSG_NOSIGNAL);
      if (w <= 0) return false;
      data += w;
      n -= static_cast<size_t>(w);
    }
    return true;
  };
  uint64_t sent = 0;
  if (tls) {
    ctx = ClientContext();
    ssl = SSL_new(ctx);
    SSL_set_fd(ssl, fd);
    if (SSL_connect(ssl) != 1) goto done;
  }
  if (!write_all(head.data(), head.size()) || !write_all("1;", 2)) goto done;
  {
    const std::string chunk(64 * 1024, 'e');
    while (sent < max_bytes && write_all(chunk.data(), chunk.size())) sent += chunk.size();
  }
done:
  ERR_clear_error();
  if (ssl) SSL_free(ssl);
  if (ctx) SSL_CTX_free(ctx);
  ::close(fd);
  return sent;
}

ProcessMemory ReadProcessMemory(pid_t pid) {
  ProcessMemory m;
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream ss(line);
    std::string key;
    uint64_t value = 0;
    ss >> key >> value;
    if (key == "VmRSS:") m.rss_kib = value;
    if (key == "VmHWM:") m.hwm_kib = value;
  }
  return m;
}

}  // namespace riposte::testing
