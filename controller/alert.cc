#include "controller/alert.h"

#include <simdjson.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdio>
#include <ctime>

#include "common/k8s_names.h"
#include "controller/names.h"
#include "kube/api_time.h"

namespace riposte::controller {
namespace {

bool IEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  return true;
}

constexpr std::string_view kPriorityNames[] = {"Emergency", "Alert",  "Critical",      "Error",
                                               "Warning",   "Notice", "Informational", "Debug"};

bool Digits(std::string_view s, size_t pos, size_t n, int* out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return true;
}

AlertError Err(int status, std::string code, std::string message) {
  return AlertError{status, std::move(code), std::move(message)};
}

// Where Falco puts the target pod, per event source.
struct TargetKeys {
  const char* ns;
  const char* pod;
};
constexpr TargetKeys kSyscallKeys{"k8s.ns.name", "k8s.pod.name"};
constexpr TargetKeys kAuditKeys{"ka.target.namespace", "ka.target.name"};

// The first key that occurs twice in `obj` (keys compared after unescaping, so "a\u002eb"
// and "a.b" are the same key), or nullopt. Objects are small (at most a few hundred keys).
std::optional<std::string_view> FirstDuplicateKey(simdjson::dom::object obj) {
  std::vector<std::string_view> keys;
  for (auto field : obj) keys.push_back(field.key);
  if (keys.size() < 2) return std::nullopt;
  std::vector<std::string_view> sorted = keys;
  std::sort(sorted.begin(), sorted.end());
  auto it = std::adjacent_find(sorted.begin(), sorted.end());
  if (it == sorted.end()) return std::nullopt;
  // Report the first repeated key in document order, which is what a reader of the body sees.
  for (size_t i = 0; i < keys.size(); ++i)
    if (std::count(keys.begin(), keys.begin() + static_cast<std::ptrdiff_t>(i), keys[i]) > 0) return keys[i];
  return *it;
}

// A key for an error message: at most 128 bytes, control characters and quotes replaced.
std::string Printable(std::string_view s) {
  std::string out;
  for (char c : s.substr(0, 128)) {
    unsigned char u = static_cast<unsigned char>(c);
    out += (u < 0x20 || u == 0x7f || c == '"' || c == '\\') ? '?' : c;
  }
  return out;
}

}  // namespace

std::optional<Priority> ParsePriority(std::string_view text) {
  for (size_t i = 0; i < std::size(kPriorityNames); ++i)
    if (IEquals(text, kPriorityNames[i])) return static_cast<Priority>(i);
  if (IEquals(text, "info")) return Priority::kInformational;
  return std::nullopt;
}

std::string_view PriorityName(Priority p) { return kPriorityNames[static_cast<size_t>(p)]; }

std::optional<std::chrono::system_clock::time_point> ParseRfc3339(std::string_view s) {
  int y, mo, d, h, mi, sec;
  if (!Digits(s, 0, 4, &y) || s.size() < 20 || s[4] != '-' || !Digits(s, 5, 2, &mo) || s[7] != '-' ||
      !Digits(s, 8, 2, &d) || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') || !Digits(s, 11, 2, &h) ||
      s[13] != ':' || !Digits(s, 14, 2, &mi) || s[16] != ':' || !Digits(s, 17, 2, &sec))
    return std::nullopt;
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60) return std::nullopt;
  size_t pos = 19;
  int64_t nanos = 0;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    size_t start = pos;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      if (pos - start < 9) nanos = nanos * 10 + (s[pos] - '0');
      ++pos;
    }
    if (pos == start) return std::nullopt;
    for (size_t i = pos - start; i < 9; ++i) nanos *= 10;
  }
  int offset_min = 0;
  if (pos < s.size() && (s[pos] == 'Z' || s[pos] == 'z')) {
    ++pos;
  } else if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
    int oh, om;
    if (!Digits(s, pos + 1, 2, &oh) || pos + 3 >= s.size() || s[pos + 3] != ':' || !Digits(s, pos + 4, 2, &om) ||
        oh > 23 || om > 59)
      return std::nullopt;
    offset_min = (s[pos] == '+' ? 1 : -1) * (oh * 60 + om);
    pos += 6;
  } else {
    return std::nullopt;
  }
  if (pos != s.size()) return std::nullopt;
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = sec;
  time_t t = timegm(&tm);
  auto tp = std::chrono::system_clock::from_time_t(t) - std::chrono::minutes(offset_min);
  return tp + std::chrono::duration_cast<std::chrono::system_clock::duration>(std::chrono::nanoseconds(nanos));
}

std::string FormatRfc3339(std::chrono::system_clock::time_point t) { return kube::FormatTime(t); }

bool ParseAlert(std::string_view body, Alert* out, AlertError* error, const AlertLimits& limits) {
  *out = Alert{};
  if (body.empty()) {
    *error = Err(400, "empty_body", "request body is empty; expected one Falco event as a JSON object");
    return false;
  }
  if (body.size() > limits.max_body_bytes) {
    *error = Err(413, "body_too_large", "body exceeds " + std::to_string(limits.max_body_bytes) + " bytes");
    return false;
  }
  // One parser per thread: simdjson parsers are not thread-safe and allocation is reused.
  thread_local simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (auto err = parser.parse(body.data(), body.size()).get(root)) {
    *error = Err(400, "invalid_json", std::string("body is not valid JSON: ") + simdjson::error_message(err));
    return false;
  }
  simdjson::dom::object obj;
  if (root.get_object().get(obj)) {
    *error = Err(400, "not_an_object", "body must be one Falco event as a JSON object");
    return false;
  }
  // A key given twice is read as its first value here but as its last by senders written in Go
  // (Falcosidekick) and by most other JSON readers, so which rule, source, namespace or pod the
  // event names would depend on who reads it. Falco never repeats a key: refuse the event.
  if (auto dup = FirstDuplicateKey(obj)) {
    *error = Err(400, "duplicate_field", "field \"" + Printable(*dup) + "\" appears more than once");
    return false;
  }
  auto read_string = [&](const char* key, bool required, std::string* dest) -> bool {
    simdjson::dom::element e;
    if (obj.at_key(key).get(e)) {
      if (required) *error = Err(400, "missing_field", std::string("required field \"") + key + "\" is missing");
      return !required;
    }
    if (e.is_null() && !required) return true;
    std::string_view sv;
    if (e.get_string().get(sv)) {
      *error = Err(400, "wrong_type", std::string("field \"") + key + "\" must be a string");
      return false;
    }
    if (sv.size() > limits.max_string_bytes) {
      *error = Err(413, "field_too_large", std::string("field \"") + key + "\" is too long");
      return false;
    }
    dest->assign(sv);
    return true;
  };
  std::string priority;
  if (!read_string("rule", true, &out->rule) || !read_string("priority", true, &priority) ||
      !read_string("time", true, &out->time_text) || !read_string("output", false, &out->output) ||
      !read_string("hostname", false, &out->hostname) || !read_string("uuid", false, &out->uuid))
    return false;
  std::string source;
  if (!read_string("source", false, &source)) return false;
  if (!source.empty()) out->source = source;
  if (out->rule.empty()) {
    *error = Err(422, "invalid_field", "field \"rule\" must not be empty");
    return false;
  }
  auto p = ParsePriority(priority);
  if (!p) {
    *error = Err(422, "invalid_priority", "unknown priority \"" + priority.substr(0, 64) +
                                              "\" (Emergency, Alert, Critical, Error, Warning, Notice, "
                                              "Informational, Debug)");
    return false;
  }
  out->priority = *p;
  auto t = ParseRfc3339(out->time_text);
  if (!t) {
    *error = Err(422, "invalid_time", "field \"time\" is not an RFC 3339 timestamp");
    return false;
  }
  out->time = *t;
  if (out->uuid.size() > 64) {
    *error = Err(422, "invalid_field", "field \"uuid\" is longer than 64 characters");
    return false;
  }

  simdjson::dom::element tags;
  if (!obj.at_key("tags").get(tags) && !tags.is_null()) {
    simdjson::dom::array arr;
    if (tags.get_array().get(arr)) {
      *error = Err(400, "wrong_type", "field \"tags\" must be an array of strings");
      return false;
    }
    for (auto tag : arr) {
      std::string_view sv;
      if (tag.get_string().get(sv)) {
        *error = Err(400, "wrong_type", "field \"tags\" must be an array of strings");
        return false;
      }
      if (out->tags.size() >= limits.max_tags) {
        *error = Err(413, "too_many_tags", "more than " + std::to_string(limits.max_tags) + " tags");
        return false;
      }
      out->tags.emplace_back(sv);
    }
  }

  simdjson::dom::element fields;
  if (!obj.at_key("output_fields").get(fields) && !fields.is_null()) {
    simdjson::dom::object fobj;
    if (fields.get_object().get(fobj)) {
      *error = Err(400, "wrong_type", "field \"output_fields\" must be an object");
      return false;
    }
    if (auto dup = FirstDuplicateKey(fobj)) {
      *error = Err(400, "duplicate_field", "output_fields[\"" + Printable(*dup) + "\"] appears more than once");
      return false;
    }
    for (auto [key, value] : fobj) {
      if (out->fields.size() >= limits.max_fields) {
        *error = Err(413, "too_many_fields", "more than " + std::to_string(limits.max_fields) + " output_fields");
        return false;
      }
      std::string text;
      switch (value.type()) {
        case simdjson::dom::element_type::NULL_VALUE:
          continue;
        case simdjson::dom::element_type::STRING: {
          std::string_view sv = value.get_string().value_unsafe();
          if (sv == "<NA>") continue;
          if (sv.size() > limits.max_string_bytes) {
            *error = Err(413, "field_too_large", "output_fields[\"" + std::string(key.substr(0, 128)) + "\"] is too long");
            return false;
          }
          text.assign(sv);
          break;
        }
        case simdjson::dom::element_type::INT64:
          text = std::to_string(value.get_int64().value_unsafe());
          break;
        case simdjson::dom::element_type::UINT64:
          text = std::to_string(value.get_uint64().value_unsafe());
          break;
        case simdjson::dom::element_type::DOUBLE: {
          char buf[64];
          auto res = std::to_chars(buf, buf + sizeof buf, value.get_double().value_unsafe());
          text.assign(buf, res.ptr);
          break;
        }
        case simdjson::dom::element_type::BOOL:
          text = value.get_bool().value_unsafe() ? "true" : "false";
          break;
        default:
          *error = Err(400, "wrong_type", "output_fields[\"" + std::string(key.substr(0, 128)) +
                                              "\"] must be a string, number, boolean or null");
          return false;
      }
      out->fields.emplace(std::string(key), std::move(text));
    }
  }

  // The target pod. Names are validated here so nothing downstream ever sees a name that
  // could change the meaning of an API path.
  const TargetKeys& keys = out->source == "k8s_audit" ? kAuditKeys : kSyscallKeys;
  const std::string* ns = out->Field(keys.ns);
  const std::string* pod = out->Field(keys.pod);
  if (out->source == "k8s_audit") {
    const std::string* resource = out->Field("ka.target.resource");
    if (resource == nullptr || *resource != "pods") pod = nullptr;
  }
  // Falco prints "None" (not null) for host processes in some versions.
  auto present = [](const std::string* v) { return v != nullptr && !v->empty() && *v != "None"; };
  // The same rules the API server applies to each kind (common/k8s_names.h): stricter ones would
  // let whoever names a pod make it immune to responses.
  if (present(ns)) {
    if (std::string why = k8s::ValidateName(k8s::NameKind::kNamespace, *ns); !why.empty()) {
      *error = Err(422, "invalid_namespace", std::string(keys.ns) + ": " + why);
      return false;
    }
  }
  if (present(pod)) {
    if (std::string why = k8s::ValidateName(k8s::NameKind::kPod, *pod); !why.empty()) {
      *error = Err(422, "invalid_pod_name", std::string(keys.pod) + ": " + why);
      return false;
    }
  }
  if (present(ns) && present(pod)) {
    AlertTarget target{*ns, *pod, ""};
    if (const std::string* c = out->Field("container.name");
        c != nullptr && k8s::IsValidName(k8s::NameKind::kContainer, *c))
      target.container = *c;
    out->target = std::move(target);
  }
  return true;
}

std::string AlertId(const Alert& alert) {
  if (!alert.uuid.empty()) return alert.uuid;
  return HashHex(alert.rule + "\n" + alert.time_text + "\n" + alert.hostname + "\n" + alert.output);
}

}  // namespace riposte::controller
