#include "common/log.h"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstring>

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

bool Enabled(Level level) { return Logger()->should_log(ToSpd(level)); }

void Write(Level level, std::string_view msg,
           const std::vector<std::pair<std::string, std::string>>& fields) {
  WriteImpl(level, msg, fields);
}

namespace {

// Bytes copied as they are: printable ASCII other than '"' and '\\'.
constexpr std::array<bool, 256> kPlain = [] {
  std::array<bool, 256> t{};
  for (int c = 0x20; c < 0x7F; ++c) t[static_cast<size_t>(c)] = c != '"' && c != '\\';
  return t;
}();

// Nonzero when one of the 8 bytes in `v` is not plain (< 0x20, '"', '\\', 0x7F or >= 0x80).
// The usual "has a byte less than n / equal to n" word tricks: exact about whether such a byte
// exists, which is all that is asked.
inline uint64_t Special8(uint64_t v) {
  constexpr uint64_t k01 = 0x0101010101010101ULL, k80 = 0x8080808080808080ULL;
  const uint64_t quote = v ^ (k01 * '"'), backslash = v ^ (k01 * '\\'), del = v ^ (k01 * 0x7F);
  return (((v - k01 * 0x20) & ~v) | ((quote - k01) & ~quote) | ((backslash - k01) & ~backslash) |
          ((del - k01) & ~del) | v) &
         k80;
}

}  // namespace

void AppendJsonEscaped(std::string* out, std::string_view in) {
  out->reserve(out->size() + in.size() + 8);
  const char* p = in.data();
  const size_t n = in.size();
  size_t i = 0;
  while (i < n) {
    // Plain printable ASCII is the common case (admission responses, log fields): skip it
    // eight bytes at a time and copy whole runs.
    const size_t start = i;
    for (uint64_t w; i + 8 <= n; i += 8) {
      std::memcpy(&w, p + i, 8);
      if (Special8(w) != 0) break;
    }
    while (i < n && kPlain[static_cast<unsigned char>(p[i])]) ++i;
    if (i > start) out->append(p + start, i - start);
    if (i >= n) break;
    auto c = static_cast<unsigned char>(p[i]);
    if (c == '"' || c == '\\') {
      out->push_back('\\');
      out->push_back(static_cast<char>(c));
      ++i;
    } else if (c < 0x20 || c == 0x7F) {
      static constexpr char kHex[] = "0123456789abcdef";
      const char esc[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 0xF]};
      out->append(esc, sizeof esc);
      ++i;
    } else if (size_t len = Utf8Len(in, i)) {
      out->append(p + i, len);
      i += len;
    } else {
      out->append("\\ufffd");  // invalid byte: replace rather than emit broken JSON
      ++i;
    }
  }
}

std::string JsonEscape(std::string_view in) {
  std::string out;
  AppendJsonEscaped(&out, in);
  return out;
}

}  // namespace riposte::log
