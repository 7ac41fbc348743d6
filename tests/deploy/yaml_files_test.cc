// Every YAML file an operator applies or Helm reads must parse, and every Kubernetes object
// must be well-formed; Helm templates (not YAML until rendered) must at least have balanced
// actions and blocks.
#include <gtest/gtest.h>

#include <set>
#include <vector>

#include "tests/deploy/deploy_util.h"

namespace riposte::deploy_test {
namespace {

std::vector<fs::path> PlainYamlFiles() {
  std::vector<fs::path> files;
  for (const char* dir : {"manifests", "deploy", "helm/riposte"}) {
    for (auto& f : FilesUnder(Repo(dir), {".yaml", ".yml"})) {
      if (Rel(f).rfind("helm/riposte/templates/", 0) == 0) continue;
      files.push_back(f);
    }
  }
  return files;
}

TEST(YamlFiles, EveryManifestAndNonTemplatedChartFileParses) {
  const auto files = PlainYamlFiles();
  ASSERT_GE(files.size(), 15u) << "expected the chart, manifests and Falco files";
  for (const auto& file : files) {
    const auto docs = LoadDocs(file);  // reports file:line:column on error
    EXPECT_FALSE(docs.empty()) << Rel(file) << ": no YAML document";
  }
}

TEST(YamlFiles, KubernetesObjectsHaveApiVersionKindAndName) {
  for (const auto& file : PlainYamlFiles()) {
    const std::string rel = Rel(file);
    if (rel.find("Chart.yaml") != std::string::npos) continue;  // Helm metadata, not an object
    int index = 0;
    for (const auto& doc : LoadDocs(file)) {
      ++index;
      if (!doc.IsMap() || !doc["kind"]) continue;
      const std::string where = rel + " document " + std::to_string(index);
      EXPECT_TRUE(doc["apiVersion"] && doc["apiVersion"].IsScalar()) << where << ": no apiVersion";
      if (doc["kind"].as<std::string>() == "Kustomization" || doc["kind"].as<std::string>() == "Component") continue;
      EXPECT_TRUE(doc["metadata"]["name"] && !doc["metadata"]["name"].as<std::string>().empty())
          << where << " (" << doc["kind"].as<std::string>() << "): metadata.name missing";
    }
  }
}

TEST(YamlFiles, KustomizationListsEveryPlainManifest) {
  const auto kustomization = LoadDocs(Repo("manifests/kustomization.yaml"));
  ASSERT_EQ(kustomization.size(), 1u);
  std::set<std::string> listed;
  for (const auto& r : kustomization[0]["resources"]) listed.insert(r.as<std::string>());
  for (const auto& file : FilesUnder(Repo("manifests"), {".yaml"})) {
    const std::string rel = fs::relative(file, Repo("manifests")).string();
    // Overlays and optional components build on the base; they are not among its resources.
    if (rel == "kustomization.yaml" || rel.rfind("examples/", 0) == 0 ||
        rel.rfind("cert-manager/", 0) == 0 || rel.rfind("components/", 0) == 0) {
      continue;
    }
    EXPECT_TRUE(listed.count(rel)) << "manifests/" << rel
                                   << " is not in manifests/kustomization.yaml resources";
  }
  for (const auto& r : listed) {
    EXPECT_TRUE(fs::exists(Repo("manifests") / r))
        << "manifests/kustomization.yaml lists missing file " << r;
  }
}

TEST(HelmTemplates, ActionsAndBlocksAreBalanced) {
  const auto files = FilesUnder(Repo("helm/riposte/templates"), {".yaml", ".tpl", ".txt"});
  ASSERT_GE(files.size(), 10u);
  for (const auto& file : files) {
    std::vector<std::pair<std::string, int>> stack;
    for (const auto& action : TemplateActions(ReadFile(file), Rel(file))) {
      if (action.body.rfind("/*", 0) == 0) continue;  // comment
      const std::string word = action.body.substr(0, action.body.find_first_of(" \t\n("));
      if (word == "if" || word == "range" || word == "with" || word == "define" ||
          word == "block") {
        stack.emplace_back(word, action.line);
      } else if (word == "end") {
        if (stack.empty()) {
          ADD_FAILURE() << Rel(file) << ":" << action.line << ": {{ end }} without an open block";
        } else {
          stack.pop_back();
        }
      }
    }
    for (const auto& [word, line] : stack) {
      ADD_FAILURE() << Rel(file) << ":" << line << ": {{ " << word << " }} is never closed";
    }
  }
}

// Helm cannot run here, but the static part of each template must already be YAML: remove
// lines that hold only template actions (conditionals, includes, toYaml blocks), put a
// placeholder where an action sits inside a line, and parse. This catches indentation and
// structure mistakes in everything the chart writes literally.
std::string TemplateSkeleton(const std::string& text) {
  const char kMarker = '\x01';
  std::string marked;
  size_t pos = 0;
  while (true) {
    const size_t open = text.find("{{", pos);
    if (open == std::string::npos) break;
    const size_t close = text.find("}}", open + 2);
    if (close == std::string::npos) break;
    marked.append(text, pos, open - pos);
    marked.push_back(kMarker);
    pos = close + 2;
  }
  marked.append(text, pos, std::string::npos);
  std::string out;
  size_t line_start = 0;
  while (line_start <= marked.size()) {
    size_t nl = marked.find('\n', line_start);
    if (nl == std::string::npos) nl = marked.size();
    std::string line = marked.substr(line_start, nl - line_start);
    line_start = nl + 1;
    const bool has_action = line.find(kMarker) != std::string::npos;
    if (has_action && line.find_first_not_of(std::string(" \t") + kMarker) == std::string::npos) {
      continue;  // only actions on this line
    }
    std::string replaced;
    for (char c : line) {
      if (c == kMarker) {
        replaced += "X";
      } else {
        replaced.push_back(c);
      }
    }
    out += replaced + "\n";
  }
  return out;
}

TEST(HelmTemplates, StaticSkeletonIsValidYaml) {
  int documents = 0;
  for (const auto& file : FilesUnder(Repo("helm/riposte/templates"), {".yaml"})) {
    const std::string skeleton = TemplateSkeleton(ReadFile(file));
    try {
      for (const auto& doc : YAML::LoadAll(skeleton)) {
        if (!doc || doc.IsNull()) continue;
        ++documents;
        EXPECT_TRUE(doc.IsMap() && doc["apiVersion"] && doc["kind"] && doc["metadata"])
            << Rel(file) << ": every document needs apiVersion, kind and metadata";
      }
    } catch (const YAML::Exception& e) {
      ADD_FAILURE() << Rel(file) << ": static YAML skeleton does not parse at line "
                    << e.mark.line + 1 << " (counting only non-action lines): " << e.msg
                    << "\n--- skeleton ---\n"
                    << skeleton;
    }
  }
  EXPECT_GE(documents, 20);
}

}  // namespace
}  // namespace riposte::deploy_test
