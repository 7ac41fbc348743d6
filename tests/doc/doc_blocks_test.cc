// The doc tests' reading of Markdown (markers, console steps) and their output matcher: what
// counts as a match, and what a mismatch tells the person who changed the output.
#include <gtest/gtest.h>

#include "tests/doc/doc_blocks.h"

namespace riposte::doctest {
namespace {

TEST(DocBlocks, MarkersAndCommandBlocks) {
  const std::string md =
      "# T\n"
      "<!-- doctest: run path=helm volatile=\"renewed [0-9]+s\" -->\n"
      "```console\n"
      "$ riposte verify\n"
      "PROTECTED\n"
      "```\n"
      "\n"
      "<!-- doctest: skip needs a container engine and root -->\n"
      "```sh\n"
      "docker build .\n"
      "```\n"
      "```\n"
      "riposte scan [--policy FILE] PATH...\n"
      "```\n"
      "```\n"
      "kubectl get pods\n"
      "```\n"
      "  ```yaml\n"
      "  a: 1\n"
      "  ```\n"
      "<!-- doctest: output cmd=\"riposte --help\" exit=0 -->\n"
      "```\n"
      "usage\n"
      "```\n";
  auto blocks = ParseBlocks(md, "x.md");
  ASSERT_EQ(blocks.size(), 6u);
  EXPECT_EQ(blocks[0].fence_line, 3);
  ASSERT_TRUE(blocks[0].marker);
  EXPECT_EQ(blocks[0].marker->kind, "run");
  EXPECT_EQ(blocks[0].marker->Option("path"), "helm");
  EXPECT_EQ(blocks[0].marker->Options("volatile"), std::vector<std::string>{"renewed [0-9]+s"});
  EXPECT_TRUE(blocks[0].command);
  EXPECT_EQ(blocks[1].marker->kind, "skip");
  EXPECT_EQ(blocks[1].marker->reason, "needs a container engine and root");
  EXPECT_FALSE(blocks[2].command) << "a synopsis is not a command";
  EXPECT_TRUE(blocks[3].command) << "an untagged block that starts with kubectl is";
  EXPECT_FALSE(blocks[3].marker);
  EXPECT_FALSE(blocks[4].command);
  EXPECT_EQ(blocks[4].lines, std::vector<std::string>{"a: 1"}) << "indented fences lose their indentation";
  EXPECT_EQ(blocks[5].marker->kind, "output");
  EXPECT_EQ(blocks[5].marker->Option("cmd"), "riposte --help");
  EXPECT_EQ(blocks[0].Where(1), "x.md:5");
}

TEST(DocBlocks, MalformedMarkersAreReported) {
  auto bad = [](const std::string& marker) {
    auto b = ParseBlocks(marker + "\n```sh\nx\n```\n", "m.md");
    return b.at(0).marker->error;
  };
  EXPECT_EQ(bad("<!-- doctest: run -->"), "");
  EXPECT_EQ(bad("<!-- doctest: skip -->"), "a skip needs its reason (at least a few words)");
  EXPECT_EQ(bad("<!-- doctest: runn -->"), "unknown doctest kind \"runn\" (run, output, skip)");
  EXPECT_EQ(bad("<!-- doctest: run pth=x -->"), "unknown option \"pth\" (path, exit, volatile, cmd)");
  EXPECT_EQ(bad("<!-- doctest: run exit=one -->"), "exit=one is not a number");
  EXPECT_EQ(bad("<!-- doctest: output -->"), "an output block names its command: cmd=\"...\"");
  EXPECT_NE(bad("<!-- doctest: run volatile=\"(\" -->").find("is not a regular expression"), std::string::npos);
}

TEST(DocBlocks, ConsoleStepsWithContinuationsAndExitComments) {
  auto b = ParseBlocks(
      "```console\n$ riposte scan --format json examples/ | tail -1\n{\"summary\":1}\n\n$ kubectl apply \\\n"
      "    -f x.yaml      # exit 1: denied\nError from server\n$ true\n```\n",
      "c.md")[0];
  auto steps = ConsoleSteps(b);
  ASSERT_EQ(steps.size(), 3u);
  EXPECT_EQ(steps[0].command, "riposte scan --format json examples/ | tail -1");
  EXPECT_EQ(steps[0].exit_code, 0);
  EXPECT_EQ(steps[0].expected, (std::vector<std::string>{"{\"summary\":1}", ""}));
  EXPECT_EQ(steps[0].expected_line, 3);
  EXPECT_EQ(steps[1].command, "kubectl apply \\\n    -f x.yaml      # exit 1: denied");
  EXPECT_EQ(steps[1].exit_code, 1);
  EXPECT_EQ(steps[1].line, 5);
  EXPECT_EQ(steps[1].expected, std::vector<std::string>{"Error from server"});
  EXPECT_TRUE(steps[2].expected.empty());
}

TEST(DocMatch, ElisionsVolatileFieldsAndTrailingSpace) {
  const std::string out = "FAIL: 14 finding(s)\nline a\nline b\n  fix: do this and that   \n"
                          "renewed 12s ago at 2026-11-28T11:18:56.988Z\n";
  EXPECT_TRUE(MatchOutput({"FAIL: 14 finding(s)", "...", "  fix: do this ...", "renewed 3s ago at 2020-01-01T00:00:00Z"},
                          "r.md", 10, out, {"[0-9]+s ago"}).ok);
  EXPECT_TRUE(MatchOutput({"...", "renewed ...", ""}, "r.md", 10, out, {}).ok) << "trailing blank lines are ignored";
  EXPECT_TRUE(MatchOutput({"FAIL: 14 finding(s)", "..."}, "r.md", 10, "\n\n" + out, {}).ok) << "so are leading ones";
  EXPECT_TRUE(MatchOutput({"FAIL: ... finding(s)", "..."}, "r.md", 10, out, {}).ok);
  EXPECT_FALSE(MatchOutput({"FAIL: 14 finding(s)"}, "r.md", 10, out, {}).ok) << "unelided extra lines are a difference";
  EXPECT_FALSE(MatchOutput({"...", "renewed 3s ago at 2020-01-01T00:00:00Z"}, "r.md", 10, out, {}).ok)
      << "a duration is only volatile when the marker says so";
  EXPECT_TRUE(MatchOutput({}, "r.md", 10, "", {}).ok);
  EXPECT_FALSE(MatchOutput({}, "r.md", 10, "something\n", {}).ok);
}

TEST(DocMatch, AMismatchNamesTheDocumentedLineAndShowsTheRealOutput) {
  auto m = MatchOutput({"FAIL: 14 finding(s)", "...", "exit code: 1"}, "README.md", 80,
                       "FAIL: 15 finding(s)\nexit code: 1\n", {});
  ASSERT_FALSE(m.ok);
  EXPECT_NE(m.explanation.find("README.md:80: the documented output line\n    FAIL: 14 finding(s)\n  is not in the real output"),
            std::string::npos) << m.explanation;
  EXPECT_NE(m.explanation.find("    | FAIL: 15 finding(s)"), std::string::npos) << m.explanation;
  m = MatchOutput({"a", "b", "c"}, "d.md", 5, "a\nb\nX\n", {});
  EXPECT_NE(m.explanation.find("d.md:7: the documented output line\n    c\n"), std::string::npos) << m.explanation;
  m = MatchOutput({"a"}, "d.md", 5, "a\nmore\n", {});
  EXPECT_NE(m.explanation.find("the real output has more lines"), std::string::npos) << m.explanation;
}

}  // namespace
}  // namespace riposte::doctest
