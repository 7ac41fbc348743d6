// --audit-interval / --policy-status-interval parsing: Go-style durations, a unit required on
// anything but 0, and the audit's 1m floor.

#include <gtest/gtest.h>

#include "controller/duration.h"

namespace riposte::controller {
namespace {

using namespace std::chrono_literals;

std::chrono::milliseconds Parsed(const std::string& s) {
  std::string err;
  auto d = ParseDuration(s, &err);
  EXPECT_TRUE(d.has_value()) << s << ": " << err;
  return d.value_or(-1ms);
}

std::string ErrorOf(const std::string& s) {
  std::string err;
  auto d = ParseDuration(s, &err);
  EXPECT_FALSE(d.has_value()) << s << " parsed as " << d.value_or(0ms).count() << "ms";
  return err;
}

TEST(Duration, ReadsGoStyleDurations) {
  EXPECT_EQ(Parsed("0"), 0ms);
  EXPECT_EQ(Parsed("0s"), 0ms);
  EXPECT_EQ(Parsed("10m"), 10min);
  EXPECT_EQ(Parsed("1h30m"), 90min);
  EXPECT_EQ(Parsed("90s"), 90s);
  EXPECT_EQ(Parsed("1.5h"), 90min);
  EXPECT_EQ(Parsed("250ms"), 250ms);
  EXPECT_EQ(Parsed("2m30s500ms"), 150500ms);
}

TEST(Duration, RefusesWhatItCannotReadUnambiguously) {
  EXPECT_NE(ErrorOf("10").find("missing unit"), std::string::npos);
  EXPECT_NE(ErrorOf("").find("empty"), std::string::npos);
  EXPECT_NE(ErrorOf("10d").find("unknown unit \"d\""), std::string::npos);
  EXPECT_NE(ErrorOf("-5m").find("expected a number"), std::string::npos);
  EXPECT_NE(ErrorOf("m").find("expected a number"), std::string::npos);
  EXPECT_NE(ErrorOf("ten minutes").find("expected a number"), std::string::npos);
  EXPECT_NE(ErrorOf("10 m").find("unknown unit"), std::string::npos);
  EXPECT_NE(ErrorOf("200h").find("longer than 168h"), std::string::npos);
  EXPECT_NE(ErrorOf("99999999999999999999h").find("too long"), std::string::npos);
}

TEST(Duration, FormatsTheShortestSpellingThatParsesBack) {
  for (auto d : {0ms, 250ms, 1000ms, 60000ms, 5400000ms, 3723004ms}) {
    std::string err;
    EXPECT_EQ(ParseDuration(FormatDuration(d), &err), d) << FormatDuration(d);
  }
  EXPECT_EQ(FormatDuration(90min), "1h30m");
  EXPECT_EQ(FormatDuration(10min), "10m");
}

}  // namespace
}  // namespace riposte::controller
