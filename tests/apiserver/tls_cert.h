#pragma once
// A throwaway self-signed certificate for 127.0.0.1/localhost, so every test server run has
// its own CA and no key material lives in the repository.

#include <string>

namespace riposte::testapi {

struct CertificatePair {
  std::string cert_pem;
  std::string key_pem;
};

// Throws std::runtime_error when OpenSSL fails.
CertificatePair GenerateSelfSignedCertificate(const std::string& common_name);

}  // namespace riposte::testapi
