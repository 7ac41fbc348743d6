#include "common/flags.h"

#include <gtest/gtest.h>

namespace riposte {
namespace {

TEST(FlagSetTest, ParsesAllForms) {
  std::string s;
  bool b = false;
  int64_t n = 0;
  std::vector<std::string> list;
  FlagSet f("t");
  f.String("policy", &s, "");
  f.Bool("verbose", &b, "");
  f.Int("count", &n, "");
  f.StringList("ns", &list, "");
  std::string err;
  ASSERT_TRUE(f.Parse({"--policy", "p.yaml", "a", "--verbose", "--count=7", "--ns", "x", "--ns=y",
                       "-", "--", "--not-a-flag"},
                      &err))
      << err;
  EXPECT_EQ(s, "p.yaml");
  EXPECT_TRUE(b);
  EXPECT_EQ(n, 7);
  EXPECT_EQ(list, (std::vector<std::string>{"x", "y"}));
  EXPECT_EQ(f.positional(), (std::vector<std::string>{"a", "-", "--not-a-flag"}));
  EXPECT_TRUE(f.WasSet("policy"));
}

TEST(FlagSetTest, OneLetterNamesAreShortFlagsInParsingAndUsage) {
  std::string ns, long_ns;
  FlagSet f("t");
  f.String("namespace", &long_ns, "namespace");
  f.String("n", &ns, "same as --namespace");
  std::string err;
  ASSERT_TRUE(f.Parse({"-n", "shop"}, &err)) << err;
  EXPECT_EQ(ns, "shop");
  const std::string usage = f.Usage();
  EXPECT_NE(usage.find("  -n VALUE\n"), std::string::npos) << usage;
  EXPECT_NE(usage.find("  --namespace VALUE\n"), std::string::npos) << usage;
  EXPECT_EQ(usage.find("--n "), std::string::npos) << usage;
}

TEST(FlagSetTest, RejectsUnknownFlag) {
  FlagSet f("scan");
  std::string err;
  EXPECT_FALSE(f.Parse({"--nope"}, &err));
  EXPECT_NE(err.find("unknown flag --nope"), std::string::npos);
}

TEST(FlagSetTest, RejectsMissingValueAndBadInt) {
  std::string s;
  int64_t n = 0;
  bool b = false;
  FlagSet f("t");
  f.String("policy", &s, "");
  f.Int("count", &n, "");
  f.Bool("on", &b, "");
  std::string err;
  EXPECT_FALSE(f.Parse({"--policy"}, &err));
  EXPECT_NE(err.find("needs a value"), std::string::npos);
  FlagSet g("t");
  g.Int("count", &n, "");
  EXPECT_FALSE(g.Parse({"--count=12x"}, &err));
  EXPECT_NE(err.find("expected an integer"), std::string::npos);
  FlagSet h("t");
  h.Bool("on", &b, "");
  EXPECT_FALSE(h.Parse({"--on=maybe"}, &err));
}

}  // namespace
}  // namespace riposte
