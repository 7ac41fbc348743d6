#include "tests/kube/test_certs.h"

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <stdexcept>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

namespace riposte::kube::testing {
namespace {

EVP_PKEY* NewKey() {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  if (key == nullptr) throw std::runtime_error("EVP_EC_gen failed");
  return key;
}

std::string KeyPem(EVP_PKEY* key) {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<size_t>(n));
  BIO_free(bio);
  return out;
}

std::string CertPem(X509* cert) {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(bio, cert);
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<size_t>(n));
  BIO_free(bio);
  return out;
}

void AddExt(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  if (ext == nullptr) throw std::runtime_error("bad extension");
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
}

// Signs with issuer_key; issuer == nullptr makes it self-signed.
X509* MakeCert(EVP_PKEY* key, const char* cn, X509* issuer, EVP_PKEY* issuer_key, bool is_ca, const char* san,
               const char* eku, long serial) {
  X509* cert = X509_new();
  X509_set_version(cert, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert), serial);
  X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert), 7L * 24 * 3600);
  X509_set_pubkey(cert, key);
  X509_NAME* name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(cn), -1, -1, 0);
  X509_set_issuer_name(cert, issuer != nullptr ? X509_get_subject_name(issuer) : name);
  X509* iss = issuer != nullptr ? issuer : cert;
  AddExt(cert, iss, NID_basic_constraints, is_ca ? "critical,CA:TRUE" : "critical,CA:FALSE");
  AddExt(cert, iss, NID_key_usage, is_ca ? "critical,keyCertSign,cRLSign" : "critical,digitalSignature,keyEncipherment");
  if (san != nullptr) AddExt(cert, iss, NID_subject_alt_name, san);
  if (eku != nullptr) AddExt(cert, iss, NID_ext_key_usage, eku);
  X509_sign(cert, issuer_key != nullptr ? issuer_key : key, EVP_sha256());
  return cert;
}

TestPki Generate() {
  TestPki pki;
  EVP_PKEY* ca_key = NewKey();
  X509* ca = MakeCert(ca_key, "riposte-test-ca", nullptr, nullptr, true, nullptr, nullptr, 1);
  pki.ca = {CertPem(ca), KeyPem(ca_key)};
  EVP_PKEY* sk = NewKey();
  X509* server = MakeCert(sk, "localhost", ca, ca_key, false, "DNS:localhost,IP:127.0.0.1,IP:::1", "serverAuth", 2);
  pki.server = {CertPem(server), KeyPem(sk)};
  EVP_PKEY* ck = NewKey();
  X509* client = MakeCert(ck, "riposte-test", ca, ca_key, false, nullptr, "clientAuth", 3);
  pki.client = {CertPem(client), KeyPem(ck)};
  EVP_PKEY* ok = NewKey();
  X509* other = MakeCert(ok, "other", nullptr, nullptr, true, nullptr, nullptr, 4);
  pki.other = {CertPem(other), KeyPem(ok)};
  for (X509* c : {ca, server, client, other}) X509_free(c);
  for (EVP_PKEY* k : {ca_key, sk, ck, ok}) EVP_PKEY_free(k);
  return pki;
}

}  // namespace

const TestPki& Pki() {
  static const TestPki pki = Generate();
  return pki;
}

std::string Base64(const std::string& data) {
  std::string out(4 * ((data.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(data.data()), static_cast<int>(data.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

std::string WriteTempFile(const std::string& name, const std::string& content) {
  static const std::filesystem::path dir = [] {
    auto d = std::filesystem::temp_directory_path() / ("riposte-kube-test-" + std::to_string(::getpid()));
    std::filesystem::create_directories(d);
    return d;
  }();
  const auto path = dir / name;
  std::filesystem::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary | std::ios::trunc) << content;
  return path.string();
}

}  // namespace riposte::kube::testing
