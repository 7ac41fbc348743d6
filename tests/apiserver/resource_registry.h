#pragma once
// The table of served resources: built-in kinds plus the ones CRDs add at run time. Storage,
// routing and discovery are all driven from it, so a resource is served exactly when it is here.

#include <cpprest/json.h>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace riposte::testapi {

struct ResourceInfo {
  std::string group;     // "" for core
  std::vector<std::string> versions;  // served versions; versions[0] is the storage version
  std::string resource;  // plural
  std::string singular;
  std::string kind;
  bool namespaced = true;
  bool has_status = false;         // status subresource
  bool reset_status_on_create = true;  // false for nodes, which may register with status
  bool tracks_generation = false;  // strategy sets metadata.generation
  bool return_deleted_object = false;
  bool custom = false;             // defined by a CRD
  bool strategic_merge = true;     // false for custom resources
  std::vector<std::string> short_names;

  // Storage identity across versions, e.g. "pods", "deployments.apps".
  std::string GroupResource() const { return group.empty() ? resource : resource + "." + group; }
  std::string ApiVersion(const std::string& version) const {
    return group.empty() ? version : group + "/" + version;
  }
  bool Serves(const std::string& version) const;
};
using ResourceInfoPtr = std::shared_ptr<const ResourceInfo>;

class ResourceRegistry {
 public:
  ResourceRegistry();  // loads the built-in table

  ResourceInfoPtr Find(const std::string& group, const std::string& version,
                       const std::string& resource) const;
  ResourceInfoPtr FindByGroupResource(const std::string& group_resource) const;
  std::vector<ResourceInfoPtr> All() const;

  // Registers or replaces the resources a CRD defines; false with a message when the CRD
  // collides with a built-in resource.
  bool AddCustom(const ResourceInfo& info, std::string* error);
  void RemoveCustom(const std::string& group_resource);

  // Discovery documents.
  web::json::value CoreVersions(const std::string& server_address) const;
  web::json::value GroupList() const;
  std::optional<web::json::value> Group(const std::string& group) const;
  std::optional<web::json::value> ResourceList(const std::string& group,
                                               const std::string& version) const;

 private:
  void Add(ResourceInfo info);
  std::map<std::string, ResourceInfoPtr> by_gr_;  // group_resource -> info
};

}  // namespace riposte::testapi
