#include "common/log.h"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstring>

#include "common/json.h"

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

template <typename Range>
void WriteImpl(Level level, std::string_view msg, const Range& fields) {
  auto logger = Logger();
  if (!logger->should_log(ToSpd(level))) return;
  std::string line;
  if (g_format.load() == Format::kJson) {
    line += "\"msg\":\"";
    json::AppendEscaped(line, msg);
    line += '"';
    for (const auto& [k, v] : fields) {
      line += ",\"";
      json::AppendEscaped(line, k);
      line += "\":\"";
      json::AppendEscaped(line, v);
      line += '"';
    }
    line += '}';
  } else {
    json::AppendEscaped(line, msg);
    for (const auto& [k, v] : fields) {
      line += ' ';
      line += k;
      line += "=\"";
      json::AppendEscaped(line, v);
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

}  // namespace riposte::log
