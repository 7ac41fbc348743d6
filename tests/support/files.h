#pragma once
// Temporary directories and files for tests.

#include <string>

namespace riposte::testing {

// A fresh directory under the system temp dir ("<prefix>-XXXXXX"); throws when it cannot.
std::string MakeTempDir(const std::string& prefix = "riposte-test");
void RemoveTree(const std::string& dir);  // errors ignored

// A temporary directory removed with its contents when the object goes out of scope.
class TempDir {
 public:
  explicit TempDir(const std::string& prefix = "riposte-test") : path_(MakeTempDir(prefix)) {}
  ~TempDir() { RemoveTree(path_); }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// Throws when the file cannot be written.
void WriteFile(const std::string& path, const std::string& content);
// Writes to a temporary name and renames over `path`, as kubelet/cert-manager swap files.
void ReplaceFile(const std::string& path, const std::string& content);
// The whole file, or "" when it cannot be read.
std::string ReadFile(const std::string& path);
// Writes `content` to `name` under a per-process temp dir and returns the path.
std::string WriteTempFile(const std::string& name, const std::string& content);

}  // namespace riposte::testing
