#pragma once
// The cluster network an envtest control plane lacks. kube-apiserver reaches Service-form
// webhooks (and any other in-cluster address it dials: the service proxy) through its egress
// selector: with --egress-selector-config-file naming this proxy for the "cluster" network it
// sends `CONNECT <cluster IP>:<port>` over TLS here, exactly as it would to a konnectivity
// server, and then speaks TLS to the webhook itself (verifying the Service's DNS name against
// the caBundle). The proxy forwards each CONNECT to the local port routed for that address;
// ClusterEmulator routes Service cluster IPs and pod IPs to the local processes that stand in
// for the pods. Unrouted addresses answer 503, as an address without endpoints would fail.

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace riposte::e2e {

class ClusterNetwork {
 public:
  // Listens on 127.0.0.1 (a free port) with this certificate; throws on failure.
  ClusterNetwork(const std::string& cert_pem, const std::string& key_pem);
  ~ClusterNetwork();
  ClusterNetwork(const ClusterNetwork&) = delete;
  ClusterNetwork& operator=(const ClusterNetwork&) = delete;

  int port() const { return port_; }
  // kube-apiserver's EgressSelectorConfiguration for this proxy (the certificate files are the
  // proxy's own: kube-apiserver trusts it and presents it as its client certificate).
  static std::string EgressConfig(int port, const std::string& cert_file, const std::string& key_file);

  // "ip:port" (a cluster IP or pod IP and its port) -> 127.0.0.1:local_port.
  void Route(const std::string& ip, int port, int local_port);
  void Unroute(const std::string& ip, int port);
  // Every CONNECT target seen so far, in order, with "-> local port" or "-> 503".
  std::vector<std::string> Log() const;

 private:
  void Accept();
  void Serve(int fd);

  int listen_fd_ = -1;
  int port_ = 0;
  void* ctx_ = nullptr;  // SSL_CTX
  std::atomic<bool> stop_{false};
  std::thread acceptor_;
  mutable std::mutex mu_;
  std::map<std::string, int> routes_;
  std::vector<std::string> log_;
  std::vector<std::thread> conns_;
  std::vector<int> open_fds_;
};

}  // namespace riposte::e2e
