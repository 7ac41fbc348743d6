// Offline: every command block in README.md and docs/*.md carries a well-formed doctest marker
// (run, output or skip with its reason), so a new command in the docs is either run by the
// end-to-end suite (tests/e2e/doc_test.cc) or says why it cannot be.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "tests/doc/doc_blocks.h"

namespace riposte::doctest {
namespace {

namespace fs = std::filesystem;

fs::path Repo() { return fs::path(RIPOSTE_TEST_DATA_DIR).parent_path().parent_path(); }

std::vector<std::string> Documents() {
  std::vector<std::string> out = {"README.md"};
  for (const auto& e : fs::directory_iterator(Repo() / "docs"))
    if (e.path().extension() == ".md") out.push_back("docs/" + e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

std::string Read(const std::string& rel) {
  std::ifstream in(Repo() / rel);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(DocMarkers, EveryCommandBlockIsMarked) {
  int commands = 0, runnable = 0;
  for (const auto& doc : Documents()) {
    for (const auto& b : ParseBlocks(Read(doc), doc)) {
      if (b.marker && !b.marker->error.empty()) {
        ADD_FAILURE() << doc << ":" << b.marker->line << ": " << b.marker->error;
        continue;
      }
      if (!b.command) continue;
      ++commands;
      if (!b.marker) {
        ADD_FAILURE() << doc << ":" << b.fence_line
                      << ": a command block without a doctest marker; put <!-- doctest: run --> (the end-to-end suite "
                         "runs it) or <!-- doctest: skip REASON --> on the line before the fence (docs/testing.md)";
        continue;
      }
      if (b.marker->kind != "skip") ++runnable;
      if (b.marker->kind == "output") {
        ADD_FAILURE() << doc << ":" << b.fence_line << ": an output marker on a command block; use run";
      }
    }
  }
  EXPECT_GT(commands, 20) << "found suspiciously few command blocks";
  EXPECT_GT(runnable, 8);
}

TEST(DocMarkers, RunnableBlocksHaveSomethingToRun) {
  for (const auto& doc : Documents()) {
    for (const auto& b : ParseBlocks(Read(doc), doc)) {
      if (!b.marker || b.marker->kind != "run") continue;
      bool any = false;
      for (const auto& l : b.lines) any |= !l.empty() && l[0] != '#';
      EXPECT_TRUE(any) << doc << ":" << b.fence_line << ": a run block without commands";
      auto steps = ConsoleSteps(b);
      if (!steps.empty()) {
        EXPECT_EQ(b.lines[0].rfind("$ ", 0), 0u) << doc << ":" << b.fence_line
                                                   << ": a console block starts with its first command";
      }
    }
  }
}

}  // namespace
}  // namespace riposte::doctest
