#pragma once
// Child processes for tests (the riposte binary, the API test double, headless chromium, etcd
// and kube-apiserver, helm and kubectl): started with fork+execve (no shell), stdout and stderr
// captured to files, always reaped. Product code never spawns processes.

#include <sys/types.h>

#include <chrono>
#include <map>
#include <string>
#include <vector>

namespace riposte::testing {

class ChildProcess {
 public:
  struct Options {
    bool append_output = false;  // keep what an earlier process wrote to the output file
    // Signals, Kill() and Stop() then reach what the child started too, and once the child
    // has exited its group is killed (helpers it may have left behind).
    bool own_process_group = false;
    // SIGKILL from the kernel when the thread that started the child dies (PR_SET_PDEATHSIG),
    // so a crashed test binary leaks no servers. Only for children started and stopped by
    // threads that outlive them.
    bool die_with_parent = false;
    std::map<std::string, std::string> env;  // adds or replaces variables of this environment
  };
  // Starts `binary` with `args`; started() tells whether it did, start_error() why not.
  ChildProcess(const std::string& binary, const std::vector<std::string>& args, const std::string& output_file);
  ChildProcess(const std::string& binary, const std::vector<std::string>& args, const std::string& output_file,
               Options opts);
  ~ChildProcess();  // SIGTERM, then SIGKILL after a grace period
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  bool started() const { return pid_ > 0; }
  const std::string& start_error() const { return start_error_; }
  pid_t pid() const { return pid_; }
  std::string Output() const;
  // Waits until the output contains `needle` (true) or the deadline passes / child exits.
  bool WaitForOutput(const std::string& needle, std::chrono::milliseconds deadline);
  // Sends `sig` and waits up to `deadline` for exit; returns the raw wait status or -1.
  int Signal(int sig, std::chrono::milliseconds deadline);
  // Sends `sig` (to the group with own_process_group) without waiting, e.g. SIGSTOP/SIGCONT
  // to freeze and thaw it.
  void Send(int sig);
  // SIGCONT (a frozen process cannot handle SIGTERM) and SIGTERM; SIGKILL after `grace`. True
  // when it exited within the grace.
  bool Stop(std::chrono::milliseconds grace);
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
  std::string start_error_;
};

struct ProcessResult {
  int exit_code = -1;  // -1 = killed at the deadline or by a signal
  std::string out;
  std::string err;
  std::string Describe() const;  // "exit N\nstdout: ...\nstderr: ..." for assertion messages
};

struct RunOptions {
  std::string stdin_text;  // "" = stdin from /dev/null
  std::map<std::string, std::string> env;  // adds or replaces variables of this environment
};

// Runs argv (argv[0] a path) to completion with stdout/stderr captured (files under
// `work_dir`); killed with its process group at the deadline.
ProcessResult RunProcess(const std::vector<std::string>& argv, std::chrono::seconds deadline, const std::string& work_dir,
                         const RunOptions& opts = {});

// A port on 127.0.0.1 that was free a moment ago (bind to 0, read, close).
int FreeLoopbackPort();

}  // namespace riposte::testing
