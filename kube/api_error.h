#pragma once
// Typed errors built from the API server's metav1.Status bodies (or from HTTP status codes
// when the body is not a Status), so callers can tell NotFound from Conflict from a
// transport failure without string matching.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace riposte::kube {

enum class ErrorKind {
  kNotFound,
  kConflict,
  kAlreadyExists,
  kGone,  // 410 Gone / Expired: resourceVersion too old; relist.
  kForbidden,
  kUnauthorized,
  kInvalid,  // 422
  kBadRequest,
  kMethodNotAllowed,
  kUnsupportedMediaType,
  kTooManyRequests,  // 429 (API priority & fairness, or PDB-blocked eviction)
  kTimeout,          // 504 / reason Timeout / client-side request timeout
  kServerError,      // 500 and other 5xx
  kServiceUnavailable,  // 503
  kTransport,        // connection refused/reset, TLS failure: no HTTP response
  kDecode,           // response arrived but was not valid JSON of the expected shape
  kCancelled,        // the caller's stop_token fired
  kInvalidArgument,  // rejected client-side before any request (bad name, bad config)
  kOther,
};

std::string_view ErrorKindName(ErrorKind kind);

struct StatusCause {
  std::string type;     // e.g. FieldValueRequired
  std::string message;
  std::string field;    // e.g. spec.containers[0].image
};

struct StatusDetails {
  std::string name;
  std::string group;
  std::string kind;
  std::string uid;
  std::vector<StatusCause> causes;
  int retry_after_seconds = 0;
};

struct ApiError {
  ErrorKind kind = ErrorKind::kOther;
  int code = 0;            // HTTP status, 0 when no response arrived
  std::string reason;      // Status.reason, e.g. "NotFound"
  std::string message;     // Status.message or a client-side description
  StatusDetails details;
  // From the Retry-After header or details.retryAfterSeconds, whichever is present.
  std::optional<std::chrono::seconds> retry_after;

  // True when repeating the same request later may succeed (429, 5xx, timeouts,
  // transport errors). Whether a given verb may be repeated safely is the client's call.
  bool Retryable() const;
  // "NotFound (404): pods \"x\" not found" — for logs and CLI output.
  std::string ToString() const;
};

// Builds an error from an HTTP response. `body` may be a Status JSON, any other JSON, HTML
// from a proxy or empty; `retry_after_header` is the raw header value ("" when absent).
ApiError ErrorFromResponse(int http_status, std::string_view body, std::string_view retry_after_header = {});
ApiError MakeError(ErrorKind kind, std::string message);
// Kind for a bare HTTP status code (used when the body is not a Status).
ErrorKind KindForHttpStatus(int http_status);

inline bool IsNotFound(const ApiError& e) { return e.kind == ErrorKind::kNotFound; }
inline bool IsConflict(const ApiError& e) { return e.kind == ErrorKind::kConflict; }
inline bool IsAlreadyExists(const ApiError& e) { return e.kind == ErrorKind::kAlreadyExists; }
inline bool IsGone(const ApiError& e) { return e.kind == ErrorKind::kGone; }
inline bool IsForbidden(const ApiError& e) { return e.kind == ErrorKind::kForbidden; }
inline bool IsUnauthorized(const ApiError& e) { return e.kind == ErrorKind::kUnauthorized; }
inline bool IsInvalid(const ApiError& e) { return e.kind == ErrorKind::kInvalid; }
inline bool IsBadRequest(const ApiError& e) { return e.kind == ErrorKind::kBadRequest; }
inline bool IsTooManyRequests(const ApiError& e) { return e.kind == ErrorKind::kTooManyRequests; }
inline bool IsTimeout(const ApiError& e) { return e.kind == ErrorKind::kTimeout; }
inline bool IsServerError(const ApiError& e) {
  return e.kind == ErrorKind::kServerError || e.kind == ErrorKind::kServiceUnavailable;
}
inline bool IsTransport(const ApiError& e) { return e.kind == ErrorKind::kTransport; }
inline bool IsCancelled(const ApiError& e) { return e.kind == ErrorKind::kCancelled; }
// 504 "Too large resource version": the server's storage is behind the version we asked
// for (e.g. restored or replaced); resuming is impossible, relist.
bool IsResourceVersionTooLarge(const ApiError& e);

}  // namespace riposte::kube
