#pragma once
// Shared building blocks for actions that change pod/node metadata maps (labels,
// annotations): compute the minimal merge patch against the current object and record
// exactly what changed so revert restores only what Riposte itself changed.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "controller/actions/action.h"

namespace riposte::controller {

std::string PodPath(const std::string& ns, const std::string& pod);
std::string NodePath(const std::string& node);

// `field` is "labels" or "annotations". `set` values are applied, `remove` keys deleted.
// Returns nullopt when the object already has the wanted state. `undo` receives
// {"field", "applied": {key: value set}, "removed": [keys deleted], "previous": {key: old value}}
// (no nulls: custom resources drop them).
std::optional<ApiRequest> MetadataMapPatch(const std::string& ns, const std::string& pod, const web::json::value& obj,
                                           const std::string& field,
                                           const std::map<std::string, std::string>& set,
                                           const std::vector<std::string>& remove,
                                           web::json::value* undo);

// Reverses MetadataMapPatch: keys whose current value is still what Riposte applied get
// their previous value back; keys changed by someone else since are left alone.
std::optional<ApiRequest> MetadataMapRestore(const std::string& ns, const std::string& pod, const web::json::value& obj,
                                             const web::json::value& undo);

// uid precondition so a delete/evict never hits a replacement pod with the same name.
web::json::value UidPrecondition(const web::json::value& pod);

}  // namespace riposte::controller
