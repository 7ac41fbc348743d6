#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <openssl/ssl.h>

#include <cerrno>
#include <cstring>
#include <random>

#include "tests/apiserver/api_server_internal.h"
#include "tests/apiserver/api_status.h"
#include "tests/apiserver/selectors.h"
#include "tests/support/url_query.h"
#include "tests/support/certs.h"

namespace riposte::testapi {

namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace ssl = boost::asio::ssl;
using web::json::value;

namespace {

boost::asio::io_context& SharedIo() {
  // Sync operations only need an io_context to exist; it is never run.
  static boost::asio::io_context io;
  return io;
}

constexpr size_t kMaxConnections = 4096;

ssl::context& Ctx(void* p) { return *static_cast<ssl::context*>(p); }

bool GlobMatch(const char* pat, const char* str) {
  if (*pat == '\0') return *str == '\0';
  if (*pat == '*') return GlobMatch(pat + 1, str) || (*str && GlobMatch(pat, str + 1));
  return *str && *pat == *str && GlobMatch(pat + 1, str + 1);
}

std::vector<std::string> Split(const std::string& path) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string::npos) j = path.size();
    if (j > i) out.push_back(path.substr(i, j - i));
    i = j + 1;
  }
  return out;
}

HttpResponse JsonResponse(int code, const value& body) {
  HttpResponse r;
  r.status = code;
  r.body = body.serialize();
  return r;
}

HttpResponse ErrorResponse(const ApiError& e) {
  HttpResponse r = JsonResponse(e.code(), e.ToStatus());
  if (e.retry_after_seconds > 0)
    r.headers.emplace_back("Retry-After", std::to_string(e.retry_after_seconds));
  return r;
}

ApiError PathNotFound() {
  ApiError e(404, "NotFound", "the server could not find the requested resource");
  e.has_details = true;
  return e;
}

bool RuleMatches(const std::vector<std::string>& allowed, const std::string& v) {
  for (const auto& a : allowed)
    if (a == "*" || a == v) return true;
  return false;
}

std::vector<std::string> StrList(const value& v, const char* field) {
  std::vector<std::string> out;
  if (v.has_field(field) && v.at(field).is_array())
    for (const auto& e : v.at(field).as_array())
      if (e.is_string()) out.push_back(e.as_string());
  return out;
}

int IntField(const value& v, const char* field, int def) {
  return v.has_field(field) && v.at(field).is_number() ? v.at(field).as_integer() : def;
}

}  // namespace

void Connection::Abort() { ::shutdown(fd_, SHUT_RDWR); }

ApiServer::ApiServer(ApiServerOptions options)
    : options_(std::move(options)),
      store_(options_.history_size),
      bookmark_interval_ms_(options_.bookmark_interval_ms) {
  if (options_.cert_pem.empty()) {
    auto pair = riposte::testing::SelfSignedServerCert("riposte-test-apiserver");
    options_.cert_pem = pair.cert_pem;
    options_.key_pem = pair.key_pem;
  }
  auto* ctx = new ssl::context(ssl::context::tls_server);
  ssl_ctx_ = ctx;
  SSL_CTX_set_min_proto_version(ctx->native_handle(), TLS1_2_VERSION);
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                   ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
  ctx->use_certificate_chain(boost::asio::buffer(options_.cert_pem));
  ctx->use_private_key(boost::asio::buffer(options_.key_pem), ssl::context::pem);
  for (const auto& t : options_.tokens) users_[t] = AuthUser{"admin", false, {}};
  if (!options_.admin_token.empty()) users_[options_.admin_token] = AuthUser{"test-admin", false, {}};
  ClearExec();
  std::lock_guard<std::mutex> lock(store_.mu());
  SeedDefaultsLocked();
}

ApiServer::~ApiServer() {
  Stop();
  delete &Ctx(ssl_ctx_);
}

void ApiServer::AddUsers(const value& config) {
  if (!config.has_field("users") || !config.at("users").is_array())
    throw BadRequest("auth config needs a \"users\" array");
  std::lock_guard<std::mutex> lock(auth_mu_);
  for (const auto& u : config.at("users").as_array()) {
    if (!u.has_field("token") || !u.at("token").is_string() || !u.has_field("name") ||
        !u.at("name").is_string())
      throw BadRequest("each user needs string \"token\" and \"name\"");
    AuthUser user;
    user.name = u.at("name").as_string();
    if (u.has_field("rules")) {
      user.restricted = true;
      for (const auto& r : u.at("rules").as_array()) {
        AuthRule rule;
        rule.verbs = StrList(r, "verbs");
        rule.api_groups = StrList(r, "apiGroups");
        rule.resources = StrList(r, "resources");
        rule.namespaces = StrList(r, "namespaces");
        user.rules.push_back(std::move(rule));
      }
    }
    users_[u.at("token").as_string()] = std::move(user);
  }
}

static int OpenListener(const std::string& address, int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (::inet_pton(AF_INET, address.c_str(), &addr.sin_addr) != 1) {
    ::close(fd);
    throw std::runtime_error("bad bind address " + address);
  }
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd, 512) != 0) {
    std::string err = std::strerror(errno);
    ::close(fd);
    throw std::runtime_error("bind " + address + ":" + std::to_string(port) + ": " + err);
  }
  return fd;
}

void ApiServer::Start() {
  listen_fd_ = OpenListener(options_.bind_address, options_.port);
  sockaddr_in addr{};
  socklen_t len = sizeof addr;
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  accept_thread_ = std::thread([this] { AcceptLoop(); });
  controller_thread_ = std::thread([this] { ControllerLoop(); });
}

void ApiServer::Stop() {
  if (stopping_.exchange(true)) return;
  if (listen_fd_ >= 0) ::shutdown(listen_fd_, SHUT_RDWR);
  {
    std::lock_guard<std::mutex> lock(controller_mu_);
    controller_kick_ = true;
  }
  controller_cv_.notify_all();
  if (accept_thread_.joinable()) accept_thread_.join();
  if (controller_thread_.joinable()) controller_thread_.join();
  DropConnections(false);
  std::map<Connection*, std::thread> threads;
  {
    std::lock_guard<std::mutex> lock(conns_mu_);
    threads.swap(threads_);
  }
  for (auto& [c, t] : threads)
    if (t.joinable()) t.join();
  ReapFinished();
  if (listen_fd_ >= 0) ::close(listen_fd_);
  listen_fd_ = -1;
}

void ApiServer::DropConnections(bool watches_only) {
  if (watches_only) drop_epoch_++;
  {
    std::lock_guard<std::mutex> lock(store_.mu());
    store_.changed().notify_all();
  }
  std::lock_guard<std::mutex> lock(conns_mu_);
  for (auto& c : conns_)
    if (!watches_only || c->is_watch) c->Abort();
}

void ApiServer::ReapFinished() {
  std::vector<std::thread> finished;
  {
    std::lock_guard<std::mutex> lock(conns_mu_);
    finished.swap(finished_threads_);
  }
  for (auto& t : finished)
    if (t.joinable()) t.join();
}

void ApiServer::AcceptLoop() {
  while (!stopping_) {
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    ReapFinished();
    if (fd < 0) {
      if (stopping_) break;
      int down = restart_down_ms_.exchange(-1);
      if (down >= 0) {
        // Restart fault: the listener is gone for a while (clients get connection refused).
        ::close(listen_fd_);
        auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(down);
        while (!stopping_ && std::chrono::steady_clock::now() < until)
          std::this_thread::sleep_for(std::chrono::milliseconds(5));
        if (stopping_) {
          listen_fd_ = -1;
          break;
        }
        for (int attempt = 0;; ++attempt) {
          try {
            listen_fd_ = OpenListener(options_.bind_address, port_);
            break;
          } catch (const std::exception&) {
            if (attempt > 200 || stopping_) throw;
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
          }
        }
        continue;
      }
      if (errno == EINTR || errno == ECONNABORTED || errno == EMFILE || errno == ENFILE) {
        if (errno == EMFILE || errno == ENFILE) std::this_thread::sleep_for(std::chrono::milliseconds(10));
        continue;
      }
      break;
    }
    timeval tv{300, 0};  // an idle or stalled client gives its thread back eventually
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    int one = 1;  // headers and body go out in separate writes; Nagle would hold the second
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    std::lock_guard<std::mutex> lock(conns_mu_);
    if (conns_.size() >= kMaxConnections) {
      ::close(fd);  // hard cap: a thread per connection must not grow without bound
      continue;
    }
    auto conn = std::make_shared<Connection>(SharedIo(), Ctx(ssl_ctx_), fd);
    conns_.push_back(conn);
    threads_[conn.get()] = std::thread([this, conn] { ServeConnection(conn); });
  }
}

void ApiServer::ServeConnection(std::shared_ptr<Connection> conn) {
  beast::error_code ec;
  conn->stream().handshake(ssl::stream_base::server, ec);
  beast::flat_buffer buffer;
  while (!ec && !stopping_) {
    http::request_parser<http::string_body> parser;
    parser.body_limit(options_.max_body_bytes);
    parser.header_limit(1024 * 1024);
    http::read(conn->stream(), buffer, parser, ec);
    if (ec == http::error::body_limit) {
      ApiError e = RequestEntityTooLarge("limit is " + std::to_string(options_.max_body_bytes));
      HttpResponse r = ErrorResponse(e);
      http::response<http::string_body> res{static_cast<http::status>(r.status), 11};
      res.set(http::field::content_type, r.content_type);
      res.body() = r.body;
      res.keep_alive(false);
      res.prepare_payload();
      http::write(conn->stream(), res, ec);
      // Drain what the client is still sending so it can read the answer instead of a reset.
      char sink[16384];
      size_t drained = 0;
      while (!ec && drained < 4 * options_.max_body_bytes)
        drained += conn->stream().read_some(boost::asio::buffer(sink), ec);
      break;
    }
    if (ec) break;
    auto& msg = parser.get();
    HttpRequest req;
    req.method = std::string(msg.method_string());
    std::string target(msg.target());
    auto q = target.find('?');
    req.path = target.substr(0, q);
    for (auto& [k, v] : testing::ParseQuery(target)) {
      req.query[k] = v;
      req.query_list.emplace_back(std::move(k), std::move(v));
    }
    for (const auto& f : msg) {
      std::string name(f.name_string());
      for (auto& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      req.headers[name] = std::string(f.value());
    }
    req.body = std::move(msg.body());
    bool keep_alive = msg.keep_alive();
    std::function<void()> after;
    HttpResponse r = Dispatch(req, *conn, &after);
    if (r.status < 0) break;  // a watch stream already wrote (and ended) the response
    http::response<http::string_body> res{static_cast<http::status>(r.status), 11};
    res.set(http::field::content_type, r.content_type);
    res.set("Audit-Id", NewUid());
    for (const auto& [k, v] : r.headers) res.set(k, v);
    res.body() = std::move(r.body);
    res.keep_alive(keep_alive);
    res.prepare_payload();
    http::write(conn->stream(), res, ec);
    if (after) after();
    if (!keep_alive) break;
  }
  if (!ec) conn->stream().shutdown(ec);
  ::shutdown(conn->fd(), SHUT_RDWR);
  std::lock_guard<std::mutex> lock(conns_mu_);
  conns_.erase(std::remove(conns_.begin(), conns_.end(), conn), conns_.end());
  auto it = threads_.find(conn.get());
  if (it != threads_.end()) {
    finished_threads_.push_back(std::move(it->second));
    threads_.erase(it);
  }
}

std::optional<AuthUser> ApiServer::Authenticate(const HttpRequest& req) const {
  auto it = req.headers.find("authorization");
  if (it == req.headers.end()) return std::nullopt;
  static const std::string kBearer = "Bearer ";
  if (it->second.compare(0, kBearer.size(), kBearer) != 0) return std::nullopt;
  std::string token = it->second.substr(kBearer.size());
  std::lock_guard<std::mutex> lock(auth_mu_);
  auto u = users_.find(token);
  if (u == users_.end()) return std::nullopt;
  return u->second;  // a copy: /_test/users may replace the entry meanwhile
}

void ApiServer::Authorize(const AuthUser& user, const RequestInfo& ri) const {
  if (!user.restricted) return;
  std::string resource = ri.subresource.empty() ? ri.resource : ri.resource + "/" + ri.subresource;
  for (const auto& rule : user.rules) {
    if (!RuleMatches(rule.verbs, ri.verb) || !RuleMatches(rule.api_groups, ri.group) ||
        !RuleMatches(rule.resources, resource))
      continue;
    if (!rule.namespaces.empty() && !RuleMatches(rule.namespaces, ri.ns)) continue;
    return;
  }
  std::string scope = ri.ns.empty() ? "at the cluster scope" : "in the namespace \"" + ri.ns + "\"";
  std::string why = "User \"" + user.name + "\" cannot " + ri.verb + " resource \"" + resource +
                    "\" in API group \"" + ri.group + "\" " + scope;
  throw Forbidden(ri.resource, ri.group, ri.name, why);
}

ApiServer::RequestInfo ApiServer::ParseRequest(const HttpRequest& req) const {
  RequestInfo ri;
  auto segs = Split(req.path);
  size_t i;
  if (segs.size() >= 2 && segs[0] == "api") {
    ri.version = segs[1];
    i = 2;
  } else if (segs.size() >= 3 && segs[0] == "apis") {
    ri.group = segs[1];
    ri.version = segs[2];
    i = 3;
  } else {
    throw PathNotFound();
  }
  std::vector<std::string> rest(segs.begin() + static_cast<long>(i), segs.end());
  if (rest.empty()) throw PathNotFound();
  if (rest.size() >= 3 && rest[0] == "namespaces") {
    auto info = registry_.Find(ri.group, ri.version, rest[2]);
    if (info && info->namespaced) {
      ri.ns = rest[1];
      rest.erase(rest.begin(), rest.begin() + 2);
    }
  }
  ri.resource = rest[0];
  if (rest.size() > 1) ri.name = rest[1];
  if (rest.size() > 2) ri.subresource = rest[2];
  if (rest.size() > 3) throw PathNotFound();
  ri.info = registry_.Find(ri.group, ri.version, ri.resource);
  if (!ri.info) throw PathNotFound();
  if (!ri.ns.empty() && !ri.info->namespaced) throw PathNotFound();
  if (!ri.subresource.empty()) {
    const bool pod = ri.info->resource == "pods" && ri.group.empty();
    bool ok = (ri.subresource == "status" && ri.info->has_status) ||
              (pod && (ri.subresource == "eviction" || ri.subresource == "exec" || ri.subresource == "log"));
    if (!ok) throw PathNotFound();
  }
  const auto& m = req.method;
  auto watch = req.query.find("watch");
  bool is_watch = watch != req.query.end() && (watch->second == "true" || watch->second == "1");
  if (ri.name.empty()) {
    if (m == "GET") ri.verb = is_watch ? "watch" : "list";
    else if (m == "POST") ri.verb = "create";
    else if (m == "DELETE") ri.verb = "deletecollection";
    else throw MethodNotAllowed(m);
    if (ri.verb != "list" && ri.verb != "watch" && ri.info->namespaced && ri.ns.empty())
      throw MethodNotAllowed(m);
  } else {
    if (m == "GET") ri.verb = is_watch ? "watch" : "get";
    else if (m == "PUT") ri.verb = "update";
    else if (m == "PATCH") ri.verb = "patch";
    else if (m == "DELETE") ri.verb = "delete";
    else if (m == "POST" && (ri.subresource == "eviction" || ri.subresource == "exec")) ri.verb = "create";
    else throw MethodNotAllowed(m);
    if (ri.subresource == "log" && ri.verb != "get") throw MethodNotAllowed(m);
    if (ri.subresource == "exec" && ri.verb != "get" && ri.verb != "create") throw MethodNotAllowed(m);
    if (ri.subresource == "eviction" && ri.verb != "create") throw MethodNotAllowed(m);
    if (ri.subresource == "status" && ri.verb != "get" && ri.verb != "update" && ri.verb != "patch")
      throw MethodNotAllowed(m);
    if (ri.info->namespaced && ri.ns.empty()) throw PathNotFound();
  }
  return ri;
}

void ApiServer::CountRequest(const RequestInfo& ri) {
  std::string res = QualifiedResource(ri.resource, ri.group);
  if (!ri.subresource.empty()) res += "/" + ri.subresource;
  std::lock_guard<std::mutex> lock(faults_mu_);
  ++stats_total_;
  ++stats_by_resource_[ri.verb + " " + res];
  if (!ri.name.empty())
    ++stats_by_object_[ri.verb + " " + res + " " + (ri.ns.empty() ? ri.name : ri.ns + "/" + ri.name)];
}

std::optional<HttpResponse> ApiServer::ApplyFaults(const RequestInfo& ri, const HttpRequest& req) {
  int delay_ms = 0;
  std::optional<ApiError> error;
  {
    std::lock_guard<std::mutex> lock(faults_mu_);
    for (auto& f : faults_) {
      if (f.remaining == 0) continue;
      if (!f.verb.empty() && f.verb != ri.verb) continue;
      if (!GlobMatch(f.path_glob.c_str(), req.path.c_str())) continue;
      if (f.kind == "delay") {
        delay_ms += f.delay_ms;
      } else if (!error) {
        if (f.code == 429) {
          error = TooManyRequests("Too many requests, please try again later.", f.retry_after_seconds);
        } else if (f.code == 503) {
          error = ApiError(503, "ServiceUnavailable", "the server is currently unable to handle the request");
        } else if (f.code == 504) {
          error = ApiError(504, "Timeout", "the server was unable to return a response in the time allotted, but may still be processing the request");
        } else {
          error = InternalError("injected fault");
          if (f.code != 500) error = ApiError(f.code, "InternalError", "Internal error occurred: injected fault");
        }
        if (f.retry_after_seconds > 0) error->retry_after_seconds = f.retry_after_seconds;
      } else {
        continue;
      }
      if (f.remaining > 0) --f.remaining;
    }
  }
  if (delay_ms > 0) {
    auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(delay_ms);
    while (!stopping_ && std::chrono::steady_clock::now() < until)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  if (error) return ErrorResponse(*error);
  return std::nullopt;
}

HttpResponse ApiServer::Dispatch(const HttpRequest& req, Connection& conn,
                                 std::function<void()>* after) {
  try {
    const auto& p = req.path;
    if (p == "/healthz" || p == "/readyz" || p == "/livez") {
      HttpResponse r;
      r.content_type = "text/plain; charset=utf-8";
      r.body = "ok";
      return r;
    }
    if (p == "/version") {
      value v = value::object();
      v["major"] = value::string("1");
      v["minor"] = value::string("30");
      v["gitVersion"] = value::string("v1.30.0-riposte-test");
      v["platform"] = value::string("linux/amd64");
      return JsonResponse(200, v);
    }
    if (p.rfind("/_test/", 0) == 0) {
      auto it = req.headers.find("authorization");
      if (options_.admin_token.empty() || it == req.headers.end() ||
          it->second != "Bearer " + options_.admin_token)
        throw Unauthorized();
      return HandleControl(req, after);
    }
    std::optional<AuthUser> user = Authenticate(req);
    if (!user) throw Unauthorized();
    auto segs = Split(p);
    if (req.method == "GET") {
      std::lock_guard<std::mutex> lock(store_.mu());
      if (segs.size() == 1 && segs[0] == "api")
        return JsonResponse(200, registry_.CoreVersions("127.0.0.1:" + std::to_string(port_)));
      if (segs.size() == 1 && segs[0] == "apis") return JsonResponse(200, registry_.GroupList());
      if (segs.size() == 2 && segs[0] == "apis") {
        auto g = registry_.Group(segs[1]);
        if (!g) throw PathNotFound();
        return JsonResponse(200, *g);
      }
      if ((segs.size() == 2 && segs[0] == "api") || (segs.size() == 3 && segs[0] == "apis")) {
        auto list = segs[0] == "api" ? registry_.ResourceList("", segs[1])
                                     : registry_.ResourceList(segs[1], segs[2]);
        if (!list) throw PathNotFound();
        return JsonResponse(200, *list);
      }
    }
    RequestInfo ri;
    {
      std::lock_guard<std::mutex> lock(store_.mu());
      ri = ParseRequest(req);
    }
    CountRequest(ri);
    Authorize(*user, ri);
    if (auto faulted = ApplyFaults(ri, req)) return *faulted;
    if (ri.subresource == "exec") return ServeExec(ri, req, conn);
    if (ri.subresource == "log") return ServeLog(ri, req, conn);
    if (ri.verb == "watch") {
      ServeWatch(ri, req, conn);
      HttpResponse streamed;
      streamed.status = -1;
      return streamed;
    }
    return HandleResource(ri, req);
  } catch (const ApiError& e) {
    return ErrorResponse(e);
  } catch (const web::json::json_exception& e) {
    return ErrorResponse(BadRequest(e.what()));
  } catch (const std::exception& e) {
    return ErrorResponse(InternalError(e.what()));
  }
}

HttpResponse ApiServer::HandleControl(const HttpRequest& req, std::function<void()>* after) {
  auto segs = Split(req.path);  // ["_test", ...]
  auto body = [&]() {
    return req.body.empty() ? value::object() : ParseJsonBody(req.body, "control body is not JSON");
  };
  auto ok = [] { return JsonResponse(200, SuccessStatus(200)); };
  if (segs.size() == 2 && segs[1] == "faults") {
    if (req.method == "DELETE") {
      std::lock_guard<std::mutex> lock(faults_mu_);
      faults_.clear();
      return ok();
    }
    if (req.method != "POST") throw MethodNotAllowed(req.method);
    value b = body();
    std::vector<value> items;
    if (b.has_field("faults") && b.at("faults").is_array()) {
      for (const auto& f : b.at("faults").as_array()) items.push_back(f);
    } else {
      items.push_back(b);
    }
    for (const auto& f : items) {
      std::string type = JStr(f, "type");
      if (type == "delay" || type == "error") {
        Fault fault;
        fault.kind = type;
        if (f.has_field("pathGlob")) fault.path_glob = JStr(f, "pathGlob");
        fault.verb = JStr(f, "verb");
        fault.code = IntField(f, "code", 500);
        fault.retry_after_seconds = IntField(f, "retryAfterSeconds", 0);
        fault.delay_ms = IntField(f, "delayMs", 0);
        fault.remaining = IntField(f, "count", -1);
        if (type == "error" && (fault.code < 400 || fault.code > 599))
          throw BadRequest("error faults need a code between 400 and 599");
        std::lock_guard<std::mutex> lock(faults_mu_);
        faults_.push_back(fault);
      } else if (type == "dropWatches") {
        DropConnections(true);
      } else if (type == "dropConnections") {
        *after = [this] { DropConnections(false); };
      } else if (type == "expireHistory") {
        std::lock_guard<std::mutex> lock(store_.mu());
        store_.Compact();
      } else if (type == "restart") {
        bool keep = !f.has_field("keepData") || f.at("keepData").as_bool();
        int down_ms = IntField(f, "downMs", 0);
        *after = [this, keep, down_ms] {
          if (!keep) {
            std::lock_guard<std::mutex> lock(store_.mu());
            for (const auto& info : registry_.All())
              if (info->custom) registry_.RemoveCustom(info->GroupResource());
            store_.WipeAll();
            SeedDefaultsLocked();
          }
          restart_down_ms_ = down_ms;
          ::shutdown(listen_fd_, SHUT_RDWR);
          drop_epoch_++;
          DropConnections(false);
        };
      } else {
        throw BadRequest("unknown fault type \"" + type +
                         "\" (delay, error, dropWatches, dropConnections, expireHistory, restart)");
      }
    }
    return ok();
  }
  if (segs.size() == 2 && segs[1] == "exec") {
    if (req.method == "DELETE") ClearExec();
    else if (req.method == "GET") return JsonResponse(200, ExecCalls());
    else if (req.method == "POST") ConfigureExec(body());
    else throw MethodNotAllowed(req.method);
    return ok();
  }
  if (segs.size() == 2 && segs[1] == "logs" && req.method == "POST") {
    SetLog(body());
    return ok();
  }
  if (segs.size() == 2 && segs[1] == "stats") {
    std::lock_guard<std::mutex> lock(faults_mu_);
    if (req.method == "DELETE") {
      stats_by_object_.clear();
      stats_by_resource_.clear();
      stats_total_ = 0;
      return ok();
    }
    value v = value::object();
    v["total"] = value::number(stats_total_);
    v["byResource"] = value::object();
    for (const auto& [k, n] : stats_by_resource_) v["byResource"][k] = value::number(n);
    v["byObject"] = value::object();
    for (const auto& [k, n] : stats_by_object_) v["byObject"][k] = value::number(n);
    return JsonResponse(200, v);
  }
  if (segs.size() == 2 && segs[1] == "users" && req.method == "POST") {
    AddUsers(body());
    return ok();
  }
  if (segs.size() == 2 && segs[1] == "config" && req.method == "POST") {
    value b = body();
    if (b.has_field("bookmarkIntervalMs")) bookmark_interval_ms_ = IntField(b, "bookmarkIntervalMs", 60000);
    if (b.has_field("historySize")) {
      std::lock_guard<std::mutex> lock(store_.mu());
      store_.SetHistoryLimit(static_cast<size_t>(IntField(b, "historySize", 10000)));
    }
    return ok();
  }
  if (segs.size() == 2 && segs[1] == "revision" && req.method == "GET") {
    std::lock_guard<std::mutex> lock(store_.mu());
    value v = value::object();
    v["resourceVersion"] = value::string(std::to_string(store_.current_rv()));
    v["compactedResourceVersion"] = value::string(std::to_string(store_.compacted_rv()));
    return JsonResponse(200, v);
  }
  if (segs.size() == 2 && segs[1] == "seed" && req.method == "POST") {
    value b = body();
    if (!b.has_field("items") || !b.at("items").is_array())
      throw BadRequest("seed body must be a List with an \"items\" array");
    value created = value::array();
    size_t n = 0;
    std::lock_guard<std::mutex> lock(store_.mu());
    for (const auto& item : b.at("items").as_array()) {
      std::string api_version = JStr(item, "apiVersion");
      auto slash = api_version.find('/');
      std::string group = slash == std::string::npos ? "" : api_version.substr(0, slash);
      std::string version = slash == std::string::npos ? api_version : api_version.substr(slash + 1);
      ResourceInfoPtr info;
      for (const auto& r : registry_.All())
        if (r->group == group && r->Serves(version) && r->kind == JStr(item, "kind")) info = r;
      if (!info) throw BadRequest("seed item " + std::to_string(n) + ": no resource serves " + api_version + " " + JStr(item, "kind"));
      auto stored = CreateLocked(*info, item, true, false);
      created[n++] = stored->json;
    }
    value list = value::object();
    list["kind"] = value::string("List");
    list["apiVersion"] = value::string("v1");
    list["items"] = created;
    return JsonResponse(201, list);
  }
  if (segs.size() == 5 && segs[1] == "pods" && segs[4] == "ready" && req.method == "POST") {
    value b = body();
    bool ready = !b.has_field("ready") || b.at("ready").as_bool();
    std::lock_guard<std::mutex> lock(store_.mu());
    auto info = registry_.Find("", "v1", "pods");
    auto old = store_.Get("pods", segs[2], segs[3]);
    if (!old) throw NotFound("pods", "", segs[3]);
    value obj = old->json;
    value status = obj.has_field("status") && obj.at("status").is_object() ? obj.at("status") : value::object();
    status["phase"] = value::string("Running");
    std::vector<value> conds;
    if (status.has_field("conditions") && status.at("conditions").is_array())
      for (const auto& c : status.at("conditions").as_array())
        if (JStr(c, "type") != "Ready") conds.push_back(c);
    value cond = value::object();
    cond["type"] = value::string("Ready");
    cond["status"] = value::string(ready ? "True" : "False");
    cond["lastTransitionTime"] = value::string(NowRfc3339());
    conds.push_back(cond);
    value arr = value::array(conds.size());
    for (size_t k = 0; k < conds.size(); ++k) arr[k] = conds[k];
    status["conditions"] = arr;
    obj["status"] = status;
    auto stored = UpdateLocked(*info, old, obj, "status", false);
    return JsonResponse(200, stored->json);
  }
  throw PathNotFound();
}

void ApiServer::ServeWatch(const RequestInfo& ri, const HttpRequest& req, Connection& conn) {
  conn.is_watch = true;
  auto q = [&](const char* k) {
    auto it = req.query.find(k);
    return it == req.query.end() ? std::string() : it->second;
  };
  const ResourceInfo& info = *ri.info;
  LabelSelector labels = LabelSelector::Parse(q("labelSelector"));
  FieldSelector fields = FieldSelector::Parse(q("fieldSelector"), info);
  std::string name_filter = ri.name;
  auto matches = [&](const StoredObject& o) {
    if (!name_filter.empty() && JStr(o.json, "metadata", "name") != name_filter) return false;
    return labels.Matches(o.json) && fields.Matches(o.json);
  };
  bool bookmarks = q("allowWatchBookmarks") == "true" || q("allowWatchBookmarks") == "1";
  int timeout_s = options_.default_watch_timeout_seconds;
  if (!q("timeoutSeconds").empty()) {
    try {
      timeout_s = std::stoi(q("timeoutSeconds"));
    } catch (...) {
      throw BadRequest("invalid timeoutSeconds \"" + q("timeoutSeconds") + "\"");
    }
  }
  std::string rv_param = q("resourceVersion");
  uint64_t start_rv = 0;
  if (!rv_param.empty() && rv_param != "0") {
    try {
      size_t used;
      start_rv = std::stoull(rv_param, &used);
      if (used != rv_param.size()) throw std::invalid_argument("rv");
    } catch (...) {
      ApiError e = BadRequest("invalid resource version: \"" + rv_param + "\"");
      throw e;
    }
  }
  std::string api_version = info.ApiVersion(ri.version);
  std::string gr = info.GroupResource();
  std::string ns = ri.ns;

  // Initial state: synthetic ADDED events when no resourceVersion (or "0") was given.
  std::vector<std::string> initial;
  uint64_t sent_rv;
  bool expired = false;
  uint64_t compacted = 0;
  {
    std::lock_guard<std::mutex> lock(store_.mu());
    if (start_rv == 0) {
      for (const auto& o : store_.List(gr, ns))
        if (matches(*o)) initial.push_back("{\"type\":\"ADDED\",\"object\":" + o->text + "}\n");
      sent_rv = store_.current_rv();
    } else {
      sent_rv = start_rv;
      compacted = store_.compacted_rv();
      expired = start_rv < compacted;
    }
  }

  beast::error_code ec;
  http::response<http::empty_body> res{http::status::ok, 11};
  res.set(http::field::content_type, "application/json");
  res.set("Audit-Id", NewUid());
  res.chunked(true);
  http::response_serializer<http::empty_body> sr{res};
  http::write_header(conn.stream(), sr, ec);
  auto send = [&](const std::string& data) {
    if (!ec) boost::asio::write(conn.stream(), http::make_chunk(boost::asio::buffer(data)), ec);
    return !ec;
  };
  auto finish = [&] {
    if (!ec) boost::asio::write(conn.stream(), http::make_chunk_last(), ec);
  };
  auto expired_event = [&](uint64_t from, uint64_t oldest) {
    ApiError e = Expired("too old resource version: " + std::to_string(from) + " (" +
                         std::to_string(oldest) + ")");
    return "{\"type\":\"ERROR\",\"object\":" + e.ToStatus().serialize() + "}\n";
  };
  if (expired) {
    send(expired_event(start_rv, compacted));
    finish();
    return;
  }
  for (const auto& line : initial)
    if (!send(line)) return;

  uint64_t epoch = drop_epoch_;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
  auto next_bookmark = std::chrono::steady_clock::now() +
                       std::chrono::milliseconds(bookmark_interval_ms_.load());
  std::vector<StoreEvent> events;
  std::unique_lock<std::mutex> lock(store_.mu());
  while (!stopping_ && drop_epoch_ == epoch) {
    if (!registry_.FindByGroupResource(gr)) break;  // CRD removed: the real server ends watches
    events.clear();
    if (!store_.EventsAfter(sent_rv, &events)) {
      uint64_t oldest = store_.compacted_rv();
      lock.unlock();
      send(expired_event(sent_rv, oldest));
      finish();
      return;
    }
    uint64_t latest = store_.current_rv();
    lock.unlock();
    std::string batch;
    for (const auto& ev : events) {
      if (ev.group_resource != gr) continue;
      if (!ns.empty() && NamespaceOfKey(ev.key) != ns) continue;
      bool cur = ev.type != EventType::kDeleted && matches(*ev.obj);
      bool old = false;
      if (ev.type == EventType::kDeleted) old = matches(*ev.prev);
      else if (ev.prev) old = matches(*ev.prev);
      const char* type = nullptr;
      std::string text;
      if (cur && !old) {
        type = "ADDED";
        text = ev.obj->text;
      } else if (cur && old) {
        type = "MODIFIED";
        text = ev.obj->text;
      } else if (!cur && old) {
        type = "DELETED";
        // The previous state, stamped with the revision of the change, as the watch cache does.
        text = ev.type == EventType::kDeleted ? ev.obj->text : MakeStored(ev.prev->json, ev.rv)->text;
      } else {
        continue;
      }
      if (api_version != info.ApiVersion(info.versions[0])) {
        std::error_code jec;
        value v = value::parse(text, jec);
        v["apiVersion"] = value::string(api_version);
        text = v.serialize();
      }
      batch += std::string("{\"type\":\"") + type + "\",\"object\":" + text + "}\n";
    }
    if (!batch.empty() && !send(batch)) return;
    sent_rv = std::max(sent_rv, latest);
    auto now = std::chrono::steady_clock::now();
    if (now >= deadline) break;
    if (bookmarks && now >= next_bookmark) {
      value b = value::object();
      b["kind"] = value::string(info.kind);
      b["apiVersion"] = value::string(api_version);
      b["metadata"] = value::object();
      b["metadata"]["resourceVersion"] = value::string(std::to_string(sent_rv));
      b["metadata"]["creationTimestamp"] = value::null();
      if (!send("{\"type\":\"BOOKMARK\",\"object\":" + b.serialize() + "}\n")) return;
      next_bookmark = now + std::chrono::milliseconds(bookmark_interval_ms_.load());
    }
    lock.lock();
    auto wake = bookmarks ? std::min(deadline, next_bookmark) : deadline;
    store_.changed().wait_until(lock, wake, [&] {
      return stopping_ || drop_epoch_ != epoch || store_.current_rv() > sent_rv ||
             store_.compacted_rv() > sent_rv;
    });
  }
  if (lock.owns_lock()) lock.unlock();
  if (drop_epoch_ != epoch || stopping_) return;  // dropped: no terminating chunk, like a reset
  finish();
}

}  // namespace riposte::testapi
