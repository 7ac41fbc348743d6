#pragma once
// Level-based reconcile of one ResponseAction: reads the object from the informer cache,
// compares spec with status and the live cluster, and moves it one step closer:
// Pending -> Running -> Succeeded/Failed, Reverted on spec.revert, undo + finalizer removal
// on deletion. Every action's intent (attempt count, undo data) is written to status before
// its requests are sent, and every action checks current state first, so a controller
// killed mid-action resumes after restart without duplicate side effects.

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <cpprest/json.h>

#include "controller/actions/registry.h"
#include "controller/guards.h"
#include "kube/kube_client.h"

namespace riposte::controller {

struct ReconcileResult {
  bool requeue = false;       // try again with rate-limited backoff (retryable failure, conflict)
  std::chrono::milliseconds after{0};  // > 0: requeue after exactly this delay
  std::string error;          // for logs
};

struct ReconcilerDeps {
  kube::KubeClientPtr client;
  // Cache read (informer); null when the object does not exist.
  std::function<std::shared_ptr<const web::json::value>(const std::string& ns, const std::string& name)> get_cached;
  const ActionRegistry* registry = nullptr;
  WallClock now = [] { return std::chrono::system_clock::now(); };
  // Metrics hook: action type, result ("succeeded", "failed", "skipped", "dry_run",
  // "reverted", "retry"), and alert-to-action latency for the first executed action.
  std::function<void(const std::string& type, const std::string& result, std::optional<double> latency_s)> on_action;
  int max_attempts = 8;  // per action, for retryable errors
};

class Reconciler {
 public:
  explicit Reconciler(ReconcilerDeps deps);
  ReconcileResult Reconcile(const std::string& key);  // "namespace/name"

 private:
  struct State;
  ReconcileResult Run(State& s);
  ReconcileResult Undo(State& s, bool deleting);
  bool WriteStatus(State& s, std::string* error);
  bool LoadContext(State& s, const web::json::value& item, int index, struct ActionContext* ctx,
                   std::string* error);
  void PostEvent(const State& s, const std::string& reason, const std::string& message, bool warning);

  ReconcilerDeps deps_;
};

}  // namespace riposte::controller
