#include "common/log.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

namespace riposte::log {
namespace {

TEST(JsonEscapeTest, EscapesControlAndQuotes) {
  EXPECT_EQ(JsonEscape("a\"b\\c"), "a\\\"b\\\\c");
  EXPECT_EQ(JsonEscape("x\ny\r\t"), "x\\u000ay\\u000d\\u0009");
  EXPECT_EQ(JsonEscape(std::string_view("\0z", 2)), "\\u0000z");
  EXPECT_EQ(JsonEscape("plain text, then \x1f and DEL\x7f."), "plain text, then \\u001f and DEL\\u007f.");
  EXPECT_EQ(JsonEscape(""), "");
}

TEST(JsonEscapeTest, KeepsValidUtf8AndReplacesInvalidBytes) {
  EXPECT_EQ(JsonEscape("Zo\xc3\xab \xe6\xbc\xa2"), "Zo\xc3\xab \xe6\xbc\xa2");
  EXPECT_EQ(JsonEscape("a\xff" "b"), "a\\ufffdb");
  EXPECT_EQ(JsonEscape("\xe6\xbc"), "\\ufffd\\ufffd");  // truncated sequence
}

// A byte at a time, the obvious way: what the word-at-a-time escaper must equal.
std::string ReferenceEscape(std::string_view in) {
  std::string out;
  for (size_t i = 0; i < in.size();) {
    auto c = static_cast<unsigned char>(in[i]);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
      ++i;
    } else if (c < 0x20 || c == 0x7F) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
      ++i;
    } else if (c < 0x80) {
      out += static_cast<char>(c);
      ++i;
    } else {
      size_t n = (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
      bool ok = n > 0 && i + n <= in.size();
      for (size_t k = 1; ok && k < n; ++k) ok = (static_cast<unsigned char>(in[i + k]) & 0xC0) == 0x80;
      if (ok) {
        out.append(in.substr(i, n));
        i += n;
      } else {
        out += "\\ufffd";
        ++i;
      }
    }
  }
  return out;
}

TEST(JsonEscapeTest, EverySpecialByteAtEveryOffsetOfAWord) {
  for (int c = 0; c < 256; ++c) {
    for (size_t at = 0; at < 17; ++at) {
      std::string s(20, 'a');
      s[at] = static_cast<char>(c);
      ASSERT_EQ(JsonEscape(s), ReferenceEscape(s)) << "byte " << c << " at " << at;
    }
  }
}

TEST(JsonEscapeTest, MatchesTheByteAtATimeEscaperOnRandomText) {
  std::mt19937 rng(7);
  const std::string alphabet = std::string("abcXYZ019 .,:/-_{}[]\"\\\n\t\x01\x7f") + "\xc3\xab\xe6\xbc\xa2\xff\x80";
  for (int round = 0; round < 2000; ++round) {
    std::string s;
    size_t len = rng() % 64;
    for (size_t i = 0; i < len; ++i) s += alphabet[rng() % alphabet.size()];
    ASSERT_EQ(JsonEscape(s), ReferenceEscape(s)) << round;
    std::string appended = "prefix:";
    AppendJsonEscaped(&appended, s);
    ASSERT_EQ(appended, "prefix:" + ReferenceEscape(s));
  }
}

TEST(LogParseTest, LevelsAndFormats) {
  Level l;
  Format f;
  EXPECT_TRUE(ParseLevel("warn", &l));
  EXPECT_EQ(l, Level::kWarn);
  EXPECT_FALSE(ParseLevel("loud", &l));
  EXPECT_TRUE(ParseFormat("json", &f));
  EXPECT_EQ(f, Format::kJson);
  EXPECT_FALSE(ParseFormat("xml", &f));
}

}  // namespace
}  // namespace riposte::log
