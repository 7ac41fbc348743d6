#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>

#include "controller/token_auth.h"

namespace riposte::controller {
namespace {

std::string TempFile(const std::string& content) {
  char path[] = "/tmp/riposte-token-XXXXXX";
  int fd = mkstemp(path);
  EXPECT_GE(fd, 0);
  close(fd);
  std::ofstream(path) << content;
  return path;
}

TEST(TokenFile, AcceptsOnlyTheBearerToken) {
  auto path = TempFile("s3cr3t-token-0123456789\n");
  TokenFile t(path);
  std::string err;
  ASSERT_TRUE(t.Load(&err)) << err;
  EXPECT_TRUE(t.Check("Bearer s3cr3t-token-0123456789"));
  EXPECT_TRUE(t.Check("bearer s3cr3t-token-0123456789"));
  EXPECT_FALSE(t.Check("Bearer s3cr3t-token-012345678"));
  EXPECT_FALSE(t.Check("Bearer s3cr3t-token-0123456789x"));
  EXPECT_FALSE(t.Check("Basic s3cr3t-token-0123456789"));
  EXPECT_FALSE(t.Check(""));
  EXPECT_FALSE(t.Check("Bearer "));
  std::remove(path.c_str());
}

TEST(TokenFile, RereadsARotatedTokenAndKeepsTheOldOneOnABadRewrite) {
  auto path = TempFile("first-token-0123456789");
  TokenFile t(path);
  std::string err;
  ASSERT_TRUE(t.Load(&err));
  // Rotate: new content and a different size, so the change is seen even within one mtime tick.
  std::ofstream(path) << "second-token-0123456789-rotated";
  EXPECT_TRUE(t.Check("Bearer second-token-0123456789-rotated"));
  EXPECT_FALSE(t.Check("Bearer first-token-0123456789"));
  std::ofstream(path) << "";  // emptied by mistake: keep the last good token
  EXPECT_TRUE(t.Check("Bearer second-token-0123456789-rotated"));
  std::remove(path.c_str());
}

TEST(TokenFile, RefusesShortOrMissingTokens) {
  auto path = TempFile("short");
  TokenFile t(path);
  std::string err;
  EXPECT_FALSE(t.Load(&err));
  EXPECT_FALSE(t.Check("Bearer short"));
  TokenFile missing("/nonexistent/token");
  EXPECT_FALSE(missing.Load(&err));
  std::remove(path.c_str());
}

TEST(ConstantTimeEquals, ComparesContent) {
  EXPECT_TRUE(ConstantTimeEquals("abc", "abc"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abd"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abcd"));
}

}  // namespace
}  // namespace riposte::controller
