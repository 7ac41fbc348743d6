#include "tests/e2e/cluster_network.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>

namespace riposte::e2e {

namespace {

SSL_CTX* Ctx(void* p) { return static_cast<SSL_CTX*>(p); }

bool WriteAll(int fd, const char* data, size_t n) {
  while (n > 0) {
    ssize_t w = ::send(fd, data, n, MSG_NOSIGNAL);
    if (w <= 0) return false;
    data += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

bool SslWriteAll(SSL* ssl, const char* data, size_t n) {
  while (n > 0) {
    int w = SSL_write(ssl, data, static_cast<int>(n));
    if (w <= 0) return false;
    data += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

int ConnectLocal(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

}  // namespace

ClusterNetwork::ClusterNetwork(const std::string& cert_pem, const std::string& key_pem) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  ctx_ = ctx;
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  BIO* cb = BIO_new_mem_buf(cert_pem.data(), static_cast<int>(cert_pem.size()));
  X509* cert = PEM_read_bio_X509(cb, nullptr, nullptr, nullptr);
  BIO_free(cb);
  BIO* kb = BIO_new_mem_buf(key_pem.data(), static_cast<int>(key_pem.size()));
  EVP_PKEY* key = PEM_read_bio_PrivateKey(kb, nullptr, nullptr, nullptr);
  BIO_free(kb);
  bool ok = cert != nullptr && key != nullptr && SSL_CTX_use_certificate(ctx, cert) == 1 &&
            SSL_CTX_use_PrivateKey(ctx, key) == 1;
  X509_free(cert);
  EVP_PKEY_free(key);
  if (!ok) throw std::runtime_error("cluster network: unusable certificate");
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
  socklen_t len = sizeof addr;
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(listen_fd_, 64) != 0 ||
      getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    ::close(listen_fd_);
    SSL_CTX_free(ctx);
    throw std::runtime_error(std::string("cluster network: cannot listen: ") + std::strerror(errno));
  }
  port_ = ntohs(addr.sin_port);
  acceptor_ = std::thread([this] { Accept(); });
}

ClusterNetwork::~ClusterNetwork() {
  stop_ = true;
  ::shutdown(listen_fd_, SHUT_RDWR);
  acceptor_.join();
  ::close(listen_fd_);
  std::vector<std::thread> conns;
  {
    std::lock_guard<std::mutex> l(mu_);
    for (int fd : open_fds_) ::shutdown(fd, SHUT_RDWR);
    conns.swap(conns_);
  }
  for (auto& t : conns) t.join();
  SSL_CTX_free(Ctx(ctx_));
}

std::string ClusterNetwork::EgressConfig(int port, const std::string& cert_file, const std::string& key_file) {
  return "apiVersion: apiserver.k8s.io/v1beta1\nkind: EgressSelectorConfiguration\negressSelections:\n"
         "- name: cluster\n  connection:\n    proxyProtocol: HTTPConnect\n    transport:\n      tcp:\n"
         "        url: https://127.0.0.1:" + std::to_string(port) + "\n        tlsConfig:\n          caBundle: " + cert_file +
         "\n          clientCert: " + cert_file + "\n          clientKey: " + key_file + "\n";
}

void ClusterNetwork::Route(const std::string& ip, int port, int local_port) {
  std::lock_guard<std::mutex> l(mu_);
  routes_[ip + ":" + std::to_string(port)] = local_port;
}

void ClusterNetwork::Unroute(const std::string& ip, int port) {
  std::lock_guard<std::mutex> l(mu_);
  routes_.erase(ip + ":" + std::to_string(port));
}

std::vector<std::string> ClusterNetwork::Log() const {
  std::lock_guard<std::mutex> l(mu_);
  return log_;
}

void ClusterNetwork::Accept() {
  while (!stop_) {
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
      if (stop_) return;
      continue;
    }
    std::lock_guard<std::mutex> l(mu_);
    if (stop_) {
      ::close(fd);
      return;
    }
    open_fds_.push_back(fd);
    conns_.emplace_back([this, fd] { Serve(fd); });
  }
}

// One CONNECT tunnel: read the request inside TLS, answer 200 and relay bytes both ways until
// either side closes.
void ClusterNetwork::Serve(int fd) {
  SSL* ssl = SSL_new(Ctx(ctx_));
  SSL_set_fd(ssl, fd);
  int upstream = -1;
  auto finish = [&] {
    if (upstream >= 0) ::close(upstream);
    SSL_free(ssl);
    std::lock_guard<std::mutex> l(mu_);
    open_fds_.erase(std::remove(open_fds_.begin(), open_fds_.end(), fd), open_fds_.end());
    ::close(fd);
  };
  if (SSL_accept(ssl) != 1) {
    ERR_clear_error();
    finish();
    return;
  }
  std::string head;
  char buf[16384];
  while (head.find("\r\n\r\n") == std::string::npos && head.size() < 8192) {
    int n = SSL_read(ssl, buf, sizeof buf);
    if (n <= 0) {
      finish();
      return;
    }
    head.append(buf, static_cast<size_t>(n));
  }
  // "CONNECT 10.96.12.3:443 HTTP/1.1"
  std::string target;
  if (head.rfind("CONNECT ", 0) == 0) target = head.substr(8, head.find(' ', 8) - 8);
  int local = 0;
  {
    std::lock_guard<std::mutex> l(mu_);
    auto it = routes_.find(target);
    if (it != routes_.end()) local = it->second;
    log_.push_back(target + (local > 0 ? " -> " + std::to_string(local) : " -> 503"));
  }
  upstream = local > 0 ? ConnectLocal(local) : -1;
  if (upstream < 0) {
    const char* no = "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n";
    SslWriteAll(ssl, no, std::strlen(no));
    finish();
    return;
  }
  const char* ok = "HTTP/1.1 200 Connection established\r\n\r\n";
  if (!SslWriteAll(ssl, ok, std::strlen(ok))) {
    finish();
    return;
  }
  // Bytes that arrived behind the request head belong to the tunnel.
  size_t rest = head.find("\r\n\r\n") + 4;
  if (rest < head.size() && !WriteAll(upstream, head.data() + rest, head.size() - rest)) {
    finish();
    return;
  }
  while (!stop_) {
    if (SSL_pending(ssl) == 0) {
      pollfd p[2] = {{fd, POLLIN, 0}, {upstream, POLLIN, 0}};
      if (::poll(p, 2, 500) < 0) break;
      if (p[1].revents != 0) {
        ssize_t n = ::recv(upstream, buf, sizeof buf, 0);
        if (n <= 0 || !SslWriteAll(ssl, buf, static_cast<size_t>(n))) break;
      }
      if (p[0].revents == 0) continue;
    }
    int n = SSL_read(ssl, buf, sizeof buf);
    if (n <= 0 || !WriteAll(upstream, buf, static_cast<size_t>(n))) break;
  }
  ERR_clear_error();
  finish();
}

}  // namespace riposte::e2e
