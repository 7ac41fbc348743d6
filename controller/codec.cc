#include "controller/codec.h"

#include <algorithm>

#include "controller/alert.h"

namespace riposte::controller {

using json::Reader;
using json::Value;

namespace {

constexpr std::string_view kPhaseNames[] = {"Pending", "Running", "Succeeded", "Failed", "Reverting", "Reverted"};
constexpr std::string_view kStateNames[] = {"Pending", "Running", "Succeeded", "Failed", "Skipped", "DryRun", "Reverted"};

// Saturating: counters in the CRD are int64.
int64_t ToInt64(uint64_t v) { return static_cast<int64_t>(std::min<uint64_t>(v, INT64_MAX)); }

uint64_t Count(const Reader& r) {
  auto v = r.Int();
  return v && *v > 0 ? static_cast<uint64_t>(*v) : 0;
}

Condition DecodeCondition(const Reader& r) {
  Condition c;
  c.type = r["type"].StringOr("");
  c.status = r["status"].StringOr("") == "True";
  c.reason = r["reason"].StringOr("");
  c.message = r["message"].StringOr("");
  c.last_transition_time = r["lastTransitionTime"].StringOr("");
  c.observed_generation = r["observedGeneration"].IntOr(0);
  return c;
}

std::vector<Condition> DecodeConditions(const Reader& r) {
  std::vector<Condition> out;
  r.Items([&](const Reader& c) {
    if (c.Object()) out.push_back(DecodeCondition(c));
  });
  return out;
}

// spec.actions: objects with a string type. Each action checks its own parameters.
std::vector<ActionItem> DecodeActionItems(const Reader& r) {
  std::vector<ActionItem> out;
  r.Items([&](const Reader& item) {
    if (!item.Object()) {
      if (!item.exists()) item.Error("expected object, got null");
      return;
    }
    ActionItem a;
    if (auto t = item["type"].String()) a.type = *t;
    else if (!item["type"].exists()) item["type"].Error("required");
    a.item = *item.get();
    out.push_back(std::move(a));
  });
  return out;
}

std::vector<std::string> Strings(const Reader& r) { return r.StringList(); }

}  // namespace

bool ObjectMeta::HasFinalizer(std::string_view f) const {
  return std::find(finalizers.begin(), finalizers.end(), f) != finalizers.end();
}

void SetCondition(std::vector<Condition>& conditions, Condition c) {
  for (auto& existing : conditions) {
    if (existing.type != c.type) continue;
    if (existing.status == c.status && !existing.last_transition_time.empty())
      c.last_transition_time = existing.last_transition_time;
    existing = std::move(c);
    return;
  }
  conditions.push_back(std::move(c));
}

const Condition* FindCondition(const std::vector<Condition>& conditions, std::string_view type) {
  for (const auto& c : conditions)
    if (c.type == type) return &c;
  return nullptr;
}

std::string_view PhaseName(Phase p) { return kPhaseNames[static_cast<size_t>(p)]; }
std::string_view ResultStateName(ResultState s) { return kStateNames[static_cast<size_t>(s)]; }

std::optional<Phase> ParsePhase(std::string_view s) {
  for (size_t i = 0; i < std::size(kPhaseNames); ++i)
    if (kPhaseNames[i] == s) return static_cast<Phase>(i);
  return std::nullopt;
}

std::optional<ResultState> ParseResultState(std::string_view s) {
  for (size_t i = 0; i < std::size(kStateNames); ++i)
    if (kStateNames[i] == s) return static_cast<ResultState>(i);
  return std::nullopt;
}

void DecodeObjectMeta(const Value& obj, ObjectMeta* out) {
  Reader md = Reader(obj)["metadata"];
  out->name = md["name"].StringOr("");
  out->ns = md["namespace"].StringOr("");
  out->uid = md["uid"].StringOr("");
  out->resource_version = md["resourceVersion"].StringOr("");
  out->generation = md["generation"].IntOr(0);
  out->creation_timestamp = md["creationTimestamp"].StringOr("");
  out->deleting = md["deletionTimestamp"].exists();
  out->labels = md["labels"].StringMap();
  out->annotations = md["annotations"].StringMap();
  out->finalizers = md["finalizers"].StringList();
}

bool DecodeResponseAction(const Value& obj, ResponseAction* out, json::Errors* errors) {
  *out = ResponseAction{};
  out->raw = obj;
  DecodeObjectMeta(obj, &out->metadata);
  Reader spec(obj, errors);
  spec = spec["spec"];
  if (spec.Object()) {
    Reader target = spec["target"];
    if (target.Object()) {
      out->spec.target.pod = target["pod"].StringOr("");
      out->spec.target.container = target["container"].StringOr("");
    }
    out->spec.actions = DecodeActionItems(spec["actions"]);
    out->spec.dry_run = spec["dryRun"].BoolOr(false);
    out->spec.revert = spec["revert"].BoolOr(false);
    if (spec["policyRef"].Object()) out->spec.policy_ref = spec["policyRef"]["name"].StringOr("");
    Reader alert = spec["alert"];
    if (alert.Object()) {
      AlertRef a;
      a.uuid = alert["uuid"].StringOr("");
      a.rule = alert["rule"].StringOr("");
      a.priority = alert["priority"].StringOr("");
      a.source = alert["source"].StringOr("");
      a.time = alert["time"].StringOr("");
      a.hostname = alert["hostname"].StringOr("");
      a.output = alert["output"].StringOr("");
      a.tags = Strings(alert["tags"]);
      a.fields = alert["fields"].StringMap();
      out->spec.alert = std::move(a);
    }
  } else if (!spec.exists()) {
    spec.Error("required");
  }
  // Status: the controller's own record, read leniently.
  Reader st = Reader(obj)["status"];
  auto& s = out->status;
  s.phase = ParsePhase(st["phase"].StringOr("")).value_or(Phase::kPending);
  s.observed_generation = st["observedGeneration"].IntOr(0);
  s.start_time = st["startTime"].StringOr("");
  s.completion_time = st["completionTime"].StringOr("");
  s.node = st["node"].StringOr("");
  st["results"].Items([&](const Reader& r) {
    ActionResult res;
    res.index = r["index"].IntOr(static_cast<int64_t>(s.results.size()));
    res.type = r["type"].StringOr("");
    res.state = ParseResultState(r["state"].StringOr("")).value_or(ResultState::kPending);
    res.attempts = r["attempts"].IntOr(0);
    res.message = r["message"].StringOr("");
    res.start_time = r["startTime"].StringOr("");
    res.completion_time = r["completionTime"].StringOr("");
    if (r["undo"].Object()) res.undo = *r["undo"].get();
    s.results.push_back(std::move(res));
  });
  s.conditions = DecodeConditions(st["conditions"]);
  if (st["incident"].Object()) s.incident = DecodeIncident(*st["incident"].get());
  return errors->empty();
}

std::optional<IncidentSummary> DecodeIncident(const Value& v) {
  Reader r(v);
  if (!r.Object()) return std::nullopt;
  IncidentSummary in;
  in.alert_count = Count(r["alertCount"]);
  in.first_seen = r["firstSeen"].StringOr("");
  in.last_seen = r["lastSeen"].StringOr("");
  r["rules"].Items([&](const Reader& e) {
    if (!e.Object() || !e["rule"].String()) return;
    in.rules.push_back({e["rule"].StringOr(""), Count(e["count"])});
  });
  in.other_rules_count = Count(r["otherRulesCount"]);
  r["lastOutputs"].Items([&](const Reader& e) {
    if (!e.Object()) return;
    in.last_outputs.push_back({e["time"].StringOr(""), e["rule"].StringOr(""), e["output"].StringOr("")});
  });
  return in;
}

Value EncodeIncident(const IncidentSummary& in) {
  auto v = Value::object();
  v["alertCount"] = Value::number(ToInt64(in.alert_count));
  if (!in.first_seen.empty()) v["firstSeen"] = Value::string(in.first_seen);
  if (!in.last_seen.empty()) v["lastSeen"] = Value::string(in.last_seen);
  auto rules = Value::array(in.rules.size());
  for (size_t i = 0; i < in.rules.size(); ++i) {
    rules[i] = Value::object();
    rules[i]["rule"] = Value::string(in.rules[i].rule);
    rules[i]["count"] = Value::number(ToInt64(in.rules[i].count));
  }
  v["rules"] = std::move(rules);
  v["otherRulesCount"] = Value::number(ToInt64(in.other_rules_count));
  auto outputs = Value::array(in.last_outputs.size());
  for (size_t i = 0; i < in.last_outputs.size(); ++i) {
    const auto& o = in.last_outputs[i];
    outputs[i] = Value::object();
    outputs[i]["time"] = Value::string(o.time);
    outputs[i]["rule"] = Value::string(o.rule);
    outputs[i]["output"] = Value::string(o.output);
  }
  v["lastOutputs"] = std::move(outputs);
  return v;
}

bool DecodeResponsePolicy(const Value& obj, ResponsePolicy* out, json::Errors* errors) {
  *out = ResponsePolicy{};
  DecodeObjectMeta(obj, &out->metadata);
  Reader spec = Reader(obj, errors)["spec"];
  if (spec.Object()) {
    out->spec.mode = spec["mode"].StringOr("enforce");
    Reader m = spec["match"];
    if (m.Object()) {
      auto& match = out->spec.match;
      match.rules = Strings(m["rules"]);
      match.min_priority = m["minPriority"].String();
      match.tags = Strings(m["tags"]);
      match.tags_match = m["tagsMatch"].StringOr("any");
      match.sources = Strings(m["sources"]);
      match.namespaces = Strings(m["namespaces"]);
      Reader sel = m["namespaceSelector"];
      if (sel.Object()) {
        LabelSelectorSpec s;
        s.match_labels = sel["matchLabels"].StringMap();
        sel["matchExpressions"].Items([&](const Reader& e) {
          if (!e.Object()) return;
          s.match_expressions.push_back({e["key"].StringOr(""), e["operator"].StringOr(""), Strings(e["values"])});
        });
        match.namespace_selector = std::move(s);
      }
      m["outputFields"].Items([&](const Reader& c) {
        if (!c.Object()) return;
        match.output_fields.push_back({c["field"].StringOr(""), c["operator"].StringOr(""), Strings(c["values"])});
      });
    } else if (!m.exists()) {
      m.Error("required");
    }
    out->spec.actions = DecodeActionItems(spec["actions"]);
    Reader g = spec["guards"];
    if (g.Object()) {
      auto& gd = out->spec.guards;
      gd.cooldown_seconds = g["cooldownSeconds"].Int();
      gd.max_actions_per_minute = g["maxActionsPerMinute"].Int();
      gd.max_destructive_per_minute = g["maxDestructivePerMinute"].Int();
      gd.min_healthy_replicas = g["minHealthyReplicas"].Int();
      gd.skip_standalone_pods = g["skipStandalonePods"].Bool();
      gd.skip_daemonset_pods = g["skipDaemonSetPods"].Bool();
      gd.skip_statefulset_pods = g["skipStatefulSetPods"].Bool();
    }
  } else if (!spec.exists()) {
    spec.Error("required");
  }
  Reader st = Reader(obj)["status"];
  auto& s = out->status;
  s.observed_generation = st["observedGeneration"].IntOr(-1);
  s.conditions = DecodeConditions(st["conditions"]);
  s.alerts_matched = Count(st["alertsMatched"]);
  s.alerts_suppressed = Count(st["alertsSuppressed"]);
  s.responses_recorded = Count(st["responsesRecorded"]);
  st["suppressedByReason"].Fields([&](const std::string& reason, const Reader& n) {
    auto v = n.Int();
    if (v && *v >= 0) s.suppressed_by_reason[reason] = static_cast<uint64_t>(*v);
    else s.malformed_reasons.push_back(reason);
  });
  s.last_match_time = st["lastMatchTime"].StringOr("");
  return errors->empty();
}

Value EncodeActionItems(const std::vector<ActionItem>& items) {
  auto arr = Value::array(items.size());
  for (size_t i = 0; i < items.size(); ++i) arr[i] = items[i].item;
  return arr;
}

Value EncodeNewResponseAction(const ResponseAction& ra) {
  auto obj = Value::object();
  obj["apiVersion"] = Value::string("riposte.io/v1alpha1");
  obj["kind"] = Value::string("ResponseAction");
  auto& md = obj["metadata"] = Value::object();
  md["name"] = Value::string(ra.metadata.name);
  md["namespace"] = Value::string(ra.metadata.ns);
  if (!ra.metadata.labels.empty()) md["labels"] = json::FromMap(ra.metadata.labels);
  if (!ra.metadata.annotations.empty()) md["annotations"] = json::FromMap(ra.metadata.annotations);
  if (!ra.metadata.finalizers.empty()) md["finalizers"] = json::FromList(ra.metadata.finalizers);
  const auto& s = ra.spec;
  auto& spec = obj["spec"] = Value::object();
  spec["target"] = Value::object();
  spec["target"]["pod"] = Value::string(s.target.pod);
  if (!s.target.container.empty()) spec["target"]["container"] = Value::string(s.target.container);
  spec["actions"] = EncodeActionItems(s.actions);
  spec["dryRun"] = Value::boolean(s.dry_run);
  spec["revert"] = Value::boolean(s.revert);
  if (!s.policy_ref.empty()) {
    spec["policyRef"] = Value::object();
    spec["policyRef"]["name"] = Value::string(s.policy_ref);
  }
  if (s.alert) {
    const auto& a = *s.alert;
    auto& al = spec["alert"] = Value::object();
    if (!a.uuid.empty()) al["uuid"] = Value::string(a.uuid);
    al["rule"] = Value::string(a.rule);
    al["priority"] = Value::string(a.priority);
    al["source"] = Value::string(a.source);
    al["time"] = Value::string(a.time);
    if (!a.hostname.empty()) al["hostname"] = Value::string(a.hostname);
    if (!a.output.empty()) al["output"] = Value::string(a.output);
    al["tags"] = json::FromList(a.tags);
    if (!a.fields.empty()) al["fields"] = json::FromMap(a.fields);
  }
  return obj;
}

Value EncodeCondition(const Condition& c) {
  auto v = Value::object();
  v["type"] = Value::string(c.type);
  v["status"] = Value::string(c.status ? "True" : "False");
  v["reason"] = Value::string(c.reason);
  v["message"] = Value::string(c.message);
  v["lastTransitionTime"] = Value::string(c.last_transition_time);
  v["observedGeneration"] = Value::number(c.observed_generation);
  return v;
}

Value EncodeConditions(const std::vector<Condition>& conditions) {
  auto arr = Value::array(conditions.size());
  for (size_t i = 0; i < conditions.size(); ++i) arr[i] = EncodeCondition(conditions[i]);
  return arr;
}

Value EncodeStatus(const ResponseActionStatus& s) {
  auto v = Value::object();
  v["phase"] = Value::string(std::string(PhaseName(s.phase)));
  v["observedGeneration"] = Value::number(s.observed_generation);
  if (!s.start_time.empty()) v["startTime"] = Value::string(s.start_time);
  if (!s.completion_time.empty()) v["completionTime"] = Value::string(s.completion_time);
  if (!s.node.empty()) v["node"] = Value::string(s.node);
  auto results = Value::array(s.results.size());
  for (size_t i = 0; i < s.results.size(); ++i) {
    const auto& r = s.results[i];
    auto o = Value::object();
    o["index"] = Value::number(r.index);
    o["type"] = Value::string(r.type);
    o["state"] = Value::string(std::string(ResultStateName(r.state)));
    o["attempts"] = Value::number(r.attempts);
    if (!r.message.empty()) o["message"] = Value::string(r.message);
    if (!r.start_time.empty()) o["startTime"] = Value::string(r.start_time);
    if (!r.completion_time.empty()) o["completionTime"] = Value::string(r.completion_time);
    if (r.undo.is_object()) o["undo"] = r.undo;
    results[i] = std::move(o);
  }
  v["results"] = std::move(results);
  if (!s.conditions.empty()) v["conditions"] = EncodeConditions(s.conditions);
  // Written by the incident flush, not by the reconciler: sent back as read.
  if (s.incident) v["incident"] = EncodeIncident(*s.incident);
  return v;
}

Value EncodeStatusUpdate(const ResponseAction& ra) {
  Value obj = ra.raw.is_object() ? ra.raw : Value::object();
  obj["status"] = EncodeStatus(ra.status);
  return obj;
}

Value EncodePolicyConditionsPatch(int64_t generation, const std::vector<Condition>& conditions) {
  auto patch = Value::object();
  patch["status"] = Value::object();
  patch["status"]["observedGeneration"] = Value::number(generation);
  patch["status"]["conditions"] = EncodeConditions(conditions);
  return patch;
}

Value EncodePolicyCountersPatch(const ResponsePolicy& current, const PolicyCounts& add) {
  const auto& stored = current.status;
  std::map<std::string, uint64_t> by_reason = stored.suppressed_by_reason;
  auto reasons = Value::object();
  for (const auto& bad : stored.malformed_reasons) reasons[bad] = Value::null();  // not a count: removed
  uint64_t total_suppressed = stored.alerts_suppressed;
  for (const auto& [reason, n] : add.suppressed) {
    by_reason[reason] += n;
    total_suppressed += n;
  }
  for (const auto& [reason, n] : by_reason) reasons[reason] = Value::number(ToInt64(n));
  auto status = Value::object();
  status["alertsMatched"] = Value::number(ToInt64(stored.alerts_matched + add.matched));
  status["alertsSuppressed"] = Value::number(ToInt64(total_suppressed));
  status["responsesRecorded"] = Value::number(ToInt64(stored.responses_recorded + add.recorded));
  status["suppressedByReason"] = reasons;
  if (add.last_match) {
    auto before = ParseRfc3339(stored.last_match_time);
    status["lastMatchTime"] = Value::string(FormatRfc3339(before && *before > *add.last_match ? *before : *add.last_match));
  }
  auto patch = Value::object();
  patch["metadata"] = Value::object();
  // A precondition: the sums above are only right if nobody wrote in between.
  patch["metadata"]["resourceVersion"] = Value::string(current.metadata.resource_version);
  patch["status"] = status;
  return patch;
}

}  // namespace riposte::controller
