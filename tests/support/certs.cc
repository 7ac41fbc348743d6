#include "tests/support/certs.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>
#include <stdexcept>

namespace riposte::testing {
namespace {

template <typename T, void (*F)(T*)>
struct Deleter {
  void operator()(T* p) const { F(p); }
};
using KeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, EVP_PKEY_free>>;
using CertPtr = std::unique_ptr<X509, Deleter<X509, X509_free>>;
using BioPtr = std::unique_ptr<BIO, Deleter<BIO, BIO_free_all>>;

void Check(bool ok, const char* what) {
  if (!ok) throw std::runtime_error(std::string("openssl: ") + what + " failed");
}

std::string Pem(BIO* bio) {
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<size_t>(n));
}

BioPtr MemBuf(const std::string& pem) { return BioPtr(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()))); }

void AddExt(X509* cert, X509* issuer, int nid, const std::string& value) {
  if (value.empty()) return;
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  Check(ext != nullptr, "X509V3_EXT_conf_nid");
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
}

}  // namespace

CertPair MakeCert(const CertOptions& o) {
  KeyPtr key(EVP_EC_gen("P-256"));
  Check(key != nullptr, "EVP_EC_gen");
  CertPtr cert(X509_new());
  Check(cert != nullptr, "X509_new");
  X509_set_version(cert.get(), 2);
  unsigned char serial[16];
  Check(RAND_bytes(serial, sizeof serial) == 1, "RAND_bytes");
  serial[0] &= 0x7f;
  BIGNUM* bn = BN_bin2bn(serial, sizeof serial, nullptr);
  BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert.get()));
  BN_free(bn);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), static_cast<long>(o.days) * 86400);
  X509_set_pubkey(cert.get(), key.get());
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("riposte-test"), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(o.cn.c_str()), -1, -1, 0);
  CertPtr issuer_cert;
  KeyPtr issuer_key;
  if (o.issuer != nullptr) {
    issuer_cert.reset(PEM_read_bio_X509(MemBuf(o.issuer->cert_pem).get(), nullptr, nullptr, nullptr));
    issuer_key.reset(PEM_read_bio_PrivateKey(MemBuf(o.issuer->key_pem).get(), nullptr, nullptr, nullptr));
    Check(issuer_cert != nullptr && issuer_key != nullptr, "reading the issuer");
    X509_set_issuer_name(cert.get(), X509_get_subject_name(issuer_cert.get()));
  } else {
    X509_set_issuer_name(cert.get(), name);
  }
  X509* ext_issuer = issuer_cert ? issuer_cert.get() : cert.get();
  AddExt(cert.get(), ext_issuer, NID_basic_constraints, o.is_ca ? "critical,CA:TRUE" : "critical,CA:FALSE");
  AddExt(cert.get(), ext_issuer, NID_key_usage,
         !o.key_usage.empty() ? "critical," + o.key_usage
                              : (o.is_ca ? "critical,keyCertSign,cRLSign" : "critical,digitalSignature,keyEncipherment"));
  AddExt(cert.get(), ext_issuer, NID_subject_alt_name, o.san);
  AddExt(cert.get(), ext_issuer, NID_ext_key_usage, o.eku);
  Check(X509_sign(cert.get(), issuer_key ? issuer_key.get() : key.get(), EVP_sha256()) > 0, "X509_sign");
  BioPtr cb(BIO_new(BIO_s_mem()));
  Check(PEM_write_bio_X509(cb.get(), cert.get()) == 1, "PEM_write_bio_X509");
  BioPtr kb(BIO_new(BIO_s_mem()));
  Check(PEM_write_bio_PrivateKey(kb.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) == 1,
        "PEM_write_bio_PrivateKey");
  return CertPair{Pem(cb.get()), Pem(kb.get())};
}

CertPair MakeCert(const std::string& cn, int days, const CertPair* issuer, bool is_ca) {
  CertOptions o;
  o.cn = cn;
  o.days = days;
  o.issuer = issuer;
  o.is_ca = is_ca;
  if (is_ca) o.san = o.eku = "";
  return MakeCert(o);
}

CertPair SelfSignedServerCert(const std::string& cn) {
  CertOptions o;
  o.cn = cn;
  o.days = 7;
  o.is_ca = true;  // trusted as its own CA
  o.key_usage = "digitalSignature,keyEncipherment,keyCertSign";
  o.san = "IP:127.0.0.1,DNS:localhost";
  o.eku = "serverAuth";
  return MakeCert(o);
}

const TestPki& Pki() {
  static const TestPki pki = [] {
    TestPki p;
    p.ca = MakeCert("riposte-test-ca", 7, nullptr, true);
    CertOptions server;
    server.days = 7;
    server.issuer = &p.ca;
    server.eku = "serverAuth";
    p.server = MakeCert(server);
    CertOptions client;
    client.cn = "riposte-test";
    client.days = 7;
    client.issuer = &p.ca;
    client.san = "";
    client.eku = "clientAuth";
    p.client = MakeCert(client);
    p.other = MakeCert("other", 7, nullptr, true);
    return p;
  }();
  return pki;
}

std::string Base64(const std::string& data) {
  std::string out(4 * ((data.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(data.data()), static_cast<int>(data.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

}  // namespace riposte::testing
