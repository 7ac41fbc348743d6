#include "controller/endpoint.h"

namespace riposte::controller {

http::Authenticator MakeAlertAuthenticator(AlertAuth auth) {
  if (auth.token == nullptr && !auth.require_client_cert) return nullptr;
  return [auth](const http::Request& head) -> std::optional<http::Response> {
    // With a client CA the TLS handshake already refused peers without a valid certificate;
    // checked again so that the rule holds whatever the TLS setup.
    if (auth.require_client_cert && head.client_subject.empty())
      return http::JsonError(401, "a client certificate signed by the configured CA is required", "unauthenticated");
    if (auth.token != nullptr && !auth.token->Check(head.Header("Authorization"))) {
      http::Response r = http::JsonError(401, "missing or wrong bearer token", "unauthenticated");
      r.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"riposte-alerts\"");
      return r;
    }
    return std::nullopt;
  };
}

http::Response ToResponse(const IngestReply& reply) {
  http::Response r;
  if (reply.status >= 400) {
    std::string reason, message;
    if (reply.body.is_object()) {
      const auto& obj = reply.body.as_object();
      if (auto it = obj.find("error"); it != obj.end() && it->second.is_string()) reason = it->second.as_string();
      if (auto it = obj.find("message"); it != obj.end() && it->second.is_string()) message = it->second.as_string();
    }
    r = http::JsonError(reply.status, message, reason);
  } else {
    r.status = reply.status;
    r.body = reply.body.serialize();
  }
  if (reply.retry_after_seconds > 0) r.headers.emplace_back("Retry-After", std::to_string(reply.retry_after_seconds));
  return r;
}

http::Response BusyResponse(const std::string& message, int retry_after_seconds) {
  http::Response r = http::JsonError(503, message, "busy");
  r.headers.emplace_back("Retry-After", std::to_string(retry_after_seconds));
  return r;
}

}  // namespace riposte::controller
