#pragma once
// Throw-away certificates for tests, generated with the OpenSSL API (EC P-256; no shell-outs
// and no key material in the repository).

#include <string>

namespace riposte::testing {

struct CertPair {
  std::string cert_pem;
  std::string key_pem;
};

struct CertOptions {
  std::string cn = "localhost";
  int days = 30;
  const CertPair* issuer = nullptr;  // null: self-signed
  bool is_ca = false;
  // Extensions; "" leaves one out.
  std::string san = "DNS:localhost,IP:127.0.0.1,IP:::1";
  std::string eku = "serverAuth,clientAuth";
  std::string key_usage;  // default: keyCertSign,cRLSign for a CA, digitalSignature,keyEncipherment otherwise
};
// Throws std::runtime_error when OpenSSL fails.
CertPair MakeCert(const CertOptions& opts);

// A leaf for `cn` with SANs localhost/127.0.0.1/::1, usable as server and client certificate;
// signed by `issuer` when given, self-signed otherwise. With is_ca: a CA (no SANs).
CertPair MakeCert(const std::string& cn, int days = 30, const CertPair* issuer = nullptr, bool is_ca = false);

// A serving certificate for 127.0.0.1/localhost that is its own CA: clients trust the
// certificate itself (a test server's throw-away identity).
CertPair SelfSignedServerCert(const std::string& cn);

// A CA and certificates signed by it, generated once per process.
struct TestPki {
  CertPair ca;
  CertPair server;  // SAN: DNS localhost, IP 127.0.0.1, IP ::1
  CertPair client;  // CN riposte-test, clientAuth
  CertPair other;   // self-signed CA, unrelated to `ca`
};
const TestPki& Pki();

std::string Base64(const std::string& data);

}  // namespace riposte::testing
