#pragma once
// HTTP semantics of the controller's alert endpoint on the shared server (common/http_server):
// who may post, checked on the request head before any body byte is read, and how an ingest
// result becomes an answer. Routing, methods, content types, limits, health and error bodies
// are the shared server's, as for the webhook.

#include <string>
#include <vector>

#include "common/http_server.h"
#include "controller/ingest.h"
#include "controller/token_auth.h"

namespace riposte::controller {

inline constexpr const char* kAlertPaths[] = {"/", "/v1/alerts"};
// Falco http_output may omit Content-Type; Falcosidekick sends application/json.
inline const std::vector<std::string> kAlertContentTypes = {"application/json", "text/plain", ""};

struct AlertAuth {
  TokenFile* token = nullptr;  // bearer token required when set
  bool require_client_cert = false;
  // Neither: only with an explicit --alerts-insecure-no-auth.
};

// The shared server's Authenticator for the alert routes: nullopt when the head carries what
// the endpoint requires (a verified client certificate and/or the bearer token); otherwise a
// 401 in the shared error shape, with WWW-Authenticate in token mode.
http::Authenticator MakeAlertAuthenticator(AlertAuth auth);

// An ingest result as the answer to the sender: a success body as it is; an error in the shape
// every Riposte listener uses, {"error":{"code":N,"reason":"<ingest code>","message":"..."}};
// Retry-After when the ingest asks for one.
http::Response ToResponse(const IngestReply& reply);

// 503 + Retry-After for an alert that cannot be queued for recording (every recorder busy and
// the queue full) or was still queued at shutdown.
http::Response BusyResponse(const std::string& message, int retry_after_seconds);

}  // namespace riposte::controller
