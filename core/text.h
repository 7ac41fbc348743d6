#pragma once
// Safe rendering of untrusted values: findings quote attacker-controlled text, so every byte
// that could move a terminal cursor, end a log line or fake a JSON field is escaped.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace riposte::core {

// Decodes one UTF-8 sequence at s[i]; advances i. Returns the code point, or -1 for an invalid
// or overlong sequence (i then advances by one byte).
int32_t DecodeUtf8(std::string_view s, size_t& i);

// `s` escaped for one line of text: \n \r \t \\ \" \xNN for other C0/DEL/invalid bytes,
// \uXXXX for C1 controls and Unicode line/paragraph separators and bidi controls.
std::string EscapeForDisplay(std::string_view s);

// Up to `max_chars` of `s` around byte offset `focus`, escaped, in double quotes, with "..."
// where it was cut. Cuts never split a UTF-8 sequence.
std::string QuoteFragment(std::string_view s, size_t focus, size_t max_chars = 60);

// `s` as a JSON string literal (with quotes), valid UTF-8 out for any input.
std::string JsonQuote(std::string_view s);

// Offset of the first character YAML does not allow in a stream (outside c-printable: C0
// controls other than TAB/LF/CR, DEL, C1 except NEL, surrogates, U+FFFE/FFFF) or of invalid
// UTF-8. Such input is refused before it reaches yaml-cpp, which can loop forever on it.
std::optional<size_t> FindNonYamlChar(std::string_view s);

// 1-based line and column of byte offset `pos` in `s`.
void LineColumn(std::string_view s, size_t pos, int* line, int* column);

inline char AsciiLower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }
inline bool IsDigit(char c) { return c >= '0' && c <= '9'; }
inline bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
inline bool IsAlnum(char c) { return IsAlpha(c) || IsDigit(c); }
inline bool IsHex(char c) { return IsDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
inline bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

}  // namespace riposte::core
