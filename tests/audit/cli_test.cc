// The `riposte audit` command as a user runs it: flags, formats, exit codes, --output.

#include <gtest/gtest.h>

#include <filesystem>

#include "tests/audit/audit_test_util.h"
#include "tests/support/files.h"
#include "tests/support/process.h"

namespace riposte::audit {
namespace {

using testing::DataPath;
using riposte::testing::RunProcess;

class AuditCliTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = riposte::testing::MakeTempDir("riposte-audit-cli"); ASSERT_FALSE(dir_.empty()); }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  riposte::testing::ProcessResult Run(std::vector<std::string> args) {
    args.insert(args.begin(), {RIPOSTE_BINARY, "audit"});
    return RunProcess(args, std::chrono::seconds(60), dir_);
  }
  std::string dir_;
};

TEST_F(AuditCliTest, SnapshotJsonAtRisk) {
  auto r = Run({"--snapshot", DataPath("cluster_vulnerable.json"), "--format", "json", "--no-timestamp"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  auto doc = web::json::value::parse(r.out);
  EXPECT_EQ(doc.at("schema").as_string(), "riposte.io/audit/v1");
  EXPECT_FALSE(doc.has_field("generatedAt"));
  EXPECT_TRUE(doc.at("atRisk").as_bool());
  EXPECT_EQ(doc.at("controllers").size(), 1u);
  EXPECT_EQ(doc.at("exitCode").as_integer(), r.exit_code);
}

TEST_F(AuditCliTest, TextToOutputFile) {
  std::string out = dir_ + "/report.txt";
  auto r = Run({"--snapshot", DataPath("cluster_fixed.json"), "--output", out});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_TRUE(r.out.empty());
  std::string text = riposte::testing::ReadFile(out);
  EXPECT_EQ(text.rfind("Riposte audit of ", 0), 0u);
  EXPECT_NE(text.find("at "), std::string::npos);  // timestamped by default
  for (const auto& e : std::filesystem::directory_iterator(dir_)) {
    EXPECT_EQ(e.path().filename().string().find(".tmp."), std::string::npos) << "temporary file left behind";
  }
}

TEST_F(AuditCliTest, HtmlFormat) {
  auto r = Run({"--snapshot", DataPath("cluster_mirror.json"), "--format", "html"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_EQ(r.out.rfind("<!DOCTYPE html>", 0), 0u);
}

TEST_F(AuditCliTest, UsageErrorsExit2WithAMessage) {
  struct Case {
    std::vector<std::string> args;
    std::string message;
  } cases[] = {
      {{"--format", "yaml"}, "unknown --format \"yaml\""},
      {{"--bogus"}, "bogus"},
      {{"extra"}, "unexpected argument \"extra\""},
      {{"--namespace", "Bad_NS"}, "--namespace"},
      {{"--page-size", "0"}, "--page-size"},
      {{"--snapshot", "/nonexistent.json"}, "/nonexistent.json: cannot open"},
      {{"--snapshot", DataPath("cluster_fixed.json"), "--kubeconfig", "/x"}, "cannot be combined"},
      {{"--kubeconfig", "/nonexistent/kubeconfig"}, "kubeconfig"},
  };
  for (const auto& c : cases) {
    auto r = Run(c.args);
    EXPECT_EQ(r.exit_code, 2) << c.args[0];
    EXPECT_NE(r.err.find(c.message), std::string::npos) << c.args[0] << ": " << r.err;
  }
}

TEST_F(AuditCliTest, MalformedSnapshotIsAClearError) {
  std::string bad = dir_ + "/bad.json";
  std::ofstream(bad) << R"({"resources": {"pods": "nope"}})";
  auto r = Run({"--snapshot", bad});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("resources.pods: must be an array"), std::string::npos) << r.err;
}

TEST_F(AuditCliTest, UnwritableOutputExit2) {
  auto r = Run({"--snapshot", DataPath("cluster_fixed.json"), "--output", dir_ + "/no/such/dir/report.txt"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("cannot write"), std::string::npos) << r.err;
}

TEST_F(AuditCliTest, MigrationInventoryOnlyWithTheFlag) {
  auto plain = Run({"--snapshot", DataPath("cluster_vulnerable.json"), "--format", "json", "--no-timestamp"});
  auto with = Run({"--snapshot", DataPath("cluster_vulnerable.json"), "--format", "json", "--no-timestamp", "--migration"});
  EXPECT_EQ(with.exit_code, plain.exit_code) << with.err;  // planning information, not exposure
  EXPECT_FALSE(web::json::value::parse(plain.out).has_field("migration"));
  auto doc = web::json::value::parse(with.out);
  ASSERT_TRUE(doc.has_field("migration"));
  EXPECT_EQ(doc.at("migration").at("summary").at("ingresses").as_integer(), 3);
  // The rest of the report is unchanged by the flag.
  EXPECT_EQ(doc.at("findings"), web::json::value::parse(plain.out).at("findings"));

  auto text = Run({"--snapshot", DataPath("cluster_vulnerable.json"), "--migration"});
  EXPECT_NE(text.out.find("== Migration to Gateway API =="), std::string::npos) << text.out;
  auto html = Run({"--snapshot", DataPath("cluster_vulnerable.json"), "--migration", "--format", "html"});
  EXPECT_NE(html.out.find("<section id=\"migration\">"), std::string::npos);
  auto help = Run({"--help"});
  EXPECT_NE(help.out.find("migration"), std::string::npos);
}

}  // namespace
}  // namespace riposte::audit
