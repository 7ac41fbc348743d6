#pragma once
// Child processes for tests (the riposte binary, the API test double, headless chromium):
// started with posix_spawn (no shell), stdout and stderr captured to a file, always reaped.
// Product code never spawns processes.

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

namespace riposte::testing {

class ChildProcess {
 public:
  struct Options {
    bool append_output = false;  // keep what an earlier process wrote to the output file
    bool own_process_group = false;  // Kill() then also kills what the child started
  };
  // Starts `binary` with `args`; started() tells whether it did.
  ChildProcess(const std::string& binary, const std::vector<std::string>& args, const std::string& output_file);
  ChildProcess(const std::string& binary, const std::vector<std::string>& args, const std::string& output_file,
               Options opts);
  ~ChildProcess();  // SIGTERM, then SIGKILL after a grace period
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  bool started() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }
  std::string Output() const;
  // Waits until the output contains `needle` (true) or the deadline passes / child exits.
  bool WaitForOutput(const std::string& needle, std::chrono::milliseconds deadline);
  // Sends `sig` and waits up to `deadline` for exit; returns the raw wait status or -1.
  int Signal(int sig, std::chrono::milliseconds deadline);
  // SIGKILL and reap: an abrupt crash.
  void Kill();
  bool Running();
  // Raw wait status once exited, -1 before.
  int status() const { return status_; }

 private:
  pid_t pid_ = -1;
  bool group_ = false;
  int status_ = -1;
  std::string output_file_;
};

struct ProcessResult {
  int exit_code = -1;  // -1 = killed at the deadline or by a signal
  std::string out;
  std::string err;
};

// Runs argv (argv[0] a path) to completion with stdin from /dev/null and stdout/stderr
// captured (files under `work_dir`); killed with its process group at the deadline.
ProcessResult RunProcess(const std::vector<std::string>& argv, std::chrono::seconds deadline, const std::string& work_dir);

}  // namespace riposte::testing
