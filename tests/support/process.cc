#include "tests/support/process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "tests/support/eventually.h"
#include "tests/support/files.h"

extern char** environ;

namespace riposte::testing {
namespace {

// Everything the child needs is prepared before fork: after it only async-signal-safe calls
// (the test binaries are multi-threaded).
struct SpawnPlan {
  std::vector<std::string> argv_storage, env_storage;
  std::vector<char*> argv, envp;
  std::string stdin_path = "/dev/null", out_path, err_path;  // err_path == out_path: one file
  bool truncate = true;
  bool own_group = false;
  bool die_with_parent = false;
};

void SetCommand(SpawnPlan& p, std::vector<std::string> argv, const std::map<std::string, std::string>& env) {
  p.argv_storage = std::move(argv);
  for (char** e = environ; *e != nullptr; ++e) {
    std::string kv = *e;
    auto eq = kv.find('=');
    if (eq != std::string::npos && env.count(kv.substr(0, eq))) continue;
    p.env_storage.push_back(std::move(kv));
  }
  for (const auto& [k, v] : env) p.env_storage.push_back(k + "=" + v);
  for (auto& a : p.argv_storage) p.argv.push_back(a.data());
  p.argv.push_back(nullptr);
  for (auto& e : p.env_storage) p.envp.push_back(e.data());
  p.envp.push_back(nullptr);
}

// Returns the child's pid, or -1 with `error` set when it could not be started (the child
// reports a failed open or execve through a close-on-exec pipe).
pid_t Spawn(SpawnPlan& p, std::string* error) {
  if (p.argv_storage.empty()) {
    *error = "empty command line";
    return -1;
  }
  int report[2];
  if (pipe2(report, O_CLOEXEC) != 0) {
    *error = std::string("pipe: ") + std::strerror(errno);
    return -1;
  }
  const int flags = O_WRONLY | O_CREAT | O_CLOEXEC | (p.truncate ? O_TRUNC : O_APPEND);
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid < 0) {
    *error = std::string("fork: ") + std::strerror(errno);
    close(report[0]);
    close(report[1]);
    return -1;
  }
  if (pid == 0) {
    close(report[0]);
    if (p.own_group) setpgid(0, 0);
    if (p.die_with_parent) {
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (getppid() != parent) _exit(127);
    }
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    signal(SIGPIPE, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    signal(SIGINT, SIG_DFL);
    int in = open(p.stdin_path.c_str(), O_RDONLY | O_CLOEXEC);
    int out = open(p.out_path.c_str(), flags, 0644);
    int err = p.err_path == p.out_path ? out : open(p.err_path.c_str(), flags, 0644);
    if (in >= 0 && out >= 0 && err >= 0 && dup2(in, 0) >= 0 && dup2(out, 1) >= 0 && dup2(err, 2) >= 0) {
      execve(p.argv[0], p.argv.data(), p.envp.data());
    }
    const int e = errno;
    (void)!write(report[1], &e, sizeof e);
    _exit(127);
  }
  if (p.own_group) setpgid(pid, pid);  // also from the parent, so a signal right after fork reaches the group
  close(report[1]);
  int child_errno = 0;
  ssize_t n;
  do {
    n = read(report[0], &child_errno, sizeof child_errno);
  } while (n < 0 && errno == EINTR);
  close(report[0]);
  if (n == static_cast<ssize_t>(sizeof child_errno)) {
    int st = 0;
    waitpid(pid, &st, 0);
    *error = "cannot start " + p.argv_storage[0] + ": " + std::strerror(child_errno);
    return -1;
  }
  return pid;
}

}  // namespace

ChildProcess::ChildProcess(const std::string& binary, const std::vector<std::string>& args,
                           const std::string& output_file)
    : ChildProcess(binary, args, output_file, Options{}) {}

ChildProcess::ChildProcess(const std::string& binary, const std::vector<std::string>& args,
                           const std::string& output_file, Options opts)
    : group_(opts.own_process_group), output_file_(output_file) {
  std::vector<std::string> argv;
  argv.push_back(binary);
  argv.insert(argv.end(), args.begin(), args.end());
  SpawnPlan plan;
  SetCommand(plan, std::move(argv), opts.env);
  plan.out_path = plan.err_path = output_file;
  plan.truncate = !opts.append_output;
  plan.own_group = opts.own_process_group;
  plan.die_with_parent = opts.die_with_parent;
  pid_ = Spawn(plan, &start_error_);
}

ChildProcess::~ChildProcess() {
  if (pid_ <= 0) return;
  Stop(std::chrono::seconds(10));
}

std::string ChildProcess::Output() const { return ReadFile(output_file_); }

bool ChildProcess::Running() {
  if (pid_ <= 0 || status_ != -1) return false;
  int st = 0;
  const pid_t r = waitpid(pid_, &st, WNOHANG);
  if (r == pid_ || (r < 0 && errno == ECHILD)) {
    status_ = st;
    if (group_) ::kill(-pid_, SIGKILL);
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

void ChildProcess::Send(int sig) {
  if (Running()) ::kill(group_ ? -pid_ : pid_, sig);
}

bool ChildProcess::Stop(std::chrono::milliseconds grace) {
  if (!Running()) return true;
  Send(SIGCONT);
  Send(SIGTERM);
  if (Eventually([&] { return !Running(); }, grace, std::chrono::milliseconds(10))) return true;
  Kill();
  return false;
}

void ChildProcess::Kill() {
  if (!Running()) return;
  ::kill(group_ ? -pid_ : pid_, SIGKILL);
  int st = 0;
  waitpid(pid_, &st, 0);
  status_ = st;
}

std::string ProcessResult::Describe() const {
  return "exit " + std::to_string(exit_code) + "\nstdout:\n" + out + "\nstderr:\n" + err;
}

ProcessResult RunProcess(const std::vector<std::string>& argv, std::chrono::seconds deadline, const std::string& work_dir,
                         const RunOptions& opts) {
  ProcessResult result;
  SpawnPlan plan;
  SetCommand(plan, argv, opts.env);
  plan.out_path = work_dir + "/child.stdout";
  plan.err_path = work_dir + "/child.stderr";
  if (!opts.stdin_text.empty()) {
    plan.stdin_path = work_dir + "/child.stdin";
    ReplaceFile(plan.stdin_path, opts.stdin_text, 0600);
  }
  plan.own_group = true;  // the deadline kills helpers too
  std::string error;
  const pid_t pid = Spawn(plan, &error);
  if (pid < 0) {
    result.err = error;
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
  ::kill(-pid, SIGKILL);  // anything left in the group
  result.out = ReadFile(plan.out_path);
  result.err += ReadFile(plan.err_path);
  return result;
}

int FreeLoopbackPort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw std::runtime_error("socket failed");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = 0;
  inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
  socklen_t len = sizeof addr;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    close(fd);
    throw std::runtime_error("cannot bind a loopback port");
  }
  const int port = ntohs(addr.sin_port);
  close(fd);
  return port;
}

}  // namespace riposte::testing
