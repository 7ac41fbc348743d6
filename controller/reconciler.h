#pragma once
// Level-based reconcile of one ResponseAction: reads the object (the newest version this
// process has seen), compares spec with status and the live cluster, and moves it closer:
// Pending -> Running -> Succeeded/Failed, Reverted on spec.revert, undo + finalizer removal
// on deletion.
//
// No write happens before a side effect. Every action is idempotent on its own — uid
// preconditions on delete/evict, deterministic names for created objects (AlreadyExists is
// done), NotFound as done, metadata patches only when different and carrying their own undo
// record (controller/actions/pod_patch.h) — so a controller killed between a side effect and
// its status write repeats nothing when the next leader runs the action again. Each action
// result is written once, together with the results around it that needed no request, right
// before the next action's side effects or with the final phase.

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <cpprest/json.h>

#include "controller/actions/registry.h"
#include "controller/guards.h"
#include "controller/types.h"
#include "kube/kube_client.h"

namespace riposte::controller {

struct ReconcileResult {
  bool requeue = false;       // try again with rate-limited backoff (retryable failure, conflict)
  std::chrono::milliseconds after{0};  // > 0: requeue after exactly this delay
  std::string error;          // for logs
  bool stopped = false;       // gave up because this process may no longer act (not an error)
};

struct ReconcilerDeps {
  kube::KubeClientPtr client;
  // The newest version of a ResponseAction known here (informer cache, or what this process
  // created or wrote itself); null when the object does not exist.
  std::function<std::shared_ptr<const web::json::value>(const std::string& ns, const std::string& name)> get_cached;
  // Every version this reconciler wrote, so the next read starts from it. Optional.
  std::function<void(const web::json::value&)> on_written;
  // The target pod as read while the ResponseAction was being created (see
  // controller/pod_prefetch.h): nullopt when there is no such read, a null inner value when
  // the pod does not exist. Optional; without it the pod is read when the response starts.
  std::function<std::optional<std::optional<web::json::value>>(const std::string& ns, const std::string& pod)>
      prefetched_pod;
  const ActionRegistry* registry = nullptr;
  WallClock now = [] { return std::chrono::system_clock::now(); };
  // Metrics hook: action type, result ("succeeded", "failed", "skipped", "dry_run",
  // "reverted", "retry"), and alert-to-action latency for the first executed action.
  std::function<void(const std::string& type, const std::string& result, std::optional<double> latency_s)> on_action;
  // Checked before every write and side effect: false once this process must stop acting
  // (leadership lost, shutting down). The reconcile then ends without writing anything.
  std::function<bool()> may_act;
  int max_attempts = 8;  // per action, for retryable errors
  std::chrono::milliseconds exec_timeout{15000};  // per pods/exec command
};

class Reconciler {
 public:
  explicit Reconciler(ReconcilerDeps deps);
  ReconcileResult Reconcile(const std::string& key);  // "namespace/name"

 private:
  struct State;
  ReconcileResult Run(State& s);
  ReconcileResult Undo(State& s, bool deleting);
  ReconcileResult RemoveFinalizer(State& s);
  bool MayAct() const { return !deps_.may_act || deps_.may_act(); }
  bool WriteStatus(State& s, std::string* error);
  bool LoadContext(State& s, size_t index, struct ActionContext* ctx, std::string* error);
  void PostEvent(const State& s, const std::string& reason, const std::string& message, bool warning);
  struct InContainerEnv Env() const;

  ReconcilerDeps deps_;
};

}  // namespace riposte::controller
