#include "controller/policy.h"

#include <algorithm>

#include "controller/glob.h"
#include "common/json_value.h"
#include "controller/codec.h"
#include "controller/names.h"

namespace riposte::controller {
namespace {

using web::json::value;

constexpr size_t kMaxListItems = 256;

std::optional<FieldOp> ParseFieldOp(const std::string& s) {
  static const std::pair<const char*, FieldOp> kOps[] = {
      {"Equals", FieldOp::kEquals}, {"NotEquals", FieldOp::kNotEquals}, {"In", FieldOp::kIn},
      {"NotIn", FieldOp::kNotIn},   {"Exists", FieldOp::kExists},       {"Prefix", FieldOp::kPrefix},
      {"Glob", FieldOp::kGlob}};
  for (const auto& [name, op] : kOps)
    if (s == name) return op;
  return std::nullopt;
}

void CheckListSize(size_t n, const std::string& where, std::vector<std::string>* errors) {
  if (n > kMaxListItems) errors->push_back(where + ": too many items");
}

void CompileSelector(const LabelSelectorSpec& sel, Policy* p, std::vector<std::string>* errors) {
  const std::string where = "spec.match.namespaceSelector";
  NamespaceSelector ns;
  for (const auto& [k, v] : sel.match_labels) {
    if (!IsQualifiedName(k) || !IsLabelValue(v)) errors->push_back(json::JoinPath(where + ".matchLabels", k) + ": invalid label");
    else ns.match_labels[k] = v;
  }
  for (size_t i = 0; i < sel.match_expressions.size(); ++i) {
    const std::string w = where + ".matchExpressions[" + std::to_string(i) + "]";
    const auto& e = sel.match_expressions[i];
    SelectorRequirement r{e.key, e.op, e.values};
    if (!IsQualifiedName(r.key)) errors->push_back(w + ".key: invalid label key");
    bool set_op = r.op == "In" || r.op == "NotIn";
    if (!set_op && r.op != "Exists" && r.op != "DoesNotExist")
      errors->push_back(w + ".operator: must be In, NotIn, Exists or DoesNotExist");
    if (set_op && r.values.empty()) errors->push_back(w + ".values: required for " + r.op);
    if (!set_op && !r.values.empty()) errors->push_back(w + ".values: not allowed for " + r.op);
    ns.expressions.push_back(std::move(r));
  }
  p->namespace_selector = std::move(ns);
}

void CompileMatch(const PolicyMatchSpec& match, Policy* p, std::vector<std::string>* errors) {
  const std::string where = "spec.match";
  CheckListSize(match.rules.size(), where + ".rules", errors);
  for (const auto& r : match.rules) {
    if (r.empty()) errors->push_back(where + ".rules: empty rule name");
    else if (HasGlob(r)) p->rule_globs.push_back(r);
    else p->exact_rules.insert(r);
  }
  p->any_rule = p->exact_rules.empty() && p->rule_globs.empty();
  if (match.min_priority) {
    p->min_priority = ParsePriority(*match.min_priority);
    if (!p->min_priority) errors->push_back(where + ".minPriority: unknown priority \"" + *match.min_priority + "\"");
  }
  CheckListSize(match.tags.size(), where + ".tags", errors);
  p->tags = match.tags;
  if (match.tags_match != "any" && match.tags_match != "all") errors->push_back(where + ".tagsMatch: must be any or all");
  p->tags_all = match.tags_match == "all";
  CheckListSize(match.sources.size(), where + ".sources", errors);
  p->sources.insert(match.sources.begin(), match.sources.end());
  CheckListSize(match.namespaces.size(), where + ".namespaces", errors);
  for (const auto& ns : match.namespaces) {
    if (!IsDnsLabel(ns)) errors->push_back(where + ".namespaces: \"" + ns + "\" is not a namespace name");
    p->namespaces.insert(ns);
  }
  if (match.namespace_selector) {
    if (!p->namespaces.empty()) errors->push_back(where + ": set namespaces or namespaceSelector, not both");
    CompileSelector(*match.namespace_selector, p, errors);
  }
  for (size_t i = 0; i < match.output_fields.size(); ++i) {
    const std::string w = where + ".outputFields[" + std::to_string(i) + "]";
    const auto& c = match.output_fields[i];
    FieldCondition fc;
    fc.field = c.field;
    if (fc.field.empty()) errors->push_back(w + ".field: required");
    auto op = ParseFieldOp(c.op);
    if (!op) {
      errors->push_back(w + ".operator: \"" + c.op + "\" is not one of Equals, NotEquals, In, NotIn, Exists, Prefix, Glob");
      continue;
    }
    fc.op = *op;
    fc.values = c.values;
    CheckListSize(fc.values.size(), w + ".values", errors);
    bool single = fc.op == FieldOp::kEquals || fc.op == FieldOp::kNotEquals || fc.op == FieldOp::kPrefix;
    if (fc.op == FieldOp::kExists && !fc.values.empty()) errors->push_back(w + ".values: not allowed for Exists");
    if (fc.op != FieldOp::kExists && fc.values.empty()) errors->push_back(w + ".values: required for " + c.op);
    if (single && fc.values.size() > 1) errors->push_back(w + ".values: " + c.op + " takes one value");
    p->output_fields.push_back(std::move(fc));
  }
}

void CompileGuards(const PolicyGuardsSpec& g, Policy* p, std::vector<std::string>* errors) {
  auto range = [&](const char* key, const std::optional<int64_t>& v, int64_t min, int64_t max, int64_t* dest) {
    if (!v) return;
    if (*v < min || *v > max) {
      errors->push_back(std::string("spec.guards.") + key + ": must be in [" + std::to_string(min) + ", " +
                        std::to_string(max) + "]");
      return;
    }
    *dest = *v;
  };
  auto& gd = p->guards;
  range("cooldownSeconds", g.cooldown_seconds, 0, 86400, &gd.cooldown_seconds);
  range("maxActionsPerMinute", g.max_actions_per_minute, 1, 10000, &gd.max_actions_per_minute);
  int64_t cap = -1;
  range("maxDestructivePerMinute", g.max_destructive_per_minute, 0, 10000, &cap);
  if (cap >= 0) gd.max_destructive_per_minute = cap;
  range("minHealthyReplicas", g.min_healthy_replicas, 0, 10000, &gd.min_healthy_replicas);
  gd.skip_standalone = g.skip_standalone_pods.value_or(true);
  gd.skip_daemonset = g.skip_daemonset_pods.value_or(true);
  gd.skip_statefulset = g.skip_statefulset_pods.value_or(false);
}

void CompileActions(const std::vector<ActionItem>& items, const ActionRegistry& registry, Policy* p,
                    json::Errors* errors) {
  if (items.empty()) {
    errors->Add("spec.actions: at least one action is required");
    return;
  }
  if (items.size() > 16) errors->Add("spec.actions: at most 16 actions");
  for (size_t i = 0; i < items.size() && i < 16; ++i) {
    const std::string w = "spec.actions[" + std::to_string(i) + "]";
    ActionItem item = items[i];
    auto action = registry.Find(item.type);
    if (action == nullptr) {
      if (!item.type.empty()) errors->Add(w + ".type: unknown action \"" + item.type + "\"");
      continue;
    }
    if (!action->Decode(json::Reader(item.item, errors, w))) continue;
    if (action->Destructive()) p->has_destructive = true;
    if (item.type == "terminate" || item.type == "evict") {
      // Policy-wide workload guards become explicit per-action parameters, so the recorded
      // ResponseAction says exactly what was allowed.
      const auto& g = p->guards;
      auto& v = item.item;
      if (!v.has_field("allowStandalone")) v["allowStandalone"] = value::boolean(!g.skip_standalone);
      if (!v.has_field("allowDaemonSet")) v["allowDaemonSet"] = value::boolean(!g.skip_daemonset);
      if (!v.has_field("allowStatefulSet")) v["allowStatefulSet"] = value::boolean(!g.skip_statefulset);
      if (!v.has_field("minHealthyReplicas")) v["minHealthyReplicas"] = g.min_healthy_replicas;
    }
    p->actions.push_back(std::move(item));
  }
}

}  // namespace

bool NamespaceSelector::Matches(const std::map<std::string, std::string>& labels) const {
  for (const auto& [k, v] : match_labels) {
    auto it = labels.find(k);
    if (it == labels.end() || it->second != v) return false;
  }
  for (const auto& r : expressions) {
    auto it = labels.find(r.key);
    bool has = it != labels.end();
    bool in = has && std::find(r.values.begin(), r.values.end(), it->second) != r.values.end();
    if (r.op == "In" && !in) return false;
    if (r.op == "NotIn" && in) return false;
    if (r.op == "Exists" && !has) return false;
    if (r.op == "DoesNotExist" && has) return false;
  }
  return true;
}

PolicyPtr CompilePolicy(const value& obj, const ActionRegistry& registry, std::vector<std::string>* errors) {
  errors->clear();
  json::Errors errs;
  ResponsePolicy rp;
  DecodeResponsePolicy(obj, &rp, &errs);
  auto p = std::make_shared<Policy>();
  p->name = rp.metadata.name;
  p->uid = rp.metadata.uid;
  p->generation = rp.metadata.generation;
  std::vector<std::string> semantic;
  if (p->name.empty()) semantic.push_back("metadata.name: required");
  if (json::Find(obj, {"spec"}) != nullptr && json::Find(obj, {"spec"})->is_object()) {
    const auto& spec = rp.spec;
    if (spec.mode != "enforce" && spec.mode != "dryRun") semantic.push_back("spec.mode: must be enforce or dryRun");
    p->dry_run = spec.mode == "dryRun";
    CompileMatch(spec.match, p.get(), &semantic);
    CompileGuards(spec.guards, p.get(), &semantic);
    for (auto& e : semantic) errs.Add(std::move(e));
    semantic.clear();
    CompileActions(spec.actions, registry, p.get(), &errs);
  }
  for (auto& e : semantic) errs.Add(std::move(e));
  *errors = errs.messages();
  if (errs.size() > errs.messages().size())
    errors->push_back("and " + std::to_string(errs.size() - errs.messages().size()) + " more problems");
  if (!errors->empty()) return nullptr;
  return p;
}

namespace {

bool FieldMatches(const FieldCondition& c, const Alert& a) {
  const std::string* v = a.Field(c.field);
  switch (c.op) {
    case FieldOp::kExists:
      return v != nullptr;
    case FieldOp::kEquals:
      return v != nullptr && *v == c.values[0];
    case FieldOp::kNotEquals:
      return v == nullptr || *v != c.values[0];
    case FieldOp::kIn:
      return v != nullptr && std::find(c.values.begin(), c.values.end(), *v) != c.values.end();
    case FieldOp::kNotIn:
      return v == nullptr || std::find(c.values.begin(), c.values.end(), *v) == c.values.end();
    case FieldOp::kPrefix:
      return v != nullptr && v->rfind(c.values[0], 0) == 0;
    case FieldOp::kGlob:
      return v != nullptr && std::any_of(c.values.begin(), c.values.end(),
                                         [&](const std::string& g) { return GlobMatch(g, *v); });
  }
  return false;
}

}  // namespace

MatchResult Match(const Policy& p, const Alert& a, const NamespaceLabelsFn& ns_labels) {
  if (!p.any_rule && p.exact_rules.count(a.rule) == 0 &&
      std::none_of(p.rule_globs.begin(), p.rule_globs.end(), [&](const std::string& g) { return GlobMatch(g, a.rule); }))
    return MatchResult::kNoMatch;
  if (p.min_priority && !AtLeast(a.priority, *p.min_priority)) return MatchResult::kNoMatch;
  if (!p.sources.empty() && p.sources.count(a.source) == 0) return MatchResult::kNoMatch;
  if (!p.tags.empty()) {
    auto has = [&](const std::string& t) { return std::find(a.tags.begin(), a.tags.end(), t) != a.tags.end(); };
    bool ok = p.tags_all ? std::all_of(p.tags.begin(), p.tags.end(), has) : std::any_of(p.tags.begin(), p.tags.end(), has);
    if (!ok) return MatchResult::kNoMatch;
  }
  for (const auto& c : p.output_fields)
    if (!FieldMatches(c, a)) return MatchResult::kNoMatch;
  if (!a.target) return MatchResult::kNoTarget;
  if (!p.namespaces.empty() && p.namespaces.count(a.target->ns) == 0) return MatchResult::kNoMatch;
  if (p.namespace_selector) {
    auto labels = ns_labels ? ns_labels(a.target->ns) : std::nullopt;
    // Unknown namespace: fail closed, a selector cannot be evaluated on missing labels.
    if (!labels || !p.namespace_selector->Matches(*labels)) return MatchResult::kNoMatch;
  }
  return MatchResult::kMatch;
}

}  // namespace riposte::controller
