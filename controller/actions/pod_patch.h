#pragma once
// Shared building blocks for actions that change pod metadata maps (labels, annotations):
// the minimal merge patch against the current pod, and exactly what changed, so revert
// restores only what Riposte itself changed.
//
// The undo record travels with the change: the patch that changes the labels also writes
// the record into a pod annotation (undo.riposte.io/<response>-<action>). A controller that
// dies after the patch but before recording the result finds the record on its next try,
// so no separate "intent" write is needed before the side effect. Revert removes it again.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "controller/actions/action.h"

namespace riposte::controller {

// What MetadataMapPatch changed: keys set (with their new value), keys removed, and the
// previous values of both. No JSON nulls: the API server prunes them from custom resources.
struct MetadataUndo {
  std::string field;  // "labels" or "annotations"
  std::map<std::string, std::string> applied;
  std::vector<std::string> removed;
  std::map<std::string, std::string> previous;

  web::json::value ToJson() const;
  static std::optional<MetadataUndo> FromJson(const web::json::value& v);
};

// Annotation holding the undo record of action `index` of a ResponseAction.
std::string UndoRecordKey(const std::string& response_action, int index);

// Plans `set` / `remove` on the pod's `field` ("labels" or "annotations"). Returns nullopt
// when the pod already has the wanted state. `undo` receives the record of this change, or
// the one an earlier attempt left on the pod.
std::optional<PatchPod> MetadataMapPatch(const ActionContext& ctx, const std::string& field,
                                         const std::map<std::string, std::string>& set,
                                         const std::vector<std::string>& remove, web::json::value* undo);

// Reverses MetadataMapPatch from `undo` (or, when that is null, from the record on the pod):
// keys whose current value is still what Riposte applied get their previous value back;
// keys changed by someone else since are left alone. The record annotation is removed.
std::optional<PatchPod> MetadataMapRestore(const ActionContext& ctx, const web::json::value& undo);

}  // namespace riposte::controller
