// libFuzzer target for the engine and the manifest loader. Inputs starting with 'Y' are
// manifests (YAML/JSON) fed through ParseManifests and then the engine; any other input is cut
// at 0xFE bytes into uid, path, pathType selector, host and annotation name/value pairs, so
// the fuzzer controls every field directly. Invariants: no crash, no exception, every finding
// has a rule id and a one-line message without raw control characters.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "core/engine.h"
#include "core/manifest_loader.h"

namespace {

class OneConfigMap : public riposte::core::ConfigMapLookup {
 public:
  explicit OneConfigMap(riposte::core::ConfigMap cm) : cm_(std::move(cm)) {}
  const riposte::core::ConfigMap* Find(const std::string&, const std::string&) const override { return &cm_; }

 private:
  riposte::core::ConfigMap cm_;
};

void CheckFindings(const std::vector<riposte::core::Finding>& findings) {
  for (const auto& f : findings) {
    if (f.rule_id.empty() || f.message.empty() || f.field.empty()) std::abort();
    for (char c : f.message) {
      if (static_cast<unsigned char>(c) < 0x20) std::abort();
    }
  }
}

const riposte::core::Engine& TheEngine() {
  static const riposte::core::Engine engine(riposte::core::DefaultPolicy());
  return engine;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  if (!in.empty() && in[0] == 'Y') {
    const auto set = riposte::core::ParseManifests(in.substr(1), "fuzz");
    for (const auto& obj : set.objects) {
      if (obj.kind == "Ingress") CheckFindings(TheEngine().Check(obj.ingress));
    }
    return 0;
  }
  std::vector<std::string> parts;
  size_t start = 0;
  for (size_t i = 0; i <= in.size(); ++i) {
    if (i == in.size() || in[i] == '\xfe') {
      parts.emplace_back(in.substr(start, i - start));
      start = i + 1;
    }
  }
  auto part = [&parts](size_t i) { return i < parts.size() ? parts[i] : std::string(); };
  riposte::core::Ingress ing;
  ing.ns = "fuzz";
  ing.name = "fuzz";
  ing.uid = part(0);
  static const char* kTypes[] = {"Exact", "Prefix", "ImplementationSpecific", ""};
  const std::string selector = part(2);
  ing.rules.push_back({part(3), {{part(1), kTypes[selector.empty() ? 0 : static_cast<unsigned char>(selector[0]) % 4]}}});
  ing.tls.push_back({{part(3)}, part(4)});
  riposte::core::ConfigMap cm{"fuzz", "headers", {}};
  for (size_t i = 5; i + 1 < parts.size(); i += 2) {
    ing.annotations.emplace_back("nginx.ingress.kubernetes.io/" + parts[i], parts[i + 1]);
    cm.data.emplace_back(parts[i], parts[i + 1]);
  }
  ing.annotations.emplace_back("nginx.ingress.kubernetes.io/custom-headers", "fuzz/headers");
  const OneConfigMap lookup(std::move(cm));
  CheckFindings(TheEngine().Check(ing, &lookup));
  return 0;
}
