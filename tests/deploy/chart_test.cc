// Static checks of the Helm chart that need no helm (chart_render_test.cc renders it with helm):
// every value they read is declared (and documented) in values.yaml, every named template
// they include is defined, and Chart.yaml agrees with the build.
#include <gtest/gtest.h>

#include <cctype>
#include <functional>
#include <map>
#include <regex>
#include <set>

#include "tests/deploy/deploy_util.h"

namespace riposte::deploy_test {
namespace {

bool IsPathChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '.';
}

// Value paths read by one action body: `.Values.a.b`, `$.Values.a.b`, and `$v.c` where
// `$v := .Values.a.b` was assigned earlier in the same file.
void ValuePaths(const std::string& body, std::map<std::string, std::string>& aliases,
                std::vector<std::string>& out) {
  static const std::regex kAssign(R"(^\$([A-Za-z_][A-Za-z0-9_]*)\s*:?=\s*\$?\.Values\.([A-Za-z0-9_.]+)\s*$)");
  std::smatch m;
  if (std::regex_match(body, m, kAssign)) aliases[m[1].str()] = m[2].str();
  for (size_t pos = 0; (pos = body.find(".Values.", pos)) != std::string::npos;) {
    size_t end = pos + 8;
    while (end < body.size() && IsPathChar(body[end])) ++end;
    std::string path = body.substr(pos + 8, end - pos - 8);
    while (!path.empty() && path.back() == '.') path.pop_back();
    if (!path.empty()) out.push_back(path);
    pos = end;
  }
  for (const auto& [name, target] : aliases) {
    const std::string needle = "$" + name + ".";
    for (size_t pos = 0; (pos = body.find(needle, pos)) != std::string::npos;) {
      size_t end = pos + needle.size();
      while (end < body.size() && IsPathChar(body[end])) ++end;
      std::string rest = body.substr(pos + needle.size(), end - pos - needle.size());
      while (!rest.empty() && rest.back() == '.') rest.pop_back();
      if (!rest.empty()) out.push_back(target + "." + rest);
      pos = end;
    }
  }
}

YAML::Node Values() {
  const auto docs = LoadDocs(Repo("helm/riposte/values.yaml"));
  return docs.empty() ? YAML::Node() : docs[0];
}

TEST(HelmChart, TemplatesReferenceOnlyDeclaredValues) {
  std::set<std::string> declared;
  CollectKeyPaths(Values(), "", declared);
  ASSERT_FALSE(declared.empty());
  int references = 0;
  for (const auto& file : FilesUnder(Repo("helm/riposte/templates"), {".yaml", ".tpl", ".txt"})) {
    std::map<std::string, std::string> aliases;
    for (const auto& action : TemplateActions(ReadFile(file), Rel(file))) {
      if (action.body.rfind("/*", 0) == 0) continue;  // comment
      std::vector<std::string> paths;
      ValuePaths(action.body, aliases, paths);
      for (const auto& path : paths) {
        ++references;
        EXPECT_TRUE(declared.count(path))
            << Rel(file) << ":" << action.line << ": .Values." << path
            << " is not declared in helm/riposte/values.yaml";
      }
    }
  }
  EXPECT_GT(references, 50) << "the scanner found suspiciously few .Values references";
}

TEST(HelmChart, EveryDeclaredTopLevelValueIsUsed) {
  std::string all;
  for (const auto& file : FilesUnder(Repo("helm/riposte/templates"), {".yaml", ".tpl", ".txt"})) {
    all += ReadFile(file);
  }
  for (const auto& kv : Values()) {
    const std::string key = kv.first.as<std::string>();
    EXPECT_NE(all.find(".Values." + key), std::string::npos)
        << "values.yaml: '" << key << "' is declared but no template reads it";
  }
}

TEST(HelmChart, IncludedTemplatesAreDefined) {
  std::set<std::string> defined, used;
  std::map<std::string, std::string> first_use;
  static const std::regex kDefine(R"(^define\s+"([^"]+)\")");
  static const std::regex kInclude(R"((?:include|template)\s+"([^"]+)\")");
  for (const auto& file : FilesUnder(Repo("helm/riposte/templates"), {".yaml", ".tpl", ".txt"})) {
    for (const auto& action : TemplateActions(ReadFile(file), Rel(file))) {
      std::smatch m;
      if (std::regex_search(action.body, m, kDefine)) defined.insert(m[1].str());
      for (std::sregex_iterator it(action.body.begin(), action.body.end(), kInclude), end;
           it != end; ++it) {
        used.insert((*it)[1].str());
        first_use.emplace((*it)[1].str(), Rel(file) + ":" + std::to_string(action.line));
      }
    }
  }
  for (const auto& name : used) {
    EXPECT_TRUE(defined.count(name)) << first_use[name] << ": include \"" << name
                                     << "\" but no template defines it";
  }
}

// "Documented field by field": every key in values.yaml has a comment on the line(s) right
// above it or at the end of its line. Keys inside plain Kubernetes structures (resources,
// label selectors) are exempt; they are documented by their parent.
TEST(HelmChart, ValuesAreDocumentedFieldByField) {
  const std::string text = ReadFile(Repo("helm/riposte/values.yaml"));
  const std::set<std::string> exempt_parents = {"resources", "requests", "limits", "podSelector"};
  std::vector<std::pair<int, std::string>> parents;  // indent, key
  static const std::regex kKey(R"(^( *)([A-Za-z0-9_.\-/]+):(\s.*)?$)");
  bool previous_is_comment = false;
  int line_no = 0;
  size_t pos = 0;
  while (pos <= text.size()) {
    const size_t nl = text.find('\n', pos);
    const std::string line = text.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos);
    ++line_no;
    pos = nl == std::string::npos ? text.size() + 1 : nl + 1;
    const auto first = line.find_first_not_of(' ');
    if (first == std::string::npos) {
      previous_is_comment = false;
      continue;
    }
    if (line[first] == '#') {
      previous_is_comment = true;
      continue;
    }
    std::smatch m;
    if (std::regex_match(line, m, kKey)) {
      const int indent = static_cast<int>(m[1].length());
      while (!parents.empty() && parents.back().first >= indent) parents.pop_back();
      bool exempt = false;
      for (const auto& p : parents) exempt = exempt || exempt_parents.count(p.second) > 0;
      const bool trailing_comment = m[3].matched && m[3].str().find(" #") != std::string::npos;
      if (!exempt) {
        EXPECT_TRUE(previous_is_comment || trailing_comment)
            << "helm/riposte/values.yaml:" << line_no << ": '" << m[2].str()
            << "' has no comment documenting it";
      }
      parents.emplace_back(indent, m[2].str());
    }
    previous_is_comment = false;
  }
}

std::string ProjectVersion() {
  static const std::regex kProject(R"(project\(riposte\s+VERSION\s+([0-9.]+))");
  const std::string cmake = ReadFile(Repo("CMakeLists.txt"));
  std::smatch m;
  return std::regex_search(cmake, m, kProject) ? m[1].str() : "";
}

TEST(HelmChart, ChartMetadataMatchesTheBuild) {
  const auto docs = LoadDocs(Repo("helm/riposte/Chart.yaml"));
  ASSERT_EQ(docs.size(), 1u);
  const auto& chart = docs[0];
  EXPECT_EQ(chart["apiVersion"].as<std::string>(""), "v2");
  EXPECT_EQ(chart["name"].as<std::string>(""), "riposte");
  EXPECT_TRUE(std::regex_match(chart["version"].as<std::string>(""),
                               std::regex(R"(\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?)")))
      << "Chart.yaml version must be SemVer";
  const std::string project = ProjectVersion();
  ASSERT_FALSE(project.empty()) << "no project(riposte VERSION x.y.z) in CMakeLists.txt";
  EXPECT_EQ(chart["appVersion"].as<std::string>(""), project)
      << "Chart.yaml appVersion must be the CMake project version (the image tag default)";
  // The plain manifests pin the same image tag.
  for (const char* file : {"manifests/webhook.yaml", "manifests/controller.yaml"}) {
    const auto deployment = FindDoc(Repo(file), "Deployment");
    ASSERT_TRUE(deployment) << file;
    for (const auto& c : deployment["spec"]["template"]["spec"]["containers"]) {
      const std::string image = c["image"].as<std::string>("");
      EXPECT_EQ(image.substr(image.rfind(':') + 1), project)
          << file << ": container " << c["name"] << " image tag must be " << project;
    }
  }
}

YAML::Node ValuesSchema() {
  const auto docs = LoadDocs(Repo("helm/riposte/values.schema.json"));
  return docs.empty() ? YAML::Node() : docs[0];
}

// Helm validates values against values.schema.json on install, upgrade, lint and template;
// the schema is closed, so a misspelt key fails instead of being ignored.
TEST(HelmChart, DefaultValuesMatchTheValuesSchema) {
  const auto schema = ValuesSchema();
  ASSERT_TRUE(schema.IsMap()) << "helm/riposte/values.schema.json missing or not an object";
  const auto errors = ValidateAgainstSchema(Values(), schema, "values.yaml", SchemaDialect::kJsonSchema);
  EXPECT_TRUE(errors.empty()) << "values.yaml does not match values.schema.json:\n" << Join(errors);
}

TEST(HelmChart, ValuesSchemaRejectsTyposAndBadSettings) {
  const auto schema = ValuesSchema();
  ASSERT_TRUE(schema.IsMap());
  struct Case {
    const char* what;
    std::function<void(YAML::Node&)> mutate;
  };
  const std::vector<Case> cases = {
      {"misspelt key webhook.replica", [](YAML::Node& v) { v["webhook"]["replica"] = 3; }},
      {"failurePolicy Maybe", [](YAML::Node& v) { v["webhook"]["failurePolicy"] = "Maybe"; }},
      {"timeoutSeconds 31", [](YAML::Node& v) { v["webhook"]["timeoutSeconds"] = 31; }},
      {"policy mode block", [](YAML::Node& v) { v["webhook"]["policy"]["mode"] = "block"; }},
      {"unknown policy key", [](YAML::Node& v) { v["webhook"]["policy"]["snipets"] = "x"; }},
      {"runAsUser 0", [](YAML::Node& v) { v["securityContext"]["runAsUser"] = 0; }},
      {"action toggle not boolean", [](YAML::Node& v) { v["controller"]["actions"]["terminate"] = "no"; }},
      {"port 70000", [](YAML::Node& v) { v["controller"]["alerts"]["port"] = 70000; }},
      {"profile enabled not boolean",
       [](YAML::Node& v) { v["webhook"]["policy"]["profiles"]["f5NginxIngress"]["enabled"] = "yes"; }},
      {"unknown profile", [](YAML::Node& v) { v["webhook"]["policy"]["profiles"]["traefik"]["enabled"] = true; }},
      {"profile classes empty",
       [](YAML::Node& v) { v["webhook"]["policy"]["profiles"]["f5NginxIngress"]["ingressClasses"] = YAML::Node(YAML::NodeType::Sequence); }},
      {"Gateway Fabric has no classes",
       [](YAML::Node& v) { v["webhook"]["policy"]["profiles"]["nginxGatewayFabric"]["ingressClasses"].push_back("nginx"); }},
      {"bad snippet namespace",
       [](YAML::Node& v) { v["webhook"]["policy"]["profiles"]["nginxGatewayFabric"]["snippets"]["namespaces"].push_back("Bad!"); }},
      {"ingress-nginx classes empty", [](YAML::Node& v) { v["webhook"]["policy"]["ingressClasses"] = YAML::Node(YAML::NodeType::Sequence); }},
      {"bad CIDR", [](YAML::Node& v) {
         v["ingressNginxAdmissionPolicy"]["apiServerCIDRs"].push_back("10.0.0.1");
       }},
  };
  for (const auto& c : cases) {
    YAML::Node values = YAML::Clone(Values());
    c.mutate(values);
    EXPECT_FALSE(ValidateAgainstSchema(values, schema, "values", SchemaDialect::kJsonSchema).empty())
        << "values.schema.json accepts " << c.what;
  }
}

}  // namespace
}  // namespace riposte::deploy_test
