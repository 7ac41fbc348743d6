#include "core/text.h"

#include "common/json.h"


namespace riposte::core {

int32_t DecodeUtf8(std::string_view s, size_t& i) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  if (b0 < 0x80) {
    ++i;
    return b0;
  }
  int len = 0;
  int32_t cp = 0;
  int32_t min = 0;
  if ((b0 & 0xE0) == 0xC0) {
    len = 2, cp = b0 & 0x1F, min = 0x80;
  } else if ((b0 & 0xF0) == 0xE0) {
    len = 3, cp = b0 & 0x0F, min = 0x800;
  } else if ((b0 & 0xF8) == 0xF0) {
    len = 4, cp = b0 & 0x07, min = 0x10000;
  } else {
    ++i;
    return -1;
  }
  if (i + static_cast<size_t>(len) > s.size()) {
    ++i;
    return -1;
  }
  for (int k = 1; k < len; ++k) {
    const auto b = static_cast<unsigned char>(s[i + static_cast<size_t>(k)]);
    if ((b & 0xC0) != 0x80) {
      ++i;
      return -1;
    }
    cp = (cp << 6) | (b & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
    ++i;
    return -1;
  }
  i += static_cast<size_t>(len);
  return cp;
}

namespace {

bool NeedsUnicodeEscape(int32_t cp) {
  return (cp >= 0x80 && cp <= 0x9F) || cp == 0x2028 || cp == 0x2029 || (cp >= 0x200B && cp <= 0x200F) ||
         (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069) || cp == 0xFEFF;
}

// `prefix` then `digits` lowercase hex digits of v: \x41, \u2028.
void AppendHex(std::string& out, std::string_view prefix, int digits, unsigned v) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += prefix;
  for (int shift = (digits - 1) * 4; shift >= 0; shift -= 4) out += kHex[(v >> shift) & 0xF];
}

// One line of display text (see EscapeForDisplay). JSON text has its own escaper,
// common/json.h, shared by every component.
void Escape(std::string_view s, std::string& out) {
  size_t i = 0;
  while (i < s.size()) {
    const char c = s[i];
    const auto uc = static_cast<unsigned char>(c);
    if (uc < 0x80) {
      ++i;
      switch (c) {
        case '\n': out += "\\n"; continue;
        case '\r': out += "\\r"; continue;
        case '\t': out += "\\t"; continue;
        case '\\': out += "\\\\"; continue;
        case '"': out += "\\\""; continue;
        default: break;
      }
      if (uc < 0x20 || uc == 0x7F) {
        AppendHex(out, "\\x", 2, uc);
      } else {
        out += c;
      }
      continue;
    }
    const size_t start = i;
    const int32_t cp = DecodeUtf8(s, i);
    if (cp < 0) {
      AppendHex(out, "\\x", 2, uc);
    } else if (NeedsUnicodeEscape(cp)) {
      AppendHex(out, "\\u", 4, static_cast<unsigned>(cp));
    } else {
      out.append(s.substr(start, i - start));
    }
  }
}

size_t BackToBoundary(std::string_view s, size_t pos) {
  while (pos > 0 && pos < s.size() && (static_cast<unsigned char>(s[pos]) & 0xC0) == 0x80) --pos;
  return pos;
}

}  // namespace

std::string EscapeForDisplay(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 8);
  Escape(s, out);
  return out;
}

std::string QuoteFragment(std::string_view s, size_t focus, size_t max_chars) {
  if (focus > s.size()) focus = s.size();
  size_t begin = 0;
  size_t end = s.size();
  if (s.size() > max_chars) {
    const size_t before = max_chars / 3;
    begin = focus > before ? focus - before : 0;
    end = begin + max_chars < s.size() ? begin + max_chars : s.size();
    if (end - begin < max_chars && end == s.size()) begin = end > max_chars ? end - max_chars : 0;
    begin = BackToBoundary(s, begin);
    end = BackToBoundary(s, end);
  }
  std::string out = "\"";
  if (begin > 0) out += "...";
  Escape(s.substr(begin, end - begin), out);
  if (end < s.size()) out += "...";
  out += '"';
  if (s.size() > max_chars) out += " (" + std::to_string(s.size()) + " bytes)";
  return out;
}

std::optional<size_t> FindNonYamlChar(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto uc = static_cast<unsigned char>(s[i]);
    if (uc >= 0x20 && uc < 0x7F) {
      ++i;
      continue;
    }
    if (uc == '\t' || uc == '\n' || uc == '\r') {
      ++i;
      continue;
    }
    const size_t at = i;
    const int32_t cp = DecodeUtf8(s, i);
    if (cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp <= 0x9F && cp != 0x85) || cp == 0xFFFE || cp == 0xFFFF) {
      return at;
    }
  }
  return std::nullopt;
}

void LineColumn(std::string_view s, size_t pos, int* line, int* column) {
  int l = 1;
  size_t line_start = 0;
  for (size_t i = 0; i < pos && i < s.size(); ++i) {
    if (s[i] == '\n') ++l, line_start = i + 1;
  }
  *line = l;
  *column = static_cast<int>(pos - line_start) + 1;
}

std::string JsonQuote(std::string_view s) { return json::Quote(s); }

}  // namespace riposte::core
