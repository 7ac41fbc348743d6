#include "tests/apiserver/resource_registry.h"

#include <algorithm>
#include <set>

namespace riposte::testapi {

using web::json::value;

bool ResourceInfo::Serves(const std::string& version) const {
  return std::find(versions.begin(), versions.end(), version) != versions.end();
}

namespace {

struct Row {
  const char* group;
  const char* version;
  const char* resource;
  const char* singular;
  const char* kind;
  bool namespaced;
  bool status;
  bool generation;
  bool return_deleted;
  const char* short_name;
};

// Mirrors each kind's registry strategy: which have a status subresource, which track
// generation, which return the deleted object rather than a Status from DELETE.
constexpr Row kBuiltins[] = {
    {"", "v1", "pods", "pod", "Pod", true, true, false, true, "po"},
    {"", "v1", "nodes", "node", "Node", false, true, false, false, "no"},
    {"", "v1", "namespaces", "namespace", "Namespace", false, true, false, false, "ns"},
    {"", "v1", "events", "event", "Event", true, false, false, false, "ev"},
    {"", "v1", "services", "service", "Service", true, true, false, true, "svc"},
    {"", "v1", "configmaps", "configmap", "ConfigMap", true, false, false, false, "cm"},
    {"", "v1", "secrets", "secret", "Secret", true, false, false, false, ""},
    {"", "v1", "serviceaccounts", "serviceaccount", "ServiceAccount", true, false, false, false, "sa"},
    {"", "v1", "endpoints", "endpoints", "Endpoints", true, false, false, false, "ep"},
    {"apps", "v1", "deployments", "deployment", "Deployment", true, true, true, false, "deploy"},
    {"apps", "v1", "replicasets", "replicaset", "ReplicaSet", true, true, true, false, "rs"},
    {"apps", "v1", "daemonsets", "daemonset", "DaemonSet", true, true, true, false, "ds"},
    {"apps", "v1", "statefulsets", "statefulset", "StatefulSet", true, true, true, false, "sts"},
    {"networking.k8s.io", "v1", "networkpolicies", "networkpolicy", "NetworkPolicy", true, false, true, false, "netpol"},
    {"networking.k8s.io", "v1", "ingresses", "ingress", "Ingress", true, true, false, false, "ing"},
    {"networking.k8s.io", "v1", "ingressclasses", "ingressclass", "IngressClass", false, false, false, false, ""},
    {"coordination.k8s.io", "v1", "leases", "lease", "Lease", true, false, false, false, ""},
    {"policy", "v1", "poddisruptionbudgets", "poddisruptionbudget", "PodDisruptionBudget", true, true, true, false, "pdb"},
    {"events.k8s.io", "v1", "events", "event", "Event", true, false, false, false, "ev"},
    {"admissionregistration.k8s.io", "v1", "validatingwebhookconfigurations", "validatingwebhookconfiguration", "ValidatingWebhookConfiguration", false, false, true, false, ""},
    {"rbac.authorization.k8s.io", "v1", "roles", "role", "Role", true, false, false, false, ""},
    {"rbac.authorization.k8s.io", "v1", "rolebindings", "rolebinding", "RoleBinding", true, false, false, false, ""},
    {"rbac.authorization.k8s.io", "v1", "clusterroles", "clusterrole", "ClusterRole", false, false, false, false, ""},
    {"rbac.authorization.k8s.io", "v1", "clusterrolebindings", "clusterrolebinding", "ClusterRoleBinding", false, false, false, false, ""},
    {"apiextensions.k8s.io", "v1", "customresourcedefinitions", "customresourcedefinition", "CustomResourceDefinition", false, true, true, true, "crd"},
};

value StringArray(const std::vector<std::string>& items) {
  value arr = value::array();
  for (size_t i = 0; i < items.size(); ++i) arr[i] = value::string(items[i]);
  return arr;
}

value ResourceEntry(const std::string& name, const std::string& singular, bool namespaced,
                    const std::string& kind, const std::vector<std::string>& verbs) {
  value r = value::object();
  r["name"] = value::string(name);
  r["singularName"] = value::string(singular);
  r["namespaced"] = value::boolean(namespaced);
  r["kind"] = value::string(kind);
  r["verbs"] = StringArray(verbs);
  return r;
}

}  // namespace

ResourceRegistry::ResourceRegistry() {
  // A literal "events.k8s.io" group serves the same storage as core events in the real server;
  // here each group has its own storage, which only matters to tests mixing both APIs.
  for (const auto& row : kBuiltins) {
    ResourceInfo info;
    info.group = row.group;
    info.versions = {row.version};
    info.resource = row.resource;
    info.singular = row.singular;
    info.kind = row.kind;
    info.namespaced = row.namespaced;
    info.has_status = row.status;
    info.tracks_generation = row.generation;
    info.return_deleted_object = row.return_deleted;
    info.reset_status_on_create = info.resource != "nodes";
    if (*row.short_name) info.short_names.push_back(row.short_name);
    Add(std::move(info));
  }
}

void ResourceRegistry::Add(ResourceInfo info) {
  auto key = info.GroupResource();
  by_gr_[key] = std::make_shared<const ResourceInfo>(std::move(info));
}

ResourceInfoPtr ResourceRegistry::Find(const std::string& group, const std::string& version,
                                       const std::string& resource) const {
  auto it = by_gr_.find(group.empty() ? resource : resource + "." + group);
  if (it == by_gr_.end() || !it->second->Serves(version)) return nullptr;
  return it->second;
}

ResourceInfoPtr ResourceRegistry::FindByGroupResource(const std::string& gr) const {
  auto it = by_gr_.find(gr);
  return it == by_gr_.end() ? nullptr : it->second;
}

std::vector<ResourceInfoPtr> ResourceRegistry::All() const {
  std::vector<ResourceInfoPtr> out;
  for (const auto& [k, v] : by_gr_) out.push_back(v);
  return out;
}

bool ResourceRegistry::AddCustom(const ResourceInfo& info, std::string* error) {
  auto existing = FindByGroupResource(info.GroupResource());
  if (existing && !existing->custom) {
    *error = "resource " + info.GroupResource() + " is built in";
    return false;
  }
  Add(info);
  return true;
}

void ResourceRegistry::RemoveCustom(const std::string& gr) {
  auto it = by_gr_.find(gr);
  if (it != by_gr_.end() && it->second->custom) by_gr_.erase(it);
}

value ResourceRegistry::CoreVersions(const std::string& server_address) const {
  value v = value::object();
  v["kind"] = value::string("APIVersions");
  v["versions"] = StringArray({"v1"});
  value cidr = value::object();
  cidr["clientCIDR"] = value::string("0.0.0.0/0");
  cidr["serverAddress"] = value::string(server_address);
  v["serverAddressByClientCIDRs"] = value::array({cidr});
  return v;
}

static value GroupDoc(const std::string& name, const std::vector<std::string>& versions) {
  value g = value::object();
  g["name"] = value::string(name);
  value vs = value::array();
  for (size_t i = 0; i < versions.size(); ++i) {
    value gv = value::object();
    gv["groupVersion"] = value::string(name + "/" + versions[i]);
    gv["version"] = value::string(versions[i]);
    vs[i] = gv;
  }
  g["versions"] = vs;
  g["preferredVersion"] = vs[0];
  return g;
}

static std::map<std::string, std::vector<std::string>> GroupVersions(
    const std::map<std::string, ResourceInfoPtr>& by_gr) {
  std::map<std::string, std::vector<std::string>> groups;
  for (const auto& [k, info] : by_gr) {
    if (info->group.empty()) continue;
    auto& vs = groups[info->group];
    for (const auto& v : info->versions)
      if (std::find(vs.begin(), vs.end(), v) == vs.end()) vs.push_back(v);
  }
  return groups;
}

value ResourceRegistry::GroupList() const {
  value list = value::object();
  list["kind"] = value::string("APIGroupList");
  list["apiVersion"] = value::string("v1");
  value groups = value::array();
  size_t i = 0;
  for (const auto& [name, versions] : GroupVersions(by_gr_)) groups[i++] = GroupDoc(name, versions);
  list["groups"] = groups;
  return list;
}

std::optional<value> ResourceRegistry::Group(const std::string& group) const {
  auto groups = GroupVersions(by_gr_);
  auto it = groups.find(group);
  if (it == groups.end()) return std::nullopt;
  value g = GroupDoc(group, it->second);
  g["kind"] = value::string("APIGroup");
  g["apiVersion"] = value::string("v1");
  return g;
}

std::optional<value> ResourceRegistry::ResourceList(const std::string& group,
                                                    const std::string& version) const {
  value resources = value::array();
  size_t i = 0;
  for (const auto& [k, info] : by_gr_) {
    if (info->group != group || !info->Serves(version)) continue;
    value r = ResourceEntry(info->resource, info->singular, info->namespaced, info->kind,
                            {"create", "delete", "deletecollection", "get", "list", "patch",
                             "update", "watch"});
    if (!info->short_names.empty()) r["shortNames"] = StringArray(info->short_names);
    resources[i++] = r;
    if (info->has_status)
      resources[i++] = ResourceEntry(info->resource + "/status", "", info->namespaced, info->kind,
                                     {"get", "patch", "update"});
    if (info->resource == "pods" && group.empty()) {
      value ev = ResourceEntry("pods/eviction", "", true, "Eviction", {"create"});
      ev["group"] = value::string("policy");
      ev["version"] = value::string("v1");
      resources[i++] = ev;
    }
  }
  if (i == 0) return std::nullopt;
  value list = value::object();
  list["kind"] = value::string("APIResourceList");
  list["apiVersion"] = value::string("v1");
  list["groupVersion"] = value::string(group.empty() ? version : group + "/" + version);
  list["resources"] = resources;
  return list;
}

}  // namespace riposte::testapi
