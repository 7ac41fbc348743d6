#pragma once
// A Falco event as received on the alert endpoint (Falco json_output shape, as sent by
// Falco http_output and Falcosidekick). Parsing is defensive: the body comes from the
// network, so every field is type-checked, sizes are capped and names are validated before
// anything derived from them can reach a URL.

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace riposte::controller {

// Falco priorities, most severe first (numeric order = severity order).
enum class Priority { kEmergency = 0, kAlert, kCritical, kError, kWarning, kNotice, kInformational, kDebug };

std::optional<Priority> ParsePriority(std::string_view text);  // case-insensitive; "Info" too
std::string_view PriorityName(Priority p);
// True when `p` is at least as severe as `min`.
inline bool AtLeast(Priority p, Priority min) { return static_cast<int>(p) <= static_cast<int>(min); }

// RFC 3339 ("2026-11-20T10:15:27.171732939Z", "+02:00" offsets). nullopt when malformed.
std::optional<std::chrono::system_clock::time_point> ParseRfc3339(std::string_view text);
std::string FormatRfc3339(std::chrono::system_clock::time_point t);

struct AlertTarget {
  std::string ns;
  std::string pod;
  std::string container;  // may be empty
};

struct Alert {
  std::string uuid;  // may be empty (older Falco versions)
  std::string rule;
  Priority priority = Priority::kDebug;
  std::string source = "syscall";
  std::string hostname;
  std::string output;
  std::string time_text;
  std::chrono::system_clock::time_point time;
  std::vector<std::string> tags;
  // Values rendered as text (numbers as written, booleans as true/false). null and "<NA>"
  // are stored as absent, which is what Falco means by them.
  std::map<std::string, std::string> fields;
  std::optional<AlertTarget> target;  // nullopt when the alert names no pod

  const std::string* Field(const std::string& name) const {
    auto it = fields.find(name);
    return it == fields.end() ? nullptr : &it->second;
  }
};

struct AlertError {
  int status = 400;      // HTTP status to answer with (always 4xx)
  std::string code;      // machine-readable, e.g. "invalid_json", "missing_field"
  std::string message;   // names the offending field
};

struct AlertLimits {
  size_t max_body_bytes = 1 << 20;
  size_t max_fields = 512;
  size_t max_tags = 128;
  size_t max_string_bytes = 64 * 1024;
};

// Parses one event. On failure returns false and fills `error`; `out` is then unspecified.
bool ParseAlert(std::string_view body, Alert* out, AlertError* error, const AlertLimits& limits = {});

// The alert's identity for logs and deterministic names: uuid when present, else a hash of
// rule, time, hostname and output (identical re-sent alerts collapse to the same id).
std::string AlertId(const Alert& alert);

}  // namespace riposte::controller
