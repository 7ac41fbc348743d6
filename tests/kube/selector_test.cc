#include "kube/selector.h"

#include <gtest/gtest.h>

namespace riposte::kube {
namespace {

TEST(SelectorTest, BuildsStableString) {
  LabelSelector s;
  s.Eq("app", "web").NotEq("tier", "db").In("env", {"prod", "dev", "prod"}).NotIn("zone", {"b"}).Exists("x").DoesNotExist(
      "legacy");
  EXPECT_TRUE(s.error().empty()) << s.error();
  EXPECT_EQ(s.String(), "app=web,tier!=db,env in (dev,prod),zone notin (b),x,!legacy");
}

TEST(SelectorTest, RejectsValuesThatWouldSmuggleTerms) {
  LabelSelector s;
  s.Eq("app", "web,admin=true");
  EXPECT_FALSE(s.error().empty());
  LabelSelector k;
  k.Eq("bad key", "v");
  EXPECT_FALSE(k.error().empty());
  LabelSelector empty_set;
  empty_set.In("a", {});
  EXPECT_FALSE(empty_set.error().empty());
  EXPECT_EQ(ValidateLabelKey("riposte.io/quarantined"), "");
  EXPECT_NE(ValidateLabelKey("Bad_Prefix/x"), "");
  EXPECT_NE(ValidateLabelValue(std::string(64, 'a')), "");
  EXPECT_EQ(ValidateLabelValue(""), "");
}

TEST(SelectorTest, FromJsonAndMatches) {
  auto sel = LabelSelector::FromJson(web::json::value::parse(
      R"({"matchLabels":{"app":"web"},"matchExpressions":[{"key":"env","operator":"In","values":["prod"]},{"key":"legacy","operator":"DoesNotExist"}]})"));
  ASSERT_TRUE(sel.error().empty()) << sel.error();
  EXPECT_TRUE(sel.Matches({{"app", "web"}, {"env", "prod"}}));
  EXPECT_FALSE(sel.Matches({{"app", "web"}, {"env", "dev"}}));
  EXPECT_FALSE(sel.Matches({{"app", "web"}, {"env", "prod"}, {"legacy", ""}}));
  auto bad = LabelSelector::FromJson(web::json::value::parse(R"({"matchExpressions":[{"key":"a","operator":"Near"}]})"));
  EXPECT_NE(bad.error().find("matchExpressions[0].operator"), std::string::npos);
  EXPECT_TRUE(LabelSelector::FromJson(web::json::value::object()).Matches({{"any", "thing"}}));
}

TEST(SelectorTest, ParseRoundTrip) {
  LabelSelector s;
  std::string err;
  ASSERT_TRUE(LabelSelector::Parse("app=web, tier!=db,env in (a, b),!legacy,x", &s, &err)) << err;
  EXPECT_EQ(s.String(), "app=web,tier!=db,env in (a,b),!legacy,x");
  EXPECT_FALSE(LabelSelector::Parse("app=web,,x", &s, &err));
  EXPECT_FALSE(LabelSelector::Parse("env in a", &s, &err));
}

}  // namespace
}  // namespace riposte::kube
