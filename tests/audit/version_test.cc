#include "audit/version.h"

#include <gtest/gtest.h>

namespace riposte::audit {
namespace {

TEST(ParseVersion, AcceptsTagShapes) {
  EXPECT_EQ(ParseVersion("v1.11.4"), (Version{1, 11, 4}));
  EXPECT_EQ(ParseVersion("1.12.1"), (Version{1, 12, 1}));
  EXPECT_EQ(ParseVersion("controller-v1.13.0"), (Version{1, 13, 0}));
  EXPECT_EQ(ParseVersion("v1.13.0-chroot"), (Version{1, 13, 0}));
  EXPECT_EQ(ParseVersion("v1.9"), (Version{1, 9, 0}));
  EXPECT_EQ(ParseVersion("v0.49.3"), (Version{0, 49, 3}));
}

TEST(ParseVersion, RejectsNonVersions) {
  for (const char* s : {"", "latest", "v", "v1", "v1.", "1.x.2", "v1.2.3beta", "sha256:abc", "v99999999.1.1"}) {
    EXPECT_FALSE(ParseVersion(s).has_value()) << s;
  }
}

TEST(ParseVersion, OrdersNumerically) {
  EXPECT_LT(*ParseVersion("v1.9.0"), *ParseVersion("v1.10.0"));
  EXPECT_LT(*ParseVersion("v1.11.10"), *ParseVersion("v1.12.0"));
}

TEST(IsBelowFix, PerBranchFixes) {
  const std::vector<Version> fixed = {{1, 11, 5}, {1, 12, 1}};
  EXPECT_TRUE(IsBelowFix({1, 11, 4}, fixed));
  EXPECT_FALSE(IsBelowFix({1, 11, 5}, fixed));
  EXPECT_FALSE(IsBelowFix({1, 11, 9}, fixed));  // later patch of a fixed branch
  EXPECT_TRUE(IsBelowFix({1, 12, 0}, fixed));
  EXPECT_FALSE(IsBelowFix({1, 12, 1}, fixed));
  EXPECT_TRUE(IsBelowFix({1, 10, 6}, fixed));   // branch never patched
  EXPECT_FALSE(IsBelowFix({1, 13, 0}, fixed));  // newer branch than every fix
  EXPECT_FALSE(IsBelowFix({1, 0, 0}, {}));
}

TEST(UpgradeTarget, BranchFixOrNextFixedRelease) {
  const std::vector<Version> fixed = {{1, 13, 7}, {1, 14, 3}};
  EXPECT_EQ(UpgradeTarget({1, 13, 2}, fixed), (Version{1, 13, 7}));
  EXPECT_EQ(UpgradeTarget({1, 11, 4}, fixed), (Version{1, 13, 7}));
  EXPECT_EQ(UpgradeTarget({1, 14, 0}, fixed), (Version{1, 14, 3}));
  EXPECT_FALSE(UpgradeTarget({1, 14, 3}, fixed).has_value());
}

}  // namespace
}  // namespace riposte::audit
