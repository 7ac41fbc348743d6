#pragma once
// Versioned object storage modelled on etcd as the apiserver uses it: one global revision
// counter, one event per write, a bounded history of events that backs watches, consistent
// paginated lists at an older revision, and compaction (older revisions answer 410).
//
// Not thread-safe by itself: callers hold mu() around every call, so that a handler's
// read-check-write sequence is atomic, just as a GuaranteedUpdate is.

#include <cpprest/json.h>

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

namespace riposte::testapi {

struct StoredObject {
  web::json::value json;
  std::string text;  // json serialized once, reused by every list and watch
  uint64_t rv = 0;
};
using StoredPtr = std::shared_ptr<const StoredObject>;

enum class EventType { kAdded, kModified, kDeleted };
const char* EventTypeName(EventType t);

struct StoreEvent {
  uint64_t rv;
  EventType type;
  std::string group_resource;
  std::string key;  // namespace/name
  StoredPtr obj;    // state after the write (the last state, stamped with this rv, for deletes)
  StoredPtr prev;   // state before (null when added)
};

struct ListPage {
  std::vector<StoredPtr> items;
  uint64_t rv = 0;
  std::string last_key;  // for the continue token when more remain
  bool more = false;
  int64_t remaining = 0;
};

std::string ObjectKey(const std::string& ns, const std::string& name);
std::string NamespaceOfKey(const std::string& key);
StoredPtr MakeStored(web::json::value json, uint64_t rv);

class ObjectStore {
 public:
  explicit ObjectStore(size_t history_limit);

  std::mutex& mu() { return mu_; }
  std::condition_variable& changed() { return changed_; }

  uint64_t current_rv() const { return rv_; }
  uint64_t compacted_rv() const { return compacted_rv_; }

  StoredPtr Get(const std::string& gr, const std::string& ns, const std::string& name) const;
  // Every object of a resource (ns empty = all namespaces), in key order.
  std::vector<StoredPtr> List(const std::string& gr, const std::string& ns) const;
  // A page of the resource as it was at `rv`, starting after `after_key`; limit 0 = all.
  // Returns false when `rv` is older than the compacted revision.
  bool ListAt(const std::string& gr, const std::string& ns, uint64_t rv, const std::string& after_key,
              size_t limit, const std::function<bool(const StoredObject&)>& filter,
              ListPage* page) const;

  // Writes `obj` (metadata.resourceVersion is stamped) and records an ADDED/MODIFIED event.
  StoredPtr Put(const std::string& gr, web::json::value obj);
  // Removes the object, recording a DELETED event; returns the deleted state or null.
  StoredPtr Remove(const std::string& gr, const std::string& ns, const std::string& name);
  void RemoveResource(const std::string& gr);  // drops storage silently (CRD removal)
  void WipeAll();  // data loss: objects gone, history compacted

  // Events with rv > after (only those still in history); false when `after` is compacted.
  bool EventsAfter(uint64_t after, std::vector<StoreEvent>* out) const;
  void Compact();
  void SetHistoryLimit(size_t limit);

  // Owner bookkeeping for the garbage collector.
  bool UidExists(const std::string& uid) const { return by_uid_.count(uid) > 0; }
  std::vector<std::string> OwnerUidsWithDependents() const;
  std::vector<std::pair<std::string, std::string>> Dependents(const std::string& owner_uid) const;
  std::vector<std::string> Resources() const;

 private:
  void Record(StoreEvent ev);
  void IndexRemove(const std::string& gr, const std::string& key, const StoredPtr& obj);
  void IndexAdd(const std::string& gr, const std::string& key, const StoredPtr& obj);

  mutable std::mutex mu_;
  std::condition_variable changed_;
  uint64_t rv_ = 0;
  uint64_t compacted_rv_ = 0;
  size_t history_limit_;
  std::deque<StoreEvent> history_;  // contiguous revisions compacted_rv_+1 .. rv_
  std::map<std::string, std::map<std::string, StoredPtr>> data_;  // gr -> key -> object
  std::map<std::string, std::pair<std::string, std::string>> by_uid_;  // uid -> (gr, key)
  std::map<std::string, std::set<std::pair<std::string, std::string>>> dependents_;
};

}  // namespace riposte::testapi
