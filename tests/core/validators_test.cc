#include "core/validators.h"

#include <gtest/gtest.h>

#include "core/scanners.h"

namespace riposte::core {
namespace {

TEST(Validators, NamesAndUuids) {
  EXPECT_TRUE(IsDnsLabel("kube-system"));
  EXPECT_FALSE(IsDnsLabel("Kube"));
  EXPECT_FALSE(IsDnsLabel("-a"));
  EXPECT_TRUE(IsDnsSubdomain("nginx.ingress.kubernetes.io"));
  EXPECT_FALSE(IsDnsSubdomain("a..b"));
  EXPECT_TRUE(IsIngressHost("*.example.com"));
  EXPECT_FALSE(IsIngressHost("*example.com"));
  EXPECT_TRUE(IsUuid("5f0c6a3e-3b1c-4d7e-9a1b-2c3d4e5f6a7b"));
  EXPECT_FALSE(IsUuid("5f0c6a3e-3b1c-4d7e-9a1b-2c3d4e5f6a7"));
}

TEST(Validators, NginxVariables) {
  EXPECT_EQ(NginxVariableLength("$host/x", 0), 5u);
  EXPECT_EQ(NginxVariableLength("${request_uri}x", 0), 14u);
  EXPECT_EQ(NginxVariableLength("${a", 0), 0u);
  EXPECT_EQ(NginxVariableLength("$;", 0), 0u);
}

TEST(Validators, ReportTheOffendingOffset) {
  auto bad = CheckUrl("https://a.example.com/x;y", true);
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->pos, 23u);
  bad = CheckCidrList("10.0.0.0/8, 300.1.1.1");
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->pos, 12u);
}

TEST(Validators, RegexIsLinearOnPathologicalInput) {
  // Nested quantifiers are just characters to a validator that never backtracks.
  std::string evil = "CN=";
  for (int i = 0; i < 20000; ++i) evil += "(a+)+";
  EXPECT_FALSE(CheckCommonName(evil));
  EXPECT_TRUE(CheckCommonName(evil + "\""));
}

TEST(Scanners, ControlDirectiveSensitive) {
  EXPECT_FALSE(FindControl("plain text"));
  EXPECT_EQ(FindControl("ab\ncd")->pos, 2u);
  EXPECT_FALSE(FindControl("a\nb", true));
  EXPECT_EQ(FindDirective("x; ssl_engine y")->pos, 3u);
  EXPECT_FALSE(FindDirective("my_ssl_engine_name"));
  EXPECT_EQ(FindSensitivePath("alias /var/run//secrets/;")->pos, 10u);  // "/run/secrets"
  EXPECT_TRUE(FindSensitivePath("/var/run/x/../secrets/token"));
  EXPECT_FALSE(FindSensitivePath("/proc-docs/1/fd"));
  EXPECT_TRUE(FindSensitivePath("/proc/PROC/fd/FD"));
  EXPECT_FALSE(FindSnippetDanger("include /etc/nginx/modsecurity/modsecurity.conf;"));
  EXPECT_TRUE(FindSnippetDanger("include /etc/nginx/modsecurity/../../../etc/passwd;"));
}

}  // namespace
}  // namespace riposte::core
