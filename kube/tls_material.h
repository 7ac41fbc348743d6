#pragma once
// PEM checks shared by the config loaders and the HTTPS client, so bad certificates are
// reported at load time with the field that held them.

#include <string>

namespace riposte::kube::internal {

// Each returns "" when valid, else a short reason ("no certificate found", ...).
std::string CheckCertificates(const std::string& pem);
std::string CheckPrivateKey(const std::string& pem);
std::string CheckKeyMatchesCertificate(const std::string& cert_pem, const std::string& key_pem);
// Strict standard base64 (whitespace ignored); false on any other character or bad padding.
bool Base64Decode(const std::string& in, std::string* out);

}  // namespace riposte::kube::internal
