#pragma once
// Structured logging for every Riposte component. In JSON mode each call writes one JSON
// object per line ({"ts","level","msg", fields...}) so log pipelines never need to parse text.

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace riposte::log {

enum class Format { kText, kJson };
enum class Level { kDebug, kInfo, kWarn, kError };

using Field = std::pair<std::string_view, std::string_view>;
using Fields = std::initializer_list<Field>;

// Configures the process-wide logger (stderr). Safe to call more than once.
void Init(Format format, Level level);
// Parses "debug|info|warn|error" and "json|text"; returns false for anything else.
bool ParseLevel(std::string_view text, Level* out);
bool ParseFormat(std::string_view text, Format* out);

void Write(Level level, std::string_view msg, Fields fields = {});
void Write(Level level, std::string_view msg, const std::vector<std::pair<std::string, std::string>>& fields);

inline void Debug(std::string_view msg, Fields f = {}) { Write(Level::kDebug, msg, f); }
inline void Info(std::string_view msg, Fields f = {}) { Write(Level::kInfo, msg, f); }
inline void Warn(std::string_view msg, Fields f = {}) { Write(Level::kWarn, msg, f); }
inline void Error(std::string_view msg, Fields f = {}) { Write(Level::kError, msg, f); }

// Whether a line at `level` would be written: check before building expensive fields.
bool Enabled(Level level);

}  // namespace riposte::log
