#pragma once
// The newest version of each ResponseAction this process wrote itself (created when an alert
// was recorded, or updated by a status write), kept until the informer has caught up with it.
// Reconcile reads the newer of this and the informer cache, so the controller acts on a
// ResponseAction as soon as its create returns instead of waiting for the watch to deliver
// it, and never re-runs a step it has just written because the cache still shows the older
// version.

#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>

#include "kube/informer.h"

namespace riposte::controller {

class RecentObjects {
 public:
  explicit RecentObjects(size_t capacity = 10000) : capacity_(capacity) {}

  // A version this process wrote (the API's answer to the write).
  void Wrote(web::json::value obj);
  // The informer has this version: ours is forgotten once the cache holds it or a newer one.
  void Seen(const kube::ObjectPtr& obj);
  void Forget(const std::string& key);
  // The newer of `cached` (may be null) and the version written here.
  kube::ObjectPtr Newest(const std::string& key, kube::ObjectPtr cached) const;
  size_t size() const;

 private:
  const size_t capacity_;
  mutable std::mutex mu_;
  struct Entry {
    kube::ObjectPtr obj;
    uint64_t seq;  // insertion order, for the capacity bound
  };
  std::map<std::string, Entry> objects_;
  uint64_t next_seq_ = 0;
};

// resourceVersions are opaque to clients, but every API server issues increasing integers
// (etcd revisions); true when `a` is known to be newer than `b`.
bool NewerResourceVersion(const std::string& a, const std::string& b);

}  // namespace riposte::controller
