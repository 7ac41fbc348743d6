#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <memory>

#include "verify/probe.h"

namespace riposte::verify {

namespace {

constexpr size_t kMaxBody = 64 * 1024;

template <typename T, void (*F)(T*)>
struct Deleter {
  void operator()(T* p) const { F(p); }
};
using SslCtxPtr = std::unique_ptr<SSL_CTX, Deleter<SSL_CTX, SSL_CTX_free>>;
using SslPtr = std::unique_ptr<SSL, Deleter<SSL, SSL_free>>;
using X509Ptr = std::unique_ptr<X509, Deleter<X509, X509_free>>;
using StorePtr = std::unique_ptr<X509_STORE, Deleter<X509_STORE, X509_STORE_free>>;
using StoreCtxPtr = std::unique_ptr<X509_STORE_CTX, Deleter<X509_STORE_CTX, X509_STORE_CTX_free>>;
void FreeX509Stack(STACK_OF(X509) * s) { sk_X509_pop_free(s, X509_free); }
using X509StackPtr = std::unique_ptr<STACK_OF(X509), Deleter<STACK_OF(X509), FreeX509Stack>>;

std::string OpensslError() {
  unsigned long e = ERR_get_error();
  ERR_clear_error();
  if (e == 0) return "TLS error";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof(buf));
  return buf;
}

class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

// Waits until `fd` is readable/writable or the deadline passes.
bool WaitFd(int fd, short events, std::chrono::steady_clock::time_point deadline) {
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd, events, 0};
    int r = ::poll(&p, 1, static_cast<int>(left.count()));
    if (r > 0) return true;
    if (r == 0) return false;
    if (errno != EINTR) return false;
  }
}

// Connects to the first address of host:port that answers; non-blocking afterwards.
int Connect(const Endpoint& ep, std::chrono::steady_clock::time_point deadline, std::string* error) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  std::string port = std::to_string(ep.port);
  int rc = ::getaddrinfo(ep.host.c_str(), port.c_str(), &hints, &res);
  if (rc != 0) {
    *error = "cannot resolve " + ep.host + ": " + gai_strerror(rc);
    return -1;
  }
  std::unique_ptr<addrinfo, void (*)(addrinfo*)> guard(res, freeaddrinfo);
  std::string last = "no address";
  for (addrinfo* a = res; a != nullptr; a = a->ai_next) {
    int fd = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, a->ai_protocol);
    if (fd < 0) {
      last = std::strerror(errno);
      continue;
    }
    if (::connect(fd, a->ai_addr, a->ai_addrlen) == 0) return fd;
    if (errno == EINPROGRESS && WaitFd(fd, POLLOUT, deadline)) {
      int err = 0;
      socklen_t len = sizeof(err);
      ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
      if (err == 0) return fd;
      last = std::strerror(err);
    } else {
      last = errno == EINPROGRESS ? "connection timed out" : std::strerror(errno);
    }
    ::close(fd);
  }
  *error = "cannot connect to " + ep.Describe() + ": " + last;
  return -1;
}

// Byte stream over a socket or a TLS session, with the deadline applied to every wait.
class Stream {
 public:
  Stream(int fd, SSL* ssl, std::chrono::steady_clock::time_point deadline)
      : fd_(fd), ssl_(ssl), deadline_(deadline) {}

  bool Write(const std::string& data, std::string* error) {
    size_t off = 0;
    while (off < data.size()) {
      if (ssl_ != nullptr) {
        int n = SSL_write(ssl_, data.data() + off, static_cast<int>(data.size() - off));
        if (n > 0) {
          off += static_cast<size_t>(n);
          continue;
        }
        if (!WaitSsl(n, error)) return false;
      } else {
        ssize_t n = ::send(fd_, data.data() + off, data.size() - off, MSG_NOSIGNAL);
        if (n > 0) {
          off += static_cast<size_t>(n);
          continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EINTR) && WaitFd(fd_, POLLOUT, deadline_)) continue;
        *error = n < 0 && errno != EAGAIN ? std::strerror(errno) : "write timed out";
        return false;
      }
    }
    return true;
  }

  // Appends what arrives to `out`; false at EOF (error empty) or on failure.
  bool Read(std::string* out, std::string* error) {
    char buf[8192];
    for (;;) {
      if (ssl_ != nullptr) {
        int n = SSL_read(ssl_, buf, sizeof(buf));
        if (n > 0) {
          out->append(buf, static_cast<size_t>(n));
          return true;
        }
        int e = SSL_get_error(ssl_, n);
        if (e == SSL_ERROR_ZERO_RETURN || (e == SSL_ERROR_SYSCALL && ERR_peek_error() == 0)) return false;
        if (!WaitSsl(n, error)) return false;
      } else {
        ssize_t n = ::recv(fd_, buf, sizeof(buf), 0);
        if (n > 0) {
          out->append(buf, static_cast<size_t>(n));
          return true;
        }
        if (n == 0) return false;
        if ((errno == EAGAIN || errno == EINTR) && WaitFd(fd_, POLLIN, deadline_)) continue;
        *error = errno == EAGAIN ? "read timed out" : std::strerror(errno);
        return false;
      }
    }
  }

  bool Handshake(std::string* error) {
    for (;;) {
      int n = SSL_connect(ssl_);
      if (n == 1) return true;
      if (!WaitSsl(n, error)) {
        if (error->empty()) *error = "TLS handshake failed";
        return false;
      }
    }
  }

 private:
  bool WaitSsl(int n, std::string* error) {
    int e = SSL_get_error(ssl_, n);
    if (e == SSL_ERROR_WANT_READ) {
      if (WaitFd(fd_, POLLIN, deadline_)) return true;
      *error = "timed out";
      return false;
    }
    if (e == SSL_ERROR_WANT_WRITE) {
      if (WaitFd(fd_, POLLOUT, deadline_)) return true;
      *error = "timed out";
      return false;
    }
    *error = e == SSL_ERROR_SYSCALL && ERR_peek_error() == 0 ? "connection closed during TLS" : OpensslError();
    return false;
  }

  int fd_;
  SSL* ssl_;
  std::chrono::steady_clock::time_point deadline_;
};

std::string ToPem(X509* cert) {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(bio, cert);
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<size_t>(len));
  BIO_free(bio);
  return out;
}

std::vector<X509Ptr> ParsePem(const std::string& pem) {
  std::vector<X509Ptr> out;
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  while (X509* c = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr)) out.emplace_back(c);
  ERR_clear_error();
  BIO_free(bio);
  return out;
}

bool IsIpAddress(const std::string& host) {
  unsigned char buf[16];
  return inet_pton(AF_INET, host.c_str(), buf) == 1 || inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

// The DNS and IP subjectAltNames of a certificate, for messages.
std::string SubjectAltNames(X509* cert) {
  std::string out;
  auto* names = static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
  if (names == nullptr) return "none";
  for (int i = 0; i < sk_GENERAL_NAME_num(names); ++i) {
    const GENERAL_NAME* n = sk_GENERAL_NAME_value(names, i);
    std::string name;
    if (n->type == GEN_DNS) {
      name = std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(n->d.dNSName)),
                         static_cast<size_t>(ASN1_STRING_length(n->d.dNSName)));
    } else if (n->type == GEN_IPADD) {
      char buf[64] = {0};
      int len = ASN1_STRING_length(n->d.iPAddress);
      const unsigned char* d = ASN1_STRING_get0_data(n->d.iPAddress);
      if (len == 4 || len == 16) inet_ntop(len == 4 ? AF_INET : AF_INET6, d, buf, sizeof(buf));
      name = buf;
    }
    if (!name.empty()) out += (out.empty() ? "" : ", ") + name;
  }
  GENERAL_NAMES_free(names);
  return out.empty() ? "none" : out;
}

class ProberImpl : public Prober {
 public:
  explicit ProberImpl(std::chrono::milliseconds timeout) : timeout_(timeout) {}

  ProbeResult Get(const Endpoint& ep, const std::string& path) override {
    ProbeResult r;
    auto deadline = std::chrono::steady_clock::now() + timeout_;
    Fd fd(Connect(ep, deadline, &r.error));
    if (fd.get() < 0) return r;
    SslCtxPtr ctx;
    SslPtr ssl;
    if (ep.tls) {
      ctx.reset(SSL_CTX_new(TLS_client_method()));
      SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
      // No verification here: the chain is returned and checked against the caBundle the
      // API server uses, which is what matters for admission.
      SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_NONE, nullptr);
      ssl.reset(SSL_new(ctx.get()));
      SSL_set_fd(ssl.get(), fd.get());
      const std::string& sni = ep.server_name.empty() ? ep.host : ep.server_name;
      // SSL_set_tlsext_host_name is a macro with an old-style cast.
      if (!IsIpAddress(sni))
        SSL_ctrl(ssl.get(), SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name, const_cast<char*>(sni.c_str()));
    }
    Stream stream(fd.get(), ssl.get(), deadline);
    if (ssl) {
      std::string err;
      if (!stream.Handshake(&err)) {
        r.error = "TLS handshake with " + ep.Describe() + " failed: " + err;
        return r;
      }
      STACK_OF(X509)* chain = SSL_get_peer_cert_chain(ssl.get());
      for (int i = 0; chain != nullptr && i < sk_X509_num(chain); ++i) r.chain_pem.push_back(ToPem(sk_X509_value(chain, i)));
    }
    std::string host = ep.server_name.empty() ? ep.host : ep.server_name;
    std::string request = "GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\nUser-Agent: riposte-verify\r\n" +
                          "Accept: */*\r\nConnection: close\r\n\r\n";
    std::string err;
    if (!stream.Write(request, &err)) {
      r.error = "sending to " + ep.Describe() + " failed: " + err;
      return r;
    }
    std::string data;
    while (data.size() < kMaxBody + 16384 && stream.Read(&data, &err)) {
    }
    if (!err.empty() && data.find("\r\n\r\n") == std::string::npos) {
      r.error = "reading from " + ep.Describe() + " failed: " + err;
      return r;
    }
    // "HTTP/1.1 200 OK\r\n...\r\n\r\nbody"
    size_t sp = data.find(' ');
    size_t head_end = data.find("\r\n\r\n");
    if (data.rfind("HTTP/", 0) != 0 || sp == std::string::npos || head_end == std::string::npos) {
      r.error = ep.Describe() + " did not answer with HTTP";
      return r;
    }
    r.status = std::atoi(data.c_str() + sp + 1);
    r.body = data.substr(head_end + 4, kMaxBody);
    return r;
  }

 private:
  std::chrono::milliseconds timeout_;
};

}  // namespace

std::string Endpoint::Describe() const {
  return (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

ProberPtr NewProber(std::chrono::milliseconds timeout) { return std::make_unique<ProberImpl>(timeout); }

std::string CheckServingChain(const std::string& ca_bundle_pem, const std::vector<std::string>& chain_pem,
                              const std::string& hostname) {
  if (chain_pem.empty()) return "the server presented no certificate";
  auto cas = ParsePem(ca_bundle_pem);
  if (cas.empty()) return "caBundle holds no PEM certificate";
  auto leaf = ParsePem(chain_pem[0]);
  if (leaf.empty()) return "the server's certificate cannot be read";
  StorePtr store(X509_STORE_new());
  for (auto& c : cas) X509_STORE_add_cert(store.get(), c.get());
  X509StackPtr intermediates(sk_X509_new_null());
  for (size_t i = 1; i < chain_pem.size(); ++i) {
    for (auto& c : ParsePem(chain_pem[i])) sk_X509_push(intermediates.get(), c.release());
  }
  StoreCtxPtr ctx(X509_STORE_CTX_new());
  X509_STORE_CTX_init(ctx.get(), store.get(), leaf[0].get(), intermediates.get());
  X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(ctx.get());
  X509_VERIFY_PARAM_set_purpose(param, X509_PURPOSE_SSL_SERVER);
  if (IsIpAddress(hostname)) {
    X509_VERIFY_PARAM_set1_ip_asc(param, hostname.c_str());
  } else {
    X509_VERIFY_PARAM_set1_host(param, hostname.c_str(), hostname.size());
  }
  if (X509_verify_cert(ctx.get()) == 1) return "";
  int err = X509_STORE_CTX_get_error(ctx.get());
  std::string reason = X509_verify_cert_error_string(err);
  if (err == X509_V_ERR_HOSTNAME_MISMATCH || err == X509_V_ERR_IP_ADDRESS_MISMATCH) {
    reason += ": the certificate names " + SubjectAltNames(leaf[0].get()) + ", not " + hostname;
  }
  return reason;
}

std::string DescribeCertificate(const std::string& pem) {
  auto certs = ParsePem(pem);
  if (certs.empty()) return "unreadable certificate";
  X509* c = certs[0].get();
  char cn[256] = {0};
  X509_NAME_get_text_by_NID(X509_get_subject_name(c), NID_commonName, cn, sizeof(cn));
  std::tm tm{};
  std::string expires = "?";
  if (ASN1_TIME_to_tm(X509_get0_notAfter(c), &tm) == 1) {
    char buf[32];
    std::strftime(buf, sizeof(buf), "%Y-%m-%d", &tm);
    expires = buf;
  }
  return std::string("CN=") + cn + ", expires " + expires;
}

}  // namespace riposte::verify
