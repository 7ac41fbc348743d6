#include "controller/policy.h"

#include <algorithm>

#include "controller/glob.h"
#include "common/json_value.h"
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

// Reads a list of strings at `path`, reporting wrong types instead of skipping them.
std::vector<std::string> Strings(const value& spec, const char* key, const std::string& where,
                                 std::vector<std::string>* errors) {
  std::vector<std::string> out;
  const auto* v = json::Find(spec, {key});
  if (v == nullptr || v->is_null()) return out;
  if (!v->is_array()) {
    errors->push_back(where + "." + key + ": must be a list of strings");
    return out;
  }
  if (v->size() > kMaxListItems) errors->push_back(where + "." + key + ": too many items");
  for (size_t i = 0; i < v->size() && i < kMaxListItems; ++i) {
    const auto& e = v->at(i);
    if (!e.is_string()) {
      errors->push_back(where + "." + key + "[" + std::to_string(i) + "]: must be a string");
      continue;
    }
    out.push_back(e.as_string());
  }
  return out;
}

void CompileSelector(const value& sel, Policy* p, std::vector<std::string>* errors) {
  const std::string where = "spec.match.namespaceSelector";
  if (!sel.is_object()) {
    errors->push_back(where + ": must be an object");
    return;
  }
  NamespaceSelector ns;
  if (const auto* ml = json::Find(sel, {"matchLabels"}); ml != nullptr && !ml->is_null()) {
    if (!ml->is_object()) errors->push_back(where + ".matchLabels: must be a map");
    else
      for (const auto& [k, v] : ml->as_object()) {
        if (!v.is_string() || !IsQualifiedName(k) || !IsLabelValue(v.as_string()))
          errors->push_back(where + ".matchLabels[" + k + "]: invalid label");
        else ns.match_labels[k] = v.as_string();
      }
  }
  if (const auto* me = json::Find(sel, {"matchExpressions"}); me != nullptr && !me->is_null()) {
    if (!me->is_array()) {
      errors->push_back(where + ".matchExpressions: must be a list");
    } else {
      for (size_t i = 0; i < me->size(); ++i) {
        std::string w = where + ".matchExpressions[" + std::to_string(i) + "]";
        const auto& e = me->at(i);
        SelectorRequirement r;
        r.key = json::GetString(e, {"key"}).value_or("");
        r.op = json::GetString(e, {"operator"}).value_or("");
        r.values = Strings(e, "values", w, errors);
        if (!IsQualifiedName(r.key)) errors->push_back(w + ".key: invalid label key");
        bool set_op = r.op == "In" || r.op == "NotIn";
        if (!set_op && r.op != "Exists" && r.op != "DoesNotExist")
          errors->push_back(w + ".operator: must be In, NotIn, Exists or DoesNotExist");
        if (set_op && r.values.empty()) errors->push_back(w + ".values: required for " + r.op);
        if (!set_op && !r.values.empty()) errors->push_back(w + ".values: not allowed for " + r.op);
        ns.expressions.push_back(std::move(r));
      }
    }
  }
  p->namespace_selector = std::move(ns);
}

void CompileMatch(const value& match, Policy* p, std::vector<std::string>* errors) {
  const std::string where = "spec.match";
  for (auto& r : Strings(match, "rules", where, errors)) {
    if (r.empty()) errors->push_back(where + ".rules: empty rule name");
    else if (HasGlob(r)) p->rule_globs.push_back(std::move(r));
    else p->exact_rules.insert(std::move(r));
  }
  p->any_rule = p->exact_rules.empty() && p->rule_globs.empty();
  if (auto mp = json::GetString(match, {"minPriority"})) {
    p->min_priority = ParsePriority(*mp);
    if (!p->min_priority) errors->push_back(where + ".minPriority: unknown priority \"" + *mp + "\"");
  }
  p->tags = Strings(match, "tags", where, errors);
  auto tags_match = json::GetString(match, {"tagsMatch"}).value_or("any");
  if (tags_match != "any" && tags_match != "all") errors->push_back(where + ".tagsMatch: must be any or all");
  p->tags_all = tags_match == "all";
  for (auto& s : Strings(match, "sources", where, errors)) p->sources.insert(std::move(s));
  for (auto& ns : Strings(match, "namespaces", where, errors)) {
    if (!IsDnsLabel(ns)) errors->push_back(where + ".namespaces: \"" + ns + "\" is not a namespace name");
    p->namespaces.insert(std::move(ns));
  }
  if (const auto* sel = json::Find(match, {"namespaceSelector"}); sel != nullptr && !sel->is_null()) {
    if (!p->namespaces.empty()) errors->push_back(where + ": set namespaces or namespaceSelector, not both");
    CompileSelector(*sel, p, errors);
  }
  if (const auto* of = json::Find(match, {"outputFields"}); of != nullptr && !of->is_null()) {
    if (!of->is_array()) {
      errors->push_back(where + ".outputFields: must be a list");
      return;
    }
    for (size_t i = 0; i < of->size(); ++i) {
      std::string w = where + ".outputFields[" + std::to_string(i) + "]";
      const auto& c = of->at(i);
      FieldCondition fc;
      fc.field = json::GetString(c, {"field"}).value_or("");
      if (fc.field.empty()) errors->push_back(w + ".field: required");
      auto op_name = json::GetString(c, {"operator"}).value_or("");
      auto op = ParseFieldOp(op_name);
      if (!op) {
        errors->push_back(w + ".operator: \"" + op_name + "\" is not one of Equals, NotEquals, In, NotIn, Exists, Prefix, Glob");
        continue;
      }
      fc.op = *op;
      fc.values = Strings(c, "values", w, errors);
      bool single = fc.op == FieldOp::kEquals || fc.op == FieldOp::kNotEquals || fc.op == FieldOp::kPrefix;
      if (fc.op == FieldOp::kExists && !fc.values.empty()) errors->push_back(w + ".values: not allowed for Exists");
      if (fc.op != FieldOp::kExists && fc.values.empty()) errors->push_back(w + ".values: required for " + op_name);
      if (single && fc.values.size() > 1) errors->push_back(w + ".values: " + op_name + " takes one value");
      p->output_fields.push_back(std::move(fc));
    }
  }
}

void CompileGuards(const value& spec, Policy* p, std::vector<std::string>* errors) {
  const auto* g = json::Find(spec, {"guards"});
  if (g == nullptr || g->is_null()) return;
  if (!g->is_object()) {
    errors->push_back("spec.guards: must be an object");
    return;
  }
  auto read_int = [&](const char* key, int64_t min, int64_t max, int64_t* dest) {
    const auto* v = json::Find(*g, {key});
    if (v == nullptr || v->is_null()) return;
    auto i = json::GetInt(*g, {key});
    if (!i || *i < min || *i > max) {
      errors->push_back(std::string("spec.guards.") + key + ": must be an integer in [" + std::to_string(min) +
                        ", " + std::to_string(max) + "]");
      return;
    }
    *dest = *i;
  };
  auto& gd = p->guards;
  read_int("cooldownSeconds", 0, 86400, &gd.cooldown_seconds);
  read_int("maxActionsPerMinute", 1, 10000, &gd.max_actions_per_minute);
  int64_t cap = -1;
  read_int("maxDestructivePerMinute", 0, 10000, &cap);
  if (cap >= 0) gd.max_destructive_per_minute = cap;
  read_int("minHealthyReplicas", 0, 10000, &gd.min_healthy_replicas);
  gd.skip_standalone = json::GetBool(*g, {"skipStandalonePods"}).value_or(true);
  gd.skip_daemonset = json::GetBool(*g, {"skipDaemonSetPods"}).value_or(true);
  gd.skip_statefulset = json::GetBool(*g, {"skipStatefulSetPods"}).value_or(false);
}

void CompileActions(const value& spec, const ActionRegistry& registry, Policy* p,
                    std::vector<std::string>* errors) {
  const auto* actions = json::Find(spec, {"actions"});
  if (actions == nullptr || !actions->is_array() || actions->size() == 0) {
    errors->push_back("spec.actions: at least one action is required");
    return;
  }
  if (actions->size() > 16) errors->push_back("spec.actions: at most 16 actions");
  for (size_t i = 0; i < actions->size(); ++i) {
    std::string w = "spec.actions[" + std::to_string(i) + "]";
    value item = actions->at(i);
    auto type = json::GetString(item, {"type"}).value_or("");
    auto action = registry.Find(type);
    if (action == nullptr) {
      errors->push_back(w + ".type: unknown action \"" + type + "\"");
      continue;
    }
    if (auto err = action->Validate(item)) {
      errors->push_back(w + ": " + *err);
      continue;
    }
    if (action->Destructive()) p->has_destructive = true;
    if (type == "terminate" || type == "evict") {
      // Policy-wide workload guards become explicit per-action parameters, so the recorded
      // ResponseAction says exactly what was allowed.
      const auto& g = p->guards;
      if (!item.has_field("allowStandalone")) item["allowStandalone"] = value::boolean(!g.skip_standalone);
      if (!item.has_field("allowDaemonSet")) item["allowDaemonSet"] = value::boolean(!g.skip_daemonset);
      if (!item.has_field("allowStatefulSet")) item["allowStatefulSet"] = value::boolean(!g.skip_statefulset);
      if (!item.has_field("minHealthyReplicas")) item["minHealthyReplicas"] = g.min_healthy_replicas;
    }
    p->actions[p->actions.size()] = item;
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
  auto p = std::make_shared<Policy>();
  p->name = json::GetString(obj, {"metadata", "name"}).value_or("");
  p->uid = json::GetString(obj, {"metadata", "uid"}).value_or("");
  p->generation = json::GetInt(obj, {"metadata", "generation"}).value_or(0);
  if (p->name.empty()) errors->push_back("metadata.name: required");
  const auto* spec = json::Find(obj, {"spec"});
  if (spec == nullptr || !spec->is_object()) {
    errors->push_back("spec: required");
    return nullptr;
  }
  auto mode = json::GetString(*spec, {"mode"}).value_or("enforce");
  if (mode != "enforce" && mode != "dryRun") errors->push_back("spec.mode: must be enforce or dryRun");
  p->dry_run = mode == "dryRun";
  const auto* match = json::Find(*spec, {"match"});
  if (match == nullptr || !match->is_object()) errors->push_back("spec.match: required");
  else CompileMatch(*match, p.get(), errors);
  CompileGuards(*spec, p.get(), errors);
  CompileActions(*spec, registry, p.get(), errors);
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
