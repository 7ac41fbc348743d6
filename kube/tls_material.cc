#include "kube/tls_material.h"

#include <array>
#include <cstdint>
#include <memory>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

namespace riposte::kube::internal {
namespace {

struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
struct PkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
using BioPtr = std::unique_ptr<BIO, BioFree>;

BioPtr MemBio(const std::string& s) { return BioPtr(BIO_new_mem_buf(s.data(), static_cast<int>(s.size()))); }

}  // namespace

std::string CheckCertificates(const std::string& pem) {
  if (pem.find("-----BEGIN") == std::string::npos) return "not PEM (no -----BEGIN line)";
  BioPtr bio = MemBio(pem);
  int count = 0;
  for (;;) {
    std::unique_ptr<X509, X509Free> cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
    if (!cert) break;
    ++count;
  }
  ERR_clear_error();
  return count > 0 ? "" : "no parseable certificate in PEM data";
}

std::string CheckPrivateKey(const std::string& pem) {
  if (pem.find("-----BEGIN") == std::string::npos) return "not PEM (no -----BEGIN line)";
  BioPtr bio = MemBio(pem);
  std::unique_ptr<EVP_PKEY, PkeyFree> key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  ERR_clear_error();
  return key ? "" : "no parseable private key in PEM data (encrypted keys are not supported)";
}

std::string CheckKeyMatchesCertificate(const std::string& cert_pem, const std::string& key_pem) {
  BioPtr cb = MemBio(cert_pem);
  BioPtr kb = MemBio(key_pem);
  std::unique_ptr<X509, X509Free> cert(PEM_read_bio_X509(cb.get(), nullptr, nullptr, nullptr));
  std::unique_ptr<EVP_PKEY, PkeyFree> key(PEM_read_bio_PrivateKey(kb.get(), nullptr, nullptr, nullptr));
  std::string err;
  if (!cert || !key) {
    err = "certificate or key unreadable";
  } else if (X509_check_private_key(cert.get(), key.get()) != 1) {
    err = "private key does not match the client certificate";
  }
  ERR_clear_error();
  return err;
}

bool Base64Decode(const std::string& in, std::string* out) {
  static constexpr auto kTable = [] {
    std::array<int8_t, 256> t{};
    for (auto& v : t) v = -1;
    const char* a = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (int i = 0; i < 64; ++i) t[static_cast<unsigned char>(a[i])] = static_cast<int8_t>(i);
    return t;
  }();
  out->clear();
  uint32_t acc = 0;
  int bits = 0, pad = 0, chars = 0;
  for (char ch : in) {
    if (ch == ' ' || ch == '\n' || ch == '\r' || ch == '\t') continue;
    if (ch == '=') {
      ++pad;
      ++chars;
      continue;
    }
    if (pad > 0) return false;  // data after padding
    const int8_t v = kTable[static_cast<unsigned char>(ch)];
    if (v < 0) return false;
    ++chars;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out->push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  if (pad > 2 || chars % 4 != 0) return false;
  return true;
}

}  // namespace riposte::kube::internal
