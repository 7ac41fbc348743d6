#include "controller/status_batch.h"

#include "common/json_value.h"

namespace riposte::controller {

StatusWriteResult PatchStatusWithRetry(kube::KubeClient& client, const StatusTarget& target,
                                       const std::function<kube::ObjectPtr()>& cached,
                                       const std::function<web::json::value(const web::json::value&)>& make_patch,
                                       int max_attempts, StatusFlushStats* stats, std::string* last_error) {
  last_error->clear();
  for (int attempt = 0; attempt < max_attempts; ++attempt) {
    web::json::value current;
    kube::ObjectPtr from_cache = attempt == 0 && cached ? cached() : nullptr;
    if (from_cache) {
      current = *from_cache;
    } else {
      auto got = client.Get(*target.resource, target.ns, target.name);
      if (!got.ok()) {
        if (kube::IsNotFound(got.error())) return StatusWriteResult::kDrop;
        *last_error = got.error().ToString();
        return StatusWriteResult::kKeep;
      }
      current = got.value();
    }
    if (!target.uid.empty() && json::GetString(current, {"metadata", "uid"}).value_or("") != target.uid) {
      if (from_cache) continue;  // the cache may lag a re-create: decide on a live read
      return StatusWriteResult::kDrop;
    }
    auto r = client.Patch(*target.resource, target.ns, target.name, make_patch(current), {}, "status");
    if (r.ok()) return StatusWriteResult::kWritten;
    if (kube::IsNotFound(r.error())) return StatusWriteResult::kDrop;
    if (kube::IsConflict(r.error())) {
      ++stats->conflicts;
      continue;
    }
    *last_error = r.error().ToString();
    return StatusWriteResult::kKeep;
  }
  *last_error = "resourceVersion kept changing (" + std::to_string(max_attempts) + " conflicts)";
  return StatusWriteResult::kKeep;
}

}  // namespace riposte::controller
