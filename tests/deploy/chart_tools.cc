#include "tests/deploy/chart_tools.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cctype>
#include <cstdlib>
#include <fstream>
#include <regex>
#include <sstream>

namespace riposte::deploy_test {
namespace {

bool Executable(const fs::path& p) {
  std::error_code ec;
  return !p.empty() && fs::is_regular_file(p, ec) && access(p.c_str(), X_OK) == 0;
}

std::string Upper(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

// CMake cache values compiled in (empty when not configured).
std::string Configured(const std::string& name) {
  if (name == "helm") return RIPOSTE_HELM_CONFIGURED;
  if (name == "promtool") return RIPOSTE_PROMTOOL_CONFIGURED;
  return "";
}

}  // namespace

std::string FindTool(const std::string& name) {
  const std::string env_name = "RIPOSTE_" + Upper(name);
  if (const char* env = std::getenv(env_name.c_str()); env != nullptr && *env != '\0') {
    return Executable(env) ? std::string(env) : "";
  }
  std::vector<fs::path> candidates = {Configured(name), fs::path(RIPOSTE_BUILD_DIR) / "envtest-assets" / name,
                                      fs::path(RIPOSTE_SOURCE_DIR) / "build" / "envtest-assets" / name};
  if (const char* path = std::getenv("PATH")) {
    std::stringstream ss(path);
    for (std::string dir; std::getline(ss, dir, ':');) {
      if (!dir.empty()) candidates.push_back(fs::path(dir) / name);
    }
  }
  for (const auto& c : candidates) {
    if (Executable(c)) return fs::absolute(c).string();
  }
  return "";
}

bool ToolsRequired() {
  const char* v = std::getenv("RIPOSTE_REQUIRE_CHART_TOOLS");
  return v != nullptr && std::string(v) == "1";
}

std::string MissingToolMessage(const std::string& name) {
  std::string how = name == "helm" ? "run `bash scripts/envtest-tools.sh` (puts the pinned helm into build/envtest-assets)"
                                   : "install Debian's prometheus package (scripts/bootstrap.sh does)";
  return "SKIPPED LOUDLY: " + name + " not found (RIPOSTE_" + Upper(name) + ", CMake RIPOSTE_" + Upper(name) +
         ", build/envtest-assets, PATH); " + how +
         ". scripts/test.sh sets RIPOSTE_REQUIRE_CHART_TOOLS=1, which turns this skip into a failure.";
}

HelmResult HelmTemplate(const std::string& helm, const std::vector<std::string>& args) {
  std::vector<std::string> argv = {helm, "template", kRelease, Repo("helm/riposte").string(), "--namespace", kNamespace};
  argv.insert(argv.end(), args.begin(), args.end());
  HelmResult r;
  auto p = RunProcess(argv, /*merge_stderr=*/false);
  r.exit_code = p.exit_code;
  if (p.exit_code != 0) {
    // Run again to capture the error text (helm writes it to stderr).
    r.output = RunProcess(argv, /*merge_stderr=*/true).out;
    return r;
  }
  r.output = p.out;
  try {
    for (auto& doc : YAML::LoadAll(p.out)) {
      if (doc && doc.IsMap()) r.docs.push_back(doc);
    }
  } catch (const YAML::Exception& e) {
    ADD_FAILURE() << "helm output is not YAML: " << e.what() << "\n" << p.out;
    r.exit_code = -1;
  }
  return r;
}

std::vector<YAML::Node> OfKind(const std::vector<YAML::Node>& docs, const std::string& kind, const std::string& name) {
  std::vector<YAML::Node> out;
  for (const auto& d : docs) {
    if (d["kind"].as<std::string>("") != kind) continue;
    if (!name.empty() && d["metadata"]["name"].as<std::string>("") != name) continue;
    out.push_back(d);
  }
  return out;
}

std::string WriteTemp(const std::string& name, const std::string& text) {
  static int counter = 0;
  const fs::path dir = fs::path(::testing::TempDir()) / ("riposte-chart-" + std::to_string(getpid()) + "-" +
                                                          std::to_string(++counter));
  fs::create_directories(dir);
  const fs::path file = dir / name;
  std::ofstream(file, std::ios::binary) << text;
  return file.string();
}

std::set<std::string> PromqlMetricNames(const std::string& expr) {
  static const std::set<std::string> kNotMetrics = {
      // aggregations (they may be followed by `by (...)` before their parenthesis)
      "sum", "min", "max", "avg", "group", "stddev", "stdvar", "count", "count_values", "bottomk", "topk",
      "quantile", "limitk", "limit_ratio",
      // keywords and binary operators
      "by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and", "or", "unless", "offset",
      "atan2", "inf", "nan", "Inf", "NaN"};
  static const std::set<std::string> kLabelLists = {"by", "without", "on", "ignoring", "group_left", "group_right"};
  static const std::regex kNameList(R"(^[a-zA-Z_:][a-zA-Z0-9_:]*(\|[a-zA-Z_:][a-zA-Z0-9_:]*)*$)");
  std::set<std::string> names;
  auto ident_start = [](char c) { return std::isalpha(static_cast<unsigned char>(c)) != 0 || c == '_' || c == ':'; };
  auto ident_char = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == ':'; };
  auto skip_string = [&](size_t i) {  // i at the opening quote; returns the index after the closing one
    const char q = expr[i++];
    while (i < expr.size() && expr[i] != q) i += expr[i] == '\\' && q != '`' ? 2 : 1;
    return i + 1;
  };
  size_t i = 0;
  while (i < expr.size()) {
    const char c = expr[i];
    if (c == '"' || c == '\'' || c == '`') {
      i = skip_string(i);
    } else if (c == '$') {  // Grafana variable: $name, ${name}, $__rate_interval
      ++i;
      if (i < expr.size() && expr[i] == '{') {
        while (i < expr.size() && expr[i] != '}') ++i;
        ++i;
      } else {
        while (i < expr.size() && ident_char(expr[i])) ++i;
      }
    } else if (c == '[') {  // range or subquery duration
      while (i < expr.size() && expr[i] != ']') ++i;
      ++i;
    } else if (c == '{') {  // label matchers: only __name__ names a metric
      ++i;
      while (i < expr.size() && expr[i] != '}') {
        if (!ident_start(expr[i])) {
          if (expr[i] == '"' || expr[i] == '\'' || expr[i] == '`') i = skip_string(i);
          else ++i;
          continue;
        }
        const size_t start = i;
        while (i < expr.size() && ident_char(expr[i])) ++i;
        const std::string label = expr.substr(start, i - start);
        while (i < expr.size() && std::isspace(static_cast<unsigned char>(expr[i]))) ++i;
        std::string op;
        while (i < expr.size() && (expr[i] == '=' || expr[i] == '!' || expr[i] == '~')) op += expr[i++];
        while (i < expr.size() && std::isspace(static_cast<unsigned char>(expr[i]))) ++i;
        if (i < expr.size() && (expr[i] == '"' || expr[i] == '\'' || expr[i] == '`')) {
          const size_t end = skip_string(i);
          const std::string value = expr.substr(i + 1, end - i - 2);
          i = end;
          if (label == "__name__" && (op == "=" || op == "=~") && std::regex_match(value, kNameList)) {
            std::stringstream ss(value);
            for (std::string n; std::getline(ss, n, '|');) names.insert(n);
          }
        }
      }
      ++i;
    } else if (std::isdigit(static_cast<unsigned char>(c)) || (c == '.' && i + 1 < expr.size() &&
                                                                 std::isdigit(static_cast<unsigned char>(expr[i + 1])))) {
      while (i < expr.size() && (std::isalnum(static_cast<unsigned char>(expr[i])) || expr[i] == '.')) ++i;  // 15m, 1e3
    } else if (ident_start(c)) {
      const size_t start = i;
      while (i < expr.size() && ident_char(expr[i])) ++i;
      const std::string ident = expr.substr(start, i - start);
      size_t j = i;
      while (j < expr.size() && std::isspace(static_cast<unsigned char>(expr[j]))) ++j;
      const bool call = j < expr.size() && expr[j] == '(';
      if (kLabelLists.count(ident) && call) {  // skip the label list
        while (j < expr.size() && expr[j] != ')') ++j;
        i = j + 1;
      } else if (!call && !kNotMetrics.count(ident)) {
        names.insert(ident);
      }
    } else {
      ++i;
    }
  }
  return names;
}

Exposition ParseExposition(const std::string& text) {
  Exposition e;
  std::istringstream in(text);
  static const std::regex kType(R"(^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)\s*$)");
  static const std::regex kHelp(R"(^# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$)");
  static const std::regex kSample(R"(^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([^}]*)\})? )");
  static const std::regex kLabel(R"(([a-zA-Z_][a-zA-Z0-9_]*)=\")");
  for (std::string line; std::getline(in, line);) {
    std::smatch m;
    if (std::regex_match(line, m, kType)) {
      const std::string name = m[1], type = m[2];
      e.families[name] = type;
      e.sample_names.insert(name);
      if (type == "histogram") {
        for (const char* s : {"_bucket", "_sum", "_count"}) e.sample_names.insert(name + s);
      } else if (type == "summary") {
        for (const char* s : {"_sum", "_count"}) e.sample_names.insert(name + s);
      }
    } else if (std::regex_match(line, m, kHelp)) {
      e.help[m[1]] = m[2];
    } else if (!line.empty() && line[0] != '#' && std::regex_search(line, m, kSample)) {
      const std::string name = m[1];
      e.sample_names.insert(name);
      std::string family = name;
      for (const char* s : {"_bucket", "_sum", "_count"}) {
        const std::string suffix = s;
        if (name.size() > suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0 &&
            e.families.count(name.substr(0, name.size() - suffix.size())))
          family = name.substr(0, name.size() - suffix.size());
      }
      const std::string labels = m[3];
      for (std::sregex_iterator it(labels.begin(), labels.end(), kLabel), end; it != end; ++it)
        e.label_names[family].insert((*it)[1]);
    }
  }
  return e;
}

std::vector<std::string> UnknownMetrics(const std::map<std::string, std::set<std::string>>& names_by_place,
                                        const Exposition& exposition) {
  std::vector<std::string> out;
  for (const auto& [place, names] : names_by_place) {
    for (const auto& n : names) {
      if (!exposition.sample_names.count(n)) out.push_back(n + " (in " + place + ")");
    }
  }
  return out;
}

}  // namespace riposte::deploy_test
