#include "controller/controller.h"

#include <unistd.h>

#include <random>

#include "common/json_value.h"
#include "common/log.h"
#include "controller/codec.h"
#include "controller/names.h"
#include "controller/response_action.h"
#include "kube/rate_limit.h"

namespace riposte::controller {

using web::json::value;

RecordOutcome KubeResponseRecorder::Create(const std::string& ns, const value& ra, std::string* message) {
  if (on_creating_) on_creating_(ns, json::GetString(ra, {"spec", "target", "pod"}).value_or(""));
  auto r = client_->Create(kube::resources::kResponseActions, ns, ra);
  if (r.ok()) {
    if (on_created_) on_created_(std::move(r.value()));
    return RecordOutcome::kCreated;
  }
  if (kube::IsAlreadyExists(r.error())) return RecordOutcome::kAlreadyExists;
  *message = r.error().ToString();
  return r.error().Retryable() ? RecordOutcome::kUnavailable : RecordOutcome::kRejected;
}

namespace {

std::string DefaultIdentity() {
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) != 0) std::snprintf(host, sizeof host, "riposte");
  std::random_device rd;
  return std::string(host) + "-" + HashHex(std::to_string(rd()) + std::to_string(getpid())).substr(0, 8);
}

std::string Name(const kube::ObjectPtr& obj) { return json::GetString(*obj, {"metadata", "name"}).value_or(""); }

}  // namespace

ResponseController::ResponseController(kube::KubeClientPtr client, ControllerOptions opts)
    : client_(std::move(client)), opts_(std::move(opts)) {
  if (opts_.identity.empty()) opts_.identity = DefaultIdentity();
  if (!opts_.clock) opts_.clock = kube::DefaultClock();
  GuardConfig gc;
  gc.protected_namespaces = opts_.protected_namespaces;
  gc.protected_namespaces.insert(opts_.own_namespace);
  gc.max_destructive_per_minute = opts_.max_destructive_per_minute;
  guards_ = std::make_unique<Guards>(gc);

  factory_ = std::make_unique<kube::SharedInformerFactory>(client_);
  // The caches keep what the controller reads (docs/controller.md, "Memory"): no
  // managedFields (informer default) nor kubectl's last-applied copy; of a Namespace, its
  // labels (policy namespaceSelectors) and identity.
  policies_inf_ = factory_->For(kube::resources::kResponsePolicies, "", kube::DropLastApplied);
  actions_inf_ = factory_->For(kube::resources::kResponseActions, "", kube::DropLastApplied);
  namespaces_inf_ = factory_->For(kube::resources::kNamespaces, "", kube::KeepIdentityAndLabels);
  policies_inf_->AddEventHandler({[this](const kube::ObjectPtr& o) { OnPolicy(o); },
                                  [this](const kube::ObjectPtr&, const kube::ObjectPtr& o) { OnPolicy(o); },
                                  [this](const kube::ObjectPtr& o, bool) { OnPolicyDeleted(o); }});
  actions_inf_->AddEventHandler({[this](const kube::ObjectPtr& o) { OnResponseAction(o); },
                                 [this](const kube::ObjectPtr&, const kube::ObjectPtr& o) { OnResponseAction(o); },
                                 [this](const kube::ObjectPtr& o, bool) {
                                   const auto key = kube::ObjectKey(*o);
                                   recent_.Forget(key);
                                   queue_->Add(key);
                                 }});

  queue_ = std::make_shared<kube::WorkQueue>(opts_.clock, kube::DefaultControllerRateLimiter());
  policy_queue_ = std::make_shared<kube::WorkQueue>(opts_.clock, kube::DefaultControllerRateLimiter());
  metrics_.SetQueueDepth([q = queue_] { return q->Len() + q->DelayedLen(); });

  kube::LeaderElectionConfig le;
  le.lease_namespace = opts_.own_namespace;
  le.lease_name = opts_.lease_name;
  le.identity = opts_.identity;
  le.lease_duration = opts_.lease_duration;
  le.renew_deadline = opts_.renew_deadline;
  le.retry_period = opts_.retry_period;
  le.on_started_leading = [this] { OnStartedLeading(); };
  le.on_stopped_leading = [this] { OnStoppedLeading(); };
  elector_ = std::make_unique<kube::LeaderElector>(opts_.election_client ? opts_.election_client : client_, le,
                                                   opts_.clock);
  metrics_.SetLeader([this] { return elector_->IsLeader(); });

  prefetch_ = std::make_unique<PodPrefetcher>(
      [client = client_](const std::string& ns, const std::string& name) {
        return client->Get(kube::resources::kPods, ns, name);
      },
      opts_.clock);

  ReconcilerDeps rd;
  rd.client = client_;
  rd.prefetched_pod = [this](const std::string& ns, const std::string& pod) {
    return prefetch_->Take(ns, pod, std::chrono::seconds(10));
  };
  rd.get_cached = [this](const std::string& ns, const std::string& name) {
    return recent_.Newest(kube::ObjectKey(ns, name), actions_inf_->Get(ns, name));
  };
  rd.on_written = [this](const value& obj) { recent_.Wrote(obj); };
  rd.registry = &BuiltinActions();
  rd.on_action = [this](const std::string& type, const std::string& result, std::optional<double> latency) {
    metrics_.Action(type, result);
    if (latency) metrics_.Latency(*latency);
  };
  // Checked before every side effect: a replica that lost the Lease (observed at its next
  // retry, or the renew deadline passed) or is stopping sends nothing more.
  rd.may_act = [this] { return started_.load() && elector_->IsLeader(); };
  reconciler_ = std::make_unique<Reconciler>(rd);

  IngestDeps id;
  id.policies = [this] { return Policies(); };
  id.namespace_labels = [this](const std::string& ns) -> std::optional<std::map<std::string, std::string>> {
    auto obj = namespaces_inf_->Get("", ns);
    if (!obj) return std::nullopt;
    return json::GetStringMap(*obj, {"metadata", "labels"});
  };
  id.ready = [this] { return Ready(); };
  id.recorder = std::make_shared<KubeResponseRecorder>(
      opts_.recorder_client ? opts_.recorder_client : client_,
      [this](const std::string& ns, const std::string& pod) {
        if (elector_->IsLeader() && IsDnsSubdomain(pod)) prefetch_->Prefetch(ns, pod);
      },
      [this](value&& obj) { OnCreated(std::move(obj)); });
  id.guards = guards_.get();
  id.global_dry_run = opts_.dry_run;
  status_counters_ = std::make_unique<PolicyStatusCounters>(
      client_, [this](const std::string& name) { return policies_inf_->Get("", name); });
  id.on_decision = [this](const Policy& p, Suppression s, const std::string&) {
    if (s != Suppression::kNone) metrics_.Suppressed(std::string(SuppressionName(s)));
    status_counters_->Record(p, s, std::chrono::system_clock::now());
  };
  incidents_ = std::make_unique<IncidentAggregator>(
      client_, opts_.incident_limits,
      [this](const std::string& ns, const std::string& name) { return actions_inf_->Get(ns, name); });
  id.attach_to_incident = [this](const Alert& alert, const std::string& ns, const std::string& name) {
    return incidents_->Attach(ns, name, alert);
  };
  ingestor_ = std::make_unique<AlertIngestor>(id);
  metrics_.SetIngestCounters(&ingestor_->counters());

  reconciles_ = &metrics_.registry().AddCounter(
      "riposte_reconciles_total",
      "ResponseAction reconciles by outcome: done, requeued, error (requeued), stopped (leadership lost or "
      "stopping mid-way), skipped (not the leader).",
      {"result"});
  auto& writes = metrics_.registry().AddCounter(
      "riposte_policy_status_writes_total",
      "ResponsePolicy status counter flushes per policy: written, conflict (retried), failed (kept), dropped.",
      {"result"});
  auto& incident_writes = metrics_.registry().AddCounter(
      "riposte_incident_status_writes_total",
      "ResponseAction incident record flushes per ResponseAction: written, conflict (retried), failed (kept), "
      "dropped (ResponseAction gone).",
      {"result"});
  auto count_writes = [](metrics::CounterFamily* w, const StatusFlushStats& st) {
    w->With({"written"}).Inc(static_cast<double>(st.written));
    w->With({"conflict"}).Inc(static_cast<double>(st.conflicts));
    w->With({"failed"}).Inc(static_cast<double>(st.failed));
    w->With({"dropped"}).Inc(static_cast<double>(st.dropped));
  };
  metrics_.AddSection([this] {
    return "# HELP riposte_incident_alerts_total Alerts suppressed by a cooldown and attached to the incident record "
           "of the ResponseAction holding it (attached), or dropped because too many ResponseActions waited for a "
           "flush (dropped).\n# TYPE riposte_incident_alerts_total counter\n"
           "riposte_incident_alerts_total{result=\"attached\"} " + std::to_string(incidents_->attached()) +
           "\nriposte_incident_alerts_total{result=\"dropped\"} " + std::to_string(incidents_->dropped()) +
           "\n# HELP riposte_incident_pending ResponseActions with attached alerts not yet written.\n"
           "# TYPE riposte_incident_pending gauge\nriposte_incident_pending " + std::to_string(incidents_->pending()) +
           "\n";
  });
  status_flusher_ = std::make_unique<PeriodicRunner>(opts_.policy_status_interval,
                                                     [this, w = &writes, iw = &incident_writes, count_writes] {
    auto st = status_counters_->Flush();
    auto ist = incidents_->Flush();
    last_flush_ok_ = st.failed == 0 && ist.failed == 0;
    count_writes(w, st);
    count_writes(iw, ist);
  });
  incidents_->SetFlushSoon([this] { status_flusher_->RunSoon(); });

  for (auto& t : opts_.leader_tasks)
    if (t.render_metrics) metrics_.AddSection(t.render_metrics);
}

ResponseController::~ResponseController() { Stop(); }

void ResponseController::Start() {
  if (started_.exchange(true)) return;
  factory_->Start();
  elector_->Start();
  prefetch_->Start();
  for (int i = 0; i < opts_.workers; ++i) workers_.emplace_back([this] { Worker(); });
  policy_worker_ = std::thread([this] { PolicyWorker(); });
  status_flusher_->Start(false);
  for (auto& t : opts_.leader_tasks)
    if (t.start) t.start([this] { return elector_->IsLeader(); });
}

void ResponseController::Stop() {
  if (!started_.exchange(false)) return;
  for (auto& t : opts_.leader_tasks)
    if (t.stop) t.stop();
  status_flusher_->Stop();
  // Counts of the last interval are not lost on a clean shutdown; but when the last flush
  // failed the API is likely unreachable, and shutdown must not wait on its timeouts.
  if (last_flush_ok_ && status_counters_->pending_policies() > 0) status_counters_->Flush();
  if (last_flush_ok_ && incidents_->pending() > 0) incidents_->Flush();
  queue_->ShutDown();
  policy_queue_->ShutDown();
  prefetch_->Stop();  // a worker waiting for a prefetched pod stops waiting
  for (auto& t : workers_) t.join();
  workers_.clear();
  if (policy_worker_.joinable()) policy_worker_.join();
  elector_->Stop();
  factory_->Stop();
}

bool ResponseController::Ready() const {
  if (!policies_inf_->HasSynced() || !actions_inf_->HasSynced() || !namespaces_inf_->HasSynced()) return false;
  return elector_->IsLeader() || !elector_->Leader().empty();
}

std::vector<PolicyPtr> ResponseController::Policies() const {
  std::lock_guard lock(mu_);
  std::vector<PolicyPtr> out;
  out.reserve(policies_.size());
  for (const auto& [name, p] : policies_)
    if (p.compiled) out.push_back(p.compiled);
  return out;
}

std::vector<std::string> ResponseController::PolicyNames() const {
  std::vector<std::string> out;
  for (const auto& p : Policies()) out.push_back(p->name);
  return out;
}

void ResponseController::OnPolicy(const kube::ObjectPtr& obj) {
  PolicyRecord rec;
  rec.compiled = CompilePolicy(*obj, BuiltinActions(), &rec.errors);
  rec.generation = json::GetInt(*obj, {"metadata", "generation"}).value_or(0);
  const std::string name = Name(obj);
  if (!rec.errors.empty())
    log::Warn("ResponsePolicy invalid", {{"policy", name}, {"error", rec.errors.front()}});
  {
    std::lock_guard lock(mu_);
    policies_[name] = std::move(rec);  // an invalid policy never matches
  }
  // The condition is written by the policy worker (and only on the leader).
  policy_queue_->Add(name);
}

void ResponseController::OnPolicyDeleted(const kube::ObjectPtr& obj) {
  std::lock_guard lock(mu_);
  policies_.erase(Name(obj));
  policy_status_written_.erase(Name(obj));
}

void ResponseController::OnResponseAction(const kube::ObjectPtr& obj) {
  recent_.Seen(obj);
  // Cooldown state survives restarts and is shared between replicas through the API.
  auto policy = json::GetString(*obj, {"spec", "policyRef", "name"});
  auto pod = json::GetString(*obj, {"spec", "target", "pod"});
  auto created = ParseRfc3339(json::GetString(*obj, {"metadata", "creationTimestamp"}).value_or(""));
  auto cooldown = json::GetString(*obj, {"metadata", "annotations", kAnnotationCooldown});
  if (policy && pod && created && cooldown) {
    int64_t secs = std::strtoll(cooldown->c_str(), nullptr, 10);
    guards_->ObserveExisting(*policy, json::GetString(*obj, {"metadata", "namespace"}).value_or(""), *pod, *created,
                             secs, json::GetString(*obj, {"metadata", "name"}).value_or(""));
  }
  queue_->Add(kube::ObjectKey(*obj));
}

void ResponseController::OnStartedLeading() {
  log::Info("became leader", {{"identity", opts_.identity}});
  for (const auto& key : actions_inf_->Keys()) queue_->Add(key);
  for (const auto& obj : policies_inf_->List()) policy_queue_->Add(Name(obj));
  for (auto& t : opts_.leader_tasks)
    if (t.leadership_changed) t.leadership_changed(true);
}

void ResponseController::OnStoppedLeading() {
  // Workers see IsLeader() turn false before their next request; queued keys are dropped as
  // they come up. Nothing to wait for here.
  log::Warn("lost leadership", {{"identity", opts_.identity}});
  for (auto& t : opts_.leader_tasks)
    if (t.leadership_changed) t.leadership_changed(false);
}

void ResponseController::OnCreated(value&& obj) {
  // Act as soon as the ResponseAction is durable: a worker takes it from the queue now and
  // reads this version, instead of waiting for the watch event. Followers leave it to the
  // leader, whose informer delivers it.
  if (!elector_->IsLeader()) return;
  const std::string key = kube::ObjectKey(obj);
  recent_.Wrote(std::move(obj));
  queue_->Add(key);
}

void ResponseController::Worker() {
  while (auto key = queue_->Get()) {
    // Followers keep nothing queued: becoming leader enqueues everything. Stopping drops the
    // backlog as well (after ShutDown the queue still hands out what it holds): reconcile is
    // level-based, the next leader resumes it, and a SIGTERM must not wait for minutes of
    // rate-limited work.
    if (!started_.load() || !elector_->IsLeader()) {
      queue_->Forget(*key);
      queue_->Done(*key);
      reconciles_->With({"skipped"}).Inc();
      continue;
    }
    ReconcileResult r;
    try {
      r = reconciler_->Reconcile(*key);
    } catch (const std::exception& e) {
      r.requeue = true;
      r.error = e.what();
    }
    if (r.stopped) {
      log::Info("reconcile stopped", {{"responseAction", *key}, {"reason", r.error}});
      queue_->Forget(*key);
    } else {
      if (!r.error.empty()) log::Warn("reconcile error", {{"responseAction", *key}, {"error", r.error}});
      if (r.after.count() > 0) queue_->AddAfter(*key, r.after);
      else if (r.requeue) queue_->AddRateLimited(*key);
      else queue_->Forget(*key);
    }
    reconciles_->With({r.stopped ? "stopped" : !r.error.empty() ? "error" : r.requeue ? "requeued" : "done"}).Inc();
    queue_->Done(*key);
  }
}

void ResponseController::PolicyWorker() {
  while (auto name = policy_queue_->Get()) {
    bool retry = false;
    if (started_.load() && elector_->IsLeader()) retry = !WritePolicyCondition(*name);
    if (retry) policy_queue_->AddRateLimited(*name);
    else policy_queue_->Forget(*name);
    policy_queue_->Done(*name);
  }
}

bool ResponseController::WritePolicyCondition(const std::string& name) {
  auto obj = policies_inf_->Get("", name);
  if (!obj) return true;
  PolicyRecord rec;
  {
    std::lock_guard lock(mu_);
    auto it = policies_.find(name);
    if (it == policies_.end()) return true;
    rec = it->second;
  }
  // Only when validity or generation changed.
  const int64_t gen = rec.generation;
  const std::string digest = std::to_string(gen) + "|" + (rec.errors.empty() ? "" : rec.errors.front());
  if (json::GetInt(*obj, {"status", "observedGeneration"}).value_or(-1) == gen) {
    // Already written for this generation (by us or a previous leader).
    std::lock_guard lock(mu_);
    policy_status_written_[name] = digest;
    return true;
  }
  {
    std::lock_guard lock(mu_);
    if (policy_status_written_[name] == digest) return true;
  }
  const auto now = FormatRfc3339(std::chrono::system_clock::now());
  std::string all;
  for (const auto& e : rec.errors) all += (all.empty() ? "" : "; ") + e;
  if (all.size() > 1024) all.resize(1024);
  const bool valid = rec.errors.empty();
  std::vector<Condition> conds{
      Condition{"Ready", valid, valid ? "Valid" : "InvalidSpec", valid ? "policy compiled" : all, now, gen},
      Condition{"Invalid", !valid, valid ? "Valid" : "InvalidSpec", valid ? "" : all, now, gen}};
  auto r = client_->Patch(kube::resources::kResponsePolicies, "", name, 
                          EncodePolicyConditionsPatch(gen, conds), {}, "status");
  if (!r.ok()) {
    if (kube::IsNotFound(r.error())) return true;
    log::Warn("policy status not written", {{"policy", name}, {"error", r.error().ToString()}});
    return false;
  }
  std::lock_guard lock(mu_);
  policy_status_written_[name] = digest;
  return true;
}

}  // namespace riposte::controller
