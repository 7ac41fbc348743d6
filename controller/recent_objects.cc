#include "controller/recent_objects.h"

#include <charconv>

#include "common/json_value.h"

namespace riposte::controller {
namespace {

std::string Rv(const web::json::value& obj) {
  return json::GetString(obj, {"metadata", "resourceVersion"}).value_or("");
}

}  // namespace

bool NewerResourceVersion(const std::string& a, const std::string& b) {
  uint64_t x = 0, y = 0;
  auto ra = std::from_chars(a.data(), a.data() + a.size(), x);
  auto rb = std::from_chars(b.data(), b.data() + b.size(), y);
  if (ra.ec != std::errc() || ra.ptr != a.data() + a.size() || rb.ec != std::errc() || rb.ptr != b.data() + b.size())
    return false;  // not comparable: trust the cache
  return x > y;
}

void RecentObjects::Wrote(web::json::value obj) {
  const std::string key = kube::ObjectKey(obj);
  auto ptr = std::make_shared<const web::json::value>(std::move(obj));
  std::lock_guard lock(mu_);
  auto [it, inserted] = objects_.try_emplace(key, Entry{ptr, next_seq_++});
  if (!inserted) {
    if (!NewerResourceVersion(Rv(*it->second.obj), Rv(*ptr))) it->second.obj = ptr;  // else a later write came back first
    return;
  }
  if (objects_.size() <= capacity_) return;
  // Only when the informer lags far behind: drop the oldest entry (the cache serves it).
  auto oldest = objects_.begin();
  for (auto e = objects_.begin(); e != objects_.end(); ++e)
    if (e->second.seq < oldest->second.seq) oldest = e;
  objects_.erase(oldest);
}

void RecentObjects::Seen(const kube::ObjectPtr& obj) {
  const std::string key = kube::ObjectKey(*obj);
  std::lock_guard lock(mu_);
  auto it = objects_.find(key);
  if (it == objects_.end()) return;
  if (NewerResourceVersion(Rv(*it->second.obj), Rv(*obj))) return;  // the cache is still behind
  objects_.erase(it);
}

void RecentObjects::Forget(const std::string& key) {
  std::lock_guard lock(mu_);
  objects_.erase(key);
}

kube::ObjectPtr RecentObjects::Newest(const std::string& key, kube::ObjectPtr cached) const {
  std::lock_guard lock(mu_);
  auto it = objects_.find(key);
  if (it == objects_.end()) return cached;
  if (!cached || NewerResourceVersion(Rv(*it->second.obj), Rv(*cached))) return it->second.obj;
  return cached;
}

size_t RecentObjects::size() const {
  std::lock_guard lock(mu_);
  return objects_.size();
}

}  // namespace riposte::controller
