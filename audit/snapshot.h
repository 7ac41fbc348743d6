#pragma once
// Everything the audit reads from a cluster, as plain JSON objects per resource, plus the
// resources that could not be read (RBAC denied, server error). The analysis works on this
// alone, so it runs the same on a live cluster (collector.h) and on a saved file.

#include <map>
#include <string>
#include <vector>

#include <cpprest/json.h>

namespace riposte::audit {

// Resource keys used in a snapshot (plural names, as RBAC and kubectl spell them).
namespace res {
inline constexpr const char* kDeployments = "deployments";
inline constexpr const char* kDaemonSets = "daemonsets";
inline constexpr const char* kPods = "pods";
inline constexpr const char* kNodes = "nodes";
inline constexpr const char* kServices = "services";
inline constexpr const char* kEndpoints = "endpoints";
inline constexpr const char* kConfigMaps = "configmaps";
inline constexpr const char* kNetworkPolicies = "networkpolicies";
inline constexpr const char* kIngresses = "ingresses";
inline constexpr const char* kValidatingWebhookConfigurations = "validatingwebhookconfigurations";
}  // namespace res

// Every resource key above, in collection order.
const std::vector<std::string>& SnapshotResources();

struct ReadError {
  std::string reason;   // "Forbidden", "ServiceUnavailable", ...
  int code = 0;         // HTTP status, 0 when none
  std::string message;
};

struct ClusterSnapshot {
  std::string source;     // "kubeconfig /x (context y)" or the snapshot file name
  std::string namespace_scope;  // "" = all namespaces
  std::map<std::string, std::vector<web::json::value>> objects;  // by resource key
  std::map<std::string, ReadError> errors;                       // by resource key

  const std::vector<web::json::value>& Objects(const std::string& resource) const;
  bool Readable(const std::string& resource) const { return errors.count(resource) == 0; }
};

// Snapshot file format (docs/audit.md):
//   {"source": "...", "namespace": "", "resources": {"pods": [obj, ...], ...},
//    "errors": {"networkpolicies": {"reason": "Forbidden", "code": 403, "message": "..."}}}
// The whole file may instead be a Kubernetes List (SnapshotFromList).
// A resource key may also hold a whole List object ({"kind": "PodList", "items": [...]}).
// Returns false and sets *error ("file: message") on unreadable or malformed input.
bool LoadSnapshotFile(const std::string& path, ClusterSnapshot* out, std::string* error);
bool ParseSnapshot(const std::string& text, const std::string& name, ClusterSnapshot* out, std::string* error);
// A Kubernetes List of objects of any kinds (e.g. `kubectl get deploy,ds,po,... -A -o json`):
// objects are filed by kind, other kinds ignored; every resource counts as read.
bool SnapshotFromList(const web::json::value& list, const std::string& name, ClusterSnapshot* out,
                      std::string* error);
const std::string* KeyForKind(const std::string& kind);  // "Pod" -> "pods"; nullptr if unknown
web::json::value SnapshotToJson(const ClusterSnapshot& snapshot);

}  // namespace riposte::audit
