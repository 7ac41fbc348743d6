#pragma once
// A stand-in for one node's kubelet, for exec and log features tested through a real
// kube-apiserver: a Node whose InternalIP is 127.0.0.1 and whose kubeletEndpoint port is
// port() gets the API server's proxied pods/exec and pods/log requests here
// (GET /exec/NS/POD/CONTAINER?command=...&output=1&error=1 with Upgrade: websocket, and
// GET /containerLogs/NS/POD/CONTAINER?tailLines=...&limitBytes=...&previous=true).
//
// It answers like a v1.26 kubelet: WebSocket subprotocols v4/v1 only (bare 403 when none is
// offered), an empty first message, output, one metav1.Status on channel 3, then a close;
// logs as plain text, a 400 for a missing previous instance. It runs no program: commands
// are matched against an allowlist of argv shapes and played against a process table and
// logs the test owns (cat /proc/N/{stat,cmdline}, readlink /proc/N/exe, kill -SIG N, ps -ef),
// and against a small in-memory file tree (readlink -f, stat -c FORMAT, sha256sum, mkdir -p,
// chmod MODE, mv -n; each with "--"). Anything else fails the way a missing binary does. It
// never signals a real process nor touches a real file.

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace riposte::e2e {

struct StubProcess {
  int pid = 0;
  std::string comm;      // as in /proc/N/stat (15 chars)
  std::string exe;       // readlink /proc/N/exe
  std::vector<std::string> argv;
  std::string starttime = "1000";
  bool handles_term = true;  // false: TERM is ignored, only KILL ends it
  bool alive = true;
};

struct StubFile {
  enum class Type { kFile, kDirectory, kSymlink };
  Type type = Type::kFile;
  std::string content;  // kFile
  std::string target;   // kSymlink
  std::string mode = "644";  // octal, as stat %a prints it ("0" for 000)
  int64_t inode = 0;    // set by the stub
};

class StubKubelet {
 public:
  StubKubelet();  // listening on 127.0.0.1, a random port, TLS with a throw-away certificate
  ~StubKubelet();
  StubKubelet(const StubKubelet&) = delete;
  StubKubelet& operator=(const StubKubelet&) = delete;

  int port() const { return port_; }
  // The container's process table and logs ("ns/pod/container").
  void AddProcess(const std::string& ns, const std::string& pod, const std::string& container, StubProcess p);
  void SetLog(const std::string& ns, const std::string& pod, const std::string& container, bool previous,
              std::string text);
  // Binaries the container's image lacks (e.g. "kill" for a Debian base image).
  void RemoveBinary(const std::string& ns, const std::string& pod, const std::string& container, const std::string& bin);
  bool Alive(const std::string& ns, const std::string& pod, const std::string& container, int pid) const;
  // The container's files: parent directories are made as needed (mode 755).
  void AddFile(const std::string& ns, const std::string& pod, const std::string& container, const std::string& path,
               StubFile f);
  std::optional<StubFile> File(const std::string& ns, const std::string& pod, const std::string& container,
                               const std::string& path) const;
  // Every command run, in order ("ns/pod/container" and argv), and every request line.
  struct Command {
    std::string container_key;
    std::vector<std::string> argv;
  };
  std::vector<Command> Commands() const;
  std::vector<std::string> Requests() const;
  // Called (without locks held) after a signal ended a process: the test plays the rest of
  // the kubelet, e.g. the restart of a container whose PID 1 exited.
  std::function<void(const std::string& container_key, int pid)> on_exit;

 private:
  struct Container {
    std::vector<StubProcess> processes;
    std::map<bool, std::string> logs;  // previous -> text
    std::set<std::string> missing;
    std::map<std::string, StubFile> files;  // absolute path -> file; "/" is implied
  };
  void AcceptLoop();
  void Serve(int fd);
  // Runs one allowlisted command: exit code, stdout, stderr; nullopt exit = binary missing.
  struct Run {
    bool found = true;
    int exit_code = 0;
    std::string out, err;
    int exited_pid = 0;  // a signal ended this process
  };
  Run Execute(const std::string& key, const std::vector<std::string>& argv);

  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  void* ssl_ctx_ = nullptr;
  std::thread accept_thread_;
  mutable std::mutex mu_;
  std::map<std::string, Container> containers_;
  std::vector<Command> commands_;
  std::vector<std::string> requests_;
  std::vector<std::thread> threads_;
  std::set<int> open_fds_;
};

}  // namespace riposte::e2e
