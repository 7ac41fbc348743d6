// pods/exec and pods/log for the API test double. The answers follow what a v1.26
// kube-apiserver relays from a kubelet (research in docs/actions.md "In-container actions"):
// exec is a WebSocket with the channel protocol (an empty [1] first, output on 1 and 2, one
// metav1.Status on 3, then a close), the kubelet's refusals pass through as plain text, and
// pods/log is a plain-text stream honouring tailLines, limitBytes and previous. What a
// command prints is scripted per test through /_test/exec; the faults a real kubelet can
// show (stream dropped, close 1011, hang, start failure, container gone, huge output) are
// rule kinds.
#include <sys/socket.h>

#include <utility>  // before asio: boost 1.74 uses std::exchange without including it

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include "tests/apiserver/api_server_internal.h"
#include "tests/apiserver/api_status.h"

namespace riposte::testapi {

namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace websocket = boost::beast::websocket;
using web::json::value;

namespace {

constexpr size_t kChunk = 32 * 1024;  // the kubelet's io.Copy buffer: one message per chunk

std::vector<std::string> Strings(const value& v, const char* field) {
  std::vector<std::string> out;
  if (v.has_field(field) && v.at(field).is_array())
    for (const auto& e : v.at(field).as_array())
      if (e.is_string()) out.push_back(e.as_string());
  return out;
}

std::string Field(const value& v, const char* f) {
  return v.has_field(f) && v.at(f).is_string() ? v.at(f).as_string() : std::string();
}

std::vector<std::string> SplitProtocols(const std::string& header) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i <= header.size()) {
    size_t j = header.find(',', i);
    if (j == std::string::npos) j = header.size();
    std::string p = header.substr(i, j - i);
    while (!p.empty() && p.front() == ' ') p.erase(p.begin());
    while (!p.empty() && p.back() == ' ') p.pop_back();
    if (!p.empty()) out.push_back(p);
    i = j + 1;
  }
  return out;
}

// The pod, and the container the request names (or its only container), as the API server
// validates them before proxying to the kubelet.
std::string CheckPodContainer(ObjectStore& store, const std::string& ns, const std::string& pod,
                              const std::string& requested, bool* unscheduled) {
  auto obj = store.Get("pods", ns, pod);
  if (!obj) throw NotFound("pods", "", pod);
  const value& spec = obj->json.at("spec");
  std::vector<std::string> names;
  for (const char* list : {"containers", "initContainers", "ephemeralContainers"})
    if (spec.has_field(list) && spec.at(list).is_array())
      for (const auto& c : spec.at(list).as_array()) names.push_back(Field(c, "name"));
  std::string container = requested;
  if (container.empty()) {
    size_t regular = spec.has_field("containers") ? spec.at("containers").size() : 0;
    if (regular != 1) {
      std::string all;
      for (size_t i = 0; i < regular; ++i) all += (i ? " " : "") + names[i];
      throw BadRequest("a container name must be specified for pod " + pod + ", choose one of: [" + all + "]");
    }
    container = names[0];
  } else if (std::find(names.begin(), names.end(), container) == names.end()) {
    throw BadRequest("container " + container + " is not valid for pod " + pod);
  }
  *unscheduled = Field(spec, "nodeName").empty();
  return container;
}

}  // namespace

void ApiServer::ConfigureExec(const value& b) {
  std::lock_guard<std::mutex> lock(exec_mu_);
  if (b.has_field("protocols")) exec_protocols_ = Strings(b, "protocols");
  if (b.has_field("rules") && b.at("rules").is_array()) {
    for (const auto& r : b.at("rules").as_array()) {
      ExecRule rule;
      rule.ns = Field(r, "namespace");
      rule.pod = Field(r, "pod");
      rule.container = Field(r, "container");
      rule.command = Strings(r, "command");
      rule.prefix = r.has_field("prefix") && r.at("prefix").as_bool();
      rule.out = Field(r, "stdout");
      rule.err = Field(r, "stderr");
      rule.exit_code = r.has_field("exitCode") ? r.at("exitCode").as_integer() : 0;
      rule.fault = Field(r, "fault");
      rule.message = Field(r, "message");
      rule.huge_bytes = r.has_field("hugeBytes") ? static_cast<size_t>(r.at("hugeBytes").as_number().to_int64()) : 0;
      rule.remaining = r.has_field("count") ? r.at("count").as_integer() : -1;
      static const char* kFaults[] = {"", "drop", "close", "hang", "startFailed", "containerGone"};
      if (std::find(std::begin(kFaults), std::end(kFaults), rule.fault) == std::end(kFaults))
        throw BadRequest("unknown exec fault \"" + rule.fault + "\" (drop, close, hang, startFailed, containerGone)");
      exec_rules_.push_back(std::move(rule));
    }
  }
}

void ApiServer::ClearExec() {
  std::lock_guard<std::mutex> lock(exec_mu_);
  exec_rules_.clear();
  exec_calls_ = value::array();
  exec_protocols_ = {"v4.channel.k8s.io", "v4.base64.channel.k8s.io", "channel.k8s.io", "base64.channel.k8s.io"};
}

value ApiServer::ExecCalls() {
  std::lock_guard<std::mutex> lock(exec_mu_);
  value v = value::object();
  v["calls"] = exec_calls_;
  return v;
}

void ApiServer::SetLog(const value& b) {
  LogEntry e;
  e.data = Field(b, "data");
  e.generate_bytes = b.has_field("generateBytes") ? static_cast<size_t>(b.at("generateBytes").as_number().to_int64()) : 0;
  e.ignore_limit = b.has_field("ignoreLimitBytes") && b.at("ignoreLimitBytes").as_bool();
  bool previous = b.has_field("previous") && b.at("previous").as_bool();
  std::string key = Field(b, "namespace") + "/" + Field(b, "pod") + "/" + Field(b, "container") + (previous ? "/previous" : "");
  std::lock_guard<std::mutex> lock(exec_mu_);
  logs_[key] = std::move(e);
}

HttpResponse ApiServer::ServeExec(const RequestInfo& ri, const HttpRequest& req, Connection& conn) {
  auto upgrade = req.headers.find("upgrade");
  if (upgrade == req.headers.end() || beast::iequals(upgrade->second, "websocket") == false)
    throw BadRequest("Upgrade request required");
  std::vector<std::string> command;
  std::string requested;
  bool out = false, err = false;
  for (const auto& [k, v] : req.query_list) {
    if (k == "command") command.push_back(v);
    else if (k == "container") requested = v;
    else if (k == "stdout") out = v == "true" || v == "1";
    else if (k == "stderr") err = v == "true" || v == "1";
  }
  std::string container;
  bool unscheduled = false;
  {
    std::lock_guard<std::mutex> lock(store_.mu());
    container = CheckPodContainer(store_, ri.ns, ri.name, requested, &unscheduled);
  }
  if (unscheduled) throw BadRequest("pod " + ri.name + " does not have a host assigned");
  // From here on the kubelet answers, in plain text.
  auto kubelet_error = [](int code, std::string text) {
    HttpResponse r;
    r.status = code;
    r.content_type = "text/plain; charset=utf-8";
    r.body = std::move(text);
    return r;
  };
  if (command.empty()) return kubelet_error(400, "you must specify at least one command for the container");
  if (!out && !err) return kubelet_error(400, "you must specify at least 1 of stdin, stdout, stderr");

  ExecRule rule;
  bool matched = false;
  std::string chosen;
  {
    std::lock_guard<std::mutex> lock(exec_mu_);
    value call = value::object();
    call["namespace"] = value::string(ri.ns);
    call["pod"] = value::string(ri.name);
    call["container"] = value::string(container);
    value argv = value::array();
    for (size_t i = 0; i < command.size(); ++i) argv[i] = value::string(command[i]);
    call["command"] = argv;
    exec_calls_[exec_calls_.size()] = call;
    for (auto& r : exec_rules_) {
      if (r.remaining == 0) continue;
      if (!r.ns.empty() && r.ns != ri.ns) continue;
      if (!r.pod.empty() && r.pod != ri.name) continue;
      if (!r.container.empty() && r.container != container) continue;
      if (r.prefix ? !std::equal(r.command.begin(), r.command.end(), command.begin(),
                                 command.begin() + static_cast<long>(std::min(r.command.size(), command.size()))) ||
                         r.command.size() > command.size()
                   : r.command != command)
        continue;
      if (r.remaining > 0) --r.remaining;
      rule = r;
      matched = true;
      break;
    }
    auto offered = req.headers.find("sec-websocket-protocol");
    for (const auto& p : SplitProtocols(offered == req.headers.end() ? "" : offered->second)) {
      if (std::find(exec_protocols_.begin(), exec_protocols_.end(), p) != exec_protocols_.end()) {
        chosen = p;
        break;
      }
    }
  }
  if (matched && rule.fault == "containerGone")
    return kubelet_error(404, "rpc error: code = NotFound desc = an error occurred when try to find container \"" + container + "\": not found");
  // golang.org/x/net/websocket answers a failed protocol negotiation with a bare 403.
  if (chosen.empty()) return kubelet_error(403, "");

  http::request<http::empty_body> upgrade_req{http::verb::get, "/", 11};
  for (const auto& [k, v] : req.headers) upgrade_req.set(k, v);
  websocket::stream<boost::asio::ssl::stream<boost::asio::ip::tcp::socket>&> ws(conn.stream());
  ws.set_option(websocket::stream_base::decorator(
      [&](websocket::response_type& res) { res.set(http::field::sec_websocket_protocol, chosen); }));
  beast::error_code ec;
  ws.accept(upgrade_req, ec);
  HttpResponse taken;
  taken.status = -1;
  if (ec) return taken;
  ws.binary(true);
  auto send = [&](char channel, std::string_view data) {
    std::string msg(1, channel);
    msg.append(data);
    if (!ec) ws.write(boost::asio::buffer(msg), ec);
  };
  auto send_chunked = [&](char channel, const std::string& data) {
    for (size_t i = 0; i < data.size(); i += kChunk) send(channel, std::string_view(data).substr(i, kChunk));
  };
  send(out ? 1 : 2, "");  // "connection established"
  if (matched && rule.fault == "hang") {
    // Never answers: waits until the client gives up (or the server stops).
    beast::flat_buffer sink;
    while (!ec) ws.read(sink, ec);
    return taken;
  }
  std::string status;
  if (!matched || rule.fault == "startFailed") {
    std::string why = matched && !rule.message.empty()
                          ? rule.message
                          : "OCI runtime exec failed: exec failed: unable to start container process: exec: \"" +
                                command[0] + "\": executable file not found in $PATH: unknown";
    value s = value::object();
    s["metadata"] = value::object();
    s["status"] = value::string("Failure");
    s["message"] = value::string("Internal error occurred: error executing command in container: " + why);
    s["reason"] = value::string("InternalError");
    s["code"] = value::number(500);
    status = s.serialize();
  } else {
    if (out) send_chunked(1, rule.out);
    if (out && rule.huge_bytes > 0) {
      std::string block(kChunk, 'x');
      for (size_t sent = 0; sent < rule.huge_bytes && !ec; sent += kChunk)
        send(1, std::string_view(block).substr(0, std::min(kChunk, rule.huge_bytes - sent)));
    }
    if (err) send_chunked(2, rule.err);
    if (rule.fault == "drop") {
      ::shutdown(conn.fd(), SHUT_RDWR);  // the kubelet went away: no status, no close frame
      return taken;
    }
    if (rule.fault == "close") {
      ws.close(websocket::close_reason(websocket::close_code::internal_error, "kubelet went away"), ec);
      return taken;
    }
    value s = value::object();
    s["metadata"] = value::object();
    if (rule.exit_code == 0) {
      s["status"] = value::string("Success");
    } else {
      std::string code = std::to_string(rule.exit_code);
      s["status"] = value::string("Failure");
      s["message"] = value::string("command terminated with non-zero exit code: error executing command, exit code " + code);
      s["reason"] = value::string("NonZeroExitCode");
      value cause = value::object();
      cause["reason"] = value::string("ExitCode");
      cause["message"] = value::string(code);
      s["details"] = value::object();
      s["details"]["causes"] = value::array();
      s["details"]["causes"][0] = cause;
    }
    status = s.serialize();
  }
  send(3, status);
  if (!ec) ws.close(websocket::close_code::normal, ec);
  return taken;
}

HttpResponse ApiServer::ServeLog(const RequestInfo& ri, const HttpRequest& req, Connection& conn) {
  auto q = [&](const char* k) {
    auto it = req.query.find(k);
    return it == req.query.end() ? std::string() : it->second;
  };
  std::string container;
  bool unscheduled = false;
  {
    std::lock_guard<std::mutex> lock(store_.mu());
    container = CheckPodContainer(store_, ri.ns, ri.name, q("container"), &unscheduled);
  }
  auto number = [&](const char* k, int64_t min, const char* must) -> std::optional<int64_t> {
    std::string s = q(k);
    if (s.empty()) return std::nullopt;
    int64_t n;
    try {
      size_t used;
      n = std::stoll(s, &used);
      if (used != s.size()) throw std::invalid_argument(s);
    } catch (...) {
      throw BadRequest("strconv.ParseInt: parsing \"" + s + "\": invalid syntax");
    }
    if (n < min)
      throw Invalid("PodLogOptions", "", "", {FieldInvalid(k, std::to_string(n), must)});
    return n;
  };
  auto tail = number("tailLines", 0, "must be greater than or equal to 0");
  auto limit = number("limitBytes", 1, "must be greater than 0");
  if (unscheduled) {
    HttpResponse r;  // no node, no stream: the real server answers 204 with no body
    r.status = 204;
    r.content_type = "text/plain";
    return r;
  }
  bool previous = q("previous") == "true" || q("previous") == "1";
  LogEntry entry;
  {
    std::lock_guard<std::mutex> lock(exec_mu_);
    auto it = logs_.find(ri.ns + "/" + ri.name + "/" + container + (previous ? "/previous" : ""));
    if (it != logs_.end()) {
      entry = it->second;
    } else if (previous) {
      throw BadRequest("previous terminated container \"" + container + "\" in pod \"" + ri.name + "\" not found");
    }
  }
  std::string data = entry.data;
  if (tail) {
    // Start of the last N lines (a final line without '\n' counts as one).
    size_t pos = data.size();
    int64_t lines = 0;
    if (pos > 0 && data[pos - 1] == '\n') --pos;
    while (pos > 0 && lines < *tail) {
      size_t nl = data.rfind('\n', pos - 1);
      if (nl == std::string::npos) {
        pos = 0;
        ++lines;
        break;
      }
      ++lines;
      if (lines == *tail) {
        pos = nl + 1;
        break;
      }
      pos = nl;
    }
    if (*tail == 0) pos = data.size();
    data = data.substr(pos);
  }
  size_t budget = limit && !entry.ignore_limit ? static_cast<size_t>(*limit) : std::numeric_limits<size_t>::max();
  beast::error_code ec;
  http::response<http::empty_body> res{http::status::ok, 11};
  res.set(http::field::content_type, "text/plain");
  res.chunked(true);
  http::response_serializer<http::empty_body> sr{res};
  http::write_header(conn.stream(), sr, ec);
  auto send = [&](std::string_view chunk) {
    chunk = chunk.substr(0, std::min(chunk.size(), budget));
    budget -= chunk.size();
    if (!ec && !chunk.empty()) boost::asio::write(conn.stream(), http::make_chunk(boost::asio::buffer(chunk.data(), chunk.size())), ec);
    return !ec && budget > 0;
  };
  bool more = true;
  for (size_t i = 0; i < data.size() && more; i += kChunk) more = send(std::string_view(data).substr(i, kChunk));
  if (entry.generate_bytes > 0) {
    // A huge log, generated while it is written: "line 00000001 ...\n", 64 bytes a line.
    std::string block;
    for (size_t sent = 0, line = 0; sent < entry.generate_bytes && more;) {
      block.clear();
      while (block.size() < kChunk) {
        char l[65];
        std::snprintf(l, sizeof l, "line %08zu %049d\n", ++line, 0);
        block += l;
      }
      size_t n = std::min(block.size(), entry.generate_bytes - sent);
      more = send(std::string_view(block).substr(0, n));
      sent += n;
    }
  }
  if (!ec) boost::asio::write(conn.stream(), http::make_chunk_last(), ec);
  HttpResponse taken;
  taken.status = -1;
  return taken;
}

}  // namespace riposte::testapi
