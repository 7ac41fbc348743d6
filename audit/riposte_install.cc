#include "audit/riposte_install.h"

#include <algorithm>
#include <set>

#include "audit/k8s_read.h"
#include "core/policy.h"

namespace riposte::audit {

namespace {

using web::json::value;
using namespace k8s;

constexpr const char* kNameLabel = "kubernetes.io/metadata.name";

std::vector<std::string> Strings(const value* v) {
  std::vector<std::string> out;
  if (v == nullptr || !v->is_array()) return out;
  for (const auto& s : v->as_array()) {
    if (s.is_string()) out.push_back(s.as_string());
  }
  return out;
}

std::string JoinComma(const std::vector<std::string>& parts) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) out += (i ? "," : "") + parts[i];
  return out;
}

// A LabelSelector as kubectl prints it: "team=a,env in (x,y),!legacy".
std::string SelectorText(const value& sel) {
  std::vector<std::string> terms;
  if (const value* ml = At(sel, {"matchLabels"}); ml != nullptr && ml->is_object()) {
    for (const auto& [k, v] : ml->as_object()) terms.push_back(k + "=" + (v.is_string() ? v.as_string() : v.serialize()));
  }
  if (const auto* exprs = Arr(sel, {"matchExpressions"})) {
    for (const auto& e : *exprs) {
      const std::string key = Str(e, {"key"});
      const std::string op = Str(e, {"operator"});
      const std::string values = JoinComma(Strings(At(e, {"values"})));
      if (op == "Exists") {
        terms.push_back(key);
      } else if (op == "DoesNotExist") {
        terms.push_back("!" + key);
      } else {
        std::string lower = op;
        std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
        terms.push_back(key + " " + lower + " (" + values + ")");
      }
    }
  }
  return JoinComma(terms);
}

// Namespaces can only be told apart by name without reading them: kubernetes.io/metadata.name
// is set by the API server on every namespace. Other labels become conditions the audit cannot
// evaluate (the report names them).
void ReadNamespaceSelector(const value* sel, RiposteWebhookScope* scope) {
  if (sel == nullptr || !sel->is_object()) return;  // absent or null: every namespace
  std::set<std::string> excluded;
  std::optional<std::set<std::string>> only;
  auto restrict_to = [&](const std::vector<std::string>& names) {
    std::set<std::string> s(names.begin(), names.end());
    if (!only) {
      only = s;
    } else {
      std::set<std::string> both;
      std::set_intersection(only->begin(), only->end(), s.begin(), s.end(), std::inserter(both, both.end()));
      only = both;
    }
  };
  if (const value* ml = At(*sel, {"matchLabels"}); ml != nullptr && ml->is_object()) {
    for (const auto& [k, v] : ml->as_object()) {
      if (k == kNameLabel && v.is_string()) {
        restrict_to({v.as_string()});
      } else {
        scope->label_conditions.push_back(k + "=" + (v.is_string() ? v.as_string() : v.serialize()));
      }
    }
  }
  if (const auto* exprs = Arr(*sel, {"matchExpressions"})) {
    for (const auto& e : *exprs) {
      const std::string key = Str(e, {"key"});
      const std::string op = Str(e, {"operator"});
      const auto values = Strings(At(e, {"values"}));
      if (key == kNameLabel && op == "NotIn") {
        excluded.insert(values.begin(), values.end());
      } else if (key == kNameLabel && op == "In") {
        restrict_to(values);
      } else if (key == kNameLabel && op == "Exists") {
        // every namespace has it
      } else {
        value one = value::object();
        one["matchExpressions"] = value::array(1);
        one["matchExpressions"][0] = e;
        scope->label_conditions.push_back(SelectorText(one));
      }
    }
  }
  scope->excluded_namespaces.assign(excluded.begin(), excluded.end());
  if (only) {
    scope->only_namespaces.assign(only->begin(), only->end());
    if (scope->only_namespaces.empty()) scope->only_namespaces.push_back("(none)");
  }
}

std::string_view ModeName(core::Mode m) {
  switch (m) {
    case core::Mode::kEnforce: return "enforce";
    case core::Mode::kWarn: return "warn";
    case core::Mode::kAudit: return "audit";
  }
  return "unknown";
}

void Summarize(const core::Policy& p, RipostePolicySummary* out) {
  out->known = true;
  out->mode = std::string(ModeName(p.mode));
  out->annotation_prefix = p.annotation_prefix;
  out->ingress_classes = p.ingress_classes;
  out->exempt_namespaces = p.exempt_namespaces;
  std::sort(out->exempt_namespaces.begin(), out->exempt_namespaces.end());
  out->snippets_allowed = p.snippets_allowed;
  out->snippet_namespaces = p.snippet_namespaces;
  std::sort(out->snippet_namespaces.begin(), out->snippet_namespaces.end());
  for (const auto& [id, o] : p.rules) {
    if (!o.enabled) out->disabled_rules.push_back(id);
  }
}

// The webhook container of a pod template: the one running `riposte webhook` (or the only one).
const value* WebhookContainer(const value& tmpl) {
  const auto* containers = Arr(tmpl, {"spec", "containers"});
  if (containers == nullptr || containers->size() == 0) return nullptr;
  for (const auto& c : *containers) {
    auto args = CommandAndArgs(c);
    if (std::find(args.begin(), args.end(), "webhook") != args.end()) return &c;
  }
  return containers->size() == 1 ? &containers->at(0) : nullptr;
}

// The ConfigMap name and key holding `file`, from the container's volumeMounts and the pod's
// volumes. Sets *error when the file is not from a ConfigMap.
bool PolicyConfigMap(const value& tmpl, const value& container, const std::string& file, std::string* cm,
                     std::string* key, std::string* error) {
  const value* best = nullptr;
  size_t best_len = 0;
  if (const auto* mounts = Arr(container, {"volumeMounts"})) {
    for (const auto& m : *mounts) {
      std::string path = Str(m, {"mountPath"});
      while (path.size() > 1 && path.back() == '/') path.pop_back();
      const bool exact = file == path;
      const bool under = file.size() > path.size() && file.starts_with(path) && file[path.size()] == '/';
      if ((exact || under) && path.size() >= best_len) {
        best = &m;
        best_len = path.size();
      }
    }
  }
  if (best == nullptr) {
    *error = "--policy=" + file + " is not on a mounted volume (it is baked into the image)";
    return false;
  }
  std::string mount_path = Str(*best, {"mountPath"});
  while (mount_path.size() > 1 && mount_path.back() == '/') mount_path.pop_back();
  std::string rel = file.size() > mount_path.size() ? file.substr(mount_path.size() + 1) : std::string();
  if (std::string sub = Str(*best, {"subPath"}); !sub.empty()) rel = rel.empty() ? sub : sub + "/" + rel;
  const std::string volume = Str(*best, {"name"});
  if (const auto* volumes = Arr(tmpl, {"spec", "volumes"})) {
    for (const auto& v : *volumes) {
      if (Str(v, {"name"}) != volume) continue;
      const value* cmv = At(v, {"configMap"});
      if (cmv == nullptr || !cmv->is_object()) {
        *error = "--policy=" + file + " comes from volume " + volume + ", which is not a ConfigMap volume";
        return false;
      }
      *cm = Str(*cmv, {"name"});
      *key = rel;
      if (const auto* items = Arr(*cmv, {"items"})) {
        key->clear();
        for (const auto& it : *items) {
          if (Str(it, {"path"}) == rel) *key = Str(it, {"key"});
        }
        if (key->empty()) {
          *error = "--policy=" + file + ": ConfigMap " + *cm + " projects no item to " + rel;
          return false;
        }
      }
      return true;
    }
  }
  *error = "--policy=" + file + ": volume " + volume + " is not defined in the pod template";
  return false;
}

void ReadPolicy(const ClusterSnapshot& snap, const std::string& svc_ns, const std::string& svc_name,
                RipostePolicySummary* out) {
  auto unknown = [&](std::string why) {
    out->known = false;
    out->error = std::move(why);
  };
  if (svc_ns.empty()) return unknown("the webhook is called by URL: its policy is outside what the audit reads");
  for (const char* r : {res::kServices, res::kDeployments}) {
    if (!snap.Readable(r)) return unknown(std::string(r) + " could not be read");
  }
  const value* svc = nullptr;
  for (const auto& s : snap.Objects(res::kServices)) {
    if (Meta(s, "namespace") == svc_ns && Meta(s, "name") == svc_name) svc = &s;
  }
  if (svc == nullptr) {
    return unknown("Service " + svc_ns + "/" + svc_name + " was not found" +
                   (snap.namespace_scope.empty() || snap.namespace_scope == svc_ns
                        ? std::string()
                        : " (the audit read namespace " + snap.namespace_scope + " only)"));
  }
  std::vector<const value*> deployments;
  for (const auto& d : snap.Objects(res::kDeployments)) {
    if (Meta(d, "namespace") != svc_ns) continue;
    const value* tmpl = At(d, {"spec", "template"});
    if (tmpl != nullptr && ServiceSelects(*svc, Labels(At(*tmpl, {"metadata", "labels"})))) deployments.push_back(&d);
  }
  if (deployments.empty()) return unknown("no Deployment behind Service " + svc_ns + "/" + svc_name);
  std::sort(deployments.begin(), deployments.end(),
            [](const value* a, const value* b) { return Meta(*a, "name") < Meta(*b, "name"); });
  const value& dep = *deployments.front();
  const value& tmpl = *At(dep, {"spec", "template"});
  const std::string dep_name = "Deployment " + svc_ns + "/" + Meta(dep, "name");
  const value* container = WebhookContainer(tmpl);
  if (container == nullptr) return unknown(dep_name + " has no container running `riposte webhook`");
  const auto args = CommandAndArgs(*container);
  const auto index = FlagValue(args, "configmap-index");
  const bool configmap_index = index && ParseBool(*index).value_or(false);
  const auto file = FlagValue(args, "policy");
  if (!file || file->empty()) {
    Summarize(*core::DefaultPolicy(), out);
    out->configmap_index = configmap_index;
    out->source = "defaults (" + dep_name + " runs the webhook without --policy)";
    return;
  }
  std::string cm_name, key, error;
  if (!PolicyConfigMap(tmpl, *container, *file, &cm_name, &key, &error)) return unknown(dep_name + ": " + error);
  const std::string cm_ref = "ConfigMap " + svc_ns + "/" + cm_name;
  if (!snap.Readable(res::kConfigMaps)) return unknown(cm_ref + ": configmaps could not be read");
  for (const auto& cm : snap.Objects(res::kConfigMaps)) {
    if (Meta(cm, "namespace") != svc_ns || Meta(cm, "name") != cm_name) continue;
    const auto data = Labels(At(cm, {"data"}));
    auto it = data.find(key);
    if (it == data.end()) return unknown(cm_ref + " has no key " + key);
    core::PolicyError perr;
    core::PolicyPtr policy = core::ParsePolicy(it->second, cm_ref + " key " + key, &perr);
    if (!policy) {
      return unknown("invalid policy: " + perr.ToString() +
                     " (the webhook keeps running its last good policy, which the audit cannot see)");
    }
    Summarize(*policy, out);
    out->configmap_index = configmap_index;
    out->source = cm_ref + " key " + key + " (" + dep_name + " --policy=" + *file + ")";
    return;
  }
  unknown(cm_ref + " (" + dep_name + " --policy=" + *file + ") was not found");
}

// The namespaceSelector and objectSelector of the entry named `webhook`; the same for every
// entry of Riposte's configuration.
void ReadScope(const ClusterSnapshot& snap, const std::string& configuration, const std::string& webhook,
               RiposteWebhookScope* scope) {
  if (webhook.empty()) return;
  for (const auto& vwc : snap.Objects(res::kValidatingWebhookConfigurations)) {
    if (Meta(vwc, "name") != configuration) continue;
    const auto* hooks = Arr(vwc, {"webhooks"});
    if (hooks == nullptr) continue;
    for (const auto& h : *hooks) {
      if (Str(h, {"name"}) != webhook) continue;
      ReadNamespaceSelector(At(h, {"namespaceSelector"}), scope);
      const value* os = At(h, {"objectSelector"});
      if (os != nullptr && os->is_object()) scope->object_selector = SelectorText(*os);
      return;
    }
    return;
  }
}

}  // namespace

void ReadRiposteInstall(const ClusterSnapshot& snap, RiposteWebhookStatus* st) {
  if (!st->installed) return;
  ReadScope(snap, st->configuration, st->webhook, &st->scope);
  ReadScope(snap, st->configuration, st->configmaps.webhook, &st->configmaps.scope);
  std::string svc_ns, svc_name;
  if (auto slash = st->service.find('/'); slash != std::string::npos) {
    svc_ns = st->service.substr(0, slash);
    svc_name = st->service.substr(slash + 1);
  }
  ReadPolicy(snap, svc_ns, svc_name, &st->policy);
}

}  // namespace riposte::audit
