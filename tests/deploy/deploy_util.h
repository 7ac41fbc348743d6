#pragma once
// Helpers for the offline deployment checks: repository paths, YAML loading with file:line
// errors, a tiny process runner for the built binary, and RBAC rule normalisation.

#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "tests/deploy/schema_validator.h"

namespace riposte::deploy_test {

namespace fs = std::filesystem;

// Absolute path of a repository-relative path.
fs::path Repo(const std::string& relative);
std::string ReadFile(const fs::path& path);
// Regular files under dir (recursively) whose name ends with one of the suffixes, sorted.
std::vector<fs::path> FilesUnder(const fs::path& dir, const std::vector<std::string>& suffixes);
// Path relative to the repository root, for messages.
std::string Rel(const fs::path& path);

// All documents of a YAML file; null documents (empty, comment-only) are dropped.
// Parse errors are reported as a failure naming file:line:column (and return empty).
std::vector<YAML::Node> LoadDocs(const fs::path& path);
// The one document of kind `kind` (and name, if given) in the file; null node if absent.
YAML::Node FindDoc(const fs::path& path, const std::string& kind, const std::string& name = "");

struct ProcessResult {
  int exit_code = -1;
  std::string out;
};
// Runs argv[0] with arguments (no shell), capturing stdout, and stderr too when
// merge_stderr is set (otherwise it is inherited).
ProcessResult RunProcess(const std::vector<std::string>& argv, bool merge_stderr = false);

// One (apiGroup, resource, verb) permission; rules are compared as sets of these.
using Permission = std::tuple<std::string, std::string, std::string>;
std::set<Permission> Permissions(const YAML::Node& rules);
std::string Describe(const std::set<Permission>& perms);

// One Go-template action `{{ ... }}` of a Helm template: its body without delimiters,
// trim markers and surrounding blanks, and the 1-based line where it starts.
struct TemplateAction {
  std::string body;
  int line = 0;
};
// Actions in order; an unterminated `{{` is reported as a failure.
std::vector<TemplateAction> TemplateActions(const std::string& text, const std::string& file);
// The text with every action removed.
std::string StripTemplateActions(const std::string& text);

// Empty when equal, else "line N: expected ... / actual ..." for the first differing line.
std::string FirstDifference(const std::string& expected, const std::string& actual);

std::string Join(const std::vector<std::string>& lines);

// Dotted key paths of every map key in the node ("a", "a.b", ...).
void CollectKeyPaths(const YAML::Node& node, const std::string& prefix, std::set<std::string>& out);

}  // namespace riposte::deploy_test
