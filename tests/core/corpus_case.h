#pragma once
// The shared corpus (tests/data/corpus/ingress_cases.jsonl) as Ingress objects, used by the
// parameterised corpus test and by the engine benchmark.

#include <map>
#include <string>
#include <vector>

#include "core/ingress.h"

namespace riposte::testing {

struct CorpusCase {
  std::string id;
  std::string expect;   // "reject" | "allow"
  std::string assumes;  // non-empty: allowed only where snippets are allowed
  std::string reason;
  core::Ingress ingress;
  std::vector<core::ConfigMap> configmaps;
};

std::vector<CorpusCase> LoadCorpus(const std::string& path);

// ConfigMapLookup over a fixed list.
class VectorConfigMapLookup : public core::ConfigMapLookup {
 public:
  explicit VectorConfigMapLookup(const std::vector<core::ConfigMap>* maps) : maps_(maps) {}
  const core::ConfigMap* Find(const std::string& ns, const std::string& name) const override {
    for (const auto& m : *maps_) {
      if (m.ns == ns && m.name == name) return &m;
    }
    return nullptr;
  }

 private:
  const std::vector<core::ConfigMap>* maps_;
};

}  // namespace riposte::testing
