#pragma once
// HTTP semantics of the controller's two listeners, independent of the server library:
// the alert endpoint (routing, auth, content type, ingest) and the metrics/health endpoint.

#include <functional>
#include <map>
#include <string>
#include <string_view>

#include "controller/ingest.h"
#include "controller/token_auth.h"

namespace riposte::controller {

struct HttpRequestView {
  std::string_view method;
  std::string_view target;         // path (query ignored)
  std::string_view authorization;  // header value or empty
  std::string_view content_type;   // header value or empty
  std::string_view body;
  bool client_cert_verified = false;  // mTLS peer presented a certificate the CA verified
};

struct HttpReply {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::map<std::string, std::string> headers;
};

struct AlertAuth {
  TokenFile* token = nullptr;  // bearer token required when set
  bool require_client_cert = false;
  // Neither: only with an explicit --alerts-insecure-no-auth.
};

// POST / and POST /v1/alerts. Answers JSON in every case, including errors.
HttpReply HandleAlertRequest(const HttpRequestView& req, const AlertAuth& auth, AlertIngestor& ingestor);

// GET /healthz, /readyz, /metrics. `not_ready_reason` (optional) explains a 503 from /readyz
// when it knows why (PreflightMonitor::Reason()).
HttpReply HandleOpsRequest(const HttpRequestView& req, const std::function<bool()>& ready,
                           const std::function<std::string()>& metrics,
                           const std::function<std::string()>& not_ready_reason = nullptr);

}  // namespace riposte::controller
