#include "common/json.h"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>

namespace riposte::json {
namespace {

constexpr char kHex[] = "0123456789abcdef";

void AppendU(std::string& out, uint32_t cp) {
  const char esc[6] = {'\\', 'u', kHex[(cp >> 12) & 0xF], kHex[(cp >> 8) & 0xF], kHex[(cp >> 4) & 0xF], kHex[cp & 0xF]};
  out.append(esc, sizeof esc);
}

// Decodes the UTF-8 sequence at s[i] (a byte >= 0x80). Returns its length and sets `cp`, or
// 0 when the byte does not start a valid, shortest-form, non-surrogate sequence.
size_t DecodeUtf8(std::string_view s, size_t i, uint32_t* cp) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  size_t len;
  uint32_t c, min;
  if ((b0 & 0xE0) == 0xC0) len = 2, c = b0 & 0x1Fu, min = 0x80;
  else if ((b0 & 0xF0) == 0xE0) len = 3, c = b0 & 0x0Fu, min = 0x800;
  else if ((b0 & 0xF8) == 0xF0) len = 4, c = b0 & 0x07u, min = 0x10000;
  else return 0;
  if (i + len > s.size()) return 0;
  for (size_t k = 1; k < len; ++k) {
    const auto b = static_cast<unsigned char>(s[i + k]);
    if ((b & 0xC0) != 0x80) return 0;
    c = (c << 6) | (b & 0x3Fu);
  }
  if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) return 0;
  *cp = c;
  return len;
}

// Valid in JSON, but able to change how text is displayed (see json.h).
bool Deceptive(uint32_t cp) {
  return (cp >= 0x80 && cp <= 0x9F) || cp == 0x2028 || cp == 0x2029 || (cp >= 0x200B && cp <= 0x200F) ||
         (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069) || cp == 0xFEFF;
}

// Nonzero when one of the 8 bytes in `v` needs escaping or decoding (< 0x20, '"', '\\', 0x7F
// or >= 0x80): the usual "has a byte less than n / equal to n" word tricks, exact about whether
// such a byte exists, which is all that is asked. Admission responses are mostly plain ASCII.
inline uint64_t Special8(uint64_t v) {
  constexpr uint64_t k01 = 0x0101010101010101ULL, k80 = 0x8080808080808080ULL;
  const uint64_t quote = v ^ (k01 * '"'), backslash = v ^ (k01 * '\\'), del = v ^ (k01 * 0x7F);
  return (((v - k01 * 0x20) & ~v) | ((quote - k01) & ~quote) | ((backslash - k01) & ~backslash) |
          ((del - k01) & ~del) | v) &
         k80;
}

}  // namespace

void AppendEscaped(std::string& out, std::string_view in) {
  for (size_t i = 0; i < in.size();) {
    // Plain printable ASCII is the common case (names, messages, log fields): copy runs of it
    // at once instead of a byte at a time.
    size_t run = i;
    for (uint64_t w; run + 8 <= in.size(); run += 8) {
      std::memcpy(&w, in.data() + run, 8);
      if (Special8(w) != 0) break;
    }
    while (run < in.size()) {
      const auto b = static_cast<unsigned char>(in[run]);
      if (b < 0x20 || b >= 0x7F || b == '"' || b == '\\') break;
      ++run;
    }
    if (run > i) {
      out.append(in.data() + i, run - i);
      i = run;
      if (i == in.size()) break;
    }
    const auto c = static_cast<unsigned char>(in[i]);
    if (c < 0x80) {
      ++i;
      switch (c) {
        case '"': out += "\\\""; continue;
        case '\\': out += "\\\\"; continue;
        case '\b': out += "\\b"; continue;
        case '\f': out += "\\f"; continue;
        case '\n': out += "\\n"; continue;
        case '\r': out += "\\r"; continue;
        case '\t': out += "\\t"; continue;
        default: AppendU(out, c); continue;  // other C0 controls and DEL
      }
    }
    uint32_t cp = 0;
    if (size_t n = DecodeUtf8(in, i, &cp)) {
      if (Deceptive(cp)) AppendU(out, cp);
      else out.append(in.data() + i, n);
      i += n;
    } else {
      out += "\\ufffd";  // invalid byte: replaced rather than emitted as broken JSON
      ++i;
    }
  }
}

std::string Escape(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 8);
  AppendEscaped(out, s);
  return out;
}

std::string Quote(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 10);
  out += '"';
  AppendEscaped(out, s);
  out += '"';
  return out;
}

void Writer::BeforeValue() {
  if (after_key_) {
    after_key_ = false;
    return;
  }
  if (!first_.empty()) {
    if (!first_.back()) out_ += ',';
    first_.back() = false;
  }
}

Writer& Writer::BeginObject() {
  BeforeValue();
  out_ += '{';
  first_.push_back(true);
  return *this;
}

Writer& Writer::EndObject() {
  out_ += '}';
  if (!first_.empty()) first_.pop_back();
  return *this;
}

Writer& Writer::BeginArray() {
  BeforeValue();
  out_ += '[';
  first_.push_back(true);
  return *this;
}

Writer& Writer::EndArray() {
  out_ += ']';
  if (!first_.empty()) first_.pop_back();
  return *this;
}

Writer& Writer::Key(std::string_view key) {
  BeforeValue();
  out_ += '"';
  AppendEscaped(out_, key);
  out_ += "\":";
  after_key_ = true;
  return *this;
}

Writer& Writer::String(std::string_view v) {
  BeforeValue();
  out_ += '"';
  AppendEscaped(out_, v);
  out_ += '"';
  return *this;
}

Writer& Writer::Int(int64_t v) {
  BeforeValue();
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out_.append(buf, r.ptr);
  return *this;
}

Writer& Writer::Uint(uint64_t v) {
  BeforeValue();
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out_.append(buf, r.ptr);
  return *this;
}

Writer& Writer::Double(double v) {
  BeforeValue();
  if (!std::isfinite(v)) {
    out_ += "null";
    return *this;
  }
  char buf[32];
  // Shortest text that reads back as the same double.
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out_.append(buf, r.ptr);
  return *this;
}

Writer& Writer::Bool(bool v) {
  BeforeValue();
  out_ += v ? "true" : "false";
  return *this;
}

Writer& Writer::Null() {
  BeforeValue();
  out_ += "null";
  return *this;
}

Writer& Writer::Raw(std::string_view json) {
  BeforeValue();
  out_.append(json);
  return *this;
}

}  // namespace riposte::json
