#pragma once
// The documentation's fenced blocks as the doc tests read them (docs/testing.md, "Documentation
// tests"). A block is marked by an HTML comment on the line right before its opening fence,
// which GitHub does not render:
//
//   <!-- doctest: run [path=NAME] [exit=N] [volatile="REGEX"]... -->
//   <!-- doctest: output cmd="COMMAND" [path=NAME] [exit=N] [volatile="REGEX"]... -->
//   <!-- doctest: skip REASON -->
//
// `run`: a command block. In console style (lines starting with "$ ") every command runs in
// turn and the lines after it, up to the next "$ ", are its expected output; a trailing
// "# exit N" comment on a command line says its exit status (default 0). Without "$ " lines the
// block is one bash script run with `set -e` (expected exit 0, or exit=N).
// `output`: the block is the expected output of COMMAND (exit=N its status).
// `skip`: not runnable here; the reason is required and shows up in the suite's log.
// Every command block (info string sh, bash, shell, console, or an untagged block that starts
// with "$ " or a known command) must carry a marker; tests/doc checks that offline.
//
// Expected output is compared line by line, trailing spaces and leading/trailing blank lines
// ignored: a line that is just "..."
// stands for any number of lines, "..." inside a line for any text, RFC 3339 timestamps and
// each marker's volatile regexes match any value. Everything else must be exactly what runs.

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace riposte::doctest {

struct Marker {
  std::string kind;  // run, output, skip
  std::multimap<std::string, std::string> options;  // path, exit, volatile, cmd
  std::string reason;  // skip
  int line = 0;
  std::string error;  // malformed marker ("" = fine)

  std::string Option(const std::string& key, const std::string& def = "") const;
  std::vector<std::string> Options(const std::string& key) const;
};

struct Block {
  std::string file;
  int fence_line = 0;  // 1-based line of the opening fence
  std::string info;    // info string ("sh", "console", "", ...)
  std::vector<std::string> lines;  // content lines, fence_line + 1 onwards
  std::optional<Marker> marker;
  bool command = false;  // a command block: must be marked

  std::string Where(int offset = 0) const;  // "file:line" of content line `offset` (0-based)
};

// Every fenced block of a Markdown text, with its marker (when the line before the fence is one).
std::vector<Block> ParseBlocks(const std::string& text, const std::string& file);

struct Step {
  std::string command;  // continuation lines joined with "\n"
  int line = 0;         // 1-based line of the "$ "
  int exit_code = 0;
  std::vector<std::string> expected;  // output lines shown after it
  int expected_line = 0;              // 1-based line of the first expected line
};
// Console-style steps ("$ " lines); empty when the block has none.
std::vector<Step> ConsoleSteps(const Block& block);

struct Match {
  bool ok = false;
  std::string explanation;  // on failure: which documented line (file:line) is not in the output, and the output
};
// `expected` starts at `file`:`first_line`; `actual` is what ran.
Match MatchOutput(const std::vector<std::string>& expected, const std::string& file, int first_line,
                  const std::string& actual, const std::vector<std::string>& volatile_patterns);

}  // namespace riposte::doctest
