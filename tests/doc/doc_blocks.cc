#include "tests/doc/doc_blocks.h"

#include <regex>
#include <sstream>

namespace riposte::doctest {

namespace {

std::string Trim(const std::string& s) {
  size_t a = s.find_first_not_of(" \t");
  if (a == std::string::npos) return "";
  size_t b = s.find_last_not_of(" \t\r");
  return s.substr(a, b - a + 1);
}

std::string RTrim(std::string s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.pop_back();
  return s;
}

std::vector<std::string> SplitLines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

// `run path=helm volatile="a b"` -> kind and options; `skip reason...`.
Marker ParseMarker(const std::string& body, int line) {
  Marker m;
  m.line = line;
  std::string rest = Trim(body);
  size_t sp = rest.find_first_of(" \t");
  m.kind = rest.substr(0, sp);
  rest = sp == std::string::npos ? "" : Trim(rest.substr(sp));
  if (m.kind == "skip") {
    m.reason = rest;
    if (m.reason.size() < 10) m.error = "a skip needs its reason (at least a few words)";
    return m;
  }
  if (m.kind != "run" && m.kind != "output") {
    m.error = "unknown doctest kind \"" + m.kind + "\" (run, output, skip)";
    return m;
  }
  size_t i = 0;
  while (i < rest.size()) {
    while (i < rest.size() && (rest[i] == ' ' || rest[i] == '\t')) ++i;
    if (i >= rest.size()) break;
    size_t eq = rest.find('=', i);
    if (eq == std::string::npos) {
      m.error = "expected key=value at \"" + rest.substr(i) + "\"";
      return m;
    }
    std::string key = rest.substr(i, eq - i);
    std::string value;
    i = eq + 1;
    if (i < rest.size() && rest[i] == '"') {
      size_t close = rest.find('"', i + 1);
      if (close == std::string::npos) {
        m.error = "unterminated quote in " + key;
        return m;
      }
      value = rest.substr(i + 1, close - i - 1);
      i = close + 1;
    } else {
      size_t end = rest.find_first_of(" \t", i);
      value = rest.substr(i, end == std::string::npos ? std::string::npos : end - i);
      i = end == std::string::npos ? rest.size() : end;
    }
    if (key != "path" && key != "exit" && key != "volatile" && key != "cmd") {
      m.error = "unknown option \"" + key + "\" (path, exit, volatile, cmd)";
      return m;
    }
    if (key == "volatile") {
      try {
        std::regex re(value);
      } catch (const std::regex_error& e) {
        m.error = "volatile=\"" + value + "\" is not a regular expression: " + e.what();
        return m;
      }
    }
    if (key == "exit" && !std::regex_match(value, std::regex("[0-9]{1,3}"))) {
      m.error = "exit=" + value + " is not a number";
      return m;
    }
    m.options.emplace(key, value);
  }
  if (m.kind == "output" && m.Option("cmd").empty()) m.error = "an output block names its command: cmd=\"...\"";
  if (m.kind == "run" && !m.Option("cmd").empty()) m.error = "cmd= belongs to output blocks";
  return m;
}

bool LooksLikeCommand(const std::string& first) {
  static const std::regex kCommand(
      R"(^(\$ |(kubectl|helm|riposte|bash|sh|curl|docker|buildah|podman|openssl|cmake|ctest|git|go|make|sudo|export|eval)(\s|$)|build/|scripts/|\./))");
  if (first.rfind("$ ", 0) == 0) return true;
  // A synopsis ("riposte scan [--policy FILE] PATH...") is not a command.
  return std::regex_search(first, kCommand) && first.find(" [") == std::string::npos;
}

// A line of expected output against a line of actual output: "..." matches any text.
bool LineMatches(const std::string& pattern, const std::string& line) {
  std::vector<std::string> parts;
  for (size_t at = 0;;) {
    size_t d = pattern.find("...", at);
    parts.push_back(pattern.substr(at, d == std::string::npos ? std::string::npos : d - at));
    if (d == std::string::npos) break;
    at = d + 3;
  }
  if (parts.size() == 1) return pattern == line;
  if (line.compare(0, parts.front().size(), parts.front()) != 0) return false;
  size_t pos = parts.front().size();
  for (size_t k = 1; k + 1 < parts.size(); ++k) {
    size_t f = line.find(parts[k], pos);
    if (f == std::string::npos) return false;
    pos = f + parts[k].size();
  }
  const std::string& last = parts.back();
  return line.size() >= pos + last.size() && line.compare(line.size() - last.size(), last.size(), last) == 0;
}

bool IsElision(const std::string& line) { return Trim(line) == "..."; }

std::string Normalize(const std::string& line, const std::vector<std::regex>& volatiles) {
  std::string out = RTrim(line);
  for (const auto& re : volatiles) out = std::regex_replace(out, re, "\x01");
  return out;
}

// Whether expected[i..] matches actual[j..] (memoized).
bool Matches(const std::vector<std::string>& e, const std::vector<std::string>& a, size_t i, size_t j,
             std::vector<signed char>& memo) {
  signed char& m = memo[i * (a.size() + 1) + j];
  if (m >= 0) return m == 1;
  bool r;
  if (i == e.size()) {
    r = j == a.size();
  } else if (IsElision(e[i])) {
    r = Matches(e, a, i + 1, j, memo) || (j < a.size() && Matches(e, a, i, j + 1, memo));
  } else {
    r = j < a.size() && LineMatches(e[i], a[j]) && Matches(e, a, i + 1, j + 1, memo);
  }
  m = r ? 1 : 0;
  return r;
}

bool MatchAll(const std::vector<std::string>& e, const std::vector<std::string>& a) {
  std::vector<signed char> memo((e.size() + 1) * (a.size() + 1), -1);
  return Matches(e, a, 0, 0, memo);
}

}  // namespace

std::string Marker::Option(const std::string& key, const std::string& def) const {
  auto it = options.find(key);
  return it == options.end() ? def : it->second;
}

std::vector<std::string> Marker::Options(const std::string& key) const {
  std::vector<std::string> out;
  auto [a, b] = options.equal_range(key);
  for (auto it = a; it != b; ++it) out.push_back(it->second);
  return out;
}

std::string Block::Where(int offset) const { return file + ":" + std::to_string(fence_line + 1 + offset); }

std::vector<Block> ParseBlocks(const std::string& text, const std::string& file) {
  std::vector<Block> out;
  auto lines = SplitLines(text);
  static const std::regex kMarker(R"(^\s*<!--\s*doctest:(.*)-->\s*$)");
  for (size_t i = 0; i < lines.size(); ++i) {
    const std::string& l = lines[i];
    size_t indent = l.find_first_not_of(' ');
    if (indent == std::string::npos || l.compare(indent, 3, "```") != 0) continue;
    size_t ticks = l.find_first_not_of('`', indent) == std::string::npos ? l.size() - indent : l.find_first_not_of('`', indent) - indent;
    Block b;
    b.file = file;
    b.fence_line = static_cast<int>(i) + 1;
    b.info = Trim(l.substr(indent + ticks));
    std::smatch m;
    if (i > 0 && std::regex_match(lines[i - 1], m, kMarker)) b.marker = ParseMarker(m[1].str(), static_cast<int>(i));
    size_t j = i + 1;
    for (; j < lines.size(); ++j) {
      size_t ind = lines[j].find_first_not_of(' ');
      if (ind != std::string::npos && lines[j].compare(ind, ticks, std::string(ticks, '`')) == 0 &&
          Trim(lines[j]).find_first_not_of('`') == std::string::npos)
        break;
      std::string content = lines[j];
      size_t strip = std::min(indent, content.find_first_not_of(' ') == std::string::npos ? content.size()
                                                                                          : content.find_first_not_of(' '));
      b.lines.push_back(content.substr(strip));
    }
    std::string first;
    for (const auto& c : b.lines)
      if (!Trim(c).empty()) {
        first = c;
        break;
      }
    static const std::vector<std::string> kShell = {"sh", "bash", "shell", "console", "shell-session", "zsh"};
    b.command = std::find(kShell.begin(), kShell.end(), b.info) != kShell.end() || (b.info.empty() && LooksLikeCommand(first));
    out.push_back(std::move(b));
    i = j;
  }
  return out;
}

std::vector<Step> ConsoleSteps(const Block& b) {
  std::vector<Step> steps;
  static const std::regex kExit(R"(#\s*exit\s+([0-9]{1,3})\b)");
  for (size_t i = 0; i < b.lines.size(); ++i) {
    const std::string& l = b.lines[i];
    if (l.rfind("$ ", 0) == 0) {
      Step s;
      s.line = b.fence_line + 1 + static_cast<int>(i);
      s.command = l.substr(2);
      while (!s.command.empty() && RTrim(s.command).back() == '\\' && i + 1 < b.lines.size()) s.command += "\n" + b.lines[++i];
      std::smatch m;
      std::string last = s.command.substr(s.command.rfind('\n') == std::string::npos ? 0 : s.command.rfind('\n') + 1);
      if (std::regex_search(last, m, kExit)) s.exit_code = std::stoi(m[1].str());
      s.expected_line = b.fence_line + 2 + static_cast<int>(i);
      steps.push_back(std::move(s));
    } else if (!steps.empty()) {
      steps.back().expected.push_back(l);
    }
  }
  return steps;
}

Match MatchOutput(const std::vector<std::string>& expected_in, const std::string& file, int first_line,
                  const std::string& actual_text, const std::vector<std::string>& volatile_patterns) {
  std::vector<std::regex> volatiles = {std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d))")};
  for (const auto& p : volatile_patterns) volatiles.emplace_back(p);
  std::vector<std::string> e, a;
  for (const auto& l : expected_in) e.push_back(Normalize(l, volatiles));
  for (const auto& l : SplitLines(actual_text)) a.push_back(Normalize(l, volatiles));
  while (!e.empty() && e.back().empty()) e.pop_back();
  while (!a.empty() && a.back().empty()) a.pop_back();
  // Leading blank lines are not shown in samples either.
  std::vector<std::string> expected(expected_in);
  while (!e.empty() && e.front().empty()) {
    e.erase(e.begin());
    expected.erase(expected.begin());
    ++first_line;
  }
  while (!a.empty() && a.front().empty()) a.erase(a.begin());
  Match r;
  if (MatchAll(e, a)) {
    r.ok = true;
    return r;
  }
  // The longest documented prefix that the output has, then the first line it lacks.
  size_t good = 0;
  for (size_t k = e.size(); k > 0; --k) {
    std::vector<std::string> prefix(e.begin(), e.begin() + static_cast<long>(k));
    prefix.push_back("...");
    if (MatchAll(prefix, a)) {
      good = k;
      break;
    }
  }
  std::ostringstream msg;
  if (good < e.size()) {
    msg << file << ":" << first_line + static_cast<int>(good) << ": the documented output line\n    " << expected[good]
        << "\n  is not in the real output" << (good > 0 ? " (after the lines above it, which matched)" : "") << ".\n";
  } else {
    msg << file << ":" << first_line << ": every documented line matched, but the real output has more lines after "
        << "the last one (end the sample with a \"...\" line if they are elided on purpose).\n";
  }
  msg << "  real output (" << a.size() << " lines):\n";
  auto lines = SplitLines(actual_text);
  for (size_t k = 0; k < lines.size() && k < 200; ++k) msg << "    | " << lines[k] << "\n";
  if (lines.size() > 200) msg << "    | ... (" << lines.size() - 200 << " more lines)\n";
  r.explanation = msg.str();
  return r;
}

}  // namespace riposte::doctest
