#pragma once
// Bearer-token check for the alert endpoint. The token file is re-read when it changes
// (mtime/size/inode), so a rotated Secret takes effect without a restart, and the compare is
// constant-time over SHA-256 digests (no early exit, no length leak).

#include <string>
#include <string_view>
#include <mutex>
#include <sys/types.h>

namespace riposte::controller {

class TokenFile {
 public:
  explicit TokenFile(std::string path) : path_(std::move(path)) {}
  // Loads the token now; false (with a message) when unreadable or empty.
  bool Load(std::string* error);
  // Checks an "Authorization" header value ("Bearer <token>").
  bool Check(std::string_view authorization_header);

 private:
  void ReloadIfChanged();
  std::string path_;
  std::mutex mu_;
  std::string digest_;  // SHA-256 of the current token; empty = none loaded
  struct timespec mtime_ {};
  off_t size_ = -1;
  ino_t inode_ = 0;
};

// Constant-time equality of two byte strings via their SHA-256 digests.
bool ConstantTimeEquals(std::string_view a, std::string_view b);

}  // namespace riposte::controller
