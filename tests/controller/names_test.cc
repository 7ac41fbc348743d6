#include <gtest/gtest.h>

#include "controller/names.h"

namespace riposte::controller {
namespace {

TEST(Names, DnsLabelAndSubdomain) {
  EXPECT_TRUE(IsDnsLabel("shop"));
  EXPECT_TRUE(IsDnsLabel("ingress-nginx"));
  EXPECT_FALSE(IsDnsLabel(""));
  EXPECT_FALSE(IsDnsLabel("-shop"));
  EXPECT_FALSE(IsDnsLabel("Shop"));
  EXPECT_FALSE(IsDnsLabel("shop/pods/other?x="));
  EXPECT_FALSE(IsDnsLabel(std::string(64, 'a')));
  EXPECT_TRUE(IsDnsSubdomain("web-7d9c8f-abcde"));
  EXPECT_TRUE(IsDnsSubdomain("a.b-c.d"));
  EXPECT_FALSE(IsDnsSubdomain("../../etc/passwd"));
  EXPECT_FALSE(IsDnsSubdomain("a..b"));
  EXPECT_FALSE(IsDnsSubdomain("<NA>"));
  // Pod names: the API server limits the whole name to 253 characters, not each label to 63.
  EXPECT_TRUE(IsDnsSubdomain(std::string(100, 'a')));
  EXPECT_TRUE(IsDnsSubdomain(std::string(253, 'a')));
  EXPECT_FALSE(IsDnsSubdomain(std::string(254, 'a')));
}

TEST(Names, LabelsAndKeys) {
  EXPECT_TRUE(IsLabelValue(""));
  EXPECT_TRUE(IsLabelValue("My_value.1"));
  EXPECT_FALSE(IsLabelValue("a b"));
  EXPECT_TRUE(IsQualifiedName("riposte.io/quarantine"));
  EXPECT_TRUE(IsQualifiedName("app"));
  EXPECT_FALSE(IsQualifiedName("riposte.io/"));
  EXPECT_FALSE(IsQualifiedName("/x"));
}

TEST(Names, DerivedNamesAreValidStableAndUnique) {
  EXPECT_EQ(DerivedName("riposte-quarantine", "ra-1"), "riposte-quarantine-ra-1");
  std::string long_a = DerivedName("riposte-quarantine", std::string(80, 'a') + "x");
  std::string long_b = DerivedName("riposte-quarantine", std::string(80, 'a') + "y");
  EXPECT_TRUE(IsDnsLabel(long_a)) << long_a;
  EXPECT_NE(long_a, long_b);
  EXPECT_EQ(long_a, DerivedName("riposte-quarantine", std::string(80, 'a') + "x"));
  EXPECT_TRUE(IsDnsLabel(DerivedName("", "Weird.Name_X")));
}

}  // namespace
}  // namespace riposte::controller
