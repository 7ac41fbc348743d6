#pragma once
// Shared informer: list+watch one resource into an in-memory cache, keep it converged with
// the server (resume from the last resourceVersion, relist on 410 Gone, reconnect with
// jittered backoff), and tell handlers about adds, updates and deletes.
//
// Handlers run on the informer's thread after the cache is updated, in event order; keep
// them short (enqueue a key into a WorkQueue). Objects handed out are immutable snapshots.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <cpprest/json.h>

#include "kube/kube_client.h"
#include "kube/resource.h"

namespace riposte::kube {

using ObjectPtr = std::shared_ptr<const web::json::value>;

// "namespace/name", or "name" for cluster-scoped objects (client-go MetaNamespaceKeyFunc).
std::string ObjectKey(const web::json::value& obj);
std::string ObjectKey(const std::string& ns, const std::string& name);
// Splits a key back into namespace ("" for cluster-scoped) and name.
std::pair<std::string, std::string> SplitObjectKey(const std::string& key);

struct EventHandlers {
  std::function<void(const ObjectPtr& obj)> on_add;
  std::function<void(const ObjectPtr& old_obj, const ObjectPtr& new_obj)> on_update;
  // `final_state_unknown` is true for a tombstone: the object vanished while the watch was
  // down and was noticed on relist; `obj` is the last state the cache knew.
  std::function<void(const ObjectPtr& obj, bool final_state_unknown)> on_delete;
};

struct InformerOptions {
  std::string ns;               // "" = all namespaces
  std::string label_selector;
  std::string field_selector;
  // Cached objects without metadata.managedFields (as controller-runtime's default cache
  // transform does): nothing here reads it, and it is often the larger part of an object.
  bool strip_managed_fields = true;
  // Applied to every listed or watched object before it is cached and handed to handlers
  // (controller-runtime's cache TransformFunc): keep only what the consumers read. Must keep
  // metadata.namespace, .name and .resourceVersion. Runs on the informer's thread; listed
  // objects are transformed page by page as they arrive.
  std::function<void(web::json::value& obj)> transform;
  int64_t page_size = 500;
  int watch_timeout_seconds = 300;  // each watch is re-established after this
  std::chrono::milliseconds min_backoff{200};
  std::chrono::milliseconds max_backoff{30000};
};

// Transforms for InformerOptions::transform.
// Drops the kubectl.kubernetes.io/last-applied-configuration annotation (`kubectl apply`
// keeps a copy of the whole object there).
void DropLastApplied(web::json::value& obj);
// Keeps metadata.{name, namespace, uid, resourceVersion, labels, deletionTimestamp} only: for
// caches read for an object's labels (namespaces matched by a selector).
void KeepIdentityAndLabels(web::json::value& obj);

struct InformerStats {
  uint64_t lists = 0;      // full relists (initial one included)
  uint64_t watches = 0;    // watch connections opened
  uint64_t events = 0;     // watch events applied
  uint64_t gone = 0;       // 410 Gone seen
  uint64_t errors = 0;     // failed list/watch attempts
};

class Informer {
 public:
  Informer(KubeClientPtr client, Resource resource, InformerOptions opts = {});
  ~Informer();  // stops
  Informer(const Informer&) = delete;
  Informer& operator=(const Informer&) = delete;

  // Register before Start() to see every object as an add; registering later replays the
  // current cache as adds to that handler only. Returns an id for RemoveEventHandler.
  int AddEventHandler(EventHandlers handlers);
  void RemoveEventHandler(int id);

  void Start();  // spawns the list/watch thread; idempotent
  void Stop();   // cancels the watch and joins; idempotent
  // True once the first full list has been applied.
  bool HasSynced() const;
  // Waits up to `timeout` for HasSynced(); false on timeout or when stopped.
  bool WaitForSync(std::chrono::milliseconds timeout) const;

  ObjectPtr Get(const std::string& key) const;
  ObjectPtr Get(const std::string& ns, const std::string& name) const;
  std::vector<ObjectPtr> List() const;
  std::vector<std::string> Keys() const;
  size_t Size() const;
  std::string LastSyncResourceVersion() const;
  InformerStats Stats() const;
  const Resource& resource() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

using InformerPtr = std::shared_ptr<Informer>;

// One informer per (resource, namespace) shared by every consumer in the process.
class SharedInformerFactory {
 public:
  explicit SharedInformerFactory(KubeClientPtr client, InformerOptions defaults = {});
  ~SharedInformerFactory();
  // Returns the existing informer for (res, ns) or creates one (not started).
  InformerPtr For(const Resource& res, const std::string& ns = "");
  // The same with InformerOptions::transform set, for the informer this call creates (the
  // first caller for (res, ns) decides what the shared cache keeps).
  InformerPtr For(const Resource& res, const std::string& ns, std::function<void(web::json::value&)> transform);
  void Start();  // starts all informers created so far
  bool WaitForCacheSync(std::chrono::milliseconds timeout);
  void Stop();

 private:
  KubeClientPtr client_;
  InformerOptions defaults_;
  std::mutex mu_;
  std::map<std::string, InformerPtr> informers_;
  bool started_ = false;
};

}  // namespace riposte::kube
