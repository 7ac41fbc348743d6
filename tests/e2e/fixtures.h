#pragma once
// Cluster objects for end-to-end tests, created as the administrator. Without a kubelet or a
// controller-manager the test plays their part where a test needs it, and says so: pods are
// bound to a registered Node at creation (spec.nodeName) and their status is written like a
// kubelet would; ReplicaSet and PodDisruptionBudget status are written like the ReplicaSet and
// disruption controllers would.

#include <cpprest/json.h>

#include <chrono>
#include <map>
#include <string>
#include <vector>

namespace riposte::e2e {

using Labels = std::map<std::string, std::string>;

void CreateNamespace(const std::string& name, const Labels& labels = {});
void CreateNode(const std::string& name);

struct Workload {
  std::string ns, name, uid;
  Labels selector;
  std::vector<std::string> pods;
};
// A ReplicaSet with `replicas` pods named `<name>-<suffix>` bound to `node`, all Running and
// Ready, and the ReplicaSet's status saying so. `pod_names` overrides the generated names.
Workload CreateReplicaSet(const std::string& ns, const std::string& name, int replicas, const std::string& node,
                          const std::vector<std::string>& pod_names = {});
// A PodDisruptionBudget selecting `selector` with the status the disruption controller would
// write for `healthy` ready pods and `allowed` disruptions.
void CreatePdb(const std::string& ns, const std::string& name, const Labels& selector, int min_available,
               int healthy, int allowed);
void SetPdbStatus(const std::string& ns, const std::string& name, int healthy, int allowed);

// Creates every object of a {"items":[...]} list (tests/data/audit/cluster_*.json) as the
// administrator: namespaces renamed through `rename`, server-owned metadata dropped, and any
// `status` written afterwards through the status subresource (the kubelet's or a controller's
// part). Returns the paths created, in order.
std::vector<std::string> Seed(const web::json::value& list, const std::map<std::string, std::string>& rename = {});

// GET as the administrator: {status, body as JSON (null when not JSON)}.
web::json::value Get(const std::string& path, int* status = nullptr);
int StatusOf(const std::string& path);
web::json::value Post(const std::string& path, const std::string& json);
web::json::value MergePatch(const std::string& path, const std::string& json);

// ResponsePolicy / ResponseAction.
std::string RaPath(const std::string& ns, const std::string& name = "");
std::string PolicyPath(const std::string& name = "");
web::json::value CreateResponseAction(const std::string& ns, const std::string& name, const std::string& spec_json);
web::json::value CreateResponsePolicy(const std::string& name, const std::string& spec_json);
std::string Phase(const std::string& ns, const std::string& name);
// Waits for the phase; on timeout returns false (the caller prints the object and logs).
bool WaitPhase(const std::string& ns, const std::string& name, const std::string& phase,
               std::chrono::milliseconds timeout = std::chrono::seconds(60));
// Waits until the controller has written the policy's Ready condition (compiled).
bool WaitPolicyCompiled(const std::string& name, std::chrono::milliseconds timeout = std::chrono::seconds(60));
// "state: message" of every status.results[] entry, for assertion messages.
std::string Results(const web::json::value& ra);

// Falco event line `i` of tests/data/corpus/falco_events.jsonl.
std::string FalcoEvent(size_t i);

}  // namespace riposte::e2e
