#include "controller/token_auth.h"

#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <sys/stat.h>

#include <fstream>
#include <sstream>

#include "common/log.h"

namespace riposte::controller {
namespace {

std::string Sha256(std::string_view s) {
  unsigned char out[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(s.data()), s.size(), out);
  return std::string(reinterpret_cast<const char*>(out), sizeof out);
}

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ' || s.back() == '\t')) s.pop_back();
  size_t start = s.find_first_not_of(" \t");
  return start == std::string::npos ? "" : s.substr(start);
}

}  // namespace

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  std::string da = Sha256(a), db = Sha256(b);
  return CRYPTO_memcmp(da.data(), db.data(), da.size()) == 0;
}

bool TokenFile::Load(std::string* error) {
  struct stat st {};
  if (stat(path_.c_str(), &st) != 0) {
    *error = "cannot stat token file " + path_;
    return false;
  }
  std::ifstream in(path_);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string token = Trim(ss.str());
  if (!in.good() && !in.eof()) {
    *error = "cannot read token file " + path_;
    return false;
  }
  if (token.size() < 16) {
    *error = "token in " + path_ + " is empty or shorter than 16 characters";
    return false;
  }
  std::lock_guard lock(mu_);
  digest_ = Sha256(token);
  mtime_ = st.st_mtim;
  size_ = st.st_size;
  inode_ = st.st_ino;
  return true;
}

void TokenFile::ReloadIfChanged() {
  struct stat st {};
  if (stat(path_.c_str(), &st) != 0) return;  // keep the last good token
  {
    std::lock_guard lock(mu_);
    if (st.st_mtim.tv_sec == mtime_.tv_sec && st.st_mtim.tv_nsec == mtime_.tv_nsec && st.st_size == size_ &&
        st.st_ino == inode_)
      return;
  }
  std::string error;
  if (Load(&error)) log::Info("alert token reloaded", {{"file", path_}});
  else log::Warn("alert token reload failed; keeping the previous token", {{"error", error}});
}

bool TokenFile::Check(std::string_view header) {
  ReloadIfChanged();
  constexpr std::string_view kPrefix = "Bearer ";
  if (header.size() <= kPrefix.size()) return false;
  for (size_t i = 0; i < kPrefix.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(header[i])) != std::tolower(static_cast<unsigned char>(kPrefix[i])))
      return false;
  std::string presented = Sha256(header.substr(kPrefix.size()));
  std::lock_guard lock(mu_);
  if (digest_.empty()) return false;
  return CRYPTO_memcmp(presented.data(), digest_.data(), digest_.size()) == 0;
}

}  // namespace riposte::controller
