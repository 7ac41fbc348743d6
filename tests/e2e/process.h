#pragma once
// Child processes for the end-to-end harness. Every child runs in its own process group, so a
// stop reaches whatever it spawned, and gets SIGKILL from the kernel when the thread that
// started it dies (PR_SET_PDEATHSIG): a crashed or killed test binary leaks no etcd or
// kube-apiserver. Nothing goes through a shell.

#include <sys/types.h>
#include <time.h>

#include <chrono>
#include <map>
#include <string>
#include <vector>

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
  int status() const { return status_; }
  pid_t pid() const { return pid_; }
  const std::string& log_file() const { return log_file_; }
  std::string Log() const;
  // Waits until the log contains `needle`; false on timeout or when the child exited without it.
  bool WaitForLog(const std::string& needle, std::chrono::milliseconds timeout);

 private:
  pid_t pid_ = -1;
  int status_ = -1;
  std::string log_file_;
};

struct CommandResult {
  int exit_code = -1;  // -1: killed at the deadline or by a signal
  std::string out, err;
  std::string Describe() const;  // "exit N\nstdout: ...\nstderr: ..." for assertion messages
};

// Runs a short-lived command to completion (helm, kubectl, riposte audit) with `stdin_text` on
// its standard input; killed with its group at the deadline.
CommandResult RunCommand(const std::vector<std::string>& argv, const std::string& stdin_text = "",
                         const std::map<std::string, std::string>& env = {},
                         std::chrono::seconds deadline = std::chrono::seconds(120));

// A port on 127.0.0.1 that was free a moment ago (bind to 0, read, close).
int FreeLoopbackPort();

std::string ReadFile(const std::string& path);
void WriteFile(const std::string& path, const std::string& content, int mode = 0600);
std::string MakeTempDir(const std::string& prefix);

// Polls `pred` every 50 ms until it holds or the timeout passes; returns the last result.
// A polling interval, never a race fix: every wait in the suite has a condition.
template <typename Pred>
bool Eventually(Pred pred, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    struct timespec ts{0, 50 * 1000 * 1000};
    nanosleep(&ts, nullptr);
  }
  return pred();
}

}  // namespace riposte::e2e
