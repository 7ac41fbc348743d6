// tests/data/realworld: Ingresses as public charts and docs render them. Every one is read by
// scan's manifest reader without an error and admitted by the default policy, with the
// ConfigMaps of the same file available to the lookup (as `riposte scan` does).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "core/engine.h"
#include "core/manifest_loader.h"

namespace riposte::core {
namespace {

namespace fs = std::filesystem;

class FileConfigMaps : public ConfigMapLookup {
 public:
  explicit FileConfigMaps(const ManifestSet& set) {
    for (const auto& o : set.objects) {
      if (o.kind == "ConfigMap") maps_[o.configmap.ns + "/" + o.configmap.name] = &o.configmap;
    }
  }
  const ConfigMap* Find(const std::string& ns, const std::string& name) const override {
    auto it = maps_.find(ns + "/" + name);
    return it == maps_.end() ? nullptr : it->second;
  }

 private:
  std::map<std::string, const ConfigMap*> maps_;
};

std::vector<fs::path> Files() {
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(std::string(RIPOSTE_TEST_DATA_DIR) + "/realworld")) {
    if (e.path().extension() == ".yaml") files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

TEST(RealWorld, EveryIngressIsReadAndAdmitted) {
  const Engine engine(DefaultPolicy());
  size_t ingresses = 0, judged = 0;
  const auto files = Files();
  ASSERT_GE(files.size(), 10u);
  for (const auto& file : files) {
    std::ifstream in(file, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    const ManifestSet set = ParseManifests(ss.str(), "default");
    for (const auto& e : set.errors) ADD_FAILURE() << file.filename() << ":" << e.line << ":" << e.column << ": " << e.message;
    const FileConfigMaps lookup(set);
    for (const auto& o : set.objects) {
      if (o.kind != "Ingress") continue;
      ++ingresses;
      if (engine.Judges(o.ingress)) ++judged;
      for (const auto& f : engine.Check(o.ingress, &lookup)) {
        ADD_FAILURE() << file.filename() << ":" << o.line << " " << o.ingress.ns << "/" << o.ingress.name << ": "
                      << f.rule_id << " " << f.field << ": " << f.message;
      }
    }
  }
  EXPECT_GE(ingresses, 40u);
  EXPECT_GE(judged, 30u) << "most of the corpus is ingress-nginx's: it must really be judged, not skipped";
}

}  // namespace
}  // namespace riposte::core
