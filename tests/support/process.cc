#include "tests/support/process.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/support/eventually.h"
#include "tests/support/files.h"

extern char** environ;

namespace riposte::testing {

ChildProcess::ChildProcess(const std::string& binary, const std::vector<std::string>& args,
                           const std::string& output_file)
    : ChildProcess(binary, args, output_file, Options{}) {}

ChildProcess::ChildProcess(const std::string& binary, const std::vector<std::string>& args,
                           const std::string& output_file, Options opts)
    : group_(opts.own_process_group), output_file_(output_file) {
  std::vector<std::string> storage;
  storage.push_back(binary);
  storage.insert(storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : storage) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, output_file.c_str(),
                                   O_WRONLY | O_CREAT | (opts.append_output ? O_APPEND : O_TRUNC), 0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  if (group_) {
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
    posix_spawnattr_setpgroup(&attr, 0);
  }
  pid_t pid = -1;
  if (posix_spawn(&pid, binary.c_str(), &actions, &attr, argv.data(), environ) == 0) pid_ = pid;
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
}

ChildProcess::~ChildProcess() {
  if (pid_ <= 0) return;
  if (Signal(SIGTERM, std::chrono::seconds(10)) == -1 && Running()) Kill();
}

std::string ChildProcess::Output() const { return ReadFile(output_file_); }

bool ChildProcess::Running() {
  if (pid_ <= 0 || status_ != -1) return false;
  int st = 0;
  if (waitpid(pid_, &st, WNOHANG) == pid_) {
    status_ = st;
    return false;
  }
  return true;
}

bool ChildProcess::WaitForOutput(const std::string& needle, std::chrono::milliseconds deadline) {
  Eventually([&] { return Output().find(needle) != std::string::npos || !Running(); }, deadline,
             std::chrono::milliseconds(20));
  return Output().find(needle) != std::string::npos;
}

int ChildProcess::Signal(int sig, std::chrono::milliseconds deadline) {
  if (!Running()) return status_;
  ::kill(pid_, sig);
  if (!Eventually([&] { return !Running(); }, deadline, std::chrono::milliseconds(10))) return -1;
  return status_;
}

void ChildProcess::Kill() {
  if (!Running()) return;
  ::kill(group_ ? -pid_ : pid_, SIGKILL);
  int st = 0;
  waitpid(pid_, &st, 0);
  status_ = st;
}

ProcessResult RunProcess(const std::vector<std::string>& argv, std::chrono::seconds deadline, const std::string& work_dir) {
  ProcessResult result;
  const std::string out_path = work_dir + "/child.stdout", err_path = work_dir + "/child.stderr";
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_addopen(&actions, 2, err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);  // own group: the deadline kills helpers too
  posix_spawnattr_setpgroup(&attr, 0);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = -1;
  int rc = posix_spawn(&pid, args[0], &actions, &attr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) {
    result.err = "posix_spawn " + argv[0] + " failed: " + std::to_string(rc);
    return result;
  }
  int status = 0;
  const bool exited =
      Eventually([&] { return ::waitpid(pid, &status, WNOHANG) == pid; }, deadline, std::chrono::milliseconds(20));
  if (!exited) {
    ::kill(-pid, SIGKILL);
    ::waitpid(pid, &status, 0);
    result.err = "deadline exceeded\n";
  } else if (WIFEXITED(status)) {
    result.exit_code = WEXITSTATUS(status);
  }
  result.out = ReadFile(out_path);
  result.err += ReadFile(err_path);
  return result;
}

}  // namespace riposte::testing
