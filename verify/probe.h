#pragma once
// How `riposte verify` talks to Riposte's own listeners (never through the API server): one
// GET over plain HTTP or TLS that also hands back the certificate chain the server presented,
// and the check of that chain against a ValidatingWebhookConfiguration's caBundle. The
// interface lets the verify logic be tested without sockets.

#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace riposte::verify {

struct Endpoint {
  std::string host;         // IP address or DNS name to connect to
  int port = 0;
  bool tls = false;
  std::string server_name;  // SNI and the name the certificate must carry ("" = host)
  std::string Describe() const;  // "host:port"
};

struct ProbeResult {
  std::string error;                   // transport or TLS failure; "" when an HTTP answer arrived
  std::vector<std::string> chain_pem;  // the server's chain, leaf first (TLS only)
  int status = 0;                      // HTTP status
  std::string body;                    // at most 64 KiB
};

class Prober {
 public:
  virtual ~Prober() = default;
  // GET `path`. The TLS handshake does not verify the server (the caller checks the chain
  // against the caBundle it cares about, as the API server would).
  virtual ProbeResult Get(const Endpoint& endpoint, const std::string& path) = 0;
};
using ProberPtr = std::unique_ptr<Prober>;

ProberPtr NewProber(std::chrono::milliseconds timeout);

// Whether `chain_pem` (leaf first) verifies against the CA certificates in `ca_bundle_pem` for
// `hostname` (a DNS name or an IP address), as the API server verifies a webhook. "" when it
// does, else the reason (OpenSSL's, e.g. "unable to get local issuer certificate", or the names
// the certificate carries when the hostname is not among them).
std::string CheckServingChain(const std::string& ca_bundle_pem, const std::vector<std::string>& chain_pem,
                              const std::string& hostname);

// "CN=riposte-webhook.riposte.svc, expires 2035-11-26" of the first certificate in `pem`.
std::string DescribeCertificate(const std::string& pem);

}  // namespace riposte::verify
