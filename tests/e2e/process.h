#pragma once
// Child processes for the end-to-end harness, on tests/support's ChildProcess and RunProcess.
// Every child runs in its own process group, so a stop reaches whatever it spawned, and gets
// SIGKILL from the kernel when the thread that started it dies (PR_SET_PDEATHSIG): a crashed or
// killed test binary leaks no etcd or kube-apiserver. Nothing goes through a shell.

#include <sys/types.h>

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "tests/support/eventually.h"
#include "tests/support/files.h"
#include "tests/support/process.h"

namespace riposte::e2e {

// A long-running child (etcd, kube-apiserver, riposte webhook/controller). stdout and stderr go
// to `log_file`. The destructor stops it (SIGTERM to the group, SIGKILL after a grace period).
class ManagedProcess {
 public:
  ManagedProcess() = default;
  ~ManagedProcess();
  ManagedProcess(const ManagedProcess&) = delete;
  ManagedProcess& operator=(const ManagedProcess&) = delete;

  // Throws std::runtime_error when the binary cannot be started. `env` adds or replaces
  // variables of this process's environment.
  void Start(const std::vector<std::string>& argv, const std::string& log_file,
             const std::map<std::string, std::string>& env = {});
  // SIGTERM to the group; after `grace` SIGKILL. Returns true when it exited within the grace.
  bool Stop(std::chrono::milliseconds grace = std::chrono::seconds(10));
  void Kill();             // SIGKILL to the group and reap: a crash
  void Signal(int sig);    // to the group (SIGSTOP/SIGCONT freeze and thaw it)
  bool Running();          // reaps an exited child
  // Exit status as from waitpid (-1 while running or never started).
  int status() const { return child_ ? child_->status() : status_; }
  pid_t pid() const { return child_ ? child_->pid() : -1; }
  const std::string& log_file() const { return log_file_; }
  std::string Log() const;
  // Waits until the log contains `needle`; false on timeout or when the child exited without it.
  bool WaitForLog(const std::string& needle, std::chrono::milliseconds timeout);

 private:
  std::unique_ptr<riposte::testing::ChildProcess> child_;
  int status_ = -1;  // of the last child, once stopped or killed
  std::string log_file_;
};

// exit_code -1: killed at the deadline or by a signal. Describe() for assertion messages.
using CommandResult = riposte::testing::ProcessResult;

// Runs a short-lived command to completion (helm, kubectl, riposte audit) with `stdin_text` on
// its standard input; killed with its group at the deadline.
CommandResult RunCommand(const std::vector<std::string>& argv, const std::string& stdin_text = "",
                         const std::map<std::string, std::string>& env = {},
                         std::chrono::seconds deadline = std::chrono::seconds(120));

// The shared helpers (tests/support), under the names the harness uses.
using riposte::testing::FreeLoopbackPort;
using riposte::testing::MakeTempDir;
using riposte::testing::ReadFile;
// Written atomically (a reader never sees half a kubeconfig), private by default.
inline void WriteFile(const std::string& path, const std::string& content, int mode = 0600) {
  riposte::testing::ReplaceFile(path, content, mode);
}
using riposte::testing::Eventually;

}  // namespace riposte::e2e
