#pragma once
// Descriptors of API resources: which group/version/plural to put in a URL, which kind the
// objects carry, and whether they live in a namespace. Well-known ones are constants; any
// other (e.g. a CRD) is built the same way.

#include <string>

namespace riposte::kube {

struct GroupVersionResource {
  std::string group;     // "" for the core group
  std::string version;   // "v1"
  std::string resource;  // plural, lower case: "pods"
  bool operator==(const GroupVersionResource&) const = default;
};

struct Resource {
  GroupVersionResource gvr;
  std::string kind;      // "Pod"
  bool namespaced = true;

  const std::string& group() const { return gvr.group; }
  const std::string& version() const { return gvr.version; }
  const std::string& plural() const { return gvr.resource; }
  // "v1" or "apps/v1", as used in an object's apiVersion.
  std::string ApiVersion() const;
  // "/api/v1" or "/apis/apps/v1".
  std::string BasePath() const;
  // "pods" or "deployments.apps" — the name kubectl and RBAC use; also used in messages.
  std::string GroupResource() const;
  bool operator==(const Resource&) const = default;
};

namespace resources {
// core/v1
extern const Resource kPods;
extern const Resource kNodes;
extern const Resource kNamespaces;
extern const Resource kEvents;
extern const Resource kServices;
extern const Resource kConfigMaps;
extern const Resource kSecrets;
extern const Resource kServiceAccounts;
// networking.k8s.io/v1
extern const Resource kNetworkPolicies;
extern const Resource kIngresses;
// coordination.k8s.io/v1
extern const Resource kLeases;
// apps/v1
extern const Resource kDeployments;
extern const Resource kReplicaSets;
extern const Resource kDaemonSets;
extern const Resource kStatefulSets;
// policy/v1
extern const Resource kPodDisruptionBudgets;
// admissionregistration.k8s.io/v1
extern const Resource kValidatingWebhookConfigurations;
// apiextensions.k8s.io/v1
extern const Resource kCustomResourceDefinitions;
// riposte.io/v1alpha1 (manifests/crds/)
extern const Resource kResponsePolicies;  // cluster-scoped
extern const Resource kResponseActions;   // namespaced
}  // namespace resources

// Looks up a well-known resource by plural ("pods"), "plural.group" ("leases.coordination.k8s.io")
// or kind ("Pod"). Returns nullptr when unknown.
const Resource* FindResource(const std::string& name);

}  // namespace riposte::kube
