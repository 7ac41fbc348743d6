#pragma once
// The project's JSON text layer: one string escaper and a streaming writer. Everything that
// produces JSON text (logs, HTTP error bodies, API request bodies, reports) goes through
// these, so every output follows the same escaping rules. Reading lives in
// common/json_value.h.
//
// Escaping rules (a superset of what RFC 8259 requires; a JSON parser decodes every output
// to the input's characters, with invalid UTF-8 replaced):
//  - `"` and `\` are backslash-escaped; \b \f \n \r \t use their short forms;
//  - other C0 controls and DEL become \u00XX;
//  - invalid UTF-8 (bad lead or continuation bytes, truncated, overlong, surrogates, above
//    U+10FFFF) becomes \ufffd, one per rejected byte;
//  - characters that can forge how a line is displayed are escaped as \uXXXX even though
//    JSON allows them raw: C1 controls, U+2028/U+2029, zero-width and bidirectional
//    controls (U+200B-U+200F, U+202A-U+202E, U+2066-U+2069) and U+FEFF. Attacker-controlled
//    values (alert fields, object names) therefore cannot rewrite a log line or a report.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace riposte::json {

// Appends `s` escaped, without quotes.
void AppendEscaped(std::string& out, std::string_view s);
std::string Escape(std::string_view s);
// `s` as a JSON string literal, with quotes.
std::string Quote(std::string_view s);

// Writes compact JSON text. Commas and colons are placed by the writer; the caller only
// opens, closes and emits values. Misuse (a value where a key is due, unbalanced ends) is a
// programming error and is not diagnosed beyond what the output shows.
class Writer {
 public:
  Writer() = default;
  explicit Writer(size_t reserve) { out_.reserve(reserve); }

  Writer& BeginObject();
  Writer& EndObject();
  Writer& BeginArray();
  Writer& EndArray();
  Writer& Key(std::string_view key);
  Writer& String(std::string_view v);
  Writer& Int(int64_t v);
  Writer& Uint(uint64_t v);
  Writer& Double(double v);  // non-finite values are written as null
  Writer& Bool(bool v);
  Writer& Null();
  // Already-encoded JSON (e.g. a value serialized elsewhere); written as is.
  Writer& Raw(std::string_view json);

  // Key + value shorthands for the common object member.
  Writer& Field(std::string_view key, std::string_view v) { return Key(key).String(v); }
  Writer& Field(std::string_view key, const char* v) { return Key(key).String(v); }
  Writer& Field(std::string_view key, const std::string& v) { return Key(key).String(v); }
  Writer& Field(std::string_view key, int64_t v) { return Key(key).Int(v); }
  Writer& Field(std::string_view key, int v) { return Key(key).Int(v); }
  Writer& Field(std::string_view key, bool v) { return Key(key).Bool(v); }

  const std::string& str() const { return out_; }
  std::string Take() { return std::move(out_); }

 private:
  void BeforeValue();
  std::string out_;
  // One entry per open container: true until its first element has been written.
  std::vector<bool> first_;
  bool after_key_ = false;
};

}  // namespace riposte::json
