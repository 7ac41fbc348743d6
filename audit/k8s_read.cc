#include "audit/k8s_read.h"

#include <algorithm>
#include <cctype>
#include <string_view>

#include "kube/selector.h"

namespace riposte::audit::k8s {

using web::json::value;

const value* At(const value& v, std::initializer_list<const char*> path) {
  const value* cur = &v;
  for (const char* key : path) {
    if (!cur->is_object()) return nullptr;
    const auto& obj = cur->as_object();
    auto it = obj.find(key);
    if (it == obj.end()) return nullptr;
    cur = &it->second;
  }
  return cur;
}

std::string Str(const value& v, std::initializer_list<const char*> path) {
  const value* f = At(v, path);
  return f != nullptr && f->is_string() ? f->as_string() : std::string();
}

const web::json::array* Arr(const value& v, std::initializer_list<const char*> path) {
  const value* f = At(v, path);
  return f != nullptr && f->is_array() ? &f->as_array() : nullptr;
}

std::map<std::string, std::string> Labels(const value* v) {
  std::map<std::string, std::string> out;
  if (v == nullptr || !v->is_object()) return out;
  for (const auto& [k, val] : v->as_object()) {
    if (val.is_string()) out[k] = val.as_string();
  }
  return out;
}

bool Selects(const value* selector_json, const std::map<std::string, std::string>& labels) {
  if (selector_json == nullptr || !selector_json->is_object()) return false;
  kube::LabelSelector sel = kube::LabelSelector::FromJson(*selector_json);
  if (!sel.error().empty()) return false;
  return sel.Matches(labels);
}

bool ServiceSelects(const value& svc, const std::map<std::string, std::string>& labels) {
  auto sel = Labels(At(svc, {"spec", "selector"}));
  if (sel.empty()) return false;
  for (const auto& [k, v] : sel) {
    auto it = labels.find(k);
    if (it == labels.end() || it->second != v) return false;
  }
  return true;
}

std::string Meta(const value& obj, const char* field) { return Str(obj, {"metadata", field}); }

std::vector<std::string> CommandAndArgs(const value& container) {
  std::vector<std::string> out;
  for (const char* key : {"command", "args"}) {
    if (const auto* a = Arr(container, {key})) {
      for (const auto& s : *a) {
        if (s.is_string()) out.push_back(s.as_string());
      }
    }
  }
  return out;
}

std::optional<std::string> FlagValue(const std::vector<std::string>& args, const std::string& flag) {
  for (size_t i = 0; i < args.size(); ++i) {
    std::string_view a = args[i];
    if (a.starts_with("--")) {
      a.remove_prefix(2);
    } else if (a.starts_with("-")) {
      a.remove_prefix(1);
    } else {
      continue;
    }
    if (a == flag) {
      if (i + 1 < args.size() && !args[i + 1].starts_with("-")) return args[i + 1];
      return std::string("true");  // boolean flag without value
    }
    if (a.starts_with(flag) && a.size() > flag.size() && a[flag.size()] == '=') {
      return std::string(a.substr(flag.size() + 1));
    }
  }
  return std::nullopt;
}

std::optional<bool> ParseBool(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (s == "true" || s == "1" || s == "yes" || s == "on") return true;
  if (s == "false" || s == "0" || s == "no" || s == "off") return false;
  return std::nullopt;
}

std::string ExpandNamespace(std::string s, const std::string& ns) {
  const std::string var = "$(POD_NAMESPACE)";
  for (size_t pos = s.find(var); pos != std::string::npos; pos = s.find(var, pos + ns.size())) {
    s.replace(pos, var.size(), ns);
  }
  return s;
}

std::optional<ConfigMapFlag> ControllerConfigMapFlag(const std::vector<std::string>& args,
                                                     const std::string& workload_ns) {
  auto flag = FlagValue(args, "configmap");
  if (!flag) return std::nullopt;
  ConfigMapFlag out;
  out.ref = ExpandNamespace(*flag, workload_ns);
  if (auto slash = out.ref.find('/'); slash != std::string::npos) {
    out.ns = out.ref.substr(0, slash);
    out.name = out.ref.substr(slash + 1);
  } else {
    out.ns = workload_ns;
    out.name = out.ref;
  }
  return out;
}

}  // namespace riposte::audit::k8s
