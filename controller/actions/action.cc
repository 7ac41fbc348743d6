#include "controller/actions/action.h"

#include <set>

#include "controller/names.h"

namespace riposte::controller {
namespace {

std::optional<std::string> CheckType(const ParamSpec& p, const web::json::value& v) {
  auto bad = [&](const char* want) {
    return std::optional<std::string>(p.name + ": must be " + want);
  };
  if (p.type == "integer") {
    if (!v.is_number() || !v.as_number().is_int64()) return bad("an integer");
  } else if (p.type == "boolean") {
    if (!v.is_boolean()) return bad("a boolean");
  } else if (p.type == "string") {
    if (!v.is_string()) return bad("a string");
  } else if (p.type == "[]string") {
    if (!v.is_array()) return bad("a list of strings");
    for (const auto& e : v.as_array())
      if (!e.is_string()) return bad("a list of strings");
  } else if (p.type == "map[string]string") {
    if (!v.is_object()) return bad("a map of strings");
    for (const auto& [k, e] : v.as_object()) {
      if (!e.is_string()) return bad("a map of strings");
      if (!IsQualifiedName(k)) return std::optional<std::string>(p.name + ": invalid key \"" + k + "\"");
    }
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::string> Action::Validate(const web::json::value& params) const {
  if (!params.is_object()) return "action must be an object";
  auto specs = Parameters();
  for (const auto& [key, value] : params.as_object()) {
    if (key == "type") continue;
    const ParamSpec* spec = nullptr;
    for (const auto& s : specs)
      if (s.name == key) spec = &s;
    if (spec == nullptr) return "unknown parameter \"" + key + "\" for action " + Name();
    if (value.is_null()) continue;
    if (auto err = CheckType(*spec, value)) return err;
  }
  return ValidateExtra(params);
}

Plan Action::Undo(const ActionContext&, const web::json::value&) const {
  Plan p;
  p.message = Name() + " cannot be undone: " + UndoNote();
  return p;
}

}  // namespace riposte::controller
