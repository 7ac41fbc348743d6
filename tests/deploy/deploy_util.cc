#include "tests/deploy/deploy_util.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <regex>
#include <sstream>

namespace riposte::deploy_test {

fs::path Repo(const std::string& relative) { return fs::path(RIPOSTE_SOURCE_DIR) / relative; }

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    ADD_FAILURE() << "cannot read " << Rel(path);
    return {};
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<fs::path> FilesUnder(const fs::path& dir, const std::vector<std::string>& suffixes) {
  std::vector<fs::path> out;
  if (!fs::is_directory(dir)) return out;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    if (!entry.is_regular_file()) continue;
    const std::string name = entry.path().filename().string();
    for (const auto& suffix : suffixes) {
      if (name.size() >= suffix.size() &&
          name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0) {
        out.push_back(entry.path());
        break;
      }
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string Rel(const fs::path& path) {
  return fs::relative(path, fs::path(RIPOSTE_SOURCE_DIR)).string();
}

std::vector<YAML::Node> LoadDocs(const fs::path& path) {
  std::vector<YAML::Node> docs;
  try {
    for (auto& doc : YAML::LoadAll(ReadFile(path))) {
      if (doc && !doc.IsNull()) docs.push_back(doc);
    }
  } catch (const YAML::Exception& e) {
    ADD_FAILURE() << Rel(path) << ":" << e.mark.line + 1 << ":" << e.mark.column + 1
                  << ": YAML error: " << e.msg;
    docs.clear();
  }
  return docs;
}

YAML::Node FindDoc(const fs::path& path, const std::string& kind, const std::string& name) {
  for (const auto& doc : LoadDocs(path)) {
    if (!doc.IsMap() || !doc["kind"] || doc["kind"].as<std::string>() != kind) continue;
    if (!name.empty() && doc["metadata"]["name"].as<std::string>("") != name) continue;
    return doc;
  }
  return YAML::Node();
}

ProcessResult RunProcess(const std::vector<std::string>& argv, bool merge_stderr) {
  ProcessResult result;
  std::array<int, 2> fds{};
  if (pipe(fds.data()) != 0) {
    ADD_FAILURE() << "pipe: " << std::strerror(errno);
    return result;
  }
  const pid_t pid = fork();
  if (pid == 0) {
    dup2(fds[1], STDOUT_FILENO);
    if (merge_stderr) dup2(fds[1], STDERR_FILENO);
    close(fds[0]);
    close(fds[1]);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  close(fds[1]);
  if (pid < 0) {
    close(fds[0]);
    ADD_FAILURE() << "fork: " << std::strerror(errno);
    return result;
  }
  std::array<char, 4096> buf{};
  ssize_t n = 0;
  while ((n = read(fds[0], buf.data(), buf.size())) > 0 || (n < 0 && errno == EINTR)) {
    if (n > 0) result.out.append(buf.data(), static_cast<size_t>(n));
  }
  close(fds[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

std::set<Permission> Permissions(const YAML::Node& rules) {
  std::set<Permission> out;
  if (!rules || !rules.IsSequence()) return out;
  for (const auto& rule : rules) {
    for (const auto& group : rule["apiGroups"]) {
      for (const auto& resource : rule["resources"]) {
        for (const auto& verb : rule["verbs"]) {
          out.emplace(group.as<std::string>(), resource.as<std::string>(), verb.as<std::string>());
        }
      }
    }
  }
  return out;
}

std::string Describe(const std::set<Permission>& perms) {
  std::string out;
  for (const auto& [group, resource, verb] : perms) {
    out += "  " + verb + " " + (group.empty() ? "core" : group) + "/" + resource + "\n";
  }
  return out.empty() ? "  (none)\n" : out;
}

namespace {

std::string Trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return {};
  const auto e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

}  // namespace

std::vector<TemplateAction> TemplateActions(const std::string& text, const std::string& file) {
  std::vector<TemplateAction> out;
  size_t pos = 0;
  int line = 1;
  size_t counted = 0;
  while ((pos = text.find("{{", pos)) != std::string::npos) {
    line += static_cast<int>(std::count(text.begin() + static_cast<long>(counted),
                                        text.begin() + static_cast<long>(pos), '\n'));
    counted = pos;
    const size_t close = text.find("}}", pos + 2);
    if (close == std::string::npos) {
      ADD_FAILURE() << file << ":" << line << ": unterminated {{";
      break;
    }
    std::string body = text.substr(pos + 2, close - pos - 2);
    if (!body.empty() && body.front() == '-') body.erase(0, 1);
    if (!body.empty() && body.back() == '-') body.pop_back();
    out.push_back({Trim(body), line});
    pos = close + 2;
  }
  return out;
}

std::string StripTemplateActions(const std::string& text) {
  std::string out;
  size_t pos = 0;
  while (true) {
    const size_t open = text.find("{{", pos);
    if (open == std::string::npos) break;
    const size_t close = text.find("}}", open + 2);
    if (close == std::string::npos) break;
    out.append(text, pos, open - pos);
    pos = close + 2;
  }
  out.append(text, pos, std::string::npos);
  return out;
}

std::string FirstDifference(const std::string& expected, const std::string& actual) {
  if (expected == actual) return {};
  size_t e = 0, a = 0;
  int line = 1;
  while (true) {
    const size_t en = expected.find('\n', e);
    const size_t an = actual.find('\n', a);
    const std::string el = e > expected.size() ? "<end of file>" : expected.substr(e, en - e);
    const std::string al = a > actual.size() ? "<end of file>" : actual.substr(a, an - a);
    if (el != al || en == std::string::npos || an == std::string::npos) {
      return "line " + std::to_string(line) + ":\n  expected: " + el + "\n  actual:   " + al;
    }
    e = en + 1;
    a = an + 1;
    ++line;
  }
}

std::string Join(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& l : lines) out += "  " + l + "\n";
  return out;
}

void CollectKeyPaths(const YAML::Node& node, const std::string& prefix, std::set<std::string>& out) {
  if (!node.IsMap()) return;
  for (const auto& kv : node) {
    const std::string path = prefix.empty() ? kv.first.as<std::string>()
                                            : prefix + "." + kv.first.as<std::string>();
    out.insert(path);
    CollectKeyPaths(kv.second, path, out);
  }
}

}  // namespace riposte::deploy_test
