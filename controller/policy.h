#pragma once
// ResponsePolicy as the controller uses it: read from the CR JSON, validated (everything the
// CRD schema cannot express: action parameters, selectors, globs), compiled for matching.
// A policy that fails validation is reported as an Invalid condition and never matches.

#include <cpprest/json.h>

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "controller/actions/registry.h"
#include "controller/alert.h"
#include "controller/types.h"

namespace riposte::controller {

enum class FieldOp { kEquals, kNotEquals, kIn, kNotIn, kExists, kPrefix, kGlob };

struct FieldCondition {
  std::string field;
  FieldOp op = FieldOp::kEquals;
  std::vector<std::string> values;
};

struct SelectorRequirement {
  std::string key;
  std::string op;  // In NotIn Exists DoesNotExist
  std::vector<std::string> values;
};

struct NamespaceSelector {
  std::map<std::string, std::string> match_labels;
  std::vector<SelectorRequirement> expressions;
  bool Matches(const std::map<std::string, std::string>& labels) const;
};

struct PolicyGuards {
  int64_t cooldown_seconds = 300;
  int64_t max_actions_per_minute = 10;
  std::optional<int64_t> max_destructive_per_minute;
  bool skip_standalone = true;
  bool skip_daemonset = true;
  bool skip_statefulset = false;
  int64_t min_healthy_replicas = 1;
};

struct Policy {
  std::string name;
  std::string uid;
  int64_t generation = 0;
  bool dry_run = false;
  std::set<std::string> exact_rules;
  std::vector<std::string> rule_globs;
  bool any_rule = true;  // no rules given
  std::optional<Priority> min_priority;
  std::vector<std::string> tags;
  bool tags_all = false;
  std::set<std::string> sources;
  std::set<std::string> namespaces;
  std::optional<NamespaceSelector> namespace_selector;
  std::vector<FieldCondition> output_fields;
  // spec.actions with the policy's workload guards copied into terminate/evict items, ready
  // to be put into a ResponseAction.
  std::vector<ActionItem> actions;
  bool has_destructive = false;
  PolicyGuards guards;
};
using PolicyPtr = std::shared_ptr<const Policy>;

// Validates and compiles a ResponsePolicy (decoded by controller/codec.h). On failure
// returns null and fills `errors` with "spec.actions[1].labels: ..." style messages.
PolicyPtr CompilePolicy(const web::json::value& obj, const ActionRegistry& registry,
                        std::vector<std::string>* errors);

// Namespace labels by name; nullopt when the namespace is unknown (not in the cache).
using NamespaceLabelsFn = std::function<std::optional<std::map<std::string, std::string>>(const std::string&)>;

enum class MatchResult { kMatch, kNoMatch, kNoTarget };

// kNoTarget: the alert matches every criterion that does not need a pod, but names none.
MatchResult Match(const Policy& policy, const Alert& alert, const NamespaceLabelsFn& ns_labels);

}  // namespace riposte::controller
