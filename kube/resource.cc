#include "kube/resource.h"

#include <array>

namespace riposte::kube {

std::string Resource::ApiVersion() const { return gvr.group.empty() ? gvr.version : gvr.group + "/" + gvr.version; }

std::string Resource::BasePath() const {
  return gvr.group.empty() ? "/api/" + gvr.version : "/apis/" + gvr.group + "/" + gvr.version;
}

std::string Resource::GroupResource() const {
  return gvr.group.empty() ? gvr.resource : gvr.resource + "." + gvr.group;
}

namespace resources {
const Resource kPods{{"", "v1", "pods"}, "Pod", true};
const Resource kNodes{{"", "v1", "nodes"}, "Node", false};
const Resource kNamespaces{{"", "v1", "namespaces"}, "Namespace", false};
const Resource kEvents{{"", "v1", "events"}, "Event", true};
const Resource kServices{{"", "v1", "services"}, "Service", true};
const Resource kConfigMaps{{"", "v1", "configmaps"}, "ConfigMap", true};
const Resource kSecrets{{"", "v1", "secrets"}, "Secret", true};
const Resource kServiceAccounts{{"", "v1", "serviceaccounts"}, "ServiceAccount", true};
const Resource kNetworkPolicies{{"networking.k8s.io", "v1", "networkpolicies"}, "NetworkPolicy", true};
const Resource kIngresses{{"networking.k8s.io", "v1", "ingresses"}, "Ingress", true};
const Resource kLeases{{"coordination.k8s.io", "v1", "leases"}, "Lease", true};
const Resource kDeployments{{"apps", "v1", "deployments"}, "Deployment", true};
const Resource kReplicaSets{{"apps", "v1", "replicasets"}, "ReplicaSet", true};
const Resource kDaemonSets{{"apps", "v1", "daemonsets"}, "DaemonSet", true};
const Resource kStatefulSets{{"apps", "v1", "statefulsets"}, "StatefulSet", true};
const Resource kPodDisruptionBudgets{{"policy", "v1", "poddisruptionbudgets"}, "PodDisruptionBudget", true};
const Resource kValidatingWebhookConfigurations{
    {"admissionregistration.k8s.io", "v1", "validatingwebhookconfigurations"}, "ValidatingWebhookConfiguration", false};
const Resource kCustomResourceDefinitions{
    {"apiextensions.k8s.io", "v1", "customresourcedefinitions"}, "CustomResourceDefinition", false};
const Resource kResponsePolicies{{"riposte.io", "v1alpha1", "responsepolicies"}, "ResponsePolicy", false};
const Resource kResponseActions{{"riposte.io", "v1alpha1", "responseactions"}, "ResponseAction", true};
}  // namespace resources

const Resource* FindResource(const std::string& name) {
  using namespace resources;
  static const std::array<const Resource*, 20> kAll = {
      &kPods, &kNodes, &kNamespaces, &kEvents, &kServices, &kConfigMaps, &kSecrets,
      &kServiceAccounts, &kNetworkPolicies, &kIngresses, &kLeases, &kDeployments, &kReplicaSets,
      &kDaemonSets, &kStatefulSets, &kPodDisruptionBudgets, &kValidatingWebhookConfigurations,
      &kCustomResourceDefinitions, &kResponsePolicies, &kResponseActions};
  for (const Resource* r : kAll) {
    if (r->gvr.resource == name || r->GroupResource() == name || r->kind == name) return r;
  }
  return nullptr;
}

}  // namespace riposte::kube
