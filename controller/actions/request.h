#pragma once
// The API requests actions ask for, as typed values. An action plans them from the observed
// state (pure, unit-tested without a cluster); the executor (controller/executor.h) sends
// them through the kube client, encoding each body once. Each request carries its own
// idempotency: deletes and evictions are bound to the pod's uid, creates use deterministic
// names (AlreadyExists is done), and a target that is gone (NotFound) is done.

#include <cpprest/json.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace riposte::controller {

// Label and annotation changes: a value sets, nullopt removes.
struct MetadataChange {
  std::map<std::string, std::optional<std::string>> labels;
  std::map<std::string, std::optional<std::string>> annotations;
  bool empty() const { return labels.empty() && annotations.empty(); }
};

struct DeletePod {
  std::string ns, name;
  std::string uid;  // precondition: a replacement with the same name is never deleted
  std::optional<int64_t> grace_period_seconds;
};

struct EvictPod {
  std::string ns, name;
  std::string uid;
  std::optional<int64_t> grace_period_seconds;
};

struct PatchPod {
  std::string ns, name;
  MetadataChange change;
  // Precondition: the pod is still the version the change was planned against (a concurrent
  // writer makes the patch conflict and the action plan again). "" = none.
  std::string resource_version;
};

struct PatchNode {
  std::string name;
  MetadataChange change;
  std::optional<bool> unschedulable;
};

// The deny-all NetworkPolicy of an isolate action (with its allow-lists).
struct QuarantinePolicy {
  std::string ns, name;
  std::string response_action, response_action_uid;  // owner
  std::map<std::string, std::string> labels;
  std::map<std::string, std::string> pod_selector;
  std::vector<std::string> allow_namespaces;
  bool allow_dns = false;
  std::vector<std::string> allow_egress_cidrs;
};

struct CreateNetworkPolicy {
  QuarantinePolicy policy;
};

struct ReplaceNetworkPolicy {
  QuarantinePolicy policy;
  std::string resource_version;
};

struct DeleteNetworkPolicy {
  std::string ns, name;
};

// A core/v1 Event with a deterministic name (a retry finds the one it created).
struct EventRecord {
  std::string ns, name;
  std::string involved_api_version, involved_kind, involved_name, involved_uid;
  std::string reason, message;
  std::string type = "Normal";  // or "Warning"
  std::string time;             // RFC 3339
};

struct CreateEvent {
  EventRecord event;
};

using Request = std::variant<DeletePod, EvictPod, PatchPod, PatchNode, CreateNetworkPolicy, ReplaceNetworkPolicy,
                             DeleteNetworkPolicy, CreateEvent>;

// "DELETE /api/v1/namespaces/shop/pods/web-1": what dry-run results and error messages show.
std::string Describe(const Request& r);

// Bodies, built in one place.
web::json::value EncodeMetadataPatch(const MetadataChange& change, const std::string& resource_version = "");
web::json::value EncodeNetworkPolicy(const QuarantinePolicy& p);
web::json::value EncodeNetworkPolicySpec(const QuarantinePolicy& p);
web::json::value EncodeEvent(const EventRecord& e);

}  // namespace riposte::controller
