#include <openssl/crypto.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "cli/commands.h"

namespace riposte::cli {
namespace {

// The CA store that HTTPS clients without a configured CA use (cpprestsdk calls
// SSL_CTX_set_default_verify_paths): a bundle file read once, and a directory searched by
// subject hash during each handshake. Loading it here the same way shows whether the file is
// found, which is the usual cause of "certificate verify failed" in a minimal container image.
struct CaStore {
  std::string file;
  bool file_from_env = false;
  std::string dir;
  bool dir_from_env = false;
  int certificates = 0;
};

CaStore InspectDefaultCaStore() {
  CaStore store;
  const char* file_env = std::getenv(X509_get_default_cert_file_env());
  store.file_from_env = file_env != nullptr;
  store.file = file_env != nullptr ? file_env : X509_get_default_cert_file();
  const char* dir_env = std::getenv(X509_get_default_cert_dir_env());
  store.dir_from_env = dir_env != nullptr;
  store.dir = dir_env != nullptr ? dir_env : X509_get_default_cert_dir();

  X509_STORE* x509_store = X509_STORE_new();
  if (x509_store == nullptr) return store;
  X509_STORE_set_default_paths(x509_store);  // a missing or unreadable file leaves it empty
  STACK_OF(X509_OBJECT)* objects = X509_STORE_get0_objects(x509_store);
  for (int i = 0; i < sk_X509_OBJECT_num(objects); ++i) {
    if (X509_OBJECT_get_type(sk_X509_OBJECT_value(objects, i)) == X509_LU_X509) ++store.certificates;
  }
  X509_STORE_free(x509_store);
  return store;
}

}  // namespace

int RunVersion(const Args&) {
  std::printf("riposte %s\n", RIPOSTE_VERSION);
  std::printf("  git:      %s\n", RIPOSTE_GIT_REVISION);
  std::printf("  build:    %s, %s %s\n", RIPOSTE_BUILD_TYPE, RIPOSTE_COMPILER, __VERSION__);
  std::printf("  cxx:      C++%ld\n", __cplusplus / 100 % 100 + 0L);
  std::printf("  openssl:  %s (%s)\n", OpenSSL_version(OPENSSL_VERSION), OpenSSL_version(OPENSSL_DIR));
  const CaStore store = InspectDefaultCaStore();
  const std::string file_source = store.file_from_env ? std::string(" (from ") + X509_get_default_cert_file_env() + ")" : "";
  const std::string dir_source = store.dir_from_env ? std::string(" (from ") + X509_get_default_cert_dir_env() + ")" : "";
  std::printf("  ca file:  %s%s: %d certificate%s%s\n", store.file.c_str(), file_source.c_str(), store.certificates,
              store.certificates == 1 ? "" : "s",
              store.certificates == 0 ? " (servers are verified only against a CA given explicitly)" : "");
  std::printf("  ca dir:   %s%s\n", store.dir.c_str(), dir_source.c_str());
  return 0;
}

}  // namespace riposte::cli
