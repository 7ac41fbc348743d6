#include "kube/informer.h"
#include "common/json_value.h"

#include <atomic>
#include <condition_variable>
#include <thread>
#include <unordered_map>

#include "common/log.h"
#include "kube/rate_limit.h"

namespace riposte::kube {
namespace json = web::json;

std::string ObjectKey(const std::string& ns, const std::string& name) { return ns.empty() ? name : ns + "/" + name; }

void DropLastApplied(json::value& obj) {
  if (!obj.is_object() || !obj.has_field("metadata")) return;
  json::value& md = obj.at("metadata");
  if (!md.is_object() || !md.has_field("annotations") || !md.at("annotations").is_object()) return;
  json::value& annotations = md.at("annotations");
  if (annotations.has_field("kubectl.kubernetes.io/last-applied-configuration")) {
    annotations.erase("kubectl.kubernetes.io/last-applied-configuration");
  }
}

void KeepIdentityAndLabels(json::value& obj) {
  if (!obj.is_object() || !obj.has_field("metadata") || !obj.at("metadata").is_object()) return;
  const json::value& md = obj.at("metadata");
  json::value kept_md = json::value::object();
  for (const char* f : {"name", "namespace", "uid", "resourceVersion", "labels", "deletionTimestamp"}) {
    if (md.has_field(f)) kept_md[f] = md.at(f);
  }
  json::value kept = json::value::object();
  for (const char* f : {"apiVersion", "kind"}) {
    if (obj.has_field(f)) kept[f] = obj.at(f);
  }
  kept["metadata"] = std::move(kept_md);
  obj = std::move(kept);
}

std::string ObjectKey(const json::value& obj) {
  return ObjectKey(riposte::json::GetString(obj, {"metadata", "namespace"}).value_or(""), riposte::json::GetString(obj, {"metadata", "name"}).value_or(""));
}

std::pair<std::string, std::string> SplitObjectKey(const std::string& key) {
  const size_t slash = key.find('/');
  if (slash == std::string::npos) return {"", key};
  return {key.substr(0, slash), key.substr(slash + 1)};
}

struct Informer::Impl {
  KubeClientPtr client;
  Resource resource;
  InformerOptions opts;

  // The cache.
  mutable std::mutex mu;
  std::unordered_map<std::string, ObjectPtr> items;
  std::string last_rv;
  InformerStats stats;

  // Serialises cache mutation + handler delivery (watch thread, late handlers).
  std::mutex dispatch_mu;
  std::map<int, EventHandlers> handlers;
  int next_handler = 1;

  mutable std::mutex sync_mu;
  mutable std::condition_variable_any sync_cv;
  bool synced = false;
  bool stopped = false;

  std::mutex run_mu;
  std::jthread watch_thread;
  bool running = false;

  // Caller holds mu. Returns the previous object (null if none).
  ObjectPtr Put(const std::string& key, ObjectPtr obj) {
    ObjectPtr old;
    auto it = items.find(key);
    if (it != items.end()) {
      old = it->second;
      it->second = obj;
    } else {
      items.emplace(key, obj);
    }
    return old;
  }
  ObjectPtr Erase(const std::string& key) {
    auto it = items.find(key);
    if (it == items.end()) return nullptr;
    ObjectPtr old = it->second;
    items.erase(it);
    return old;
  }

  // Handlers are called with dispatch_mu held and mu released.
  void NotifyAdd(const ObjectPtr& o) {
    for (auto& [id, h] : handlers) {
      if (h.on_add) h.on_add(o);
    }
  }
  void NotifyUpdate(const ObjectPtr& a, const ObjectPtr& b) {
    for (auto& [id, h] : handlers) {
      if (h.on_update) h.on_update(a, b);
    }
  }
  void NotifyDelete(const ObjectPtr& o, bool unknown) {
    for (auto& [id, h] : handlers) {
      if (h.on_delete) h.on_delete(o, unknown);
    }
  }

  // What the cache keeps of an object: managedFields (server-side apply bookkeeping, often
  // larger than the rest of the object) is dropped unless asked for.
  ObjectPtr Keep(json::value&& obj) const {
    if (opts.strip_managed_fields && obj.is_object() && obj.has_field("metadata") && obj.at("metadata").is_object() &&
        obj.at("metadata").has_field("managedFields"))
      obj.at("metadata").erase("managedFields");
    return std::make_shared<const json::value>(std::move(obj));
  }

  static std::string Rv(const json::value& obj) { return riposte::json::GetString(obj, {"metadata", "resourceVersion"}).value_or(""); }

  void Replace(std::vector<json::value>&& list, const std::string& rv) {
    std::lock_guard<std::mutex> dlock(dispatch_mu);
    struct Change {
      ObjectPtr old_obj, new_obj;
    };
    std::vector<Change> changes;
    {
      std::lock_guard<std::mutex> lock(mu);
      std::unordered_map<std::string, bool> seen;
      seen.reserve(list.size());
      for (auto& item : list) {
        auto obj = Keep(std::move(item));  // opts.transform already applied by ListAll
        const std::string key = ObjectKey(*obj);
        seen.emplace(key, true);
        auto it = items.find(key);
        if (it != items.end() && Rv(*it->second) == Rv(*obj)) continue;
        ObjectPtr old = Put(key, obj);
        changes.push_back({old, obj});
      }
      std::vector<std::string> gone;
      for (const auto& [key, obj] : items) {
        if (seen.find(key) == seen.end()) gone.push_back(key);
      }
      for (const auto& key : gone) changes.push_back({Erase(key), nullptr});
      last_rv = rv;
      ++stats.lists;
    }
    for (const auto& c : changes) {
      if (!c.old_obj) {
        NotifyAdd(c.new_obj);
      } else if (!c.new_obj) {
        // Deleted while we were not watching: the final state is unknown (tombstone).
        NotifyDelete(c.old_obj, true);
      } else {
        NotifyUpdate(c.old_obj, c.new_obj);
      }
    }
    {
      std::lock_guard<std::mutex> lock(sync_mu);
      synced = true;
    }
    sync_cv.notify_all();
  }

  void Apply(WatchEvent&& ev) {
    std::lock_guard<std::mutex> dlock(dispatch_mu);
    const std::string rv = Rv(ev.object);
    if (ev.type == WatchEventType::kBookmark) {
      std::lock_guard<std::mutex> lock(mu);
      if (!rv.empty()) last_rv = rv;
      return;
    }
    if (opts.transform) opts.transform(ev.object);
    auto obj = Keep(std::move(ev.object));
    const std::string key = ObjectKey(*obj);
    ObjectPtr old;
    bool changed = true;
    {
      std::lock_guard<std::mutex> lock(mu);
      if (!rv.empty()) last_rv = rv;
      ++stats.events;
      if (ev.type == WatchEventType::kDeleted) {
        old = Erase(key);
      } else {
        auto it = items.find(key);
        if (it != items.end() && Rv(*it->second) == rv) {
          changed = false;  // replayed event after a reconnect
        } else {
          old = Put(key, obj);
        }
      }
    }
    if (!changed) return;
    if (ev.type == WatchEventType::kDeleted) {
      NotifyDelete(obj, false);  // the event carries the final state
    } else if (old) {
      NotifyUpdate(old, obj);
    } else {
      NotifyAdd(obj);
    }
  }

  // Sleeps for `d` unless stop is requested; false when stopping.
  bool Sleep(std::stop_token st, std::chrono::milliseconds d) {
    std::unique_lock<std::mutex> lock(sync_mu);
    sync_cv.wait_for(lock, st, d, [] { return false; });
    return !st.stop_requested();
  }

  void RunWatch(std::stop_token st) {
    Backoff backoff(opts.min_backoff, opts.max_backoff);
    int failures = 0;
    int watch_failures = 0;  // consecutive watch attempts that failed without any event
    bool verify_rv = false;  // the last watch broke: confirm the server still has last_rv
    bool need_list = true;
    ListOptions lo;
    lo.label_selector = opts.label_selector;
    lo.field_selector = opts.field_selector;
    while (!st.stop_requested()) {
      if (need_list) {
        auto list = ListAll(*client, resource, opts.ns, lo, opts.page_size, opts.transform);
        if (!list.ok()) {
          if (IsCancelled(list.error()) || st.stop_requested()) break;
          {
            std::lock_guard<std::mutex> lock(mu);
            ++stats.errors;
          }
          log::Warn("informer: list failed", {{"resource", resource.GroupResource()}, {"error", list.error().ToString()}});
          if (!Sleep(st, backoff.Delay(failures++))) break;
          continue;
        }
        Replace(std::move(list->items), list->resource_version);
        need_list = false;
        failures = 0;
        watch_failures = 0;
        verify_rv = false;
      }
      if (verify_rv) {
        // After a dropped connection, check that the server still knows our resourceVersion
        // before resuming: a restarted server on fresh or restored storage answers "too large"
        // (or 410), and only a relist brings the cache back in line with it.
        ListOptions probe = lo;
        probe.limit = 1;
        {
          std::lock_guard<std::mutex> lock(mu);
          probe.resource_version = last_rv;
        }
        probe.resource_version_match = "NotOlderThan";
        auto r = client->List(resource, opts.ns, probe);
        if (!r.ok()) {
          if (IsCancelled(r.error()) || st.stop_requested()) break;
          if (IsGone(r.error()) || IsResourceVersionTooLarge(r.error())) {
            std::lock_guard<std::mutex> lock(mu);
            ++stats.gone;
            need_list = true;
            continue;
          }
          if (++watch_failures >= 2) need_list = true;  // unreachable: relist when it is back
          if (!Sleep(st, backoff.Delay(failures++))) break;
          continue;
        }
        verify_rv = false;
      }
      WatchOptions wo;
      wo.label_selector = opts.label_selector;
      wo.field_selector = opts.field_selector;
      wo.allow_bookmarks = true;
      wo.timeout_seconds = opts.watch_timeout_seconds;
      {
        std::lock_guard<std::mutex> lock(mu);
        wo.resource_version = last_rv;
        ++stats.watches;
      }
      auto w = client->Watch(
          resource, opts.ns, wo,
          [this, &st, &failures, &watch_failures](WatchEvent&& ev) {
            failures = 0;  // the connection works: a later drop reconnects quickly
            watch_failures = 0;
            Apply(std::move(ev));
            return !st.stop_requested();
          },
          st);
      if (st.stop_requested()) break;
      if (w.ok()) {
        watch_failures = 0;
        continue;  // server ended the watch (timeout): resume from last_rv
      }
      const ApiError& err = w.error();
      if (IsCancelled(err)) break;
      if (IsGone(err) || IsResourceVersionTooLarge(err)) {
        std::lock_guard<std::mutex> lock(mu);
        ++stats.gone;
        need_list = true;
        continue;  // history compacted past our version (or storage reset): relist now
      }
      {
        std::lock_guard<std::mutex> lock(mu);
        ++stats.errors;
      }
      log::Warn("informer: watch failed", {{"resource", resource.GroupResource()}, {"error", err.ToString()}});
      // A single dropped stream resumes from last_rv. A second failure in a row means the
      // server was unreachable: it may have restarted on different storage, where our
      // resourceVersion means nothing, so relist once it answers again.
      if (++watch_failures >= 2) need_list = true;
      verify_rv = true;
      if (!Sleep(st, backoff.Delay(failures++))) break;
    }
  }
};

Informer::Informer(KubeClientPtr client, Resource resource, InformerOptions opts) : impl_(std::make_shared<Impl>()) {
  impl_->client = std::move(client);
  impl_->resource = std::move(resource);
  impl_->opts = std::move(opts);
}

Informer::~Informer() { Stop(); }

int Informer::AddEventHandler(EventHandlers handlers) {
  std::lock_guard<std::mutex> dlock(impl_->dispatch_mu);
  const int id = impl_->next_handler++;
  // Late registration: replay the cache so the handler sees every object once.
  std::vector<ObjectPtr> current;
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    for (const auto& [k, v] : impl_->items) current.push_back(v);
  }
  if (handlers.on_add) {
    for (const auto& o : current) handlers.on_add(o);
  }
  impl_->handlers.emplace(id, std::move(handlers));
  return id;
}

void Informer::RemoveEventHandler(int id) {
  std::lock_guard<std::mutex> dlock(impl_->dispatch_mu);
  impl_->handlers.erase(id);
}

void Informer::Start() {
  std::lock_guard<std::mutex> rlock(impl_->run_mu);
  if (impl_->running) return;
  impl_->running = true;
  {
    std::lock_guard<std::mutex> lock(impl_->sync_mu);
    impl_->stopped = false;
  }
  Impl* impl = impl_.get();
  impl_->watch_thread = std::jthread([impl](std::stop_token st) { impl->RunWatch(st); });
}

void Informer::Stop() {
  std::lock_guard<std::mutex> rlock(impl_->run_mu);
  if (!impl_->running) return;
  impl_->watch_thread.request_stop();
  {
    std::lock_guard<std::mutex> lock(impl_->sync_mu);
    impl_->stopped = true;
  }
  impl_->sync_cv.notify_all();
  if (impl_->watch_thread.joinable()) impl_->watch_thread.join();
  impl_->running = false;
}

bool Informer::HasSynced() const {
  std::lock_guard<std::mutex> lock(impl_->sync_mu);
  return impl_->synced;
}

bool Informer::WaitForSync(std::chrono::milliseconds timeout) const {
  std::unique_lock<std::mutex> lock(impl_->sync_mu);
  impl_->sync_cv.wait_for(lock, timeout, [this] { return impl_->synced || impl_->stopped; });
  return impl_->synced;
}

ObjectPtr Informer::Get(const std::string& key) const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  auto it = impl_->items.find(key);
  return it == impl_->items.end() ? nullptr : it->second;
}

ObjectPtr Informer::Get(const std::string& ns, const std::string& name) const { return Get(ObjectKey(ns, name)); }

std::vector<ObjectPtr> Informer::List() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  std::vector<ObjectPtr> out;
  out.reserve(impl_->items.size());
  for (const auto& [k, v] : impl_->items) out.push_back(v);
  return out;
}

std::vector<std::string> Informer::Keys() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  std::vector<std::string> out;
  for (const auto& [k, v] : impl_->items) out.push_back(k);
  return out;
}

size_t Informer::Size() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->items.size();
}

std::string Informer::LastSyncResourceVersion() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->last_rv;
}

InformerStats Informer::Stats() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->stats;
}

const Resource& Informer::resource() const { return impl_->resource; }

SharedInformerFactory::SharedInformerFactory(KubeClientPtr client, InformerOptions defaults)
    : client_(std::move(client)), defaults_(std::move(defaults)) {}

SharedInformerFactory::~SharedInformerFactory() { Stop(); }

InformerPtr SharedInformerFactory::For(const Resource& res, const std::string& ns) { return For(res, ns, nullptr); }

InformerPtr SharedInformerFactory::For(const Resource& res, const std::string& ns,
                                       std::function<void(json::value&)> transform) {
  std::lock_guard<std::mutex> lock(mu_);
  const std::string key = res.GroupResource() + "|" + ns;
  auto it = informers_.find(key);
  if (it != informers_.end()) return it->second;
  InformerOptions opts = defaults_;
  opts.ns = ns;
  if (transform) opts.transform = std::move(transform);
  auto inf = std::make_shared<Informer>(client_, res, opts);
  informers_.emplace(key, inf);
  if (started_) inf->Start();
  return inf;
}

void SharedInformerFactory::Start() {
  std::lock_guard<std::mutex> lock(mu_);
  started_ = true;
  for (auto& [k, inf] : informers_) inf->Start();
}

bool SharedInformerFactory::WaitForCacheSync(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::vector<InformerPtr> all;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& [k, inf] : informers_) all.push_back(inf);
  }
  for (auto& inf : all) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (!inf->WaitForSync(std::max(left, std::chrono::milliseconds(0)))) return false;
  }
  return true;
}

void SharedInformerFactory::Stop() {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& [k, inf] : informers_) inf->Stop();
  started_ = false;
}

}  // namespace riposte::kube
