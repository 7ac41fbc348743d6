#include "controller/endpoint.h"

#include <cpprest/json.h>

#include <cctype>

namespace riposte::controller {
namespace {

HttpReply JsonError(int status, const std::string& code, const std::string& message) {
  auto v = web::json::value::object();
  v["error"] = web::json::value::string(code);
  v["message"] = web::json::value::string(message);
  HttpReply r;
  r.status = status;
  r.body = v.serialize();
  return r;
}

std::string_view Path(std::string_view target) {
  auto q = target.find('?');
  return q == std::string_view::npos ? target : target.substr(0, q);
}

bool IsJsonContentType(std::string_view ct) {
  if (ct.empty()) return true;  // Falco http_output may omit it
  std::string lower;
  for (char c : ct.substr(0, ct.find(';'))) lower.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  while (!lower.empty() && lower.back() == ' ') lower.pop_back();
  return lower == "application/json" || lower == "text/plain";
}

}  // namespace

HttpReply HandleAlertRequest(const HttpRequestView& req, const AlertAuth& auth, AlertIngestor& ingestor) {
  auto path = Path(req.target);
  if (path != "/" && path != "/v1/alerts") return JsonError(404, "not_found", "POST alerts to / or /v1/alerts");
  if (req.method != "POST") {
    auto r = JsonError(405, "method_not_allowed", "only POST is accepted");
    r.headers["Allow"] = "POST";
    return r;
  }
  if (auth.require_client_cert && !req.client_cert_verified)
    return JsonError(401, "unauthenticated", "a client certificate signed by the configured CA is required");
  if (auth.token != nullptr && !auth.token->Check(req.authorization)) {
    auto r = JsonError(401, "unauthenticated", "missing or wrong bearer token");
    r.headers["WWW-Authenticate"] = "Bearer realm=\"riposte-alerts\"";
    return r;
  }
  if (!IsJsonContentType(req.content_type))
    return JsonError(415, "unsupported_media_type", "Content-Type must be application/json");
  auto reply = ingestor.Handle(req.body);
  HttpReply r;
  r.status = reply.status;
  r.body = reply.body.serialize();
  if (reply.retry_after_seconds > 0) r.headers["Retry-After"] = std::to_string(reply.retry_after_seconds);
  return r;
}

HttpReply HandleOpsRequest(const HttpRequestView& req, const std::function<bool()>& ready,
                           const std::function<std::string()>& metrics,
                           const std::function<std::string()>& not_ready_reason) {
  auto path = Path(req.target);
  HttpReply r;
  r.content_type = "text/plain; charset=utf-8";
  if (req.method != "GET" && req.method != "HEAD") {
    r.status = 405;
    r.body = "method not allowed\n";
    r.headers["Allow"] = "GET";
    return r;
  }
  if (path == "/healthz") {
    r.body = "ok\n";
  } else if (path == "/readyz") {
    bool ok = ready();
    r.status = ok ? 200 : 503;
    std::string reason = ok || !not_ready_reason ? "" : not_ready_reason();
    r.body = ok ? "ok\n" : "not ready: " + (reason.empty() ? "caches syncing or no leader known" : reason) + "\n";
  } else if (path == "/metrics") {
    r.content_type = "text/plain; version=0.0.4; charset=utf-8";
    r.body = metrics();
  } else {
    r.status = 404;
    r.body = "not found\n";
  }
  return r;
}

}  // namespace riposte::controller
