#include "common/log.h"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <cstdio>

namespace riposte::log {
namespace {

std::atomic<Format> g_format{Format::kText};

spdlog::level::level_enum ToSpd(Level l) {
  switch (l) {
    case Level::kDebug: return spdlog::level::debug;
    case Level::kInfo: return spdlog::level::info;
    case Level::kWarn: return spdlog::level::warn;
    case Level::kError: return spdlog::level::err;
  }
  return spdlog::level::info;
}

std::shared_ptr<spdlog::logger> Logger() {
  static std::shared_ptr<spdlog::logger> logger = [] {
    auto l = spdlog::stderr_logger_mt("riposte");
    l->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %l %v", spdlog::pattern_time_type::utc);
    return l;
  }();
  return logger;
}

// Length of the valid UTF-8 sequence starting at s[i], or 0 if it is not valid.
size_t Utf8Len(std::string_view s, size_t i) {
  auto c = static_cast<unsigned char>(s[i]);
  size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
  if (n == 0 || i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return 0;
  }
  return n;
}

template <typename Range>
void WriteImpl(Level level, std::string_view msg, const Range& fields) {
  auto logger = Logger();
  if (!logger->should_log(ToSpd(level))) return;
  std::string line;
  if (g_format.load() == Format::kJson) {
    line += "\"msg\":\"";
    line += JsonEscape(msg);
    line += '"';
    for (const auto& [k, v] : fields) {
      line += ",\"";
      line += JsonEscape(k);
      line += "\":\"";
      line += JsonEscape(v);
      line += '"';
    }
    line += '}';
  } else {
    line += JsonEscape(msg);
    for (const auto& [k, v] : fields) {
      line += ' ';
      line += k;
      line += "=\"";
      line += JsonEscape(v);
      line += '"';
    }
  }
  logger->log(ToSpd(level), "{}", line);
}

}  // namespace

void Init(Format format, Level level) {
  g_format = format;
  auto logger = Logger();
  logger->set_level(ToSpd(level));
  if (format == Format::kJson) {
    logger->set_pattern("{\"ts\":\"%Y-%m-%dT%H:%M:%S.%fZ\",\"level\":\"%l\",%v",
                        spdlog::pattern_time_type::utc);
  } else {
    logger->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %l %v", spdlog::pattern_time_type::utc);
  }
  logger->flush_on(spdlog::level::warn);
}

bool ParseLevel(std::string_view t, Level* out) {
  if (t == "debug") *out = Level::kDebug;
  else if (t == "info") *out = Level::kInfo;
  else if (t == "warn" || t == "warning") *out = Level::kWarn;
  else if (t == "error") *out = Level::kError;
  else return false;
  return true;
}

bool ParseFormat(std::string_view t, Format* out) {
  if (t == "json") *out = Format::kJson;
  else if (t == "text") *out = Format::kText;
  else return false;
  return true;
}

void Write(Level level, std::string_view msg, Fields fields) { WriteImpl(level, msg, fields); }

void Write(Level level, std::string_view msg,
           const std::vector<std::pair<std::string, std::string>>& fields) {
  WriteImpl(level, msg, fields);
}

std::string JsonEscape(std::string_view in) {
  std::string out;
  out.reserve(in.size() + 8);
  for (size_t i = 0; i < in.size();) {
    // Plain printable ASCII is the common case (admission responses, log fields): copy runs of
    // it at once instead of a byte at a time.
    size_t run = i;
    while (run < in.size()) {
      const auto b = static_cast<unsigned char>(in[run]);
      if (b < 0x20 || b >= 0x7F || b == '"' || b == '\\') break;
      ++run;
    }
    if (run > i) {
      out.append(in.data() + i, run - i);
      i = run;
      continue;
    }
    auto c = static_cast<unsigned char>(in[i]);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
      ++i;
    } else if (c < 0x20 || c == 0x7F) {
      static constexpr char kHex[] = "0123456789abcdef";
      const char esc[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 0xF]};
      out.append(esc, sizeof esc);
      ++i;
    } else if (size_t n = Utf8Len(in, i)) {
      out.append(in.substr(i, n));
      i += n;
    } else {
      out += "\\ufffd";  // invalid byte: replace rather than emit broken JSON
      ++i;
    }
  }
  return out;
}

}  // namespace riposte::log
