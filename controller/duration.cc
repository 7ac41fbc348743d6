#include "controller/duration.h"

#include <cmath>
#include <cstdint>

namespace riposte::controller {

namespace {

// One week in milliseconds: far above any sensible interval, far below overflow.
constexpr double kMaxMillis = 7.0 * 24 * 3600 * 1000;

std::optional<double> UnitMillis(std::string_view unit) {
  if (unit == "ms") return 1.0;
  if (unit == "s") return 1000.0;
  if (unit == "m") return 60.0 * 1000;
  if (unit == "h") return 3600.0 * 1000;
  return std::nullopt;
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

std::optional<std::chrono::milliseconds> ParseDuration(std::string_view text, std::string* error) {
  const std::string quoted = "\"" + std::string(text.substr(0, 64)) + "\"";
  if (text == "0") return std::chrono::milliseconds(0);
  if (text.empty()) {
    *error = "empty duration (e.g. 10m, 1h30m, 90s)";
    return std::nullopt;
  }
  double total = 0;
  size_t i = 0;
  while (i < text.size()) {
    const size_t start = i;
    while (i < text.size() && IsDigit(text[i])) ++i;
    size_t int_end = i;
    size_t frac_digits = 0;
    if (i < text.size() && text[i] == '.') {
      ++i;
      while (i < text.size() && IsDigit(text[i])) ++i, ++frac_digits;
    }
    if (int_end == start && frac_digits == 0) {
      *error = "invalid duration " + quoted + ": expected a number at offset " + std::to_string(start) +
               " (e.g. 10m, 1h30m, 90s)";
      return std::nullopt;
    }
    if (i - start > 18) {
      *error = "invalid duration " + quoted + ": number too long";
      return std::nullopt;
    }
    const double number = std::stod(std::string(text.substr(start, i - start)));
    const size_t unit_start = i;
    while (i < text.size() && !IsDigit(text[i]) && text[i] != '.') ++i;
    if (unit_start == i) {
      *error = "missing unit in duration " + quoted + " (use ms, s, m or h, e.g. 10m)";
      return std::nullopt;
    }
    auto unit = UnitMillis(text.substr(unit_start, i - unit_start));
    if (!unit) {
      *error = "unknown unit \"" + std::string(text.substr(unit_start, i - unit_start)) + "\" in duration " +
               quoted + " (use ms, s, m or h)";
      return std::nullopt;
    }
    total += number * *unit;
    if (total > kMaxMillis) {
      *error = "duration " + quoted + " is longer than 168h";
      return std::nullopt;
    }
  }
  return std::chrono::milliseconds(static_cast<int64_t>(std::llround(total)));
}

std::string FormatDuration(std::chrono::milliseconds d) {
  int64_t ms = d.count();
  if (ms == 0) return "0s";
  std::string out;
  if (ms < 0) {
    out = "-";
    ms = -ms;
  }
  const int64_t h = ms / 3600000, m = ms / 60000 % 60, s = ms / 1000 % 60, rest = ms % 1000;
  if (h) out += std::to_string(h) + "h";
  if (m) out += std::to_string(m) + "m";
  if (s) out += std::to_string(s) + "s";
  if (rest) out += std::to_string(rest) + "ms";
  return out;
}

}  // namespace riposte::controller
