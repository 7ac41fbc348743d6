#include "controller/incident_timeline.h"

#include <algorithm>
#include <array>
#include <set>

#include "common/json_value.h"
#include "controller/alert.h"
#include "controller/codec.h"
#include "controller/names.h"

namespace riposte::controller {

using web::json::value;

namespace {

// Sorts by instant, so "...:05Z" and "...:05.250Z" order correctly; unreadable times first.
int64_t SortKey(const std::string& t) {
  auto tp = ParseRfc3339(t);
  if (!tp) return INT64_MIN;
  return std::chrono::duration_cast<std::chrono::milliseconds>(tp->time_since_epoch()).count();
}

std::string OneLine(std::string s, size_t max) {
  for (auto& c : s)
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  if (s.size() > max) s = TruncateUtf8(s, max > 3 ? max - 3 : max) + "...";
  return s;
}

std::string EventTime(const value& ev) {
  for (const char* f : {"lastTimestamp", "eventTime", "firstTimestamp"}) {
    auto t = json::GetString(ev, {f});
    if (t && !t->empty()) return *t;
  }
  return json::GetString(ev, {"metadata", "creationTimestamp"}).value_or("");
}

TimelineError Err(std::string code, std::string message) { return TimelineError{std::move(code), std::move(message)}; }

}  // namespace

std::vector<TimelineEntry> TimelineEntries(const std::vector<ResponseAction>& ras, const std::vector<value>& events,
                                           const std::string& pod) {
  std::vector<TimelineEntry> out;
  std::set<std::string> names;
  for (const auto& ra : ras) {
    const std::string& name = ra.metadata.name;
    const std::string& target = ra.spec.target.pod;
    names.insert(name);
    std::string first_action = ra.spec.actions.empty() ? "" : ra.spec.actions.front().type;
    std::string types;
    for (const auto& a : ra.spec.actions) types += (types.empty() ? "" : ",") + a.type;
    out.push_back({ra.metadata.creation_timestamp, name, target, "created",
                   "response recorded" + std::string(ra.spec.policy_ref.empty() ? "" : " by policy " + ra.spec.policy_ref),
                   "actions " + types + (ra.spec.dry_run ? " (dry run)" : "") + "; phase " +
                       std::string(PhaseName(ra.status.phase))});
    std::string trigger_time, trigger_output;
    if (ra.spec.alert) {
      const auto& a = *ra.spec.alert;
      trigger_time = a.time;
      trigger_output = a.output;
      out.push_back({a.time, name, target, "alert", a.rule + " (" + a.priority + ", triggered the response)", a.output});
    }
    for (const auto& r : ra.status.results) {
      std::string t = !r.completion_time.empty() ? r.completion_time : r.start_time;
      if (t.empty()) continue;  // not started: nothing happened yet
      out.push_back({t, name, target, "action",
                     r.type + ": " + std::string(ResultStateName(r.state)) +
                         (r.attempts > 1 ? " after " + std::to_string(r.attempts) + " attempts" : ""),
                     r.message});
    }
    if (const auto& in = ra.status.incident; in && in->alert_count > 0) {
      std::string rules;
      for (const auto& rc : in->rules) rules += (rules.empty() ? "" : ", ") + rc.rule + " x" + std::to_string(rc.count);
      if (in->other_rules_count > 0) rules += ", other rules x" + std::to_string(in->other_rules_count);
      out.push_back({in->last_seen, name, target, "alerts",
                     std::to_string(in->alert_count) + " alerts since " + in->first_seen, rules});
      for (const auto& o : in->last_outputs) {
        if (o.time == trigger_time && trigger_output.rfind(o.output, 0) == 0) continue;  // the trigger, shown above
        out.push_back({o.time, name, target, "alert", o.rule + " (attached to the incident)", o.output});
      }
    }
  }
  for (const auto& ev : events) {
    const std::string kind = json::GetString(ev, {"involvedObject", "kind"}).value_or("");
    const std::string obj = json::GetString(ev, {"involvedObject", "name"}).value_or("");
    std::string ra_name, target;
    if (kind == "ResponseAction") {
      if (names.count(obj) == 0) continue;
      ra_name = obj;
      for (const auto& ra : ras)
        if (ra.metadata.name == obj) target = ra.spec.target.pod;
    } else if (kind == "Pod" && !pod.empty() && obj == pod) {
      target = pod;
    } else {
      continue;
    }
    std::string what = json::GetString(ev, {"reason"}).value_or("") + " (" +
                       json::GetString(ev, {"type"}).value_or("Normal") + ")";
    auto count = json::GetInt(ev, {"count"}).value_or(1);
    if (count > 1) what += " x" + std::to_string(count);
    out.push_back({EventTime(ev), ra_name, target, "event", what, json::GetString(ev, {"message"}).value_or("")});
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const TimelineEntry& a, const TimelineEntry& b) { return SortKey(a.time) < SortKey(b.time); });
  return out;
}

std::optional<Timeline> BuildTimeline(kube::KubeClient& client, const std::string& ns, const std::string& pod,
                                      TimelineError* error) {
  Timeline t;
  t.ns = ns;
  t.pod = pod;
  auto ras = kube::ListAll(client, kube::resources::kResponseActions, ns, {});
  if (!ras.ok()) {
    const auto& e = ras.error();
    if (kube::IsNotFound(e))
      *error = Err("crd_missing",
                   "the ResponseAction resource (responseactions.riposte.io) is not served by this cluster: install "
                   "the CRDs (manifests/crds/ or the Helm chart): " + e.ToString());
    else if (kube::IsForbidden(e) || kube::IsUnauthorized(e))
      *error = Err("forbidden", "not allowed to list responseactions.riposte.io in namespace " + ns +
                                    " (RBAC: grant get/list on responseactions and events): " + e.ToString());
    else
      *error = Err("unavailable", "listing ResponseActions in " + ns + " failed: " + e.ToString());
    return std::nullopt;
  }
  if (ras.value().items.empty()) {
    // A list in a namespace that does not exist is empty, not an error: say which it is.
    auto got = client.Get(kube::resources::kNamespaces, "", ns);
    if (!got.ok() && kube::IsNotFound(got.error())) {
      *error = Err("namespace_not_found", "namespace " + ns + " not found");
      return std::nullopt;
    }
  }
  for (const auto& obj : ras.value().items) {
    ResponseAction ra;
    json::Errors ignored;  // a malformed spec still has a name, a time and a status worth showing
    DecodeResponseAction(obj, &ra, &ignored);
    if (!pod.empty() && ra.spec.target.pod != pod) continue;
    ra.raw = value::null();  // not needed past decoding
    t.response_actions.push_back(std::move(ra));
  }
  std::stable_sort(t.response_actions.begin(), t.response_actions.end(),
                   [](const ResponseAction& a, const ResponseAction& b) {
                     return SortKey(a.metadata.creation_timestamp) < SortKey(b.metadata.creation_timestamp);
                   });
  std::vector<value> events;
  auto collect = [&](const std::string& selector) {
    kube::ListOptions opts;
    opts.field_selector = selector;
    auto evs = kube::ListAll(client, kube::resources::kEvents, ns, opts);
    if (!evs.ok()) {
      t.events_error = "events not read: " + evs.error().ToString();
      return;
    }
    for (auto& e : evs.value().items) events.push_back(std::move(e));
  };
  if (!t.response_actions.empty()) collect("involvedObject.kind=ResponseAction");
  if (!pod.empty() && t.events_error.empty()) collect("involvedObject.kind=Pod,involvedObject.name=" + pod);
  t.entries = TimelineEntries(t.response_actions, events, pod);
  return t;
}

std::string RenderTimelineTable(const Timeline& t) {
  std::vector<std::array<std::string, 6>> rows;
  rows.push_back({"TIME", "KIND", "RESPONSEACTION", "POD", "WHAT", "DETAIL"});
  for (const auto& e : t.entries)
    rows.push_back({e.time, e.kind, e.response_action.empty() ? "-" : e.response_action, e.pod.empty() ? "-" : e.pod,
                    OneLine(e.what, 80), OneLine(e.detail, 120)});
  std::array<size_t, 6> width{};
  for (const auto& r : rows)
    for (size_t i = 0; i < 5; ++i) width[i] = std::max(width[i], r[i].size());
  std::string out;
  for (const auto& r : rows) {
    for (size_t i = 0; i < 6; ++i) {
      out += r[i];
      if (i < 5) out += std::string(width[i] - r[i].size() + 3, ' ');
    }
    while (!out.empty() && out.back() == ' ') out.pop_back();
    out += "\n";
  }
  if (t.entries.empty())
    out += "no ResponseActions in namespace " + t.ns + (t.pod.empty() ? "" : " for pod " + t.pod) + "\n";
  return out;
}

value TimelineJson(const Timeline& t) {
  auto v = value::object();
  v["version"] = value::number(1);
  v["namespace"] = value::string(t.ns);
  v["pod"] = t.pod.empty() ? value::null() : value::string(t.pod);
  auto ras = value::array(t.response_actions.size());
  for (size_t i = 0; i < t.response_actions.size(); ++i) {
    const auto& ra = t.response_actions[i];
    auto o = value::object();
    o["name"] = value::string(ra.metadata.name);
    o["pod"] = value::string(ra.spec.target.pod);
    o["policy"] = value::string(ra.spec.policy_ref);
    o["created"] = value::string(ra.metadata.creation_timestamp);
    o["phase"] = value::string(std::string(PhaseName(ra.status.phase)));
    o["dryRun"] = value::boolean(ra.spec.dry_run);
    o["actions"] = EncodeActionItems(ra.spec.actions);
    o["results"] = EncodeStatus(ra.status)["results"];
    o["incident"] = ra.status.incident ? EncodeIncident(*ra.status.incident) : value::null();
    ras[i] = std::move(o);
  }
  v["responseActions"] = std::move(ras);
  auto entries = value::array(t.entries.size());
  for (size_t i = 0; i < t.entries.size(); ++i) {
    const auto& e = t.entries[i];
    auto o = value::object();
    o["time"] = value::string(e.time);
    o["kind"] = value::string(e.kind);
    o["responseAction"] = e.response_action.empty() ? value::null() : value::string(e.response_action);
    o["pod"] = value::string(e.pod);
    o["what"] = value::string(e.what);
    o["detail"] = value::string(e.detail);
    entries[i] = std::move(o);
  }
  v["timeline"] = std::move(entries);
  v["eventsError"] = t.events_error.empty() ? value::null() : value::string(t.events_error);
  return v;
}

}  // namespace riposte::controller
