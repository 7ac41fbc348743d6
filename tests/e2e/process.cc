#include "tests/e2e/process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

extern char** environ;

namespace riposte::e2e {
namespace {

// Everything the child needs is prepared before fork: after it only async-signal-safe calls.
struct SpawnPlan {
  std::vector<std::string> argv_storage, env_storage;
  std::vector<char*> argv, envp;
  std::string stdin_path = "/dev/null", out_path, err_path;
};

SpawnPlan MakePlan(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env) {
  SpawnPlan p;
  p.argv_storage = argv;
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
  return p;
}

pid_t Spawn(SpawnPlan& p) {
  if (p.argv_storage.empty()) throw std::runtime_error("empty command line");
  const pid_t parent = getpid();
  pid_t pid = fork();
  if (pid < 0) throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
  if (pid == 0) {
    setpgid(0, 0);
    // Dies with the thread that started it, so a crashed test binary leaks nothing.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    signal(SIGPIPE, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    signal(SIGINT, SIG_DFL);
    int in = open(p.stdin_path.c_str(), O_RDONLY | O_CLOEXEC);
    int out = open(p.out_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    int err = p.err_path == p.out_path ? out : open(p.err_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (in < 0 || out < 0 || err < 0) _exit(126);
    dup2(in, 0);
    dup2(out, 1);
    dup2(err, 2);
    execve(p.argv[0], p.argv.data(), p.envp.data());
    const char msg[] = "exec failed: ";
    (void)!write(2, msg, sizeof msg - 1);
    (void)!write(2, p.argv[0], std::strlen(p.argv[0]));
    (void)!write(2, "\n", 1);
    _exit(127);
  }
  setpgid(pid, pid);  // also from the parent, so a signal right after fork reaches the group
  return pid;
}

bool WaitExit(pid_t pid, int* status, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    pid_t r = waitpid(pid, status, WNOHANG);
    if (r == pid) return true;
    if (r < 0 && errno == ECHILD) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    struct timespec ts{0, 10 * 1000 * 1000};
    nanosleep(&ts, nullptr);
  }
}

}  // namespace

ManagedProcess::~ManagedProcess() {
  if (pid_ > 0) Stop(std::chrono::seconds(5));
}

void ManagedProcess::Start(const std::vector<std::string>& argv, const std::string& log_file,
                           const std::map<std::string, std::string>& env) {
  if (pid_ > 0 && Running()) throw std::runtime_error("process already running: " + argv.at(0));
  auto plan = MakePlan(argv, env);
  plan.out_path = plan.err_path = log_file;
  log_file_ = log_file;
  status_ = -1;
  pid_ = Spawn(plan);
}

bool ManagedProcess::Running() {
  if (pid_ <= 0 || status_ != -1) return false;
  int st = 0;
  pid_t r = waitpid(pid_, &st, WNOHANG);
  if (r == pid_ || (r < 0 && errno == ECHILD)) {
    status_ = st;
    // The leader is gone; take its group with it (helpers it may have left behind).
    kill(-pid_, SIGKILL);
    return false;
  }
  return true;
}

void ManagedProcess::Signal(int sig) {
  if (pid_ > 0 && Running()) kill(-pid_, sig);
}

bool ManagedProcess::Stop(std::chrono::milliseconds grace) {
  if (pid_ <= 0) return true;
  bool clean = true;
  if (Running()) {
    kill(-pid_, SIGCONT);  // a frozen process cannot handle SIGTERM
    kill(-pid_, SIGTERM);
    int st = 0;
    if (WaitExit(pid_, &st, grace)) {
      status_ = st;
    } else {
      clean = false;
      kill(-pid_, SIGKILL);
      WaitExit(pid_, &st, std::chrono::seconds(30));
      status_ = st;
    }
  }
  kill(-pid_, SIGKILL);  // anything left in the group
  pid_ = -1;
  return clean;
}

void ManagedProcess::Kill() {
  if (pid_ <= 0) return;
  kill(-pid_, SIGKILL);
  if (status_ == -1) {
    int st = 0;
    WaitExit(pid_, &st, std::chrono::seconds(30));
    status_ = st;
  }
  pid_ = -1;
}

std::string ManagedProcess::Log() const { return ReadFile(log_file_); }

bool ManagedProcess::WaitForLog(const std::string& needle, std::chrono::milliseconds timeout) {
  return Eventually([&] { return Log().find(needle) != std::string::npos || !Running(); }, timeout) &&
         Log().find(needle) != std::string::npos;
}

std::string CommandResult::Describe() const {
  return "exit " + std::to_string(exit_code) + "\nstdout:\n" + out + "\nstderr:\n" + err;
}

CommandResult RunCommand(const std::vector<std::string>& argv, const std::string& stdin_text,
                         const std::map<std::string, std::string>& env, std::chrono::seconds deadline) {
  std::string dir = MakeTempDir("riposte-cmd");
  auto plan = MakePlan(argv, env);
  plan.out_path = dir + "/out";
  plan.err_path = dir + "/err";
  if (!stdin_text.empty()) {
    plan.stdin_path = dir + "/in";
    WriteFile(plan.stdin_path, stdin_text);
  }
  CommandResult r;
  pid_t pid = Spawn(plan);
  int st = 0;
  if (!WaitExit(pid, &st, deadline)) {
    kill(-pid, SIGKILL);
    WaitExit(pid, &st, std::chrono::seconds(30));
    r.exit_code = -1;
  } else {
    r.exit_code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  }
  kill(-pid, SIGKILL);
  r.out = ReadFile(plan.out_path);
  r.err = ReadFile(plan.err_path);
  if (r.exit_code == -1) r.err += "\n(killed at the deadline or by a signal)";
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  return r;
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
  int port = ntohs(addr.sin_port);
  close(fd);
  return port;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void WriteFile(const std::string& path, const std::string& content, int mode) {
  std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << content;
    if (!out) throw std::runtime_error("cannot write " + path);
  }
  chmod(tmp.c_str(), static_cast<mode_t>(mode));
  if (std::rename(tmp.c_str(), path.c_str()) != 0) throw std::runtime_error("cannot write " + path);
}

std::string MakeTempDir(const std::string& prefix) {
  std::string tmpl = (std::filesystem::temp_directory_path() / (prefix + "-XXXXXX")).string();
  if (mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed for " + tmpl);
  return tmpl;
}

}  // namespace riposte::e2e
