#pragma once
// External tools for the chart tests, how they are found, and helpers around them:
//   helm      v3.17.1 pinned by scripts/envtest-tools.sh (build/envtest-assets/helm)
//   promtool  from Debian's prometheus package (scripts/bootstrap.sh)
// Lookup order: environment variable RIPOSTE_HELM / RIPOSTE_PROMTOOL, the CMake cache variable
// of the same name, <build dir>/envtest-assets, <source>/build/envtest-assets, then PATH.
// A test that needs a missing tool skips with the reason, unless RIPOSTE_REQUIRE_CHART_TOOLS=1
// (scripts/test.sh sets it) makes a missing tool a failure.

#include <yaml-cpp/yaml.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "tests/deploy/deploy_util.h"

namespace riposte::deploy_test {

// Absolute path of the tool, or "" when it is nowhere to be found.
std::string FindTool(const std::string& name);
// "" when found; otherwise the message a skipping or failing test reports.
std::string MissingToolMessage(const std::string& name);
bool ToolsRequired();

// Skips the test (or fails it under RIPOSTE_REQUIRE_CHART_TOOLS=1) when `name` is missing;
// otherwise sets `var` to its path.
#define RIPOSTE_REQUIRE_TOOL(var, name)                                         \
  std::string var = ::riposte::deploy_test::FindTool(name);                     \
  if (var.empty()) {                                                             \
    if (::riposte::deploy_test::ToolsRequired()) {                               \
      FAIL() << ::riposte::deploy_test::MissingToolMessage(name);                \
    }                                                                            \
    GTEST_SKIP() << ::riposte::deploy_test::MissingToolMessage(name);           \
  }

inline constexpr const char* kRelease = "riposte";
inline constexpr const char* kNamespace = "riposte-system";

struct HelmResult {
  int exit_code = -1;
  std::string output;            // stdout and stderr
  std::vector<YAML::Node> docs;  // the rendered objects (exit 0 only)
};
// `helm template riposte helm/riposte --namespace riposte-system ARGS...`.
HelmResult HelmTemplate(const std::string& helm, const std::vector<std::string>& args);
// The rendered objects of one kind (and name, when given).
std::vector<YAML::Node> OfKind(const std::vector<YAML::Node>& docs, const std::string& kind,
                               const std::string& name = "");

// Writes `text` to a fresh file under the test's temporary directory and returns its path.
std::string WriteTemp(const std::string& name, const std::string& text);

// Metric names a PromQL expression reads: identifiers that are not functions, aggregations,
// keywords, label names or durations, plus __name__="x" / __name__=~"a|b" matchers.
// Grafana variables ($namespace, ${x}, $__rate_interval) are ignored.
std::set<std::string> PromqlMetricNames(const std::string& expr);

// Sample names a Prometheus text exposition can have, by family: `# TYPE` lines (histograms
// contribute _bucket/_sum/_count) and every sample line.
struct Exposition {
  std::map<std::string, std::string> families;  // family name -> type
  std::map<std::string, std::string> help;      // family name -> HELP text
  std::set<std::string> sample_names;           // every name a query can use
  std::map<std::string, std::set<std::string>> label_names;  // family -> labels seen on samples
};
Exposition ParseExposition(const std::string& text);

// The names in `names` that `exposition` does not export, each "name (in WHERE)".
std::vector<std::string> UnknownMetrics(const std::map<std::string, std::set<std::string>>& names_by_place,
                                        const Exposition& exposition);

}  // namespace riposte::deploy_test
