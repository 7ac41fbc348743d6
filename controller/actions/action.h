#pragma once
// An action is one kind of response (terminate, isolate, ...). Each is a small class that
// declares its parameters, the RBAC it needs and whether it can be undone, reads its
// parameters into its own typed struct, and turns the observed cluster state into typed API
// requests (controller/actions/request.h) that bring the target to the wanted state.
// Planning is pure (no I/O) so it is unit-tested without a cluster, and it always compares
// against current state first so running an action twice issues no duplicate side effects.

#include <cpprest/json.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/json_value.h"
#include "controller/actions/request.h"

namespace riposte::controller {

struct ParamSpec {
  std::string name;
  std::string type;          // OpenAPI-ish: integer, boolean, string, []string, map[string]string
  std::string default_value; // empty = no default
  std::string description;
};

struct RbacRule {
  std::vector<std::string> api_groups;
  std::vector<std::string> resources;
  std::vector<std::string> verbs;
};

// An action's parameters, decoded by the action itself (each action has its own subtype).
struct ActionParams {
  virtual ~ActionParams() = default;
};
using ActionParamsPtr = std::shared_ptr<const ActionParams>;

// Everything an action may look at. Object pointers are null when the object does not
// exist (or was not fetched because the action does not need it).
struct ActionContext {
  std::string ns;
  std::string pod_name;
  const web::json::value* pod = nullptr;
  const web::json::value* owner = nullptr;  // controlling ReplicaSet/DaemonSet/StatefulSet
  const web::json::value* node = nullptr;
  const web::json::value* network_policy = nullptr;  // the quarantine policy, if it exists
  std::string response_action_name;
  std::string response_action_uid;
  const ActionParams* params = nullptr;  // from the same action's Decode
  int index = 0;  // position in spec.actions, so derived names are unique per action
  std::string message;  // human summary of the alert, for events/annotations
  std::string now;      // RFC 3339 timestamp of this attempt (injected so tests are deterministic)
};

struct Plan {
  std::vector<Request> requests;  // empty = nothing to do (already done)
  std::string message;
  bool skipped = false;  // a guard refused; not an error, not retried
  web::json::value undo; // what revert needs to restore (stored in status.results[].undo)
};

enum class Needs { kPod = 1, kOwner = 2, kNode = 4, kNetworkPolicy = 8 };
constexpr int operator|(Needs a, Needs b) { return static_cast<int>(a) | static_cast<int>(b); }
constexpr int operator|(int a, Needs b) { return a | static_cast<int>(b); }

class Action {
 public:
  virtual ~Action() = default;
  virtual std::string Name() const = 0;
  virtual std::string Description() const = 0;
  virtual std::vector<ParamSpec> Parameters() const = 0;
  virtual std::vector<RbacRule> Rbac() const = 0;
  virtual bool Reversible() const = 0;
  // Destructive actions count against the global per-minute cap.
  virtual bool Destructive() const = 0;
  virtual web::json::value Example() const = 0;
  // What the revert cannot restore, for docs and status messages.
  virtual std::string UndoNote() const = 0;
  // Bitmask of Needs: which objects the executor must read before Build/Undo.
  virtual int Requires() const { return static_cast<int>(Needs::kPod); }

  // Reads one spec.actions[] item (`item` is a strict reader; its path is e.g.
  // "spec.actions[2]"): unknown parameters and values of the wrong type are reported with
  // their path ("spec.actions[2].gracePeriodSeconds: expected integer, got string"), then
  // the action's own checks. Null when anything was reported.
  ActionParamsPtr Decode(const json::Reader& item) const;
  // Decode of a standalone item: the problems joined, or nullopt when it is valid.
  std::optional<std::string> Validate(const web::json::value& item) const;

  // Requests that bring the target to the action's wanted state; empty when already there.
  virtual Plan Build(const ActionContext& ctx) const = 0;
  // Requests that reverse what Build did, from the recorded undo data. Default: nothing.
  virtual Plan Undo(const ActionContext& ctx, const web::json::value& undo) const;

 protected:
  // The typed parameters, after the generic checks of Decode passed.
  virtual ActionParamsPtr DecodeParams(const json::Reader& item) const = 0;
};

using ActionPtr = std::shared_ptr<const Action>;

// The parameters an action decoded, as its own type.
template <typename P>
const P& ParamsOf(const ActionContext& ctx) {
  return static_cast<const P&>(*ctx.params);
}

}  // namespace riposte::controller
