#include "webhook/configmap_index.h"

#include <algorithm>
#include <mutex>
#include <tuple>

namespace riposte::webhook {

void ConfigMapIndex::Unlink(const std::string& ingress) {
  auto it = by_ingress_.find(ingress);
  if (it == by_ingress_.end()) return;
  for (const auto& [configmap, annotation] : it->second) {
    auto cm = by_configmap_.find(configmap);
    if (cm == by_configmap_.end()) continue;
    auto& v = cm->second;
    v.erase(std::remove_if(v.begin(), v.end(), [&](const ConfigMapReferrer& r) { return r.ingress == ingress; }),
            v.end());
    if (v.empty()) by_configmap_.erase(cm);
  }
  by_ingress_.erase(it);
}

void ConfigMapIndex::Set(const std::string& ingress, const References& refs) {
  std::unique_lock lock(mu_);
  auto it = by_ingress_.find(ingress);
  if (it != by_ingress_.end() && it->second == refs) return;  // the usual update: nothing changed
  Unlink(ingress);
  if (refs.empty()) return;
  References stored = refs;
  std::sort(stored.begin(), stored.end());
  stored.erase(std::unique(stored.begin(), stored.end()), stored.end());
  for (const auto& [configmap, annotation] : stored) {
    auto& v = by_configmap_[configmap];
    ConfigMapReferrer r{ingress, annotation};
    v.insert(std::upper_bound(v.begin(), v.end(), r,
                              [](const ConfigMapReferrer& a, const ConfigMapReferrer& b) {
                                return std::tie(a.ingress, a.annotation) < std::tie(b.ingress, b.annotation);
                              }),
             std::move(r));
  }
  by_ingress_[ingress] = refs;
}

void ConfigMapIndex::Clear() {
  std::unique_lock lock(mu_);
  by_configmap_.clear();
  by_ingress_.clear();
}

bool ConfigMapIndex::Referenced(const std::string& configmap) const {
  std::shared_lock lock(mu_);
  return by_configmap_.find(configmap) != by_configmap_.end();
}

std::vector<ConfigMapReferrer> ConfigMapIndex::Referrers(const std::string& configmap) const {
  std::shared_lock lock(mu_);
  auto it = by_configmap_.find(configmap);
  return it == by_configmap_.end() ? std::vector<ConfigMapReferrer>{} : it->second;
}

size_t ConfigMapIndex::ConfigMapCount() const {
  std::shared_lock lock(mu_);
  return by_configmap_.size();
}

size_t ConfigMapIndex::IngressCount() const {
  std::shared_lock lock(mu_);
  return by_ingress_.size();
}

}  // namespace riposte::webhook
