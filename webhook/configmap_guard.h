#pragma once
// What the webhook knows about ConfigMaps in the cluster (docs/policy.md, "ConfigMaps").
//
// ConfigMapSource is what the admission handler asks: which Ingresses reference a ConfigMap
// under review, and the content of the ConfigMaps an Ingress under review references.
// ConfigMapGuard implements it with two informers (kube/informer.h) whose caches are cut down
// by transforms: Ingresses keep only their name, class and the annotations that name
// ConfigMaps; ConfigMaps keep their data only while an Ingress references them (or the policy
// names them as the controller's). Everything else is dropped before it is cached, so memory
// follows the number of objects, not the size of every ConfigMap's data.

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/metrics.h"
#include "core/engine.h"
#include "kube/informer.h"
#include "kube/kube_client.h"
#include "webhook/configmap_index.h"
#include "webhook/policy_watcher.h"

namespace riposte::webhook {

class ConfigMapSource {
 public:
  virtual ~ConfigMapSource() = default;
  // False until both caches have listed once: Referrers() would miss references.
  virtual bool Synced() const = 0;
  virtual std::vector<ConfigMapReferrer> Referrers(const std::string& ns, const std::string& name) const = 0;
  // Resolves the ConfigMaps an Ingress under review names, for core::Engine::Check. One per
  // review: it owns what it hands out.
  virtual std::unique_ptr<core::ConfigMapLookup> Lookup() const = 0;
};

struct ConfigMapGuardOptions {
  kube::InformerOptions informer;  // backoff, page size, watch timeout; ns "" = all namespaces
};

class ConfigMapGuard : public ConfigMapSource {
 public:
  ConfigMapGuard(kube::KubeClientPtr client, const PolicyWatcher* policy, metrics::Registry* registry,
                 ConfigMapGuardOptions opts = {});
  ~ConfigMapGuard() override;

  void Start();
  void Stop();
  bool Synced() const override;
  // "" when synced, else which cache is still listing.
  std::string NotReadyReason() const;
  std::vector<ConfigMapReferrer> Referrers(const std::string& ns, const std::string& name) const override;
  std::unique_ptr<core::ConfigMapLookup> Lookup() const override;

  const ConfigMapIndex& index() const { return index_; }
  size_t CachedConfigMapsWithData() const;

 private:
  class CacheLookup;
  void IndexIngress(const web::json::value& obj);
  // The index depends on the policy (prefix, classes, exemptions): rebuilt when it changes.
  void RefreshForPolicy() const;
  bool KeepsData(const std::string& ns, const std::string& name, const web::json::value& obj) const;
  std::shared_ptr<const core::ConfigMap> Fetch(const std::string& ns, const std::string& name) const;

  kube::KubeClientPtr client_;
  const PolicyWatcher* policy_;
  kube::InformerPtr ingresses_;
  kube::InformerPtr configmaps_;
  mutable ConfigMapIndex index_;
  mutable std::mutex engine_mu_;  // serialises rebuilds; engine_ is what the index was built with
  mutable std::atomic<const core::Engine*> indexed_with_{nullptr};
  mutable core::EnginePtr engine_;
  // ConfigMaps read from the API because the cache had dropped their data (referenced only
  // after they were last seen); forgotten at their next event.
  mutable std::mutex fetched_mu_;
  mutable std::map<std::string, std::shared_ptr<const core::ConfigMap>> fetched_;
  std::jthread starter_;  // starts the ConfigMap informer once the Ingress cache synced
  metrics::Gauge& indexed_configmaps_;
  metrics::Counter& api_reads_;
};

}  // namespace riposte::webhook
