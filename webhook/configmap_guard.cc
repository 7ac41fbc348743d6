#include "webhook/configmap_guard.h"

#include <string_view>

#include "common/log.h"
#include "core/annotation_types.h"
#include "kube/resource.h"

namespace riposte::webhook {

namespace {

using web::json::value;

// The marker a cut-down ConfigMap carries when its data was dropped (an empty ConfigMap has
// no data either, and must not be read again from the API).
constexpr const char* kDataDropped = "riposteDataDropped";

const value* Field(const value& v, const char* key) {
  if (!v.is_object()) return nullptr;
  const auto& o = v.as_object();
  auto it = o.find(key);
  return it == o.end() ? nullptr : &it->second;
}

std::string StringField(const value& v, const char* key) {
  const value* f = Field(v, key);
  return f != nullptr && f->is_string() ? f->as_string() : std::string();
}

core::KeyValues StringMap(const value* v) {
  core::KeyValues out;
  if (v == nullptr || !v->is_object()) return out;
  for (const auto& [k, val] : v->as_object()) {
    if (val.is_string()) out.emplace_back(k, val.as_string());
  }
  return out;
}

// Annotations that can name a ConfigMap under any prefix, and the legacy class annotation.
bool KeepAnnotation(const std::string& key) {
  if (key == core::kIngressClassAnnotation) return true;
  const size_t slash = key.rfind('/');
  if (slash == std::string::npos) return false;
  const core::AnnotationType* type = core::FindAnnotationType(std::string_view(key).substr(slash + 1));
  return type != nullptr && type->placement != core::ConfigMapPlacement::kNone;
}

value CutMetadata(const value& obj, bool labels) {
  value meta = value::object();
  const value* m = Field(obj, "metadata");
  if (m == nullptr) return meta;
  for (const char* key : {"namespace", "name", "resourceVersion"}) {
    if (const value* f = Field(*m, key)) meta[key] = *f;
  }
  if (labels) {
    if (const value* l = Field(*m, "labels")) meta["labels"] = *l;
  }
  return meta;
}

void CutIngress(value& obj) {
  value out = value::object();
  value meta = CutMetadata(obj, false);
  if (const value* m = Field(obj, "metadata")) {
    if (const value* a = Field(*m, "annotations"); a != nullptr && a->is_object()) {
      value kept = value::object();
      for (const auto& [k, v] : a->as_object()) {
        if (v.is_string() && KeepAnnotation(k)) kept[k] = v;
      }
      if (kept.size() > 0) meta["annotations"] = std::move(kept);
    }
  }
  out["metadata"] = std::move(meta);
  if (const value* spec = Field(obj, "spec")) {
    if (const value* cls = Field(*spec, "ingressClassName"); cls != nullptr && cls->is_string()) {
      out["spec"] = value::object();
      out["spec"]["ingressClassName"] = *cls;
    }
  }
  obj = std::move(out);
}

core::Ingress IngressFrom(const value& obj) {
  core::Ingress ing;
  const value* meta = Field(obj, "metadata");
  if (meta != nullptr) {
    ing.ns = StringField(*meta, "namespace");
    ing.name = StringField(*meta, "name");
    ing.annotations = StringMap(Field(*meta, "annotations"));
  }
  if (const value* spec = Field(obj, "spec")) ing.ingress_class = StringField(*spec, "ingressClassName");
  return ing;
}

std::shared_ptr<const core::ConfigMap> ConfigMapFrom(const value& obj) {
  auto cm = std::make_shared<core::ConfigMap>();
  if (const value* meta = Field(obj, "metadata")) {
    cm->ns = StringField(*meta, "namespace");
    cm->name = StringField(*meta, "name");
  }
  cm->data = StringMap(Field(obj, "data"));
  return cm;
}

std::string Key(const std::string& ns, const std::string& name) { return ns + "/" + name; }

}  // namespace

class ConfigMapGuard::CacheLookup : public core::ConfigMapLookup {
 public:
  explicit CacheLookup(const ConfigMapGuard* guard) : guard_(guard) {}

  const core::ConfigMap* Find(const std::string& ns, const std::string& name) const override {
    for (const auto& cm : held_) {
      if (cm->ns == ns && cm->name == name) return cm.get();
    }
    std::shared_ptr<const core::ConfigMap> cm;
    kube::ObjectPtr cached = guard_->configmaps_->Get(ns, name);
    if (cached && Field(*cached, kDataDropped) == nullptr) {
      cm = ConfigMapFrom(*cached);
    } else {
      // In the cache without its data (nobody referenced it when it was last seen), or not
      // in it: still listing, or created a moment ago and not yet seen through the watch (an
      // `kubectl apply` of a ConfigMap and the Ingress naming it). Read it from the API.
      cm = guard_->Fetch(ns, name);
    }
    if (!cm) return nullptr;
    held_.push_back(cm);
    return cm.get();
  }

 private:
  const ConfigMapGuard* guard_;
  mutable std::vector<std::shared_ptr<const core::ConfigMap>> held_;
};

ConfigMapGuard::ConfigMapGuard(kube::KubeClientPtr client, const PolicyWatcher* policy, metrics::Registry* registry,
                               ConfigMapGuardOptions opts)
    : client_(std::move(client)),
      policy_(policy),
      indexed_configmaps_(registry
                              ->AddGauge("riposte_webhook_referenced_configmaps",
                                         "ConfigMaps that Ingresses reference (auth-proxy-set-headers, custom-headers, "
                                         "fastcgi-params-configmap)")
                              .With()),
      api_reads_(registry
                     ->AddCounter("riposte_webhook_configmap_api_reads_total",
                                  "ConfigMaps read from the API server because the cache held no data for them")
                     .With()) {
  kube::InformerOptions ing_opts = opts.informer;
  ing_opts.transform = CutIngress;
  ingresses_ = std::make_shared<kube::Informer>(client_, kube::resources::kIngresses, ing_opts);
  kube::InformerOptions cm_opts = opts.informer;
  cm_opts.transform = [this](value& obj) {
    value out = value::object();
    out["metadata"] = CutMetadata(obj, true);
    const value* meta = Field(out, "metadata");
    if (KeepsData(StringField(*meta, "namespace"), StringField(*meta, "name"), obj)) {
      if (const value* data = Field(obj, "data")) out["data"] = *data;
    } else {
      out[kDataDropped] = value::boolean(true);
    }
    obj = std::move(out);
  };
  configmaps_ = std::make_shared<kube::Informer>(client_, kube::resources::kConfigMaps, cm_opts);

  kube::EventHandlers ing_handlers;
  ing_handlers.on_add = [this](const kube::ObjectPtr& obj) { IndexIngress(*obj); };
  ing_handlers.on_update = [this](const kube::ObjectPtr&, const kube::ObjectPtr& obj) { IndexIngress(*obj); };
  ing_handlers.on_delete = [this](const kube::ObjectPtr& obj, bool) {
    index_.Remove(kube::ObjectKey(*obj));
    indexed_configmaps_.Set(static_cast<double>(index_.ConfigMapCount()));
  };
  ingresses_->AddEventHandler(std::move(ing_handlers));

  auto forget = [this](const value& obj) {
    const value* meta = Field(obj, "metadata");
    if (meta == nullptr) return;
    std::lock_guard lock(fetched_mu_);
    fetched_.erase(Key(StringField(*meta, "namespace"), StringField(*meta, "name")));
  };
  kube::EventHandlers cm_handlers;
  cm_handlers.on_update = [forget](const kube::ObjectPtr&, const kube::ObjectPtr& obj) { forget(*obj); };
  cm_handlers.on_delete = [forget](const kube::ObjectPtr& obj, bool) { forget(*obj); };
  configmaps_->AddEventHandler(std::move(cm_handlers));
}

ConfigMapGuard::~ConfigMapGuard() { Stop(); }

void ConfigMapGuard::Start() {
  // ConfigMaps only once the Ingress index is complete: their transform asks it whether to
  // keep a ConfigMap's data, and would otherwise drop the data of referenced ones.
  ingresses_->Start();
  if (starter_.joinable()) return;
  starter_ = std::jthread([this](std::stop_token st) {
    while (!st.stop_requested()) {
      if (ingresses_->WaitForSync(std::chrono::milliseconds(200))) {
        configmaps_->Start();
        return;
      }
    }
  });
}

void ConfigMapGuard::Stop() {
  if (starter_.joinable()) {
    starter_.request_stop();
    starter_.join();
  }
  if (configmaps_) configmaps_->Stop();
  if (ingresses_) ingresses_->Stop();
}

bool ConfigMapGuard::Synced() const { return ingresses_->HasSynced() && configmaps_->HasSynced(); }

std::string ConfigMapGuard::NotReadyReason() const {
  if (!ingresses_->HasSynced()) return "Ingress cache not synced";
  if (!configmaps_->HasSynced()) return "ConfigMap cache not synced";
  return "";
}

void ConfigMapGuard::IndexIngress(const value& obj) {
  core::EnginePtr engine = policy_->Engine();
  if (!engine) return;
  std::lock_guard lock(engine_mu_);
  if (engine.get() != indexed_with_.load()) {
    // A new policy: every Ingress is indexed again under it (this one included).
    engine_ = engine;
    indexed_with_ = engine.get();
    index_.Clear();
    for (const auto& ing : ingresses_->List()) {
      index_.Set(kube::ObjectKey(*ing), engine->ConfigMapReferences(IngressFrom(*ing)));
    }
  }
  index_.Set(kube::ObjectKey(obj), engine->ConfigMapReferences(IngressFrom(obj)));
  indexed_configmaps_.Set(static_cast<double>(index_.ConfigMapCount()));
}

void ConfigMapGuard::RefreshForPolicy() const {
  core::EnginePtr engine = policy_->Engine();
  if (!engine || engine.get() == indexed_with_.load()) return;
  std::lock_guard lock(engine_mu_);
  if (engine.get() == indexed_with_.load()) return;
  engine_ = engine;
  indexed_with_ = engine.get();
  index_.Clear();
  for (const auto& ing : ingresses_->List()) {
    index_.Set(kube::ObjectKey(*ing), engine->ConfigMapReferences(IngressFrom(*ing)));
  }
  indexed_configmaps_.Set(static_cast<double>(index_.ConfigMapCount()));
}

bool ConfigMapGuard::KeepsData(const std::string& ns, const std::string& name, const value&) const {
  RefreshForPolicy();
  return index_.Referenced(Key(ns, name));
}

std::vector<ConfigMapReferrer> ConfigMapGuard::Referrers(const std::string& ns, const std::string& name) const {
  RefreshForPolicy();
  return index_.Referrers(Key(ns, name));
}

std::unique_ptr<core::ConfigMapLookup> ConfigMapGuard::Lookup() const { return std::make_unique<CacheLookup>(this); }

size_t ConfigMapGuard::CachedConfigMapsWithData() const {
  size_t n = 0;
  for (const auto& obj : configmaps_->List()) {
    if (Field(*obj, kDataDropped) == nullptr) ++n;
  }
  return n;
}

std::shared_ptr<const core::ConfigMap> ConfigMapGuard::Fetch(const std::string& ns, const std::string& name) const {
  const std::string key = Key(ns, name);
  {
    std::lock_guard lock(fetched_mu_);
    auto it = fetched_.find(key);
    if (it != fetched_.end()) return it->second;
  }
  api_reads_.Inc();
  auto got = client_->Get(kube::resources::kConfigMaps, ns, name);
  if (!got.ok()) {
    if (!kube::IsNotFound(got.error())) {
      const std::string error_text = got.error().ToString();
      // Judged without it: the ConfigMap's own admission judges its content.
      log::Warn("cannot read referenced ConfigMap", {{"configmap", key}, {"error", error_text}});
    }
    return nullptr;
  }
  auto cm = ConfigMapFrom(got.value());
  std::lock_guard lock(fetched_mu_);
  // Entries go at the ConfigMap's next event; a bound keeps unreferenced leftovers in check.
  if (fetched_.size() >= 1024) fetched_.clear();
  fetched_[key] = cm;
  return cm;
}

}  // namespace riposte::webhook
