#include "common/log.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

namespace riposte::log {
namespace {

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
