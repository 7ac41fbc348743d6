#pragma once
// The controller's own resources as typed values: ResponseAction (spec and status) and
// ResponsePolicy. controller/codec.h is the one place that turns them into JSON and back;
// everything else works on these structs. Shapes and field names follow
// manifests/crds/ (an outside contract).

#include <cpprest/json.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace riposte::controller {

inline constexpr const char* kLabelPolicy = "riposte.io/policy";
inline constexpr const char* kLabelTargetPod = "riposte.io/target-pod";
inline constexpr const char* kAnnotationAlertUuid = "riposte.io/alert-id";
inline constexpr const char* kAnnotationReceivedAt = "riposte.io/received-at";
inline constexpr const char* kAnnotationCooldown = "riposte.io/cooldown-seconds";
inline constexpr const char* kFinalizer = "riposte.io/undo";

// The metadata fields the controller reads or writes.
struct ObjectMeta {
  std::string name;
  std::string ns;
  std::string uid;
  std::string resource_version;
  int64_t generation = 0;
  std::string creation_timestamp;
  bool deleting = false;  // deletionTimestamp is set
  std::map<std::string, std::string> labels;
  std::map<std::string, std::string> annotations;
  std::vector<std::string> finalizers;

  bool HasFinalizer(std::string_view f) const;
};

struct Condition {
  std::string type;
  bool status = false;
  std::string reason;
  std::string message;
  std::string last_transition_time;
  int64_t observed_generation = 0;
};

// Sets (or replaces) the condition of c.type; the transition time is kept when the status
// does not change.
void SetCondition(std::vector<Condition>& conditions, Condition c);
const Condition* FindCondition(const std::vector<Condition>& conditions, std::string_view type);

// One spec.actions[] item. The item stays JSON: each action type reads its own parameters
// (Action::Decode) into its own typed struct.
struct ActionItem {
  std::string type;
  web::json::value item = web::json::value::object();  // the whole item, `type` included
};

// ---- ResponseAction --------------------------------------------------------------------

struct TargetRef {
  std::string pod;
  std::string container;
};

struct AlertRef {
  std::string uuid, rule, priority, source, time, hostname, output;
  std::vector<std::string> tags;
  // The output fields in-container actions act on (kActionAlertFields), as Falco sent them;
  // every action validates the values it uses.
  std::map<std::string, std::string> fields;
};

// The alert fields copied into spec.alert.fields: the process (proc.vpid is its PID inside
// the container; proc.pid is the host's and never used), the file, and the container.
inline constexpr const char* kActionAlertFields[] = {
    "proc.vpid", "proc.pid", "proc.name", "proc.exepath", "proc.exe", "proc.args", "proc.cmdline",
    "proc.pid.ts", "fd.name", "container.id", "container.name", "k8s.pod.name", "k8s.ns.name"};

struct ResponseActionSpec {
  TargetRef target;
  std::vector<ActionItem> actions;
  bool dry_run = false;
  bool revert = false;
  std::string policy_ref;  // spec.policyRef.name; "" when hand-made
  std::optional<AlertRef> alert;
};

enum class Phase { kPending, kRunning, kSucceeded, kFailed, kReverting, kReverted };
enum class ResultState { kPending, kRunning, kSucceeded, kFailed, kSkipped, kDryRun, kReverted };
std::string_view PhaseName(Phase p);
std::string_view ResultStateName(ResultState s);
std::optional<Phase> ParsePhase(std::string_view s);
std::optional<ResultState> ParseResultState(std::string_view s);

struct ActionResult {
  int64_t index = 0;
  std::string type;
  ResultState state = ResultState::kPending;
  int64_t attempts = 0;
  std::string message;
  std::string start_time;
  std::string completion_time;
  // What revert needs, in the action's own shape (null = nothing recorded).
  web::json::value undo;
};

// status.incident: the alerts for the same target that arrived while this response held the
// target's cooldown, the triggering alert included (controller/incidents.h writes it).
struct IncidentRuleCount {
  std::string rule;
  uint64_t count = 0;
};
struct IncidentOutput {
  std::string time;  // the alert's time (RFC 3339)
  std::string rule;
  std::string output;  // length-capped
};
struct IncidentSummary {
  uint64_t alert_count = 0;
  std::string first_seen, last_seen;
  std::vector<IncidentRuleCount> rules;  // most frequent first; bounded
  uint64_t other_rules_count = 0;        // alerts of the rules beyond that bound
  std::vector<IncidentOutput> last_outputs;  // oldest first; bounded
};

struct ResponseActionStatus {
  Phase phase = Phase::kPending;
  int64_t observed_generation = 0;
  std::string start_time;
  std::string completion_time;
  std::string node;  // the pod's node when the response started
  std::vector<ActionResult> results;
  std::vector<Condition> conditions;
  std::optional<IncidentSummary> incident;
};

struct ResponseAction {
  ObjectMeta metadata;
  ResponseActionSpec spec;
  ResponseActionStatus status;
  // The object as read: a status write sends it back with only the status replaced, so fields
  // this version does not know survive.
  web::json::value raw;

  std::string Key() const { return metadata.ns + "/" + metadata.name; }
};

// ---- ResponsePolicy --------------------------------------------------------------------

struct LabelSelectorRequirement {
  std::string key;
  std::string op;  // In NotIn Exists DoesNotExist
  std::vector<std::string> values;
};

struct LabelSelectorSpec {
  std::map<std::string, std::string> match_labels;
  std::vector<LabelSelectorRequirement> match_expressions;
};

struct OutputFieldSpec {
  std::string field;
  std::string op;  // Equals NotEquals In NotIn Exists Prefix Glob
  std::vector<std::string> values;
};

struct PolicyMatchSpec {
  std::vector<std::string> rules;
  std::optional<std::string> min_priority;
  std::vector<std::string> tags;
  std::string tags_match = "any";
  std::vector<std::string> sources;
  std::vector<std::string> namespaces;
  std::optional<LabelSelectorSpec> namespace_selector;
  std::vector<OutputFieldSpec> output_fields;
};

struct PolicyGuardsSpec {
  std::optional<int64_t> cooldown_seconds;
  std::optional<int64_t> max_actions_per_minute;
  std::optional<int64_t> max_destructive_per_minute;
  std::optional<int64_t> min_healthy_replicas;
  std::optional<bool> skip_standalone_pods;
  std::optional<bool> skip_daemonset_pods;
  std::optional<bool> skip_statefulset_pods;
};

struct ResponsePolicySpec {
  std::string mode = "enforce";
  PolicyMatchSpec match;
  std::vector<ActionItem> actions;
  PolicyGuardsSpec guards;
};

struct ResponsePolicyStatus {
  int64_t observed_generation = -1;  // -1: never written
  std::vector<Condition> conditions;
  uint64_t alerts_matched = 0;
  uint64_t alerts_suppressed = 0;
  uint64_t responses_recorded = 0;
  std::map<std::string, uint64_t> suppressed_by_reason;
  // Entries of status.suppressedByReason that are not counts (a merge patch removes them).
  std::vector<std::string> malformed_reasons;
  std::string last_match_time;
};

struct ResponsePolicy {
  ObjectMeta metadata;
  ResponsePolicySpec spec;
  ResponsePolicyStatus status;
};

}  // namespace riposte::controller
