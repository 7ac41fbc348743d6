#include "kube/api_error.h"

#include <charconv>
#include <cstdlib>
#include <ctime>

#include <cpprest/json.h>

namespace riposte::kube {
namespace {

struct ReasonKind {
  const char* reason;
  ErrorKind kind;
};
// metav1.StatusReason values; the reason wins over the HTTP code because the server uses
// e.g. 409 for both Conflict and AlreadyExists.
constexpr ReasonKind kReasons[] = {
    {"NotFound", ErrorKind::kNotFound},
    {"Conflict", ErrorKind::kConflict},
    {"AlreadyExists", ErrorKind::kAlreadyExists},
    {"Gone", ErrorKind::kGone},
    {"Expired", ErrorKind::kGone},
    {"Forbidden", ErrorKind::kForbidden},
    {"Unauthorized", ErrorKind::kUnauthorized},
    {"Invalid", ErrorKind::kInvalid},
    {"BadRequest", ErrorKind::kBadRequest},
    {"MethodNotAllowed", ErrorKind::kMethodNotAllowed},
    {"UnsupportedMediaType", ErrorKind::kUnsupportedMediaType},
    {"TooManyRequests", ErrorKind::kTooManyRequests},
    {"Timeout", ErrorKind::kTimeout},
    {"ServerTimeout", ErrorKind::kTimeout},
    {"InternalError", ErrorKind::kServerError},
    {"ServiceUnavailable", ErrorKind::kServiceUnavailable},
};

std::string Str(const web::json::value& obj, const char* key) {
  if (!obj.is_object() || !obj.has_field(key)) return {};
  const auto& v = obj.at(key);
  return v.is_string() ? v.as_string() : std::string{};
}

// Retry-After is either delta-seconds or an HTTP date (RFC 7231 7.1.3).
std::optional<std::chrono::seconds> ParseRetryAfter(std::string_view text) {
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
  if (text.empty()) return std::nullopt;
  long long secs = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), secs);
  if (ec == std::errc() && ptr == text.data() + text.size()) {
    if (secs < 0) return std::nullopt;
    return std::chrono::seconds(std::min<long long>(secs, 24 * 3600));
  }
  std::tm tm{};
  std::string s(text);
  if (strptime(s.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm) == nullptr) return std::nullopt;
  const time_t when = timegm(&tm);
  const time_t now = std::time(nullptr);
  return std::chrono::seconds(when > now ? std::min<time_t>(when - now, 24 * 3600) : 0);
}

}  // namespace

std::string_view ErrorKindName(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kNotFound: return "NotFound";
    case ErrorKind::kConflict: return "Conflict";
    case ErrorKind::kAlreadyExists: return "AlreadyExists";
    case ErrorKind::kGone: return "Gone";
    case ErrorKind::kForbidden: return "Forbidden";
    case ErrorKind::kUnauthorized: return "Unauthorized";
    case ErrorKind::kInvalid: return "Invalid";
    case ErrorKind::kBadRequest: return "BadRequest";
    case ErrorKind::kMethodNotAllowed: return "MethodNotAllowed";
    case ErrorKind::kUnsupportedMediaType: return "UnsupportedMediaType";
    case ErrorKind::kTooManyRequests: return "TooManyRequests";
    case ErrorKind::kTimeout: return "Timeout";
    case ErrorKind::kServerError: return "ServerError";
    case ErrorKind::kServiceUnavailable: return "ServiceUnavailable";
    case ErrorKind::kTransport: return "Transport";
    case ErrorKind::kDecode: return "Decode";
    case ErrorKind::kCancelled: return "Cancelled";
    case ErrorKind::kInvalidArgument: return "InvalidArgument";
    case ErrorKind::kOther: return "Other";
  }
  return "Other";
}

ErrorKind KindForHttpStatus(int s) {
  switch (s) {
    case 400: return ErrorKind::kBadRequest;
    case 401: return ErrorKind::kUnauthorized;
    case 403: return ErrorKind::kForbidden;
    case 404: return ErrorKind::kNotFound;
    case 405: return ErrorKind::kMethodNotAllowed;
    case 409: return ErrorKind::kConflict;
    case 410: return ErrorKind::kGone;
    case 415: return ErrorKind::kUnsupportedMediaType;
    case 422: return ErrorKind::kInvalid;
    case 429: return ErrorKind::kTooManyRequests;
    case 503: return ErrorKind::kServiceUnavailable;
    case 504: return ErrorKind::kTimeout;
    default: break;
  }
  if (s >= 500 && s <= 599) return ErrorKind::kServerError;
  return ErrorKind::kOther;
}

bool ApiError::Retryable() const {
  switch (kind) {
    case ErrorKind::kTooManyRequests:
    case ErrorKind::kTimeout:
    case ErrorKind::kServerError:
    case ErrorKind::kServiceUnavailable:
    case ErrorKind::kTransport:
      return true;
    default:
      return false;
  }
}

std::string ApiError::ToString() const {
  std::string out(ErrorKindName(kind));
  if (code != 0) out += " (" + std::to_string(code) + ")";
  if (!message.empty()) out += ": " + message;
  for (const auto& c : details.causes) {
    out += "; " + (c.field.empty() ? std::string() : c.field + ": ") + c.message;
  }
  return out;
}

bool IsResourceVersionTooLarge(const ApiError& e) {
  for (const auto& c : e.details.causes) {
    if (c.type == "ResourceVersionTooLarge") return true;
  }
  return e.message.find("Too large resource version") != std::string::npos;
}

ApiError MakeError(ErrorKind kind, std::string message) {
  ApiError e;
  e.kind = kind;
  e.reason = std::string(ErrorKindName(kind));
  e.message = std::move(message);
  return e;
}

ApiError ErrorFromResponse(int http_status, std::string_view body, std::string_view retry_after_header) {
  ApiError e;
  e.code = http_status;
  e.kind = KindForHttpStatus(http_status);
  web::json::value v;
  bool parsed = false;
  if (!body.empty() && (body.front() == '{' || body.front() == ' ' || body.front() == '\n')) {
    std::error_code ec;
    v = web::json::value::parse(std::string(body), ec);
    parsed = !ec && v.is_object();
  }
  if (parsed && Str(v, "kind") == "Status") {
    e.reason = Str(v, "reason");
    e.message = Str(v, "message");
    if (v.has_field("code") && v.at("code").is_integer()) {
      const int c = v.at("code").as_integer();
      // Watch ERROR events carry the code only in the body.
      if (c != 0 && http_status == 0) {
        e.code = c;
        e.kind = KindForHttpStatus(c);
      }
    }
    for (const auto& rk : kReasons) {
      if (e.reason == rk.reason) {
        e.kind = rk.kind;
        break;
      }
    }
    if (v.has_field("details") && v.at("details").is_object()) {
      const auto& d = v.at("details");
      e.details.name = Str(d, "name");
      e.details.group = Str(d, "group");
      e.details.kind = Str(d, "kind");
      e.details.uid = Str(d, "uid");
      if (d.has_field("retryAfterSeconds") && d.at("retryAfterSeconds").is_integer()) {
        e.details.retry_after_seconds = std::max(0, d.at("retryAfterSeconds").as_integer());
      }
      if (d.has_field("causes") && d.at("causes").is_array()) {
        for (const auto& c : d.at("causes").as_array()) {
          e.details.causes.push_back({Str(c, "reason"), Str(c, "message"), Str(c, "field")});
        }
      }
    }
  } else {
    // Not a Status (proxy HTML, plain text, other JSON): keep a bounded excerpt.
    constexpr size_t kMaxExcerpt = 256;
    std::string excerpt(body.substr(0, kMaxExcerpt));
    for (char& ch : excerpt) {
      if (static_cast<unsigned char>(ch) < 0x20) ch = ' ';
    }
    e.message = "HTTP " + std::to_string(http_status) + (excerpt.empty() ? "" : ": " + excerpt);
  }
  if (e.reason.empty()) e.reason = std::string(ErrorKindName(e.kind));
  if (auto ra = ParseRetryAfter(retry_after_header)) {
    e.retry_after = *ra;
  } else if (e.details.retry_after_seconds > 0) {
    e.retry_after = std::chrono::seconds(e.details.retry_after_seconds);
  }
  return e;
}

}  // namespace riposte::kube
