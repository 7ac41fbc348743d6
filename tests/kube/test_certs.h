#pragma once
// Throw-away PKI for kube/ tests: a CA and certificates signed by it, generated in memory
// (EC P-256) so no key material is checked in.

#include <string>
#include <vector>

namespace riposte::kube::testing {

struct KeyPair {
  std::string cert_pem;
  std::string key_pem;
};

struct TestPki {
  KeyPair ca;
  KeyPair server;  // SAN: DNS localhost, IP 127.0.0.1, IP ::1
  KeyPair client;  // CN riposte-test, clientAuth
  KeyPair other;   // self-signed, unrelated to the CA
};

// Generated once per process.
const TestPki& Pki();

std::string Base64(const std::string& data);
// Writes `content` to a fresh file under a per-process temp dir and returns its path.
std::string WriteTempFile(const std::string& name, const std::string& content);

}  // namespace riposte::kube::testing
