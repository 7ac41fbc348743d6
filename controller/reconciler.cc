#include "controller/reconciler.h"

#include "common/json_value.h"
#include "common/log.h"
#include <algorithm>

#include "controller/actions/in_container.h"
#include "controller/actions/isolate.h"
#include "controller/alert.h"
#include "controller/codec.h"
#include "controller/executor.h"
#include "controller/names.h"
#include "kube/informer.h"

namespace riposte::controller {

using web::json::value;

struct Reconciler::State {
  ResponseAction ra;
  json::Errors spec_errors;
  std::vector<ActionParamsPtr> params;  // per spec.actions item; null when invalid
  // Objects read for the current action; ActionContext points into these.
  std::optional<value> pod, owner, node, np;
  bool pod_fresh = false;  // `pod` was read in this pass and nothing has changed it since
  bool dirty = false;      // status changed since the last write
  std::string now;

  const std::string& ns() const { return ra.metadata.ns; }
  const std::string& name() const { return ra.metadata.name; }
  std::string alert_id() const {
    auto it = ra.metadata.annotations.find(kAnnotationAlertUuid);
    return it == ra.metadata.annotations.end() ? "" : it->second;
  }
};

namespace {

std::string Truncate(std::string s, size_t max = 4096) {
  if (s.size() > max) s.resize(max);
  return s;
}

Condition MakeCondition(const std::string& type, bool status, const std::string& reason, const std::string& message,
                        const std::string& now, int64_t generation) {
  return Condition{type, status, reason, Truncate(message, 1024), now, generation};
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

bool Done(ResultState s) {
  return s == ResultState::kSucceeded || s == ResultState::kSkipped || s == ResultState::kDryRun;
}

ReconcileResult Stopped() {
  ReconcileResult r;
  r.stopped = true;
  r.error = "no longer allowed to act (leadership lost or stopping)";
  return r;
}

ReconcileResult Retry(std::string error) {
  ReconcileResult r;
  r.requeue = true;
  r.error = std::move(error);
  return r;
}

}  // namespace

Reconciler::Reconciler(ReconcilerDeps deps) : deps_(std::move(deps)) {}

bool Reconciler::WriteStatus(State& s, std::string* error) {
  if (!MayAct()) {
    *error = "no longer allowed to act";
    return false;
  }
  s.ra.status.observed_generation = s.ra.metadata.generation;
  auto r = deps_.client->UpdateStatus(kube::resources::kResponseActions, s.ns(), EncodeStatusUpdate(s.ra));
  if (!r.ok()) {
    *error = "updating status: " + r.error().ToString();
    return false;
  }
  s.ra.raw = std::move(r.value());
  s.ra.metadata.resource_version = json::GetString(s.ra.raw, {"metadata", "resourceVersion"}).value_or("");
  s.dirty = false;
  if (deps_.on_written) deps_.on_written(s.ra.raw);
  return true;
}

void Reconciler::PostEvent(const State& s, const std::string& reason, const std::string& message, bool warning) {
  if (!MayAct()) return;
  EventRecord e;
  e.ns = s.ns();
  e.name = DerivedName(s.name(), HashHex(reason + message).substr(0, 10));
  e.involved_api_version = "riposte.io/v1alpha1";
  e.involved_kind = "ResponseAction";
  e.involved_name = s.name();
  e.involved_uid = s.ra.metadata.uid;
  e.reason = reason;
  e.message = message;
  e.type = warning ? "Warning" : "Normal";
  e.time = s.now;
  // Best effort: an Event that cannot be written never blocks the response.
  if (auto err = Execute(*deps_.client, CreateEvent{std::move(e)}))
    log::Warn("event not recorded", {{"responseAction", s.name()}, {"error", err->ToString()}});
}

InContainerEnv Reconciler::Env() const {
  InContainerEnv env;
  env.client = deps_.client.get();
  env.exec_timeout = deps_.exec_timeout;
  env.now = deps_.now;
  return env;
}

bool Reconciler::LoadContext(State& s, size_t index, ActionContext* ctx, std::string* error) {
  auto& client = *deps_.client;
  const auto& item = s.ra.spec.actions[index];
  ctx->ns = s.ns();
  ctx->pod_name = s.ra.spec.target.pod;
  ctx->response_action_name = s.name();
  ctx->response_action_uid = s.ra.metadata.uid;
  ctx->params = s.params[index].get();
  ctx->index = static_cast<int>(index);
  ctx->now = s.now;
  ctx->container = s.ra.spec.target.container;
  ctx->alert = s.ra.spec.alert ? &*s.ra.spec.alert : nullptr;
  const std::string rule = s.ra.spec.alert ? s.ra.spec.alert->rule : "";
  ctx->message = rule.empty() ? "Riposte response " + s.name() + " on pod " + ctx->pod_name
                              : "Falco rule \"" + rule + "\" on pod " + s.ns() + "/" + ctx->pod_name +
                                    "; Riposte response " + s.name();
  const int needs = deps_.registry->Find(item.type)->Requires();
  // The first action reuses the pod read when the response started; later ones read it again
  // (an earlier action may have changed it).
  if (!s.pod_fresh && !Fetch(client, kube::resources::kPods, s.ns(), ctx->pod_name, &s.pod, error)) return false;
  s.pod_fresh = false;
  ctx->pod = s.pod ? &*s.pod : nullptr;
  s.owner.reset();
  if ((needs & static_cast<int>(Needs::kOwner)) && s.pod) {
    std::string kind, owner_name;
    json::Reader(*s.pod).At({"metadata", "ownerReferences"}).Items([&](const json::Reader& r) {
      if (kind.empty() && r["controller"].BoolOr(false)) {
        kind = r["kind"].StringOr("");
        owner_name = r["name"].StringOr("");
      }
    });
    const auto* res = OwnerResource(kind);
    if (res != nullptr && IsDnsSubdomain(owner_name) && !Fetch(client, *res, s.ns(), owner_name, &s.owner, error))
      return false;
  }
  ctx->owner = s.owner ? &*s.owner : nullptr;
  s.node.reset();
  if (needs & static_cast<int>(Needs::kNode)) {
    std::string node = s.pod ? json::GetString(*s.pod, {"spec", "nodeName"}).value_or("") : "";
    if (node.empty()) node = s.ra.status.node;
    if (!node.empty() && IsDnsSubdomain(node) && !Fetch(client, kube::resources::kNodes, "", node, &s.node, error))
      return false;
  }
  ctx->node = s.node ? &*s.node : nullptr;
  s.np.reset();
  if ((needs & static_cast<int>(Needs::kNetworkPolicy)) &&
      !Fetch(client, kube::resources::kNetworkPolicies, s.ns(), IsolateAction::PolicyName(s.name()), &s.np, error))
    return false;
  ctx->network_policy = s.np ? &*s.np : nullptr;
  return true;
}

ReconcileResult Reconciler::Reconcile(const std::string& key) {
  auto [ns, name] = kube::SplitObjectKey(key);
  auto cached = deps_.get_cached(ns, name);
  if (!cached) return {};
  State s;
  DecodeResponseAction(*cached, &s.ra, &s.spec_errors);
  s.now = FormatRfc3339(deps_.now());
  // Every action's parameters, decoded once (problems join the spec errors).
  for (size_t i = 0; i < s.ra.spec.actions.size(); ++i) {
    auto action = deps_.registry->Find(s.ra.spec.actions[i].type);
    s.params.push_back(action ? action->Decode(json::Reader(s.ra.spec.actions[i].item, &s.spec_errors,
                                                            "spec.actions[" + std::to_string(i) + "]"))
                              : nullptr);
  }
  const Phase phase = s.ra.status.phase;
  if (s.ra.metadata.deleting) {
    if (!s.ra.metadata.HasFinalizer(kFinalizer)) return {};
    if (phase != Phase::kReverted) {
      auto r = Undo(s, true);
      if (r.requeue || r.stopped || !r.error.empty()) return r;
    }
    return RemoveFinalizer(s);
  }
  if (s.ra.spec.revert && phase != Phase::kReverted) return Undo(s, false);
  if (phase == Phase::kSucceeded || phase == Phase::kFailed || phase == Phase::kReverted) return {};
  return Run(s);
}

ReconcileResult Reconciler::RemoveFinalizer(State& s) {
  if (!MayAct()) return Stopped();
  std::vector<std::string> keep;
  for (const auto& f : s.ra.metadata.finalizers)
    if (f != kFinalizer) keep.push_back(f);
  // resourceVersion as a precondition, so a finalizer added meanwhile is not dropped.
  auto patch = value::object();
  patch["metadata"] = value::object();
  patch["metadata"]["resourceVersion"] = value::string(s.ra.metadata.resource_version);
  patch["metadata"]["finalizers"] = json::FromList(keep);
  auto r = deps_.client->Patch(kube::resources::kResponseActions, s.ns(), s.name(), patch);
  if (!r.ok() && !kube::IsNotFound(r.error())) return Retry("removing finalizer: " + r.error().ToString());
  return {};
}

ReconcileResult Reconciler::Run(State& s) {
  std::string error;
  auto& st = s.ra.status;
  const auto& spec = s.ra.spec;
  const int64_t gen = s.ra.metadata.generation;
  // What the schema cannot check: known action types and their parameters, target name.
  std::string invalid;
  if (!IsDnsSubdomain(spec.target.pod))
    invalid = "spec.target.pod: \"" + Truncate(spec.target.pod, 64) + "\" is not a valid pod name";
  else if (spec.actions.empty() || spec.actions.size() > 16)
    invalid = "spec.actions: between 1 and 16 actions are required";
  for (size_t i = 0; invalid.empty() && i < spec.actions.size(); ++i)
    if (deps_.registry->Find(spec.actions[i].type) == nullptr)
      invalid = "spec.actions[" + std::to_string(i) + "].type: unknown action \"" + Truncate(spec.actions[i].type, 64) + "\"";
  if (invalid.empty() && !s.spec_errors.empty()) invalid = s.spec_errors.Join();
  if (!invalid.empty()) {
    st.phase = Phase::kFailed;
    SetCondition(st.conditions, MakeCondition("Invalid", true, "InvalidSpec", invalid, s.now, gen));
    SetCondition(st.conditions, MakeCondition("Ready", false, "InvalidSpec", invalid, s.now, gen));
    if (!WriteStatus(s, &error)) return MayAct() ? Retry(error) : Stopped();
    PostEvent(s, "InvalidSpec", invalid, true);
    log::Warn("response action invalid", {{"responseAction", s.name()}, {"namespace", s.ns()}, {"error", invalid}});
    return {};
  }
  // Hand-made ResponseActions get the undo finalizer before anything is changed.
  if (!s.ra.metadata.HasFinalizer(kFinalizer)) {
    if (!MayAct()) return Stopped();
    auto fins = s.ra.metadata.finalizers;
    fins.push_back(kFinalizer);
    auto patch = value::object();
    patch["metadata"] = value::object();
    patch["metadata"]["resourceVersion"] = value::string(s.ra.metadata.resource_version);
    patch["metadata"]["finalizers"] = json::FromList(fins);
    auto r = deps_.client->Patch(kube::resources::kResponseActions, s.ns(), s.name(), patch);
    if (!r.ok()) return Retry("adding finalizer: " + r.error().ToString());
    s.ra.raw = std::move(r.value());
    s.ra.metadata.finalizers = std::move(fins);
    s.ra.metadata.resource_version = json::GetString(s.ra.raw, {"metadata", "resourceVersion"}).value_or("");
    if (deps_.on_written) deps_.on_written(s.ra.raw);
  }
  const bool dry_run = spec.dry_run;
  if (st.phase == Phase::kPending) {
    st.phase = Phase::kRunning;
    st.start_time = s.now;
    // Remember the node now: after a terminate the pod (and its nodeName) is gone. The read
    // made while the ResponseAction was being created saves a round trip.
    auto pre = deps_.prefetched_pod ? deps_.prefetched_pod(s.ns(), spec.target.pod) : std::nullopt;
    if (pre) s.pod = std::move(*pre);
    else if (!Fetch(*deps_.client, kube::resources::kPods, s.ns(), spec.target.pod, &s.pod, &error)) return Retry(error);
    s.pod_fresh = true;
    if (s.pod) st.node = json::GetString(*s.pod, {"spec", "nodeName"}).value_or(st.node);
    SetCondition(st.conditions, MakeCondition("Ready", false, "Running", "actions in progress", s.now, gen));
    // Not written: the first result carries it.
    s.dirty = true;
    log::Info("response started", {{"responseAction", s.name()}, {"namespace", s.ns()}, {"pod", spec.target.pod},
                                   {"alert", s.alert_id()}});
  }
  // One result per action, in order (a status written by hand may hold fewer or others).
  if (st.results.size() != spec.actions.size()) {
    std::vector<ActionResult> results(spec.actions.size());
    for (size_t i = 0; i < results.size(); ++i) {
      if (i < st.results.size() && st.results[i].type == spec.actions[i].type) results[i] = st.results[i];
      results[i].index = static_cast<int64_t>(i);
      results[i].type = spec.actions[i].type;
    }
    st.results = std::move(results);
    s.dirty = true;
  }
  const std::string alert_id = s.alert_id();
  bool latency_reported = false;
  for (size_t i = 0; i < spec.actions.size(); ++i) {
    auto& res = st.results[i];
    if (Done(res.state)) continue;
    const std::string& type = spec.actions[i].type;
    auto action = deps_.registry->Find(type);
    ActionContext ctx;
    if (!LoadContext(s, i, &ctx, &error)) return Retry(error);
    Plan plan = action->Build(ctx);
    if (res.start_time.empty()) res.start_time = s.now;
    if (res.undo.is_null() && !plan.undo.is_null()) res.undo = plan.undo;
    const auto* in_container = dynamic_cast<const InContainerAction*>(action.get());
    // A step left pending by an earlier Run is finished from its record even where the checks
    // made before its side effect would now refuse (a restarted container no longer has the
    // alert's container.id).
    const bool resuming = in_container != nullptr && res.state == ResultState::kRunning && PendingStep(res.undo);
    if (in_container != nullptr && !dry_run && (!plan.skipped || resuming)) {
      // Steps that depend on what the container answers: run now, record the outcome.
      if (s.dirty && i > 0 && !WriteStatus(s, &error)) return MayAct() ? Retry(error) : Stopped();
      if (!MayAct()) return Stopped();
      InContainerEnv env = Env();
      env.previous = res.undo;
      Outcome out = in_container->Run(env, ctx);
      if (!out.record.is_null()) res.undo = out.record;
      res.message = Truncate(out.message);
      s.dirty = true;
      if (out.state == Outcome::State::kWaiting) {
        // Started and resumable from the record (e.g. KILL due after a grace period): make
        // that durable and free the worker; resuming is not a new attempt.
        res.state = ResultState::kRunning;
        if (!WriteStatus(s, &error)) return MayAct() ? Retry(error) : Stopped();
        ReconcileResult waiting;
        waiting.requeue = true;
        waiting.after = std::max(out.after, std::chrono::milliseconds(1));
        return waiting;
      }
      res.attempts += 1;
      if (out.state == Outcome::State::kRetry && res.attempts < deps_.max_attempts) {
        res.state = ResultState::kRunning;
        std::string werr;
        WriteStatus(s, &werr);
        if (deps_.on_action) deps_.on_action(type, "retry", std::nullopt);
        return Retry(type + ": " + out.message);
      }
      if (out.state == Outcome::State::kSucceeded || out.state == Outcome::State::kSkipped) {
        const bool ok = out.state == Outcome::State::kSucceeded;
        res.state = ok ? ResultState::kSucceeded : ResultState::kSkipped;
        res.completion_time = s.now;
        if (deps_.on_action) deps_.on_action(type, ok ? "succeeded" : "skipped", std::nullopt);
        log::Info(ok ? "action succeeded" : "action skipped", {{"responseAction", s.name()}, {"namespace", s.ns()},
                                                              {"alert", alert_id}, {"action", type}, {"message", out.message}});
        continue;
      }
      res.state = ResultState::kFailed;
      res.completion_time = s.now;
      st.phase = Phase::kFailed;
      st.completion_time = s.now;
      SetCondition(st.conditions, MakeCondition("Ready", false, "ActionFailed", type + ": " + out.message, s.now, gen));
      if (!WriteStatus(s, &error)) return MayAct() ? Retry(error) : Stopped();
      if (deps_.on_action) deps_.on_action(type, "failed", std::nullopt);
      PostEvent(s, "ResponseFailed", "action " + type + " failed: " + out.message, true);
      return {};
    }
    if (dry_run || plan.skipped || plan.requests.empty()) {
      std::string msg = plan.message;
      if (dry_run && !plan.skipped) {
        msg = "dry run; would: ";
        for (size_t k = 0; k < plan.requests.size(); ++k) msg += (k ? ", " : "") + Describe(plan.requests[k]);
        if (in_container != nullptr) msg += plan.message;
        else if (plan.requests.empty()) msg += "nothing (" + plan.message + ")";
      }
      res.state = dry_run ? ResultState::kDryRun : plan.skipped ? ResultState::kSkipped : ResultState::kSucceeded;
      res.message = Truncate(msg);
      res.completion_time = s.now;
      if (!dry_run && !plan.skipped) res.attempts += 1;
      s.dirty = true;
      if (deps_.on_action) deps_.on_action(type, dry_run ? "dry_run" : plan.skipped ? "skipped" : "succeeded", std::nullopt);
      continue;
    }
    // Results so far become durable before the next side effect, in one write.
    if (s.dirty && i > 0 && !WriteStatus(s, &error)) return MayAct() ? Retry(error) : Stopped();
    if (!MayAct()) return Stopped();
    const int64_t attempts = res.attempts + 1;
    res.attempts = attempts;
    res.message = Truncate(plan.message);
    s.dirty = true;
    for (const auto& req : plan.requests) {
      if (!MayAct()) return Stopped();
      auto err = Execute(*deps_.client, req);
      if (!err) continue;
      const bool retry = (err->Retryable() || kube::IsConflict(*err)) && attempts < deps_.max_attempts;
      res.message = Truncate(Describe(req) + ": " + err->ToString());
      log::Warn("action attempt failed", {{"responseAction", s.name()}, {"namespace", s.ns()}, {"alert", alert_id},
                                          {"action", type}, {"attempt", std::to_string(attempts)},
                                          {"retry", retry ? "true" : "false"}, {"error", err->ToString()}});
      if (retry) {
        res.state = ResultState::kRunning;
        std::string werr;
        WriteStatus(s, &werr);  // best effort: the message shows why it is waiting
        if (deps_.on_action) deps_.on_action(type, "retry", std::nullopt);
        return Retry(err->ToString());
      }
      res.state = ResultState::kFailed;
      res.completion_time = s.now;
      st.phase = Phase::kFailed;
      st.completion_time = s.now;
      SetCondition(st.conditions, MakeCondition("Ready", false, "ActionFailed", type + ": " + err->ToString(), s.now, gen));
      if (!WriteStatus(s, &error)) return MayAct() ? Retry(error) : Stopped();
      if (deps_.on_action) deps_.on_action(type, "failed", std::nullopt);
      PostEvent(s, "ResponseFailed", "action " + type + " failed: " + err->ToString(), true);
      return {};
    }
    res.state = ResultState::kSucceeded;
    res.completion_time = s.now;
    std::optional<double> latency;
    if (!latency_reported) {
      auto recv = s.ra.metadata.annotations.find(kAnnotationReceivedAt);
      if (recv != s.ra.metadata.annotations.end()) {
        if (auto t = ParseRfc3339(recv->second)) latency = std::chrono::duration<double>(deps_.now() - *t).count();
      }
      latency_reported = true;
    }
    if (deps_.on_action) deps_.on_action(type, "succeeded", latency);
    log::Info("action succeeded", {{"responseAction", s.name()}, {"namespace", s.ns()}, {"alert", alert_id},
                                   {"action", type}, {"message", plan.message}});
  }
  st.phase = Phase::kSucceeded;
  st.completion_time = s.now;
  SetCondition(st.conditions, MakeCondition("Ready", true, dry_run ? "DryRun" : "Succeeded",
                                            dry_run ? "dry run recorded what would be done" : "all actions done", s.now, gen));
  if (!WriteStatus(s, &error)) return MayAct() ? Retry(error) : Stopped();
  PostEvent(s, dry_run ? "ResponseDryRun" : "ResponseSucceeded",
            std::string(dry_run ? "dry run of " : "") + std::to_string(spec.actions.size()) + " action(s) on pod " +
                spec.target.pod,
            false);
  log::Info("response finished", {{"responseAction", s.name()}, {"namespace", s.ns()}, {"alert", alert_id},
                                  {"phase", "Succeeded"}});
  return {};
}

ReconcileResult Reconciler::Undo(State& s, bool deleting) {
  std::string error;
  auto& st = s.ra.status;
  const auto& actions = s.ra.spec.actions;
  // Every action, last first, whatever its recorded state: one that ran may not have had its
  // result written (the record of what to restore is on the object it changed), and each
  // Undo checks current state first.
  for (size_t k = actions.size(); k-- > 0;) {
    const ActionResult* recorded = k < st.results.size() && st.results[k].type == actions[k].type ? &st.results[k] : nullptr;
    const ResultState state = recorded ? recorded->state : ResultState::kPending;
    if (state == ResultState::kDryRun || state == ResultState::kSkipped || state == ResultState::kReverted) continue;
    auto action = deps_.registry->Find(actions[k].type);
    if (action == nullptr || !action->Reversible() || s.params[k] == nullptr) continue;
    ActionContext ctx;
    if (!LoadContext(s, k, &ctx, &error)) return Retry(error);
    Plan plan = action->Undo(ctx, recorded ? recorded->undo : value());
    if (const auto* in_container = dynamic_cast<const InContainerAction*>(action.get())) {
      if (!MayAct()) return Stopped();
      Outcome out = in_container->Revert(Env(), ctx, recorded ? recorded->undo : value());
      if (out.state == Outcome::State::kRetry) return Retry("undo " + action->Name() + ": " + out.message);
      plan.message = out.message;
    }
    for (const auto& req : plan.requests) {
      if (!MayAct()) return Stopped();
      auto err = Execute(*deps_.client, req);
      if (!err) continue;
      if (err->Retryable() || kube::IsConflict(*err)) return Retry("undo " + Describe(req) + ": " + err->ToString());
      // A terminal error must not keep a deletion blocked forever: record and go on.
      plan.message = "undo failed: " + Describe(req) + ": " + err->ToString();
      break;
    }
    if (deps_.on_action) deps_.on_action(action->Name(), "reverted", std::nullopt);
    if (deleting) continue;
    if (st.results.size() != actions.size()) st.results.resize(actions.size());
    auto& res = st.results[k];
    res.index = static_cast<int64_t>(k);
    res.type = actions[k].type;
    res.state = ResultState::kReverted;
    res.message = Truncate(plan.message);
    res.completion_time = s.now;
  }
  if (deleting) return {};
  st.phase = Phase::kReverted;
  st.completion_time = s.now;
  SetCondition(st.conditions, MakeCondition("Ready", true, "Reverted",
                                            "reversible actions undone; see docs/actions.md for what cannot be", s.now,
                                            s.ra.metadata.generation));
  if (!WriteStatus(s, &error)) return MayAct() ? Retry(error) : Stopped();
  PostEvent(s, "ResponseReverted", "reversible actions of " + s.name() + " undone", false);
  log::Info("response reverted", {{"responseAction", s.name()}, {"namespace", s.ns()}});
  return {};
}

}  // namespace riposte::controller
