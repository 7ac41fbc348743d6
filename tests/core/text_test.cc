#include "core/text.h"

#include <gtest/gtest.h>

namespace riposte::core {
namespace {

TEST(Text, EscapesEverythingThatCouldBreakALine) {
  EXPECT_EQ(EscapeForDisplay("a\nb\r\t\"\\"), "a\\nb\\r\\t\\\"\\\\");
  EXPECT_EQ(EscapeForDisplay(std::string("\0\x1b[31m", 6)), "\\x00\\x1b[31m");
  EXPECT_EQ(EscapeForDisplay("\xe2\x80\xa8"), "\\u2028");
  EXPECT_EQ(EscapeForDisplay("\xff"), "\\xff");
  EXPECT_EQ(EscapeForDisplay("Zo\xc3\xab"), "Zo\xc3\xab");
}

TEST(Text, QuoteFragmentKeepsTheOffendingSpot) {
  std::string v = std::string(1000, 'a') + ";X" + std::string(1000, 'b');
  const std::string q = QuoteFragment(v, 1000, 40);
  EXPECT_NE(q.find(";X"), std::string::npos) << q;
  EXPECT_EQ(q.rfind("\"...", 0), 0u) << q;
  EXPECT_NE(q.find("(2002 bytes)"), std::string::npos) << q;
  EXPECT_EQ(QuoteFragment("short", 0), "\"short\"");
}

TEST(Text, QuoteFragmentNeverSplitsUtf8) {
  std::string v;
  for (int i = 0; i < 100; ++i) v += "\xc3\xa9";
  for (size_t focus = 0; focus < v.size(); focus += 7) {
    const std::string q = QuoteFragment(v, focus, 21);
    EXPECT_EQ(q.find("\\x"), std::string::npos) << q;
  }
}

TEST(Text, JsonQuoteIsValidJsonForAnyBytes) {
  EXPECT_EQ(JsonQuote("a\"b\n\x01"), "\"a\\\"b\\n\\u0001\"");
  EXPECT_EQ(JsonQuote("\xff"), "\"\\ufffd\"");
}

}  // namespace
}  // namespace riposte::core
