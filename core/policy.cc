// Policy file loader: read -> validate -> compile. Every error names file:line:column of the
// offending YAML node so a bad reload can be fixed from the log line alone.
#include "core/policy.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "core/rules.h"
#include "core/text.h"
#include "core/yaml_documents.h"
#include "core/validators.h"

namespace riposte::core {

bool Policy::SnippetsAllowedIn(const std::string& ns) const {
  return snippets_allowed ||
         std::find(snippet_namespaces.begin(), snippet_namespaces.end(), ns) != snippet_namespaces.end();
}

bool ProfileSettings::SnippetsAllowedIn(const std::string& ns) const {
  return snippets_allowed ||
         std::find(snippet_namespaces.begin(), snippet_namespaces.end(), ns) != snippet_namespaces.end();
}

bool ProfileSettings::ServesClass(const std::string& ingress_class) const {
  return std::find(ingress_classes.begin(), ingress_classes.end(), ingress_class) != ingress_classes.end();
}

bool Policy::IsControllerConfigMap(const std::string& ns, const std::string& name, const KeyValues& labels) const {
  for (const auto& ref : controller_configmaps) {
    if (ref.size() == ns.size() + 1 + name.size() && ref.compare(0, ns.size(), ns) == 0 && ref[ns.size()] == '/' &&
        ref.compare(ns.size() + 1, name.size(), name) == 0) {
      return true;
    }
  }
  if (controller_configmap_labels.empty()) return false;
  for (const auto& [k, v] : controller_configmap_labels) {
    bool found = false;
    for (const auto& [lk, lv] : labels) {
      if (lk == k && lv == v) found = true;
    }
    if (!found) return false;
  }
  return true;
}

bool Policy::IsExempt(const std::string& ns) const {
  return std::find(exempt_namespaces.begin(), exempt_namespaces.end(), ns) != exempt_namespaces.end();
}

bool Policy::ServesClass(const std::string& ingress_class) const {
  return std::find(ingress_classes.begin(), ingress_classes.end(), ingress_class) != ingress_classes.end();
}

bool Policy::CrossNamespaceAllowed(const std::string& target_ns) const {
  return cross_namespace_allowed ||
         std::find(cross_namespace_targets.begin(), cross_namespace_targets.end(), target_ns) !=
             cross_namespace_targets.end();
}

std::string PolicyError::ToString() const {
  std::ostringstream out;
  out << (file.empty() ? "<policy>" : file) << ':' << line << ':' << column << ": " << message;
  return out.str();
}

namespace {

constexpr size_t kMinValueBytes = 64;
constexpr size_t kMaxValueBytesCap = 256 * 1024;
constexpr size_t kMaxPolicyBytes = 1024 * 1024;
constexpr size_t kMaxListEntries = 10000;

// Thrown only inside this file and always caught by ParsePolicy.
struct Failure {
  YAML::Mark mark;
  std::string message;
};

[[noreturn]] void Fail(const YAML::Node& node, std::string message) {
  throw Failure{node.Mark(), std::move(message)};
}

std::string Describe(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map: return "a mapping";
    case YAML::NodeType::Sequence: return "a list";
    case YAML::NodeType::Null: return "null";
    case YAML::NodeType::Scalar: return "\"" + node.Scalar() + "\"";
    default: return "nothing";
  }
}

// Plain (unquoted) scalars only: `enabled: "true"` is a string, not a boolean.
bool IsPlain(const YAML::Node& node) { return node.IsScalar() && node.Tag() == "?"; }

std::string ExpectString(const YAML::Node& node, const std::string& key) {
  if (!node.IsScalar()) Fail(node, key + ": expected a string, got " + Describe(node));
  return node.Scalar();
}

bool ExpectBool(const YAML::Node& node, const std::string& key) {
  if (IsPlain(node)) {
    const std::string& s = node.Scalar();
    if (s == "true" || s == "True" || s == "TRUE") return true;
    if (s == "false" || s == "False" || s == "FALSE") return false;
  }
  Fail(node, key + ": expected true or false, got " + Describe(node));
}

size_t ExpectSize(const YAML::Node& node, const std::string& key, size_t lo, size_t hi) {
  if (IsPlain(node)) {
    const std::string& s = node.Scalar();
    if (!s.empty() && s.size() <= 9 && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      size_t v = std::stoul(s);
      if (v >= lo && v <= hi) return v;
      Fail(node, key + ": " + s + " is out of range [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
    }
  }
  Fail(node, key + ": expected an integer, got " + Describe(node));
}

void ExpectMap(const YAML::Node& node, const std::string& key) {
  if (!node.IsMap()) Fail(node, key + ": expected a mapping, got " + Describe(node));
}

std::vector<std::string> ExpectNamespaces(const YAML::Node& node, const std::string& key) {
  if (!node.IsSequence()) Fail(node, key + ": expected a list of namespaces, got " + Describe(node));
  if (node.size() > kMaxListEntries) Fail(node, key + ": more than " + std::to_string(kMaxListEntries) + " entries");
  std::vector<std::string> out;
  for (const auto& item : node) {
    std::string ns = ExpectString(item, key + "[]");
    if (!IsDnsLabel(ns)) Fail(item, key + ": \"" + ns + "\" is not a valid namespace name");
    out.push_back(std::move(ns));
  }
  return out;
}

Mode ParseMode(const YAML::Node& node) {
  std::string s = ExpectString(node, "mode");
  if (s == "enforce") return Mode::kEnforce;
  if (s == "warn") return Mode::kWarn;
  if (s == "audit") return Mode::kAudit;
  Fail(node, "mode: \"" + s + "\" is not one of enforce, warn, audit");
}

Severity ParseSeverity(const YAML::Node& node, const std::string& key) {
  std::string s = ExpectString(node, key);
  for (Severity sev : {Severity::kLow, Severity::kMedium, Severity::kHigh, Severity::kCritical}) {
    if (s == SeverityName(sev)) return sev;
  }
  Fail(node, key + ": \"" + s + "\" is not one of low, medium, high, critical");
}

void ParseSnippets(const YAML::Node& node, const std::string& where, bool* allowed, std::vector<std::string>* namespaces) {
  ExpectMap(node, where);
  for (const auto& kv : node) {
    std::string key = ExpectString(kv.first, where + " key");
    if (key == "allow") {
      *allowed = ExpectBool(kv.second, where + ".allow");
    } else if (key == "namespaces") {
      *namespaces = ExpectNamespaces(kv.second, where + ".namespaces");
    } else {
      Fail(kv.first, where + ": unknown key \"" + key + "\" (expected allow, namespaces)");
    }
  }
}

std::vector<std::string> ParseIngressClasses(const YAML::Node& node, const std::string& where = "ingressClasses") {
  if (!node.IsSequence()) Fail(node, where + ": expected a list of IngressClass names, got " + Describe(node));
  if (node.size() == 0) Fail(node, where + ": name at least one class (the default is [nginx])");
  if (node.size() > kMaxListEntries) Fail(node, where + ": more than " + std::to_string(kMaxListEntries) + " entries");
  std::vector<std::string> out;
  for (const auto& item : node) {
    std::string name = ExpectString(item, where + "[]");
    if (!IsDnsSubdomain(name)) Fail(item, where + ": \"" + name + "\" is not a valid IngressClass name");
    out.push_back(std::move(name));
  }
  return out;
}

// One entry under `profiles`. `classes` is false for profiles whose objects carry no
// IngressClass (NGINX Gateway Fabric's filters and policies).
void ParseProfile(const YAML::Node& node, const std::string& where, bool classes, bool snippets, bool* enabled,
                  ProfileSettings* settings) {
  ExpectMap(node, where);
  std::string expected = "enabled";
  if (classes) expected += ", ingressClasses";
  if (snippets) expected += ", snippets";
  for (const auto& kv : node) {
    std::string key = ExpectString(kv.first, where + " key");
    if (key == "enabled") {
      *enabled = ExpectBool(kv.second, where + ".enabled");
    } else if (key == "ingressClasses" && classes) {
      settings->ingress_classes = ParseIngressClasses(kv.second, where + ".ingressClasses");
    } else if (key == "snippets" && snippets) {
      ParseSnippets(kv.second, where + ".snippets", &settings->snippets_allowed, &settings->snippet_namespaces);
    } else {
      Fail(kv.first, where + ": unknown key \"" + key + "\" (expected " + expected + ")");
    }
  }
}

void ParseProfiles(const YAML::Node& node, Policy& p) {
  ExpectMap(node, "profiles");
  for (const auto& kv : node) {
    std::string key = ExpectString(kv.first, "profiles key");
    if (key == "ingressNginx") {
      // Its classes, prefix and snippet settings are the top-level keys.
      ProfileSettings unused;
      ParseProfile(kv.second, "profiles.ingressNginx", false, false, &p.ingress_nginx_enabled, &unused);
    } else if (key == "f5NginxIngress") {
      ParseProfile(kv.second, "profiles.f5NginxIngress", true, true, &p.f5_nginx_ingress.enabled, &p.f5_nginx_ingress);
    } else if (key == "nginxGatewayFabric") {
      ParseProfile(kv.second, "profiles.nginxGatewayFabric", false, true, &p.nginx_gateway_fabric.enabled,
                   &p.nginx_gateway_fabric);
    } else {
      Fail(kv.first, "profiles: unknown profile \"" + key + "\" (expected ingressNginx, f5NginxIngress, nginxGatewayFabric)");
    }
  }
}

void ParseCrossNamespace(const YAML::Node& node, Policy& p) {
  ExpectMap(node, "crossNamespaceReferences");
  for (const auto& kv : node) {
    std::string key = ExpectString(kv.first, "crossNamespaceReferences key");
    if (key == "allow") {
      p.cross_namespace_allowed = ExpectBool(kv.second, "crossNamespaceReferences.allow");
    } else if (key == "namespaces") {
      p.cross_namespace_targets = ExpectNamespaces(kv.second, "crossNamespaceReferences.namespaces");
    } else {
      Fail(kv.first, "crossNamespaceReferences: unknown key \"" + key + "\" (expected allow, namespaces)");
    }
  }
}

void ParseControllerConfigMaps(const YAML::Node& node, Policy& p) {
  ExpectMap(node, "controllerConfigMaps");
  for (const auto& kv : node) {
    std::string key = ExpectString(kv.first, "controllerConfigMaps key");
    if (key == "names") {
      const YAML::Node& list = kv.second;
      if (!list.IsSequence()) Fail(list, "controllerConfigMaps.names: expected a list of namespace/name, got " + Describe(list));
      if (list.size() > kMaxListEntries) Fail(list, "controllerConfigMaps.names: more than " + std::to_string(kMaxListEntries) + " entries");
      p.controller_configmaps.clear();
      for (const auto& item : list) {
        std::string ref = ExpectString(item, "controllerConfigMaps.names[]");
        const size_t slash = ref.find('/');
        if (slash == std::string::npos || !IsDnsLabel(std::string_view(ref).substr(0, slash)) ||
            !IsDnsSubdomain(std::string_view(ref).substr(slash + 1))) {
          Fail(item, "controllerConfigMaps.names: \"" + ref + "\" is not namespace/name");
        }
        p.controller_configmaps.push_back(std::move(ref));
      }
    } else if (key == "matchLabels") {
      const YAML::Node& labels = kv.second;
      ExpectMap(labels, "controllerConfigMaps.matchLabels");
      p.controller_configmap_labels.clear();
      for (const auto& l : labels) {
        std::string k = ExpectString(l.first, "controllerConfigMaps.matchLabels key");
        std::string v = ExpectString(l.second, "controllerConfigMaps.matchLabels." + k);
        if (k.empty() || k.size() > 317) Fail(l.first, "controllerConfigMaps.matchLabels: \"" + k + "\" is not a label key");
        p.controller_configmap_labels[k] = v;
      }
    } else {
      Fail(kv.first, "controllerConfigMaps: unknown key \"" + key + "\" (expected names, matchLabels)");
    }
  }
}

void ParseRules(const YAML::Node& node, Policy& p) {
  ExpectMap(node, "rules");
  for (const auto& kv : node) {
    std::string id = ExpectString(kv.first, "rule id");
    if (FindRule(id) == nullptr) Fail(kv.first, "rules: unknown rule id \"" + id + "\" (see docs/rules.md)");
    if (p.rules.count(id) != 0) Fail(kv.first, "rules: duplicate rule id \"" + id + "\"");
    const std::string where = "rules." + id;
    ExpectMap(kv.second, where);
    RuleOverride o;
    for (const auto& field : kv.second) {
      std::string key = ExpectString(field.first, where + " key");
      if (key == "enabled") {
        o.enabled = ExpectBool(field.second, where + ".enabled");
      } else if (key == "severity") {
        o.severity = ParseSeverity(field.second, where + ".severity");
      } else {
        Fail(field.first, where + ": unknown key \"" + key + "\" (expected enabled, severity)");
      }
    }
    p.rules.emplace(id, o);
  }
}

std::shared_ptr<Policy> Compile(const YAML::Node& root) {
  auto p = std::make_shared<Policy>();
  if (root.IsNull()) return p;  // an empty file means the defaults
  ExpectMap(root, "policy");
  for (const auto& kv : root) {
    std::string key = ExpectString(kv.first, "key");
    const YAML::Node& v = kv.second;
    if (key == "mode") {
      p->mode = ParseMode(v);
    } else if (key == "annotationPrefix") {
      std::string prefix = ExpectString(v, "annotationPrefix");
      if (!IsDnsSubdomain(prefix)) Fail(v, "annotationPrefix: \"" + prefix + "\" is not a DNS subdomain such as nginx.ingress.kubernetes.io");
      p->annotation_prefix = prefix;
    } else if (key == "snippets") {
      ParseSnippets(v, "snippets", &p->snippets_allowed, &p->snippet_namespaces);
    } else if (key == "exemptNamespaces") {
      p->exempt_namespaces = ExpectNamespaces(v, "exemptNamespaces");
    } else if (key == "maxValueBytes") {
      p->max_value_bytes = ExpectSize(v, "maxValueBytes", kMinValueBytes, kMaxValueBytesCap);
    } else if (key == "rules") {
      ParseRules(v, *p);
    } else if (key == "ingressClasses") {
      p->ingress_classes = ParseIngressClasses(v);
    } else if (key == "crossNamespaceReferences") {
      ParseCrossNamespace(v, *p);
    } else if (key == "profiles") {
      ParseProfiles(v, *p);
    } else if (key == "controllerConfigMaps") {
      ParseControllerConfigMaps(v, *p);
    } else {
      Fail(kv.first, "unknown key \"" + key +
                         "\" (expected mode, annotationPrefix, ingressClasses, snippets, exemptNamespaces, "
                         "crossNamespaceReferences, profiles, controllerConfigMaps, maxValueBytes, rules)");
    }
  }
  return p;
}

void SetError(PolicyError* error, const std::string& file, const YAML::Mark& mark, std::string message) {
  if (error == nullptr) return;
  error->file = file;
  error->line = mark.line >= 0 ? mark.line + 1 : 0;
  error->column = mark.column >= 0 ? mark.column + 1 : 0;
  error->message = std::move(message);
}

}  // namespace

PolicyPtr ParsePolicy(const std::string& text, const std::string& file_name, PolicyError* error) {
  if (text.size() > kMaxPolicyBytes) {
    SetError(error, file_name, YAML::Mark::null_mark(), "policy file larger than 1 MiB");
    return nullptr;
  }
  if (auto bad = FindNonYamlChar(text)) {
    if (error != nullptr) {
      error->file = file_name;
      LineColumn(text, *bad, &error->line, &error->column);
      error->message = "not a text file: control character or invalid UTF-8";
    }
    return nullptr;
  }
  std::vector<DocumentText> docs;
  for (const auto& d : SplitDocuments(text)) {
    if (!IsBlankDocument(d.text)) docs.push_back(d);
  }
  if (docs.size() > 1) {
    SetError(error, file_name, YAML::Mark::null_mark(), "policy file must contain a single YAML document");
    if (error != nullptr) {
      // The second document's text starts on its `---` line; point at its first content line.
      const std::string_view second = docs[1].text;
      const size_t content = second.find_first_not_of(" \t\r\n");
      error->line = docs[1].first_line +
                    static_cast<int>(std::count(second.begin(), second.begin() + static_cast<long>(content), '\n'));
      error->column = 1;
    }
    return nullptr;
  }
  const int line_offset = docs.empty() ? 0 : docs[0].first_line - 1;
  try {
    return Compile(docs.empty() ? YAML::Node() : LoadSingleDocument(docs[0].text));
  } catch (const Failure& f) {
    SetError(error, file_name, f.mark, f.message);
  } catch (const YAML::Exception& e) {
    SetError(error, file_name, e.mark, "invalid YAML: " + e.msg);
  } catch (const std::exception& e) {
    SetError(error, file_name, YAML::Mark::null_mark(), std::string("invalid policy: ") + e.what());
  }
  // Marks count from the document's start; a position-less error (line 0) stays as it is.
  if (error != nullptr && error->line > 0) error->line += line_offset;
  return nullptr;
}

PolicyPtr LoadPolicyFile(const std::string& path, PolicyError* error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    SetError(error, path, YAML::Mark::null_mark(), "cannot read policy file");
    return nullptr;
  }
  std::string text;
  char buf[65536];
  while (in.read(buf, sizeof(buf)) || in.gcount() > 0) {
    text.append(buf, static_cast<size_t>(in.gcount()));
    if (text.size() > kMaxPolicyBytes) break;
  }
  return ParsePolicy(text, path, error);
}

PolicyPtr DefaultPolicy() {
  static const PolicyPtr policy = std::make_shared<const Policy>();
  return policy;
}

}  // namespace riposte::core
