// libFuzzer target for the policy loader: any bytes must yield either a valid Policy or a
// positioned error, never a crash, hang or exception.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "core/policy.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  riposte::core::PolicyError error;
  auto policy = riposte::core::ParsePolicy(text, "fuzz.yaml", &error);
  if (policy) {
    if (policy->max_value_bytes < 64 || policy->max_value_bytes > 256 * 1024) std::abort();
    if (policy->annotation_prefix.empty()) std::abort();
  } else {
    if (error.message.empty() || error.line < 0 || error.column < 0) std::abort();
    (void)error.ToString();
  }
  return 0;
}
