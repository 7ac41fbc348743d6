#include "tests/e2e/stub_kubelet.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <utility>  // before asio: boost 1.74 uses std::exchange without including it

#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <openssl/evp.h>
#include <openssl/ssl.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <optional>
#include <stdexcept>

#include "tests/support/certs.h"
#include "tests/support/url_query.h"

namespace riposte::e2e {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace ssl = asio::ssl;

ssl::context& Ctx(void* p) { return *static_cast<ssl::context*>(p); }

asio::io_context& Io() {
  static asio::io_context io;  // sync operations only
  return io;
}

std::vector<std::string> PathParts(const std::string& target) {
  std::string path = target.substr(0, target.find('?'));
  std::vector<std::string> out;
  size_t i = 1;
  while (i <= path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string::npos) j = path.size();
    out.push_back(path.substr(i, j - i));
    i = j + 1;
  }
  return out;
}

std::string StatusJson(int exit_code, const std::string& start_error) {
  if (!start_error.empty()) {
    return R"({"metadata":{},"status":"Failure","message":"Internal error occurred: error executing command in container: )" +
           start_error + R"(","reason":"InternalError","details":{"causes":[{"message":")" + start_error +
           R"("}]},"code":500})";
  }
  if (exit_code == 0) return R"({"metadata":{},"status":"Success"})";
  const std::string code = std::to_string(exit_code);
  return R"({"metadata":{},"status":"Failure","message":"command terminated with non-zero exit code: exit status )" + code +
         R"(","reason":"NonZeroExitCode","details":{"causes":[{"reason":"ExitCode","message":")" + code + R"("}]}})";
}


// ---- The in-memory file tree ------------------------------------------------------------

using Files = std::map<std::string, StubFile>;
struct FileRun {
  int exit_code = 0;
  std::string out, err;
};
std::atomic<int64_t> next_inode{5000};
constexpr const char* kDevice = "64769";

std::vector<std::string> Split(const std::string& path) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i <= path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string::npos) j = path.size();
    if (j > i) out.push_back(path.substr(i, j - i));
    i = j + 1;
  }
  return out;
}

std::string Parent(const std::string& path) {
  const auto i = path.rfind('/');
  return i == 0 || i == std::string::npos ? "/" : path.substr(0, i);
}

const StubFile* Lookup(const Files& files, const std::string& path) {
  static const StubFile root{StubFile::Type::kDirectory, "", "", "755", 2};
  if (path == "/") return &root;
  auto it = files.find(path);
  return it == files.end() ? nullptr : &it->second;
}

// readlink -f (GNU): every symlink resolved; all but the last component must exist.
std::optional<std::string> Resolve(const Files& files, const std::string& path) {
  std::vector<std::string> todo = Split(path);
  std::reverse(todo.begin(), todo.end());
  std::string cur;
  int hops = 0;
  while (!todo.empty()) {
    const std::string comp = todo.back();
    todo.pop_back();
    const std::string next = cur + "/" + comp;
    const StubFile* f = Lookup(files, next);
    if (f == nullptr) {
      if (!todo.empty()) return std::nullopt;
      cur = next;
      break;
    }
    if (f->type == StubFile::Type::kSymlink) {
      if (++hops > 40) return std::nullopt;
      auto parts = Split(f->target);
      for (auto it = parts.rbegin(); it != parts.rend(); ++it) todo.push_back(*it);
      if (!f->target.empty() && f->target[0] == '/') cur.clear();
      continue;
    }
    if (f->type == StubFile::Type::kFile && !todo.empty()) return std::nullopt;
    cur = next;
  }
  return cur.empty() ? "/" : cur;
}

std::string Sha256Hex(const std::string& data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr);
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < len; ++i) {
    out += hex[md[i] >> 4];
    out += hex[md[i] & 15];
  }
  return out;
}

// stat -c FORMAT (lstat: a symlink is described, not followed).
std::string StatLine(const std::string& format, const StubFile& f) {
  std::string out;
  for (size_t i = 0; i < format.size(); ++i) {
    if (format[i] != '%' || i + 1 == format.size()) {
      out += format[i];
      continue;
    }
    switch (format[++i]) {
      case 's':
        out += std::to_string(f.type == StubFile::Type::kFile ? f.content.size()
                              : f.type == StubFile::Type::kSymlink ? f.target.size() : 4096);
        break;
      case 'a': out += f.mode; break;
      case 'u': case 'g': out += "0"; break;
      case 'i': out += std::to_string(f.inode); break;
      case 'd': out += kDevice; break;
      case 'F':
        out += f.type == StubFile::Type::kDirectory ? "directory"
               : f.type == StubFile::Type::kSymlink ? "symbolic link"
               : f.content.empty() ? "regular empty file" : "regular file";
        break;
      default: out += '%'; out += format[i];
    }
  }
  return out + "\n";
}

// "mkdir -p": nullopt, or the error.
std::optional<std::string> MakeDirs(Files& files, const std::string& path) {
  std::string cur;
  for (const auto& comp : Split(path)) {
    cur += "/" + comp;
    const StubFile* f = Lookup(files, cur);
    if (f == nullptr) {
      StubFile d;
      d.type = StubFile::Type::kDirectory;
      d.mode = "755";
      d.inode = next_inode++;
      files[cur] = d;
    } else if (f->type != StubFile::Type::kDirectory) {
      return "mkdir: cannot create directory '" + cur + "': File exists\n";
    }
  }
  return std::nullopt;
}

// Runs a file command; nullopt when argv is not one of the allowlisted shapes.
std::optional<FileRun> RunFileCommand(Files& files, const std::vector<std::string>& argv) {
  FileRun r;
  auto fail = [&](std::string err) {
    r.exit_code = 1;
    r.err = std::move(err);
    return r;
  };
  const size_t n = argv.size();
  if (n == 4 && argv[0] == "readlink" && argv[1] == "-f" && argv[2] == "--") {
    auto p = Resolve(files, argv[3]);
    if (!p) return fail("");
    r.out = *p + "\n";
    return r;
  }
  if (n == 5 && argv[0] == "stat" && argv[1] == "-c" && argv[3] == "--") {
    const StubFile* f = Lookup(files, argv[4]);
    if (f == nullptr) return fail("stat: cannot statx '" + argv[4] + "': No such file or directory\n");
    r.out = StatLine(argv[2], *f);
    return r;
  }
  if (n == 3 && argv[0] == "sha256sum" && argv[1] == "--") {
    auto p = Resolve(files, argv[2]);
    const StubFile* f = p ? Lookup(files, *p) : nullptr;
    if (f == nullptr) return fail("sha256sum: " + argv[2] + ": No such file or directory\n");
    if (f->type != StubFile::Type::kFile) return fail("sha256sum: " + argv[2] + ": Is a directory\n");
    r.out = Sha256Hex(f->content) + "  " + argv[2] + "\n";
    return r;
  }
  if (n == 4 && argv[0] == "mkdir" && argv[1] == "-p" && argv[2] == "--") {
    if (auto err = MakeDirs(files, argv[3])) return fail(*err);
    return r;
  }
  if (n == 4 && argv[0] == "chmod" && argv[2] == "--") {
    const std::string& mode = argv[1];
    if (mode.empty() || mode.size() > 4 || mode.find_first_not_of("01234567") != std::string::npos)
      return fail("chmod: invalid mode: '" + mode + "'\n");
    auto p = Resolve(files, argv[3]);
    if (!p || Lookup(files, *p) == nullptr || *p == "/")
      return fail("chmod: cannot access '" + argv[3] + "': No such file or directory\n");
    char buf[8];
    std::snprintf(buf, sizeof buf, "%o", static_cast<unsigned>(std::stoul(mode, nullptr, 8)));
    files[*p].mode = buf;
    return r;
  }
  if (n == 5 && argv[0] == "mv" && argv[1] == "-n" && argv[2] == "--") {
    const std::string& src = argv[3];
    std::string dest = argv[4];
    const StubFile* from = Lookup(files, src);
    if (from == nullptr) return fail("mv: cannot stat '" + src + "': No such file or directory\n");
    if (from->type == StubFile::Type::kDirectory) return fail("mv: the stub moves no directories\n");
    if (const StubFile* d = Lookup(files, dest); d != nullptr && d->type == StubFile::Type::kDirectory)
      dest += src.substr(src.rfind('/'));
    if (Lookup(files, dest) != nullptr) return r;  // -n: never overwrite, and say nothing
    const StubFile* parent = Lookup(files, Parent(dest));
    if (parent == nullptr || parent->type != StubFile::Type::kDirectory)
      return fail("mv: cannot move '" + src + "' to '" + dest + "': No such file or directory\n");
    StubFile moved = *from;
    files.erase(src);
    files[dest] = std::move(moved);
    return r;
  }
  return std::nullopt;
}

}  // namespace

StubKubelet::StubKubelet() {
  auto pair = riposte::testing::SelfSignedServerCert("stub-kubelet");
  auto* ctx = new ssl::context(ssl::context::tls_server);
  ssl_ctx_ = ctx;
  SSL_CTX_set_min_proto_version(ctx->native_handle(), TLS1_2_VERSION);
  ctx->use_certificate_chain(asio::buffer(pair.cert_pem));
  ctx->use_private_key(asio::buffer(pair.key_pem), ssl::context::pem);
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = 0;
  ::inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(listen_fd_, 64) != 0) {
    throw std::runtime_error(std::string("stub kubelet: bind: ") + std::strerror(errno));
  }
  socklen_t len = sizeof addr;
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  accept_thread_ = std::thread([this] { AcceptLoop(); });
}

StubKubelet::~StubKubelet() {
  stopping_ = true;
  ::shutdown(listen_fd_, SHUT_RDWR);
  if (accept_thread_.joinable()) accept_thread_.join();
  std::vector<std::thread> threads;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (int fd : open_fds_) ::shutdown(fd, SHUT_RDWR);
    threads.swap(threads_);
  }
  for (auto& t : threads) t.join();
  ::close(listen_fd_);
  delete &Ctx(ssl_ctx_);
}

void StubKubelet::AddProcess(const std::string& ns, const std::string& pod, const std::string& container, StubProcess p) {
  std::lock_guard<std::mutex> lock(mu_);
  containers_[ns + "/" + pod + "/" + container].processes.push_back(std::move(p));
}

void StubKubelet::SetLog(const std::string& ns, const std::string& pod, const std::string& container, bool previous,
                         std::string text) {
  std::lock_guard<std::mutex> lock(mu_);
  containers_[ns + "/" + pod + "/" + container].logs[previous] = std::move(text);
}

void StubKubelet::RemoveBinary(const std::string& ns, const std::string& pod, const std::string& container,
                               const std::string& bin) {
  std::lock_guard<std::mutex> lock(mu_);
  containers_[ns + "/" + pod + "/" + container].missing.insert(bin);
}

bool StubKubelet::Alive(const std::string& ns, const std::string& pod, const std::string& container, int pid) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = containers_.find(ns + "/" + pod + "/" + container);
  if (it == containers_.end()) return false;
  for (const auto& p : it->second.processes)
    if (p.pid == pid) return p.alive;
  return false;
}

void StubKubelet::AddFile(const std::string& ns, const std::string& pod, const std::string& container,
                          const std::string& path, StubFile f) {
  std::lock_guard<std::mutex> lock(mu_);
  Files& files = containers_[ns + "/" + pod + "/" + container].files;
  if (auto err = MakeDirs(files, Parent(path))) throw std::runtime_error(*err);
  f.inode = next_inode++;
  files[path] = std::move(f);
}

std::optional<StubFile> StubKubelet::File(const std::string& ns, const std::string& pod, const std::string& container,
                                          const std::string& path) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = containers_.find(ns + "/" + pod + "/" + container);
  if (it == containers_.end()) return std::nullopt;
  auto f = it->second.files.find(path);
  if (f == it->second.files.end()) return std::nullopt;
  return f->second;
}

std::vector<StubKubelet::Command> StubKubelet::Commands() const {
  std::lock_guard<std::mutex> lock(mu_);
  return commands_;
}

std::vector<std::string> StubKubelet::Requests() const {
  std::lock_guard<std::mutex> lock(mu_);
  return requests_;
}

void StubKubelet::AcceptLoop() {
  while (!stopping_) {
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
      if (stopping_) return;
      if (errno == EINTR || errno == ECONNABORTED) continue;
      return;
    }
    std::lock_guard<std::mutex> lock(mu_);
    open_fds_.insert(fd);
    threads_.emplace_back([this, fd] { Serve(fd); });
  }
}

StubKubelet::Run StubKubelet::Execute(const std::string& key, const std::vector<std::string>& argv) {
  Run r;
  std::lock_guard<std::mutex> lock(mu_);
  commands_.push_back({key, argv});
  Container& c = containers_[key];
  if (argv.empty() || c.missing.count(argv[0])) {
    r.found = false;
    return r;
  }
  auto proc = [&](const std::string& text) -> StubProcess* {
    for (auto& p : c.processes)
      if (std::to_string(p.pid) == text && p.alive) return &p;
    return nullptr;
  };
  auto proc_path = [&](const std::string& path, const std::string& leaf) -> std::optional<std::string> {
    const std::string prefix = "/proc/";
    if (path.compare(0, prefix.size(), prefix) != 0) return std::nullopt;
    auto slash = path.find('/', prefix.size());
    if (slash == std::string::npos || path.substr(slash + 1) != leaf) return std::nullopt;
    return path.substr(prefix.size(), slash - prefix.size());
  };
  const std::string& bin = argv[0];
  if (bin == "cat" && argv.size() == 2) {
    for (const char* leaf : {"stat", "cmdline", "status"}) {
      if (auto pid = proc_path(argv[1], leaf)) {
        StubProcess* p = proc(*pid);
        if (p == nullptr) {
          r.exit_code = 1;
          r.err = "cat: " + argv[1] + ": No such file or directory\n";
        } else if (std::string(leaf) == "status") {
          r.out = "Name:\t" + p->comm + "\nState:\tS (sleeping)\nPid:\t" + *pid + "\nSigIgn:\t0000000000001000\nSigCgt:\t" +
                  (p->handles_term ? "0000000000004002" : "0000000000000000") + "\n";
        } else if (std::string(leaf) == "stat") {
          r.out = *pid + " (" + p->comm + ") S 1 1 1 0 -1 4194560 100 0 0 0 1 1 0 0 20 0 1 0 " + p->starttime +
                  " 1000000 100 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0\n";
        } else {
          for (const auto& a : p->argv) r.out += a + std::string(1, '\0');
        }
        return r;
      }
    }
  } else if (bin == "readlink" && argv.size() == 2) {
    if (auto pid = proc_path(argv[1], "exe")) {
      StubProcess* p = proc(*pid);
      if (p == nullptr) {
        r.exit_code = 1;
      } else {
        r.out = p->exe + "\n";
      }
      return r;
    }
  } else if ((bin == "kill" && argv.size() == 3) ||
             (bin == "sh" && argv.size() == 6 && argv[1] == "-c" && argv[2] == "kill -\"$1\" \"$2\"")) {
    const std::string sig = bin == "kill" ? argv[1].substr(1) : argv[4];
    const std::string pid = bin == "kill" ? argv[2] : argv[5];
    if (sig != "TERM" && sig != "KILL") {
      r.exit_code = 1;
      r.err = "kill: invalid signal\n";
      return r;
    }
    StubProcess* p = proc(pid);
    if (p == nullptr) {
      r.exit_code = 1;
      r.err = "kill: (" + pid + ") - No such process\n";
    } else if (p->pid == 1 && !p->handles_term) {
      // PID 1 of a namespace gets only the signals it handles: KILL from inside is dropped.
    } else if (sig == "KILL" || p->handles_term) {
      p->alive = false;
      r.exited_pid = p->pid;
    }
    return r;
  } else if (bin == "ps" && argv == std::vector<std::string>{"ps", "-ef"}) {
    r.out = "UID PID PPID C STIME TTY TIME CMD\n";
    for (const auto& p : c.processes) {
      if (!p.alive) continue;
      std::string cmd;
      for (const auto& a : p.argv) cmd += (cmd.empty() ? "" : " ") + a;
      r.out += "root " + std::to_string(p.pid) + " 1 0 10:00 ? 00:00:00 " + cmd + "\n";
    }
    return r;
  }
  if (auto fr = RunFileCommand(c.files, argv)) {
    r.exit_code = fr->exit_code;
    r.out = std::move(fr->out);
    r.err = std::move(fr->err);
    return r;
  }
  // Not an allowlisted shape: as if the binary did not exist.
  r.found = false;
  return r;
}

void StubKubelet::Serve(int fd) {
  ssl::stream<asio::ip::tcp::socket> stream(Io(), Ctx(ssl_ctx_));
  stream.next_layer().assign(asio::ip::tcp::v4(), fd);
  beast::error_code ec;
  stream.handshake(ssl::stream_base::server, ec);
  beast::flat_buffer buffer;
  while (!ec && !stopping_) {
    http::request_parser<http::string_body> parser;
    http::read(stream, buffer, parser, ec);
    if (ec) break;
    auto req = parser.release();
    const std::string target(req.target());
    {
      std::lock_guard<std::mutex> lock(mu_);
      requests_.push_back(std::string(req.method_string()) + " " + target);
    }
    auto parts = PathParts(target);
    auto reply = [&](http::status status, const std::string& body) {
      http::response<http::string_body> res{status, 11};
      res.set(http::field::content_type, "text/plain; charset=utf-8");
      res.body() = body;
      res.keep_alive(req.keep_alive());
      res.prepare_payload();
      http::write(stream, res, ec);
    };
    if (parts.size() == 4 && parts[0] == "containerLogs") {
      const std::string key = parts[1] + "/" + parts[2] + "/" + parts[3];
      bool previous = false;
      long long tail = -1, limit = -1;
      for (const auto& [k, v] : testing::ParseQuery(target)) {
        if (k == "previous") previous = v == "true";
        if (k == "tailLines") tail = std::stoll(v);
        if (k == "limitBytes") limit = std::stoll(v);
      }
      std::string text;
      bool found = false;
      {
        std::lock_guard<std::mutex> lock(mu_);
        auto it = containers_.find(key);
        if (it != containers_.end() && it->second.logs.count(previous)) {
          text = it->second.logs[previous];
          found = true;
        }
      }
      if (!found && previous) {
        reply(http::status::bad_request, "previous terminated container \"" + parts[3] + "\" in pod \"" + parts[2] + "\" not found");
        continue;
      }
      if (tail >= 0) {
        size_t pos = text.size();
        long long lines = 0;
        if (pos > 0 && text[pos - 1] == '\n') --pos;
        while (pos > 0 && lines < tail) {
          size_t nl = text.rfind('\n', pos - 1);
          ++lines;
          if (nl == std::string::npos) {
            pos = 0;
            break;
          }
          if (lines == tail) {
            pos = nl + 1;
            break;
          }
          pos = nl;
        }
        if (tail == 0) pos = text.size();
        text = text.substr(pos);
      }
      if (limit > 0 && static_cast<size_t>(limit) < text.size()) text.resize(static_cast<size_t>(limit));
      reply(http::status::ok, text);
      continue;
    }
    if (parts.size() == 4 && parts[0] == "exec") {
      if (!websocket::is_upgrade(req)) {
        reply(http::status::bad_request, "Upgrade request required");
        continue;
      }
      const std::string key = parts[1] + "/" + parts[2] + "/" + parts[3];
      std::vector<std::string> argv;
      bool out = false, err = false;
      for (const auto& [k, v] : testing::ParseQuery(target)) {
        if (k == "command") argv.push_back(v);
        if (k == "output") out = v == "1";
        if (k == "error") err = v == "1";
      }
      // What a 1.26 kubelet (its CRI streaming server) accepts: the v4 and v1 families.
      static const std::set<std::string> kAccepted = {"v4.channel.k8s.io", "v4.base64.channel.k8s.io", "channel.k8s.io",
                                                       "base64.channel.k8s.io"};
      std::string chosen;
      std::string offered(req[http::field::sec_websocket_protocol]);
      size_t i = 0;
      while (chosen.empty() && i <= offered.size()) {
        size_t j = offered.find(',', i);
        if (j == std::string::npos) j = offered.size();
        std::string p = offered.substr(i, j - i);
        p.erase(0, p.find_first_not_of(' '));
        p.erase(p.find_last_not_of(' ') + 1);
        if (kAccepted.count(p)) chosen = p;
        i = j + 1;
      }
      if (chosen.empty()) {
        reply(http::status::forbidden, "");
        break;
      }
      websocket::stream<ssl::stream<asio::ip::tcp::socket>&> ws(stream);
      ws.set_option(websocket::stream_base::decorator(
          [&](websocket::response_type& res) { res.set(http::field::sec_websocket_protocol, chosen); }));
      ws.accept(req, ec);
      if (ec) break;
      ws.binary(true);
      auto send = [&](char channel, const std::string& data) {
        std::string msg(1, channel);
        msg += data;
        if (!ec) ws.write(asio::buffer(msg), ec);
      };
      send(out ? 1 : 2, "");
      Run run = Execute(key, argv);
      if (run.exited_pid == 1) {
        // The container's init exited: every process of its namespace dies, this exec too,
        // before any status is written (what a real kubelet shows).
        if (on_exit) on_exit(key, 1);
        ::shutdown(fd, SHUT_RDWR);
        break;
      }
      if (run.exited_pid != 0 && on_exit) on_exit(key, run.exited_pid);
      if (run.found) {
        if (out && !run.out.empty()) send(1, run.out);
        if (err && !run.err.empty()) send(2, run.err);
      }
      send(3, StatusJson(run.exit_code, run.found ? "" : "OCI runtime exec failed: exec failed: unable to start container "
                                                          "process: exec: \\\"" + (argv.empty() ? std::string() : argv[0]) +
                                                          "\\\": executable file not found in $PATH: unknown"));
      if (!ec) ws.close(websocket::close_code::normal, ec);
      break;
    }
    reply(http::status::not_found, "404 page not found");
  }
  ::shutdown(fd, SHUT_RDWR);
  std::lock_guard<std::mutex> lock(mu_);
  open_fds_.erase(fd);
}

}  // namespace riposte::e2e
