#include "controller/incidents.h"

#include <algorithm>
#include <vector>

#include "common/json_value.h"
#include "common/log.h"
#include "controller/codec.h"
#include "controller/names.h"

namespace riposte::controller {

using Clock = std::chrono::system_clock;
using web::json::value;

namespace {

void CountRule(std::map<std::string, uint64_t>& rules, uint64_t& other, size_t max_rules, const std::string& rule,
               uint64_t n) {
  auto it = rules.find(rule);
  if (it != rules.end()) it->second += n;
  else if (rules.size() < max_rules) rules.emplace(rule, n);
  else other += n;
}

void KeepLast(std::deque<IncidentOutput>& outputs, size_t max) {
  while (outputs.size() > max) outputs.pop_front();
}

}  // namespace

void IncidentDelta::Add(const std::string& rule, Clock::time_point at, IncidentOutput output) {
  ++alerts;
  if (!first || at < *first) first = at;
  if (!last || at > *last) last = at;
  CountRule(rules, other_rules, max_rules, rule, 1);
  outputs.push_back(std::move(output));
  KeepLast(outputs, max_outputs);
}

void IncidentDelta::Merge(const IncidentDelta& newer) {
  alerts += newer.alerts;
  if (newer.first && (!first || *newer.first < *first)) first = newer.first;
  if (newer.last && (!last || *newer.last > *last)) last = newer.last;
  for (const auto& [rule, n] : newer.rules) CountRule(rules, other_rules, max_rules, rule, n);
  other_rules += newer.other_rules;
  for (const auto& o : newer.outputs) outputs.push_back(o);
  KeepLast(outputs, max_outputs);
}

IncidentSummary MergeIncident(const ResponseAction& stored, const IncidentDelta& d, const IncidentLimits& limits) {
  IncidentSummary base;
  if (stored.status.incident) {
    base = *stored.status.incident;
  } else if (stored.spec.alert) {
    // The alert that created the response is the incident's first.
    const auto& a = *stored.spec.alert;
    base.alert_count = 1;
    base.first_seen = base.last_seen = a.time;
    base.rules.push_back({TruncateUtf8(a.rule, limits.max_rule_bytes), 1});
    base.last_outputs.push_back({a.time, base.rules.back().rule, TruncateUtf8(a.output, limits.max_output_bytes)});
  }
  IncidentSummary out;
  out.alert_count = base.alert_count + d.alerts;
  auto first = ParseRfc3339(base.first_seen);
  auto last = ParseRfc3339(base.last_seen);
  if (d.first && (!first || *d.first < *first)) first = d.first;
  if (d.last && (!last || *d.last > *last)) last = d.last;
  if (first) out.first_seen = FormatRfc3339(*first);
  if (last) out.last_seen = FormatRfc3339(*last);

  std::map<std::string, uint64_t> counts;
  for (const auto& r : base.rules) counts[r.rule] += r.count;
  for (const auto& [rule, n] : d.rules) counts[rule] += n;
  std::vector<IncidentRuleCount> sorted;
  sorted.reserve(counts.size());
  for (const auto& [rule, n] : counts) sorted.push_back({rule, n});
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const IncidentRuleCount& a, const IncidentRuleCount& b) { return a.count > b.count; });
  out.other_rules_count = base.other_rules_count + d.other_rules;
  for (size_t i = 0; i < sorted.size(); ++i) {
    if (i < limits.max_rules) out.rules.push_back(std::move(sorted[i]));
    else out.other_rules_count += sorted[i].count;
  }

  std::deque<IncidentOutput> outputs(base.last_outputs.begin(), base.last_outputs.end());
  for (const auto& o : d.outputs) outputs.push_back(o);
  KeepLast(outputs, limits.max_outputs);
  out.last_outputs.assign(outputs.begin(), outputs.end());
  return out;
}

value IncidentPatch(const value& stored, const IncidentDelta& delta, const IncidentLimits& limits) {
  ResponseAction ra;
  json::Errors ignored;  // only metadata, spec.alert and status are read here
  DecodeResponseAction(stored, &ra, &ignored);
  auto patch = value::object();
  patch["metadata"] = value::object();
  // A precondition: the sums are only right if nobody wrote in between.
  patch["metadata"]["resourceVersion"] = value::string(ra.metadata.resource_version);
  patch["status"] = value::object();
  patch["status"]["incident"] = EncodeIncident(MergeIncident(ra, delta, limits));
  return patch;
}

IncidentAggregator::IncidentAggregator(kube::KubeClientPtr client, IncidentLimits limits, CachedFn cached)
    : client_(std::move(client)), limits_(limits), cached_(std::move(cached)) {}

bool IncidentAggregator::Attach(const std::string& ns, const std::string& response_action, const Alert& alert) {
  const std::string rule = TruncateUtf8(alert.rule, limits_.max_rule_bytes);
  IncidentOutput out{FormatRfc3339(alert.time), rule, TruncateUtf8(alert.output, limits_.max_output_bytes)};
  const bool kept = pending_.Update(ns + "/" + response_action, limits_.max_pending, [&](IncidentDelta& d) {
    d.max_rules = limits_.max_rules;
    d.max_outputs = limits_.max_outputs;
    d.Add(rule, alert.time, std::move(out));
  });
  if (!kept) {
    ++dropped_;
    return false;
  }
  ++attached_;
  if (flush_soon_ && pending_.size() >= limits_.flush_soon_at) flush_soon_();
  return true;
}

StatusFlushStats IncidentAggregator::Flush() {
  return pending_.Flush([this](const std::string& key, const IncidentDelta& d, StatusFlushStats* stats) {
    const auto slash = key.find('/');
    const std::string ns = key.substr(0, slash), name = key.substr(slash + 1);
    std::string error;
    auto result = PatchStatusWithRetry(
        *client_, StatusTarget{&kube::resources::kResponseActions, ns, name, d.uid},
        cached_ ? std::function<kube::ObjectPtr()>([&] { return cached_(ns, name); }) : nullptr,
        [&](const value& current) { return IncidentPatch(current, d, limits_); }, kMaxAttempts, stats, &error);
    if (result == StatusWriteResult::kKeep)
      log::Warn("ResponseAction incident not written; retrying at the next flush",
                {{"responseAction", key}, {"alerts", std::to_string(d.alerts)}, {"error", error}});
    return result;
  });
}

}  // namespace riposte::controller
