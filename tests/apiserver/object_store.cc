#include "tests/apiserver/object_store.h"

#include <algorithm>
#include <functional>

namespace riposte::testapi {

using web::json::value;

const char* EventTypeName(EventType t) {
  switch (t) {
    case EventType::kAdded: return "ADDED";
    case EventType::kModified: return "MODIFIED";
    case EventType::kDeleted: return "DELETED";
  }
  return "";
}

std::string ObjectKey(const std::string& ns, const std::string& name) { return ns + "/" + name; }

std::string NamespaceOfKey(const std::string& key) { return key.substr(0, key.find('/')); }

StoredPtr MakeStored(value json, uint64_t rv) {
  auto s = std::make_shared<StoredObject>();
  if (rv) json["metadata"]["resourceVersion"] = value::string(std::to_string(rv));
  s->rv = rv;
  s->text = json.serialize();
  s->json = std::move(json);
  return s;
}

namespace {

std::string Str(const value& obj, const char* a, const char* b) {
  if (!obj.has_field(a) || !obj.at(a).is_object() || !obj.at(a).has_field(b)) return "";
  const auto& v = obj.at(a).at(b);
  return v.is_string() ? v.as_string() : "";
}

std::vector<std::string> OwnerUids(const value& obj) {
  std::vector<std::string> out;
  if (!obj.has_field("metadata")) return out;
  const auto& md = obj.at("metadata");
  if (!md.is_object() || !md.has_field("ownerReferences") || !md.at("ownerReferences").is_array())
    return out;
  for (const auto& ref : md.at("ownerReferences").as_array())
    if (ref.is_object() && ref.has_field("uid") && ref.at("uid").is_string())
      out.push_back(ref.at("uid").as_string());
  return out;
}

}  // namespace

ObjectStore::ObjectStore(size_t history_limit) : history_limit_(std::max<size_t>(history_limit, 1)) {}

StoredPtr ObjectStore::Get(const std::string& gr, const std::string& ns,
                           const std::string& name) const {
  auto it = data_.find(gr);
  if (it == data_.end()) return nullptr;
  auto o = it->second.find(ObjectKey(ns, name));
  return o == it->second.end() ? nullptr : o->second;
}

std::vector<StoredPtr> ObjectStore::List(const std::string& gr, const std::string& ns) const {
  std::vector<StoredPtr> out;
  auto it = data_.find(gr);
  if (it == data_.end()) return out;
  auto begin = ns.empty() ? it->second.begin() : it->second.lower_bound(ns + "/");
  for (auto o = begin; o != it->second.end(); ++o) {
    if (!ns.empty() && NamespaceOfKey(o->first) != ns) break;
    out.push_back(o->second);
  }
  return out;
}

bool ObjectStore::ListAt(const std::string& gr, const std::string& ns, uint64_t rv,
                         const std::string& after_key, size_t limit,
                         const std::function<bool(const StoredObject&)>& filter,
                         ListPage* page) const {
  if (rv < compacted_rv_) return false;
  static const std::map<std::string, StoredPtr> kEmpty;
  auto dit = data_.find(gr);
  const std::map<std::string, StoredPtr>* view = dit == data_.end() ? &kEmpty : &dit->second;
  // Roll later writes back when the requested revision is in the past.
  std::map<std::string, StoredPtr> rolled;
  if (rv < rv_) {
    bool touched = false;
    for (auto e = history_.rbegin(); e != history_.rend() && e->rv > rv; ++e)
      touched = touched || e->group_resource == gr;
    if (touched) {
      rolled = *view;
      for (auto e = history_.rbegin(); e != history_.rend() && e->rv > rv; ++e) {
        if (e->group_resource != gr) continue;
        if (e->type == EventType::kAdded) rolled.erase(e->key);
        else rolled[e->key] = e->prev;
      }
      view = &rolled;
    }
  }
  page->rv = rv;
  auto start = after_key.empty() ? view->begin() : view->upper_bound(after_key);
  if (!ns.empty() && (after_key.empty() || after_key < ns + "/")) start = view->lower_bound(ns + "/");
  for (auto o = start; o != view->end(); ++o) {
    if (!ns.empty() && NamespaceOfKey(o->first) != ns) break;
    if (filter && !filter(*o->second)) continue;
    if (limit && page->items.size() == limit) {
      page->more = true;
      // remainingItemCount is only reported for unfiltered lists, as in the real server.
      if (!filter) {
        for (auto r = o; r != view->end() && (ns.empty() || NamespaceOfKey(r->first) == ns); ++r)
          ++page->remaining;
      } else {
        page->remaining = -1;
      }
      break;
    }
    page->items.push_back(o->second);
    page->last_key = o->first;
  }
  return true;
}

void ObjectStore::Record(StoreEvent ev) {
  history_.push_back(std::move(ev));
  while (history_.size() > history_limit_) {
    history_.pop_front();
    ++compacted_rv_;
  }
  changed_.notify_all();
}

void ObjectStore::IndexRemove(const std::string& gr, const std::string& key, const StoredPtr& obj) {
  if (!obj) return;
  by_uid_.erase(Str(obj->json, "metadata", "uid"));
  for (const auto& owner : OwnerUids(obj->json)) {
    auto it = dependents_.find(owner);
    if (it == dependents_.end()) continue;
    it->second.erase({gr, key});
    if (it->second.empty()) dependents_.erase(it);
  }
}

void ObjectStore::IndexAdd(const std::string& gr, const std::string& key, const StoredPtr& obj) {
  auto uid = Str(obj->json, "metadata", "uid");
  if (!uid.empty()) by_uid_[uid] = {gr, key};
  for (const auto& owner : OwnerUids(obj->json)) dependents_[owner].insert({gr, key});
}

StoredPtr ObjectStore::Put(const std::string& gr, value obj) {
  std::string key = ObjectKey(Str(obj, "metadata", "namespace"), Str(obj, "metadata", "name"));
  auto stored = MakeStored(std::move(obj), ++rv_);
  auto& slot = data_[gr][key];
  StoredPtr prev = slot;
  IndexRemove(gr, key, prev);
  slot = stored;
  IndexAdd(gr, key, stored);
  Record({rv_, prev ? EventType::kModified : EventType::kAdded, gr, key, stored, prev});
  return stored;
}

StoredPtr ObjectStore::Remove(const std::string& gr, const std::string& ns,
                              const std::string& name) {
  auto it = data_.find(gr);
  if (it == data_.end()) return nullptr;
  std::string key = ObjectKey(ns, name);
  auto o = it->second.find(key);
  if (o == it->second.end()) return nullptr;
  StoredPtr prev = o->second;
  IndexRemove(gr, key, prev);
  it->second.erase(o);
  auto gone = MakeStored(prev->json, ++rv_);
  Record({rv_, EventType::kDeleted, gr, key, gone, prev});
  return gone;
}

void ObjectStore::RemoveResource(const std::string& gr) {
  auto it = data_.find(gr);
  if (it == data_.end()) return;
  for (const auto& [key, obj] : it->second) IndexRemove(gr, key, obj);
  data_.erase(it);
}

void ObjectStore::WipeAll() {
  data_.clear();
  by_uid_.clear();
  dependents_.clear();
  Compact();
}

bool ObjectStore::EventsAfter(uint64_t after, std::vector<StoreEvent>* out) const {
  if (after < compacted_rv_) return false;
  if (after >= rv_) return true;
  size_t first = static_cast<size_t>(after - compacted_rv_);
  for (size_t i = first; i < history_.size(); ++i) out->push_back(history_[i]);
  return true;
}

void ObjectStore::Compact() {
  history_.clear();
  compacted_rv_ = rv_;
  changed_.notify_all();
}

void ObjectStore::SetHistoryLimit(size_t limit) {
  history_limit_ = std::max<size_t>(limit, 1);
  while (history_.size() > history_limit_) {
    history_.pop_front();
    ++compacted_rv_;
  }
}

std::vector<std::string> ObjectStore::OwnerUidsWithDependents() const {
  std::vector<std::string> out;
  for (const auto& [uid, deps] : dependents_) out.push_back(uid);
  return out;
}

std::vector<std::pair<std::string, std::string>> ObjectStore::Dependents(
    const std::string& owner_uid) const {
  auto it = dependents_.find(owner_uid);
  if (it == dependents_.end()) return {};
  return {it->second.begin(), it->second.end()};
}

std::vector<std::string> ObjectStore::Resources() const {
  std::vector<std::string> out;
  for (const auto& [gr, objs] : data_) out.push_back(gr);
  return out;
}

}  // namespace riposte::testapi
