#include <gtest/gtest.h>

// After gtest: cpprestsdk defines a U() macro that breaks gtest headers included later.
#include "tests/apiserver/selectors.h"

#include "tests/apiserver/api_status.h"

namespace riposte::testapi {
namespace {

using web::json::value;

value Obj(const std::string& labels) {
  return value::parse(R"({"metadata":{"name":"p","namespace":"ns","labels":)" + labels +
                      R"(},"spec":{"nodeName":"n1"},"status":{"phase":"Running"}})");
}

TEST(LabelSelectorTest, EqualityAndSetOperators) {
  value o = Obj(R"({"app":"web","tier":"front","n":"5"})");
  EXPECT_TRUE(LabelSelector::Parse("app=web").Matches(o));
  EXPECT_TRUE(LabelSelector::Parse("app==web,tier=front").Matches(o));
  EXPECT_FALSE(LabelSelector::Parse("app!=web").Matches(o));
  EXPECT_TRUE(LabelSelector::Parse("app in (web, api)").Matches(o));
  EXPECT_FALSE(LabelSelector::Parse("app notin (web,api)").Matches(o));
  EXPECT_TRUE(LabelSelector::Parse("tier").Matches(o));
  EXPECT_FALSE(LabelSelector::Parse("!tier").Matches(o));
  EXPECT_TRUE(LabelSelector::Parse("!missing").Matches(o));
  EXPECT_TRUE(LabelSelector::Parse("missing!=x").Matches(o));  // absent key satisfies !=
  EXPECT_FALSE(LabelSelector::Parse("missing in (x)").Matches(o));
  EXPECT_TRUE(LabelSelector::Parse("n>4").Matches(o));
  EXPECT_FALSE(LabelSelector::Parse("n<5").Matches(o));
  EXPECT_TRUE(LabelSelector::Parse("").Matches(o));
}

TEST(LabelSelectorTest, MalformedSelectorsAre400) {
  for (const char* bad : {"app in web", "a b=c", "app=in valid", "=x", "a,,b"}) {
    try {
      LabelSelector::Parse(bad);
      ADD_FAILURE() << "accepted " << bad;
    } catch (const ApiError& e) {
      EXPECT_EQ(e.code(), 400) << bad;
      EXPECT_NE(std::string(e.what()).find("unable to parse requirement"), std::string::npos) << bad;
    }
  }
}

TEST(LabelSelectorTest, FromObjectMatchExpressions) {
  auto sel = LabelSelector::FromObject(value::parse(
      R"({"matchLabels":{"app":"web"},"matchExpressions":[{"key":"tier","operator":"In","values":["front"]}]})"));
  EXPECT_TRUE(sel.Matches(Obj(R"({"app":"web","tier":"front"})")));
  EXPECT_FALSE(sel.Matches(Obj(R"({"app":"web"})")));
}

TEST(FieldSelectorTest, PodFieldsAndUnsupportedField) {
  ResourceRegistry reg;
  auto pods = reg.Find("", "v1", "pods");
  value o = Obj("{}");
  EXPECT_TRUE(FieldSelector::Parse("spec.nodeName=n1,status.phase!=Failed", *pods).Matches(o));
  EXPECT_FALSE(FieldSelector::Parse("metadata.name=q", *pods).Matches(o));
  EXPECT_TRUE(FieldSelector::Parse("metadata.namespace==ns", *pods).Matches(o));
  try {
    FieldSelector::Parse("spec.foo=bar", *pods);
    FAIL();
  } catch (const ApiError& e) {
    EXPECT_EQ(e.code(), 400);
    EXPECT_STREQ(e.what(), "field label not supported: spec.foo");
  }
  auto nodes = reg.Find("", "v1", "nodes");
  EXPECT_THROW(FieldSelector::Parse("spec.nodeName=x", *nodes), ApiError);
}

}  // namespace
}  // namespace riposte::testapi
