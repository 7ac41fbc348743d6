#include "kube/replay.h"

namespace riposte::kube::internal {

bool JsonSubset(const web::json::value& want, const web::json::value& got) {
  if (want.is_object()) {
    if (!got.is_object()) return false;
    for (const auto& [k, v] : want.as_object()) {
      if (!got.has_field(k)) {
        if (v.is_null()) continue;
        return false;
      }
      if (!JsonSubset(v, got.at(k))) return false;
    }
    return true;
  }
  if (want.is_array()) {
    if (!got.is_array() || got.size() != want.size()) return false;
    for (size_t i = 0; i < want.size(); ++i) {
      if (!JsonSubset(want.at(i), got.at(i))) return false;
    }
    return true;
  }
  return want == got;
}

}  // namespace riposte::kube::internal
