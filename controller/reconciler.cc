#include "controller/reconciler.h"

#include "common/log.h"
#include "controller/actions/isolate.h"
#include "controller/alert.h"
#include "controller/executor.h"
#include "common/json_value.h"
#include "controller/names.h"
#include "controller/response_action.h"
#include "kube/informer.h"

namespace riposte::controller {

using web::json::value;

struct Reconciler::State {
  std::string ns, name;
  value ra;
  // Objects read for the current action; ActionContext points into these.
  std::optional<value> pod, owner, node, np;
  bool pod_fresh = false;  // `pod` was read in this pass and nothing has changed it since
  std::string now;
};

namespace {

std::string Truncate(std::string s, size_t max = 4096) {
  if (s.size() > max) s.resize(max);
  return s;
}

value& Status(value& ra) {
  if (!ra.has_field("status") || !ra["status"].is_object()) ra["status"] = value::object();
  return ra["status"];
}

std::string Phase(const value& ra) { return json::GetString(ra, {"status", "phase"}).value_or(""); }

void SetCondition(value& ra, const std::string& type, bool status, const std::string& reason,
                  const std::string& message, const std::string& now) {
  auto& st = Status(ra);
  if (!st.has_field("conditions") || !st["conditions"].is_array()) st["conditions"] = value::array();
  auto& conds = st["conditions"];
  auto c = value::object();
  c["type"] = value::string(type);
  c["status"] = value::string(status ? "True" : "False");
  c["reason"] = value::string(reason);
  c["message"] = value::string(Truncate(message, 1024));
  c["lastTransitionTime"] = value::string(now);
  c["observedGeneration"] = json::GetInt(ra, {"metadata", "generation"}).value_or(0);
  for (size_t i = 0; i < conds.size(); ++i) {
    if (json::GetString(conds[i], {"type"}) == type) {
      if (json::GetString(conds[i], {"status"}) == (status ? "True" : "False"))
        c["lastTransitionTime"] = conds[i]["lastTransitionTime"];
      conds[i] = c;
      return;
    }
  }
  conds[conds.size()] = c;
}

bool HasFinalizer(const value& ra) {
  for (const auto& f : json::GetStringList(ra, {"metadata", "finalizers"}))
    if (f == kFinalizer) return true;
  return false;
}

const kube::Resource* OwnerResource(const std::string& kind) {
  if (kind == "ReplicaSet") return &kube::resources::kReplicaSets;
  if (kind == "StatefulSet") return &kube::resources::kStatefulSets;
  if (kind == "DaemonSet") return &kube::resources::kDaemonSets;
  return nullptr;
}

// Reads one object; NotFound is "absent", anything else an error.
bool Fetch(kube::KubeClient& client, const kube::Resource& res, const std::string& ns, const std::string& name,
           std::optional<value>* out, std::string* error) {
  out->reset();
  auto r = client.Get(res, ns, name);
  if (r.ok()) {
    *out = std::move(r.value());
    return true;
  }
  if (kube::IsNotFound(r.error())) return true;
  *error = "reading " + res.GroupResource() + " " + name + ": " + r.error().ToString();
  return false;
}

}  // namespace

Reconciler::Reconciler(ReconcilerDeps deps) : deps_(std::move(deps)) {}

bool Reconciler::WriteStatus(State& s, std::string* error) {
  Status(s.ra)["observedGeneration"] = json::GetInt(s.ra, {"metadata", "generation"}).value_or(0);
  auto r = deps_.client->UpdateStatus(kube::resources::kResponseActions, s.ns, s.ra);
  if (!r.ok()) {
    *error = "updating status: " + r.error().ToString();
    return false;
  }
  s.ra = std::move(r.value());
  return true;
}

void Reconciler::PostEvent(const State& s, const std::string& reason, const std::string& message, bool warning) {
  auto ev = value::object();
  ev["apiVersion"] = value::string("v1");
  ev["kind"] = value::string("Event");
  ev["metadata"] = value::object();
  ev["metadata"]["name"] = value::string(DerivedName(s.name, HashHex(reason + message).substr(0, 10)));
  ev["metadata"]["namespace"] = value::string(s.ns);
  auto obj = value::object();
  obj["apiVersion"] = value::string("riposte.io/v1alpha1");
  obj["kind"] = value::string("ResponseAction");
  obj["name"] = value::string(s.name);
  obj["namespace"] = value::string(s.ns);
  if (auto uid = json::GetString(s.ra, {"metadata", "uid"})) obj["uid"] = value::string(*uid);
  ev["involvedObject"] = obj;
  ev["reason"] = value::string(reason);
  ev["message"] = value::string(Truncate(message, 1024));
  ev["type"] = value::string(warning ? "Warning" : "Normal");
  ev["source"] = value::object();
  ev["source"]["component"] = value::string("riposte-controller");
  ev["firstTimestamp"] = value::string(s.now);
  ev["lastTimestamp"] = value::string(s.now);
  ev["count"] = 1;
  // Best effort: an Event that cannot be written never blocks the response.
  auto r = deps_.client->Create(kube::resources::kEvents, s.ns, ev);
  if (!r.ok() && !kube::IsAlreadyExists(r.error()))
    log::Warn("event not recorded", {{"responseAction", s.name}, {"error", r.error().ToString()}});
}

bool Reconciler::LoadContext(State& s, const value& item, int index, ActionContext* ctx, std::string* error) {
  auto& client = *deps_.client;
  ctx->ns = s.ns;
  ctx->pod_name = json::GetString(s.ra, {"spec", "target", "pod"}).value_or("");
  ctx->response_action_name = s.name;
  ctx->response_action_uid = json::GetString(s.ra, {"metadata", "uid"}).value_or("");
  ctx->params = &item;
  ctx->index = index;
  ctx->now = s.now;
  std::string rule = json::GetString(s.ra, {"spec", "alert", "rule"}).value_or("");
  ctx->message = rule.empty() ? "Riposte response " + s.name + " on pod " + ctx->pod_name
                              : "Falco rule \"" + rule + "\" on pod " + s.ns + "/" + ctx->pod_name +
                                    "; Riposte response " + s.name;
  auto action = deps_.registry->Find(json::GetString(item, {"type"}).value_or(""));
  int needs = action->Requires();
  // The first action reuses the pod read when the response started; later ones read it again
  // (an earlier action may have changed it).
  if (!s.pod_fresh && !Fetch(client, kube::resources::kPods, s.ns, ctx->pod_name, &s.pod, error)) return false;
  s.pod_fresh = false;
  ctx->pod = s.pod ? &*s.pod : nullptr;
  s.owner.reset();
  if ((needs & static_cast<int>(Needs::kOwner)) && s.pod) {
    const auto* refs = json::Find(*s.pod, {"metadata", "ownerReferences"});
    if (refs != nullptr && refs->is_array()) {
      for (const auto& r : refs->as_array()) {
        if (!json::GetBool(r, {"controller"}).value_or(false)) continue;
        const auto* res = OwnerResource(json::GetString(r, {"kind"}).value_or(""));
        auto owner_name = json::GetString(r, {"name"}).value_or("");
        if (res != nullptr && IsDnsSubdomain(owner_name) && !Fetch(client, *res, s.ns, owner_name, &s.owner, error))
          return false;
      }
    }
  }
  ctx->owner = s.owner ? &*s.owner : nullptr;
  s.node.reset();
  if (needs & static_cast<int>(Needs::kNode)) {
    std::string node = s.pod ? json::GetString(*s.pod, {"spec", "nodeName"}).value_or("") : "";
    if (node.empty()) node = json::GetString(s.ra, {"status", "node"}).value_or("");
    if (!node.empty() && IsDnsSubdomain(node) &&
        !Fetch(client, kube::resources::kNodes, "", node, &s.node, error))
      return false;
  }
  ctx->node = s.node ? &*s.node : nullptr;
  s.np.reset();
  if (needs & static_cast<int>(Needs::kNetworkPolicy)) {
    if (!Fetch(client, kube::resources::kNetworkPolicies, s.ns, IsolateAction::PolicyName(s.name), &s.np, error))
      return false;
  }
  ctx->network_policy = s.np ? &*s.np : nullptr;
  return true;
}

ReconcileResult Reconciler::Reconcile(const std::string& key) {
  auto [ns, name] = kube::SplitObjectKey(key);
  auto cached = deps_.get_cached(ns, name);
  if (!cached) return {};
  State s;
  s.ns = ns;
  s.name = name;
  s.ra = *cached;
  s.now = FormatRfc3339(deps_.now());
  const bool deleting = json::Find(s.ra, {"metadata", "deletionTimestamp"}) != nullptr;
  if (deleting) {
    if (!HasFinalizer(s.ra)) return {};
    if (Phase(s.ra) != "Reverted") {
      auto r = Undo(s, true);
      if (r.requeue || !r.error.empty()) return r;
    }
    // Drop our finalizer; Update with resourceVersion so a concurrent change is not lost.
    auto fins = value::array();
    for (const auto& f : json::GetStringList(s.ra, {"metadata", "finalizers"}))
      if (f != kFinalizer) fins[fins.size()] = value::string(f);
    s.ra["metadata"]["finalizers"] = fins;
    auto r = deps_.client->Update(kube::resources::kResponseActions, s.ns, s.ra);
    if (!r.ok() && !kube::IsNotFound(r.error())) return {true, {}, "removing finalizer: " + r.error().ToString()};
    return {};
  }
  std::string phase = Phase(s.ra);
  if (json::GetBool(s.ra, {"spec", "revert"}).value_or(false) && phase != "Reverted") return Undo(s, false);
  if (phase == "Succeeded" || phase == "Failed" || phase == "Reverted") return {};
  return Run(s);
}

ReconcileResult Reconciler::Run(State& s) {
  std::string error;
  // What the schema cannot check: known action types and their parameters, target name.
  std::string invalid;
  auto pod_name = json::GetString(s.ra, {"spec", "target", "pod"}).value_or("");
  const auto* actions = json::Find(s.ra, {"spec", "actions"});
  if (!IsDnsSubdomain(pod_name)) invalid = "spec.target.pod: \"" + Truncate(pod_name, 64) + "\" is not a valid pod name";
  if (invalid.empty() && (actions == nullptr || !actions->is_array() || actions->size() == 0 || actions->size() > 16))
    invalid = "spec.actions: between 1 and 16 actions are required";
  for (size_t i = 0; invalid.empty() && i < actions->size(); ++i) {
    auto type = json::GetString(actions->at(i), {"type"}).value_or("");
    auto action = deps_.registry->Find(type);
    if (action == nullptr) invalid = "spec.actions[" + std::to_string(i) + "].type: unknown action \"" + Truncate(type, 64) + "\"";
    else if (auto err = action->Validate(actions->at(i))) invalid = "spec.actions[" + std::to_string(i) + "]: " + *err;
  }
  if (!invalid.empty()) {
    Status(s.ra)["phase"] = value::string("Failed");
    SetCondition(s.ra, "Invalid", true, "InvalidSpec", invalid, s.now);
    SetCondition(s.ra, "Ready", false, "InvalidSpec", invalid, s.now);
    if (!WriteStatus(s, &error)) return {true, {}, error};
    PostEvent(s, "InvalidSpec", invalid, true);
    log::Warn("response action invalid", {{"responseAction", s.name}, {"namespace", s.ns}, {"error", invalid}});
    return {};
  }
  // Hand-made ResponseActions get the undo finalizer before anything is changed.
  if (!HasFinalizer(s.ra)) {
    auto& md = s.ra["metadata"];
    if (!md.has_field("finalizers") || !md["finalizers"].is_array()) md["finalizers"] = value::array();
    md["finalizers"][md["finalizers"].size()] = value::string(kFinalizer);
    auto r = deps_.client->Update(kube::resources::kResponseActions, s.ns, s.ra);
    if (!r.ok()) return {true, {}, "adding finalizer: " + r.error().ToString()};
    s.ra = std::move(r.value());
    actions = json::Find(s.ra, {"spec", "actions"});  // s.ra was replaced
  }
  const bool dry_run = json::GetBool(s.ra, {"spec", "dryRun"}).value_or(false);
  auto& status = Status(s.ra);
  if (Phase(s.ra).empty() || Phase(s.ra) == "Pending") {
    status["phase"] = value::string("Running");
    status["startTime"] = value::string(s.now);
    auto results = value::array();
    for (size_t i = 0; i < actions->size(); ++i) {
      auto r = value::object();
      r["index"] = static_cast<int>(i);
      r["type"] = actions->at(i).at("type");
      r["state"] = value::string("Pending");
      r["attempts"] = 0;
      results[i] = r;
    }
    status["results"] = results;
    // Remember the node now: after a terminate the pod (and its nodeName) is gone.
    if (!Fetch(*deps_.client, kube::resources::kPods, s.ns, pod_name, &s.pod, &error)) return {true, {}, error};
    s.pod_fresh = true;
    if (s.pod) {
      auto node = json::GetString(*s.pod, {"spec", "nodeName"}).value_or("");
      if (!node.empty()) status["node"] = value::string(node);
    }
    SetCondition(s.ra, "Ready", false, "Running", "actions in progress", s.now);
    // Not written yet: the first action's status write (its intent, or its dry-run/skip
    // result) carries it, before any side effect, one API round trip sooner.
    log::Info("response started", {{"responseAction", s.name}, {"namespace", s.ns}, {"pod", pod_name},
                                   {"alert", json::GetString(s.ra, {"metadata", "annotations", kAnnotationAlertUuid}).value_or("")}});
  }
  const std::string alert_id = json::GetString(s.ra, {"metadata", "annotations", kAnnotationAlertUuid}).value_or("");
  // A copy: every status write replaces s.ra.
  const value spec_actions = *json::Find(s.ra, {"spec", "actions"});
  for (size_t i = 0; i < spec_actions.size(); ++i) {
    const value item = spec_actions.at(i);
    const std::string type = json::GetString(item, {"type"}).value_or("");
    auto& result = Status(s.ra)["results"][i];
    const std::string state = json::GetString(result, {"state"}).value_or("Pending");
    if (state == "Succeeded" || state == "Skipped" || state == "DryRun") continue;
    auto action = deps_.registry->Find(type);
    ActionContext ctx;
    if (!LoadContext(s, item, static_cast<int>(i), &ctx, &error)) return {true, {}, error};
    Plan plan = action->Build(ctx);
    auto& res = Status(s.ra)["results"][i];
    if (!res.has_field("startTime")) res["startTime"] = value::string(s.now);
    if (dry_run || plan.skipped) {
      std::string msg = plan.message;
      if (dry_run && !plan.skipped) {
        msg = "dry run; would: ";
        for (size_t k = 0; k < plan.requests.size(); ++k) msg += (k ? ", " : "") + plan.requests[k].Describe();
        if (plan.requests.empty()) msg += "nothing (" + plan.message + ")";
      }
      res["state"] = value::string(dry_run ? "DryRun" : "Skipped");
      res["message"] = value::string(Truncate(msg));
      res["completionTime"] = value::string(s.now);
      if (!WriteStatus(s, &error)) return {true, {}, error};
      if (deps_.on_action) deps_.on_action(type, dry_run ? "dry_run" : "skipped", std::nullopt);
      continue;
    }
    // Durable intent before side effects: attempts and what undo must restore.
    int attempts = static_cast<int>(json::GetInt(res, {"attempts"}).value_or(0)) + 1;
    res["attempts"] = attempts;
    res["state"] = value::string("Running");
    if (!res.has_field("undo") && !plan.undo.is_null()) res["undo"] = plan.undo;
    res["message"] = value::string(Truncate(plan.message));
    if (!WriteStatus(s, &error)) return {true, {}, error};
    for (const auto& req : plan.requests) {
      auto err = Execute(*deps_.client, req);
      if (!err) continue;
      auto& r2 = Status(s.ra)["results"][i];
      bool retry = (err->Retryable() || kube::IsConflict(*err)) && attempts < deps_.max_attempts;
      r2["message"] = value::string(Truncate(req.Describe() + ": " + err->ToString()));
      log::Warn("action attempt failed", {{"responseAction", s.name}, {"namespace", s.ns}, {"alert", alert_id},
                                          {"action", type}, {"attempt", std::to_string(attempts)},
                                          {"retry", retry ? "true" : "false"}, {"error", err->ToString()}});
      if (retry) {
        std::string werr;
        WriteStatus(s, &werr);  // best effort: the message shows why it is waiting
        if (deps_.on_action) deps_.on_action(type, "retry", std::nullopt);
        return {true, {}, err->ToString()};
      }
      r2["state"] = value::string("Failed");
      r2["completionTime"] = value::string(s.now);
      Status(s.ra)["phase"] = value::string("Failed");
      Status(s.ra)["completionTime"] = value::string(s.now);
      SetCondition(s.ra, "Ready", false, "ActionFailed", type + ": " + err->ToString(), s.now);
      if (!WriteStatus(s, &error)) return {true, {}, error};
      if (deps_.on_action) deps_.on_action(type, "failed", std::nullopt);
      PostEvent(s, "ResponseFailed", "action " + type + " failed: " + err->ToString(), true);
      return {};
    }
    auto& done = Status(s.ra)["results"][i];
    done["state"] = value::string("Succeeded");
    done["completionTime"] = value::string(s.now);
    if (!WriteStatus(s, &error)) return {true, {}, error};
    std::optional<double> latency;
    if (auto recv = json::GetString(s.ra, {"metadata", "annotations", kAnnotationReceivedAt})) {
      if (auto t = ParseRfc3339(*recv))
        latency = std::chrono::duration<double>(deps_.now() - *t).count();
    }
    if (deps_.on_action) deps_.on_action(type, "succeeded", i == 0 ? latency : std::nullopt);
    log::Info("action succeeded", {{"responseAction", s.name}, {"namespace", s.ns}, {"alert", alert_id},
                                   {"action", type}, {"message", plan.message}});
  }
  Status(s.ra)["phase"] = value::string("Succeeded");
  Status(s.ra)["completionTime"] = value::string(s.now);
  SetCondition(s.ra, "Ready", true, dry_run ? "DryRun" : "Succeeded",
               dry_run ? "dry run recorded what would be done" : "all actions done", s.now);
  if (!WriteStatus(s, &error)) return {true, {}, error};
  PostEvent(s, dry_run ? "ResponseDryRun" : "ResponseSucceeded",
            std::string(dry_run ? "dry run of " : "") + std::to_string(spec_actions.size()) + " action(s) on pod " + pod_name,
            false);
  log::Info("response finished", {{"responseAction", s.name}, {"namespace", s.ns}, {"alert", alert_id},
                                  {"phase", "Succeeded"}});
  return {};
}

ReconcileResult Reconciler::Undo(State& s, bool deleting) {
  std::string error;
  // Copies: every status write replaces s.ra.
  const value* found = json::Find(s.ra, {"spec", "actions"});
  const value actions_copy = found != nullptr ? *found : value::array();
  const value* actions = &actions_copy;
  const value* results_found = json::Find(s.ra, {"status", "results"});
  const size_t result_count = results_found != nullptr && results_found->is_array() ? results_found->size() : 0;
  if (actions->is_array()) {
    for (size_t k = result_count; k-- > 0;) {
      auto& res = Status(s.ra)["results"][k];
      auto state = json::GetString(res, {"state"}).value_or("");
      // Running: the action may have partly happened before a crash, so undo it too.
      if (state != "Succeeded" && state != "Running") continue;
      auto idx = static_cast<size_t>(json::GetInt(res, {"index"}).value_or(static_cast<int64_t>(k)));
      if (idx >= actions->size()) continue;
      const value item = actions->at(idx);
      auto action = deps_.registry->Find(json::GetString(item, {"type"}).value_or(""));
      if (action == nullptr || !action->Reversible()) continue;
      ActionContext ctx;
      if (!LoadContext(s, item, static_cast<int>(idx), &ctx, &error)) return {true, {}, error};
      const value undo = res.has_field("undo") ? res["undo"] : value::object();
      Plan plan = action->Undo(ctx, undo);
      for (const auto& req : plan.requests) {
        auto err = Execute(*deps_.client, req);
        if (!err) continue;
        if (err->Retryable() || kube::IsConflict(*err)) return {true, {}, "undo " + req.Describe() + ": " + err->ToString()};
        // A terminal error must not keep a deletion blocked forever: record and go on.
        plan.message = "undo failed: " + req.Describe() + ": " + err->ToString();
        break;
      }
      auto& r2 = Status(s.ra)["results"][k];
      r2["state"] = value::string("Reverted");
      r2["message"] = value::string(Truncate(plan.message));
      r2["completionTime"] = value::string(s.now);
      if (deps_.on_action) deps_.on_action(action->Name(), "reverted", std::nullopt);
      if (!deleting && !WriteStatus(s, &error)) return {true, {}, error};
    }
  }
  if (deleting) return {};
  Status(s.ra)["phase"] = value::string("Reverted");
  Status(s.ra)["completionTime"] = value::string(s.now);
  SetCondition(s.ra, "Ready", true, "Reverted", "reversible actions undone; see docs/actions.md for what cannot be", s.now);
  if (!WriteStatus(s, &error)) return {true, {}, error};
  PostEvent(s, "ResponseReverted", "reversible actions of " + s.name + " undone", false);
  log::Info("response reverted", {{"responseAction", s.name}, {"namespace", s.ns}});
  return {};
}

}  // namespace riposte::controller
