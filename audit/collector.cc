#include "audit/collector.h"

#include <map>

namespace riposte::audit {

namespace {
// Endpoints has no constant in kube/resource.h; Riposte's webhook readiness needs it.
const kube::Resource kEndpointsResource{{"", "v1", "endpoints"}, "Endpoints", true};
}  // namespace

const kube::Resource* ResourceForKey(const std::string& key) {
  namespace r = kube::resources;
  static const std::map<std::string, const kube::Resource*> table = {
      {res::kDeployments, &r::kDeployments},
      {res::kDaemonSets, &r::kDaemonSets},
      {res::kPods, &r::kPods},
      {res::kNodes, &r::kNodes},
      {res::kServices, &r::kServices},
      {res::kEndpoints, &kEndpointsResource},
      {res::kConfigMaps, &r::kConfigMaps},
      {res::kNetworkPolicies, &r::kNetworkPolicies},
      {res::kIngresses, &r::kIngresses},
      {res::kValidatingWebhookConfigurations, &r::kValidatingWebhookConfigurations},
  };
  auto it = table.find(key);
  return it == table.end() ? nullptr : it->second;
}

ClusterSnapshot Collect(kube::KubeClient& client, const CollectOptions& options) {
  ClusterSnapshot snap;
  snap.namespace_scope = options.ns;
  for (const auto& key : SnapshotResources()) {
    const kube::Resource* resource = ResourceForKey(key);
    if (resource == nullptr) continue;
    if (options.cancelled && options.cancelled()) {
      snap.errors[key] = {"Cancelled", 0, "audit cancelled before this resource was listed"};
      continue;
    }
    const std::string ns = resource->namespaced ? options.ns : "";
    auto result = kube::ListAll(client, *resource, ns, {}, options.page_size);
    if (!result.ok()) {
      const kube::ApiError& e = result.error();
      snap.errors[key] = {e.reason.empty() ? std::string(kube::ErrorKindName(e.kind)) : e.reason, e.code, e.message};
      continue;
    }
    snap.objects[key] = std::move(result.value().items);
  }
  return snap;
}

}  // namespace riposte::audit
