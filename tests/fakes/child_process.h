#pragma once
// A child process for integration tests: started with posix_spawn (no shell), stdout and
// stderr captured to a file, always terminated when the object goes out of scope.

#include <chrono>
#include <string>
#include <sys/types.h>
#include <vector>

namespace riposte::testing {

class ChildProcess {
 public:
  ChildProcess(const std::string& binary, const std::vector<std::string>& args, const std::string& output_file);
  ~ChildProcess();  // SIGTERM, then SIGKILL after a grace period
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  bool started() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }
  std::string Output() const;
  // Waits until the output contains `needle` (true) or the deadline passes / child exits.
  bool WaitForOutput(const std::string& needle, std::chrono::milliseconds deadline);
  // Sends `sig` and waits up to `deadline` for exit; returns the exit status or -1.
  int Signal(int sig, std::chrono::milliseconds deadline);
  bool Running();

 private:
  pid_t pid_ = -1;
  int status_ = -1;
  std::string output_file_;
};

}  // namespace riposte::testing
