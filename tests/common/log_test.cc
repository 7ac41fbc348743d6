#include "common/log.h"

#include <gtest/gtest.h>

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
