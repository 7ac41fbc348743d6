// libFuzzer target for scan's manifest reader (core/kubectl_reader.h, core/manifest_loader.h):
// any bytes as a manifest file. Invariants: no crash, no exception, no hang (work is capped),
// every error carries a position, every object's JSON decodes again with the shared decoder
// and names the kind it was read as.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "core/ingress_json.h"
#include "core/kubectl_reader.h"
#include "core/manifest_loader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const riposte::core::ManifestSet set = riposte::core::ParseManifests(text, "default");
  for (const auto& e : set.errors) {
    if (e.message.empty() || e.line <= 0) std::abort();
  }
  for (const auto& o : set.objects) {
    if (o.kind != "Ingress" && o.kind != "ConfigMap") std::abort();
    if (o.line <= 0) std::abort();
  }
  const auto raw = riposte::core::ReadKubectlManifests(text, {"Ingress", "ConfigMap"});
  for (const auto& o : raw.objects) {
    if (o.json.empty() || o.json.front() != '{') std::abort();
    riposte::core::Ingress ing;
    riposte::core::DecodeError err;
    // Valid JSON always (the decoder may still refuse a field's type).
    if (!riposte::core::DecodeIngressJson(o.json, &ing, &err) && err.message.rfind("malformed JSON", 0) == 0) std::abort();
    (void)o.Locate(err.path);
  }
  return 0;
}
