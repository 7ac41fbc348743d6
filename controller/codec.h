#pragma once
// The one codec between the controller's typed resources (controller/types.h) and their JSON.
//
// Decoding is strict where the controller must refuse what it cannot trust — a spec field of
// the wrong type is an error that names its path ("spec.actions[2]: expected object, got
// string") — and lenient for metadata and status, which the controller owns or only reads
// (an unreadable status field reads as unset and is rewritten).

#include <chrono>
#include <map>
#include <optional>
#include <string>

#include "common/json_value.h"
#include "controller/types.h"

namespace riposte::controller {

void DecodeObjectMeta(const json::Value& obj, ObjectMeta* out);

// Fills `out` (raw included). Spec problems go to `spec_errors`; returns spec_errors->empty().
bool DecodeResponseAction(const json::Value& obj, ResponseAction* out, json::Errors* spec_errors);
// Spec problems go to `spec_errors` with paths; returns spec_errors->empty().
bool DecodeResponsePolicy(const json::Value& obj, ResponsePolicy* out, json::Errors* spec_errors);

// A new ResponseAction as sent to the API: apiVersion, kind, metadata (name, namespace,
// labels, annotations, finalizers) and spec.
json::Value EncodeNewResponseAction(const ResponseAction& ra);
json::Value EncodeActionItems(const std::vector<ActionItem>& items);
json::Value EncodeStatus(const ResponseActionStatus& status);
// status.incident (read leniently: unreadable entries are skipped).
std::optional<IncidentSummary> DecodeIncident(const json::Value& status_incident);
json::Value EncodeIncident(const IncidentSummary& incident);
// The object to PUT to the status subresource: what was read, with the status replaced.
json::Value EncodeStatusUpdate(const ResponseAction& ra);
json::Value EncodeCondition(const Condition& c);
json::Value EncodeConditions(const std::vector<Condition>& conditions);

// Merge patch for a ResponsePolicy's status: its validity conditions for `generation`.
json::Value EncodePolicyConditionsPatch(int64_t generation, const std::vector<Condition>& conditions);

// Merge patch adding counts to a ResponsePolicy's stored status counters, with the stored
// object's resourceVersion as a precondition; malformed stored reasons are removed.
struct PolicyCounts {
  uint64_t matched = 0;
  uint64_t recorded = 0;
  std::map<std::string, uint64_t> suppressed;  // reason -> count
  std::optional<std::chrono::system_clock::time_point> last_match;
};
json::Value EncodePolicyCountersPatch(const ResponsePolicy& current, const PolicyCounts& add);

}  // namespace riposte::controller
