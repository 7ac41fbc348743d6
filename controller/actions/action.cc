#include "controller/actions/action.h"

#include "controller/names.h"

namespace riposte::controller {
namespace {

// Type checks of one parameter against its declared type; problems are reported by `v`.
void CheckType(const ParamSpec& p, const json::Reader& v) {
  if (p.type == "integer") {
    v.Int();
  } else if (p.type == "boolean") {
    v.Bool();
  } else if (p.type == "string") {
    v.String();
  } else if (p.type == "[]string") {
    v.StringList();
  } else if (p.type == "map[string]string") {
    v.Fields([&](const std::string& k, const json::Reader& e) {
      e.String();
      if (!IsQualifiedName(k)) e.Error("invalid key");
    });
  }
}

}  // namespace

ActionParamsPtr Action::Decode(const json::Reader& item) const {
  if (!item.Object()) return nullptr;
  const size_t before = item.errors() != nullptr ? item.errors()->size() : 0;
  const auto specs = Parameters();
  item.Fields([&](const std::string& key, const json::Reader& v) {
    if (key == "type") return;
    const ParamSpec* spec = nullptr;
    for (const auto& s : specs)
      if (s.name == key) spec = &s;
    if (spec == nullptr) {
      v.Error("unknown parameter for action " + Name());
      return;
    }
    CheckType(*spec, v);
  });
  if (item.errors() != nullptr && item.errors()->size() != before) return nullptr;
  auto params = DecodeParams(item);
  if (item.errors() != nullptr && item.errors()->size() != before) return nullptr;
  return params;
}

std::optional<std::string> Action::Validate(const web::json::value& item) const {
  json::Errors errors;
  json::Reader r(item, &errors);
  if (!item.is_object()) r.Error("expected object, got " + std::string(json::TypeName(item)));
  else Decode(r);
  if (errors.empty()) return std::nullopt;
  return errors.Join();
}

Plan Action::Undo(const ActionContext&, const web::json::value&) const {
  Plan p;
  p.message = Name() + " cannot be undone: " + UndoNote();
  return p;
}

}  // namespace riposte::controller
