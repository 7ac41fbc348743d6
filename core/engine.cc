#include "core/engine.h"

#include <exception>
#include <optional>

#include "core/annotation_types.h"
#include "core/controller_config.h"
#include "core/kubectl_reader.h"
#include "core/profile_ngf.h"
#include "core/profile_nic.h"
#include "core/rules.h"
#include "core/scanners.h"
#include "core/text.h"
#include "core/validators.h"

namespace riposte::core {

namespace {

// One Check() call: collects findings and applies the policy's rule overrides.
class Judge {
 public:
  Judge(const Policy& policy, const Ingress& ingress, const ConfigMapLookup* configmaps)
      : policy_(policy), ingress_(ingress), configmaps_(configmaps) {}

  std::vector<Finding> Run() {
    for (const auto& [key, value] : ingress_.annotations) JudgeAnnotationKey(key, value);
    if (!ingress_.uid.empty() && !IsUuid(ingress_.uid)) {
      Add(rule_ids::kUid, nullptr, "metadata.uid",
          "metadata.uid is not a UUID: " + QuoteFragment(ingress_.uid, 0));
    }
    for (size_t i = 0; i < ingress_.rules.size(); ++i) {
      const auto& rule = ingress_.rules[i];
      const std::string base = "spec.rules[" + std::to_string(i) + "]";
      JudgeHost(rule.host, base + ".host", rule_ids::kHost);
      for (size_t j = 0; j < rule.paths.size(); ++j) {
        JudgePath(rule.paths[j], base + ".http.paths[" + std::to_string(j) + "].path");
      }
    }
    for (size_t i = 0; i < ingress_.tls.size(); ++i) {
      const auto& tls = ingress_.tls[i];
      const std::string base = "spec.tls[" + std::to_string(i) + "]";
      for (size_t j = 0; j < tls.hosts.size(); ++j) {
        JudgeHost(tls.hosts[j], base + ".hosts[" + std::to_string(j) + "]", rule_ids::kTls);
      }
      if (!tls.secret_name.empty() && !IsDnsSubdomain(tls.secret_name)) {
        Add(rule_ids::kTls, nullptr, base + ".secretName",
            "secretName is not a valid Secret name: " + QuoteFragment(tls.secret_name, 0));
      }
    }
    return std::move(findings_);
  }

 private:
  void Add(std::string_view rule_id, const AnnotationType* type, std::string field, std::string message) {
    const RuleInfo* info = FindRule(rule_id);
    Finding f;
    f.rule_id = std::string(rule_id);
    f.severity = info->severity;
    auto it = policy_.rules.find(f.rule_id);
    if (it != policy_.rules.end()) {
      if (!it->second.enabled) return;
      if (it->second.severity) f.severity = *it->second.severity;
    }
    const bool specific = type != nullptr && !type->cves.empty();
    for (auto cve : specific ? type->cves : info->cves) f.cves.emplace_back(cve);
    // Keys and hosts come from the object too: never let them carry raw control characters.
    f.field = FindControl(field) ? EscapeForDisplay(field) : std::move(field);
    f.message = std::move(message);
    f.remediation = std::string(info->remediation);
    if (specific && !type->fixed_in.empty()) {
      std::string cves;
      for (auto cve : type->cves) cves += (cves.empty() ? "" : ", ") + std::string(cve);
      f.remediation += " Fixed in ingress-nginx " + std::string(type->fixed_in) + " and later (" + cves + ").";
    }
    findings_.push_back(std::move(f));
  }

  void JudgeAnnotationKey(const std::string& key, const std::string& value) {
    // Only the configured prefix (ingress-nginx's --annotations-prefix) is read by
    // ingress-nginx; alb.ingress.kubernetes.io/*, traefik.ingress.kubernetes.io/* and every
    // other controller's annotations are not, even when their names match ours.
    const std::string& prefix = policy_.annotation_prefix;
    if (key.size() <= prefix.size() + 1 || key[prefix.size()] != '/' || key.compare(0, prefix.size(), prefix) != 0) {
      return;
    }
    std::string_view name(key.data() + prefix.size() + 1, key.size() - prefix.size() - 1);
    JudgeAnnotation(key, name, value, FindAnnotationType(name));
  }

  void JudgeAnnotation(const std::string& key, std::string_view name, std::string_view raw,
                       const AnnotationType* type) {
    if (raw.size() > policy_.max_value_bytes) {
      Add(rule_ids::kSize, nullptr, key,
          "value is " + std::to_string(raw.size()) + " bytes, over the " +
              std::to_string(policy_.max_value_bytes) + "-byte limit; not scanned further");
      return;
    }
    const bool snippet = type != nullptr && type->type == ValueType::kSnippet;
    if (snippet) {
      if (auto hit = FindControl(raw, true)) {
        Add(rule_ids::kControl, type, key, hit->what + " in snippet value: " + QuoteFragment(raw, hit->pos));
      }
      JudgeSnippet(key, name, raw, type);
      return;
    }
    // The value as ingress-nginx uses it: list items and option values are trimmed (a YAML
    // block scalar's newlines between items never reach nginx.conf).
    std::string normalized;
    std::string_view value = raw;
    if (type != nullptr && NeedsNormalizing(*type, raw)) {
      normalized = NormalizeLikeIngressNginx(*type, raw);
      value = normalized;
    }
    const std::string_view type_label = type ? ValueTypeName(type->type) : "unknown annotation";
    bool broken = false;
    if (auto hit = FindControl(value)) {
      broken = true;
      Add(rule_ids::kControl, type, key, hit->what + " in " + std::string(type_label) + " value: " + QuoteFragment(value, hit->pos));
    }
    std::optional<ScanHit> danger = FindDirective(value);
    if (!danger) danger = FindSensitivePath(value);
    if (!danger && (type == nullptr || !IsUrlType(type->type))) danger = FindMetadataAddress(value);
    if (danger) {
      broken = true;
      Add(rule_ids::kDirective, type, key, danger->what + " in " + std::string(type_label) + " value: " + QuoteFragment(value, danger->pos));
    }
    // No ingress-nginx release reads an unknown name under its prefix: only text that never
    // belongs in any value (above) is reported for it.
    if (type == nullptr) return;
    if (IsUrlType(type->type)) JudgeUrlTarget(key, value, type);
    if (auto bad = ValidateAnnotationValue(*type, value)) {
      // A control character already explains why the type check fails; keep one finding.
      if (broken && FindControl(value)) return;
      Add(rule_ids::kType, type, key,
          "not a valid " + std::string(type_label) + ": " + bad->reason + ": " + QuoteFragment(value, bad->pos));
      return;
    }
    if (type->namespaced_ref) JudgeReferenceNamespace(key, value, type);
    if (type->placement != ConfigMapPlacement::kNone) JudgeConfigMap(key, value, type);
  }

  // Whether NormalizeLikeIngressNginx would change anything (the common case is no).
  static bool NeedsNormalizing(const AnnotationType& type, std::string_view v) {
    if (type.type == ValueType::kCidrList || type.type == ValueType::kHostList) {
      for (char c : v) {
        const auto uc = static_cast<unsigned char>(c);
        if (IsSpace(c) || uc >= 0x80 || c == ',') return true;
      }
      return false;
    }
    return type.trims && !v.empty() && (IsSpace(v.front()) || IsSpace(v.back()));
  }

  static bool IsUrlType(ValueType t) {
    return t == ValueType::kUrl || t == ValueType::kHttpUrl || t == ValueType::kUrlOrPath || t == ValueType::kErrorPage ||
           t == ValueType::kHost;
  }

  // ingress-nginx's own whitespace handling (internal/ingress/annotations/*, internal/net):
  // CIDR lists and server-alias are split on ',' and each item strings.TrimSpace'd;
  // ValidateOptions(trimSpace) values are trimmed whole. Everything else is used as written.
  static std::string NormalizeLikeIngressNginx(const AnnotationType& type, std::string_view v) {
    if (type.type == ValueType::kCidrList || type.type == ValueType::kHostList) {
      std::string out;
      size_t start = 0;
      while (true) {
        size_t comma = v.find(',', start);
        if (comma == std::string_view::npos) comma = v.size();
        std::string_view item = GoTrimSpace(v.substr(start, comma - start));
        const bool skip = item.empty() && type.type == ValueType::kHostList;  // alias/main.go skips ""
        if (!skip) {
          if (!out.empty() || start != 0) out += ',';
          out += item;
        }
        if (comma == v.size()) break;
        start = comma + 1;
      }
      if (type.type == ValueType::kHostList && !out.empty() && out[0] == ',') out.erase(0, 1);
      return out;
    }
    if (type.trims) {
      // ASCII whitespace only: trimmed Unicode spaces would still be written by older releases.
      size_t b = 0, e = v.size();
      while (b < e && IsSpace(v[b])) ++b;
      while (e > b && IsSpace(v[e - 1])) --e;
      return std::string(v.substr(b, e - b));
    }
    return std::string(v);
  }

  void JudgeUrlTarget(const std::string& key, std::string_view value, const AnnotationType* type) {
    size_t offset = 0;
    std::string_view host;
    if (type->type == ValueType::kHost) {
      host = value;
      if (!host.empty() && host.front() == '[') {
        host.remove_prefix(1);
        offset = 1;
        host = host.substr(0, host.find(']'));
      } else if (const size_t colon = host.rfind(':'); colon != std::string_view::npos && host.find(':') == colon) {
        host = host.substr(0, colon);
      }
    } else {
      host = UrlHost(value, &offset);
    }
    if (host.empty() || host.find('$') != std::string_view::npos) return;
    if (auto what = MetadataHost(host)) {
      Add(rule_ids::kMetadataAddress, nullptr, key, *what + " as the target host: " + QuoteFragment(value, offset));
    }
  }

  void JudgeReferenceNamespace(const std::string& key, std::string_view ref, const AnnotationType* type) {
    const size_t slash = ref.find('/');
    if (slash == std::string_view::npos) return;
    const std::string target(ref.substr(0, slash));
    const std::string own = ingress_.ns.empty() ? "default" : ingress_.ns;
    if (target == own || policy_.CrossNamespaceAllowed(target)) return;
    Add(rule_ids::kCrossNamespace, type, key,
        "references " + QuoteFragment(ref, 0) + " in namespace " + EscapeForDisplay(target) + " from an Ingress in " +
            EscapeForDisplay(own) + ": ingress-nginx reads it across namespaces where allow-cross-namespace-resources "
            "is on (the default before v1.12)");
  }

  void JudgeSnippet(const std::string& key, std::string_view name, std::string_view value,
                    const AnnotationType* type) {
    // An empty snippet injects nothing (charts often render `snippet: ""`).
    if (value.find_first_not_of(" \t\r\n") == std::string_view::npos) return;
    if (!policy_.SnippetsAllowedIn(ingress_.ns)) {
      const std::string ns = ingress_.ns.empty() ? "(none)" : ingress_.ns;
      Add(rule_ids::kSnippetDenied, type, key,
          std::string(name) + " is not allowed in namespace " + ns +
              ": snippets are denied unless the policy allows them (snippets.namespaces: [" + ns + "])");
    }
    if (auto hit = FindSnippetDanger(value)) {
      Add(rule_ids::kSnippetDanger, nullptr, key, hit->what + " in " + std::string(name) + ": " + QuoteFragment(value, hit->pos));
    }
  }

  void JudgeConfigMap(const std::string& key, std::string_view ref, const AnnotationType* type) {
    if (configmaps_ == nullptr) return;
    auto [ns, name] = SplitReference(ref, ingress_.ns);
    const ConfigMap* cm = configmaps_->Find(ns, name);
    if (cm == nullptr) return;
    JudgeConfigMapData(*cm, ns, name, key, type);
  }

 public:
  // CheckReferencedConfigMap: `key` is the referencing annotation, with the prefix.
  std::vector<Finding> RunConfigMap(const ConfigMap& cm, const std::string& key) {
    const std::string& prefix = policy_.annotation_prefix;
    if (key.size() <= prefix.size() + 1 || key[prefix.size()] != '/' || key.compare(0, prefix.size(), prefix) != 0) {
      return {};
    }
    const AnnotationType* type = FindAnnotationType(std::string_view(key).substr(prefix.size() + 1));
    if (type == nullptr || type->placement == ConfigMapPlacement::kNone) return {};
    JudgeConfigMapData(cm, cm.ns.empty() ? "default" : cm.ns, cm.name, key, type);
    return std::move(findings_);
  }

  // "ns/name" or "name" (in the Ingress's namespace, "default" when it has none).
  static std::pair<std::string, std::string> SplitReference(std::string_view ref, const std::string& ingress_ns) {
    const size_t slash = ref.find('/');
    if (slash == std::string_view::npos) return {ingress_ns.empty() ? "default" : ingress_ns, std::string(ref)};
    return {std::string(ref.substr(0, slash)), std::string(ref.substr(slash + 1))};
  }

 private:
  void JudgeConfigMapData(const ConfigMap& configmap, const std::string& ns, const std::string& name,
                          const std::string& key, const AnnotationType* type) {
    const ConfigMap* cm = &configmap;
    const std::string where = "configmap " + ns + "/" + name + " (" + key + ")";
    const bool params = type->placement == ConfigMapPlacement::kGoQuotedParam;
    for (const auto& [entry, value] : cm->data) {
      const std::string field = "configmap " + ns + "/" + name + ": " + EscapeForDisplay(entry.substr(0, 128));
      if (auto bad = CheckHeaderName(entry)) {
        Add(rule_ids::kConfigMapHeader, type, field,
            std::string(params ? "parameter" : "header") + " name " + bad->reason + ": " + QuoteFragment(entry, bad->pos) +
                " in " + where);
        continue;
      }
      if (value.size() > policy_.max_value_bytes) {
        Add(rule_ids::kConfigMapHeader, type, field, "value over the size limit in " + where);
        continue;
      }
      std::optional<ScanHit> hit = FindControl(value);
      if (!hit && type->placement == ConfigMapPlacement::kSingleQuotedHeader) {
        // proxy_set_header 'name' 'value'; - a quote ends the string, a backslash escapes
        // the closing quote. Everything else, ';', '{', '$' included, stays inside it.
        for (size_t i = 0; i < value.size(); ++i) {
          if (value[i] == '\'' || value[i] == '\\') {
            hit = ScanHit{i, std::string("'") + value[i] + "' breaks out of the single-quoted proxy_set_header value"};
            break;
          }
        }
      }
      // Go-quoted placements (custom-headers, fastcgi params) escape quotes and backslashes;
      // nginx turns \n, \r and \t back into control characters, so only those matter.
      if (hit) {
        Add(rule_ids::kConfigMapHeader, type, field, hit->what + " in value: " + QuoteFragment(value, hit->pos));
      }
    }
  }

  void JudgeHost(const std::string& host, const std::string& field, std::string_view rule) {
    if (host.empty()) return;
    if (host.size() > 253 || !IsIngressHost(host)) {
      std::string why = "not a lowercase DNS name";
      size_t pos = 0;
      if (auto hit = FindControl(host)) why = hit->what, pos = hit->pos;
      Add(rule, nullptr, field, "host is " + why + ": " + QuoteFragment(host, pos));
    }
  }

  bool UsesRegex() const {
    for (const auto& [key, value] : ingress_.annotations) {
      const std::string& prefix = policy_.annotation_prefix;
      if (key.size() <= prefix.size() + 1 || key.compare(0, prefix.size(), prefix) != 0 || key[prefix.size()] != '/') continue;
      std::string_view name(key.data() + prefix.size() + 1, key.size() - prefix.size() - 1);
      if ((name == "use-regex" && value == "true") || name == "rewrite-target") return true;
    }
    return false;
  }

  void JudgePath(const IngressPath& p, const std::string& field) {
    const std::string& path = p.path;
    if (path.empty()) return;
    if (path.size() > policy_.max_value_bytes) {
      Add(rule_ids::kSize, nullptr, field,
          "path is " + std::to_string(path.size()) + " bytes, over the " + std::to_string(policy_.max_value_bytes) +
              "-byte limit; not scanned further");
      return;
    }
    if (auto hit = FindSensitivePath(path)) {
      Add(rule_ids::kPathSecret, nullptr, field, hit->what + " in path: " + QuoteFragment(path, hit->pos));
    }
    if (auto hit = FindControl(path)) {
      Add(rule_ids::kPathChars, nullptr, field, hit->what + " in path: " + QuoteFragment(path, hit->pos));
      return;
    }
    if (!uses_regex_) uses_regex_ = UsesRegex() ? 1 : 0;
    // With use-regex or rewrite-target every path of the server is rendered as a regex
    // location (`location ~* "^<path>"`, template.go buildLocation), whatever its pathType.
    const bool strict = (p.path_type == "Exact" || p.path_type == "Prefix") && !*uses_regex_;
    const std::string kind = strict ? p.path_type + " path" : (*uses_regex_ ? "regex path" : "ImplementationSpecific path");
    if (path[0] != '/') {
      Add(rule_ids::kPathChars, nullptr, field, kind + " must start with '/': " + QuoteFragment(path, 0));
      return;
    }
    Check bad;
    if (strict) {
      bad = CheckStrictPath(path);
    } else {
      bad = CheckRegex(path, 0, false);
      if (!bad) {
        if (auto hit = FindDirective(path)) bad = Violation{hit->pos, hit->what};
      }
    }
    if (bad) Add(rule_ids::kPathChars, nullptr, field, kind + ": " + bad->reason + ": " + QuoteFragment(path, bad->pos));
  }

  static Check CheckStrictPath(std::string_view path) {
    for (size_t i = 0; i < path.size(); ++i) {
      const char c = path[i];
      if (IsAlnum(c) || c == '/' || c == '_' || c == '-' || c == '~') continue;
      if (c == '.') {
        if (path[i - 1] == '/' && i + 1 < path.size() && path[i + 1] == '.' &&
            (i + 2 == path.size() || path[i + 2] == '/')) {
          return Violation{i, "'..' path traversal segment is not allowed"};
        }
        continue;
      }
      if (c == '%' && i + 2 < path.size() && IsHex(path[i + 1]) && IsHex(path[i + 2])) {
        const int hi = IsDigit(path[i + 1]) ? path[i + 1] - '0' : AsciiLower(path[i + 1]) - 'a' + 10;
        const int lo = IsDigit(path[i + 2]) ? path[i + 2] - '0' : AsciiLower(path[i + 2]) - 'a' + 10;
        const char d = static_cast<char>(hi * 16 + lo);
        if (IsAlnum(d) || d == '/' || d == '.' || d == '_' || d == '-' || d == '~' || static_cast<unsigned char>(d) >= 0x80) {
          i += 2;
          continue;
        }
        return Violation{i, "%-escape decodes to a character not allowed in Exact/Prefix paths"};
      }
      std::string what = (c == ' ') ? "a space" : std::string("'") + c + "'";
      if (static_cast<unsigned char>(c) >= 0x7F || static_cast<unsigned char>(c) < 0x20) what = "a non-ASCII byte";
      return Violation{i, what + " is not allowed (letters, digits, '/', '.', '_', '-', '~' only)"};
    }
    return std::nullopt;
  }

  const Policy& policy_;
  const Ingress& ingress_;
  const ConfigMapLookup* configmaps_;
  std::vector<Finding> findings_;
  std::optional<int> uses_regex_;  // computed on the first path that needs it
};

}  // namespace

Engine::Engine(PolicyPtr policy) : policy_(policy ? std::move(policy) : DefaultPolicy()) {}

bool Engine::Judges(const Ingress& ingress) const {
  if (!policy_->ingress_nginx_enabled || policy_->IsExempt(ingress.ns)) return false;
  const std::string cls = EffectiveClass(ingress);
  if (ingress.previous_class && *ingress.previous_class != cls) return true;  // a class change
  // No class: served by ingress-nginx under --watch-ingress-without-class, so judged.
  return cls.empty() || policy_->ServesClass(cls);
}

bool Engine::JudgesAny(const Ingress& ingress) const { return Judges(ingress) || NicServes(*policy_, ingress); }

namespace {

std::vector<Finding> EngineError(const std::exception& e) {
  Finding f;
  f.rule_id = std::string(rule_ids::kEngineError);
  f.severity = Severity::kCritical;
  f.field = "metadata";
  f.message = std::string("engine error: ") + e.what();
  f.remediation = std::string(FindRule(rule_ids::kEngineError)->remediation);
  return {f};
}

}  // namespace

std::vector<Finding> Engine::Check(const Ingress& ingress, const ConfigMapLookup* configmaps) const {
  try {
    const bool ingress_nginx = Judges(ingress);
    std::vector<Finding> findings;
    if (ingress_nginx) findings = Judge(*policy_, ingress, configmaps).Run();
    // The F5 profile reads other annotation names; the spec is judged once, by ingress-nginx's
    // rules when both profiles serve the class.
    if (policy_->f5_nginx_ingress.enabled && NicServes(*policy_, ingress)) {
      JudgeNicIngress(*policy_, ingress, ingress_nginx, &findings);
    }
    return findings;
  } catch (const std::exception& e) {
    return EngineError(e);
  }
}

std::vector<Finding> Engine::CheckReferencedConfigMap(const ConfigMap& cm, const std::string& ingress_ns,
                                                      const std::string& annotation_key) const {
  try {
    Ingress referrer;
    referrer.ns = ingress_ns;
    return Judge(*policy_, referrer, nullptr).RunConfigMap(cm, annotation_key);
  } catch (const std::exception& e) {
    return EngineError(e);
  }
}

std::vector<std::pair<std::string, std::string>> Engine::ConfigMapReferences(const Ingress& ingress) const {
  std::vector<std::pair<std::string, std::string>> out;
  if (!Judges(ingress)) return out;
  const std::string& prefix = policy_->annotation_prefix;
  for (const auto& [key, value] : ingress.annotations) {
    if (key.size() <= prefix.size() + 1 || key[prefix.size()] != '/' || key.compare(0, prefix.size(), prefix) != 0) {
      continue;
    }
    const AnnotationType* type = FindAnnotationType(std::string_view(key).substr(prefix.size() + 1));
    if (type == nullptr || type->placement == ConfigMapPlacement::kNone) continue;
    std::string_view ref = value;
    while (!ref.empty() && IsSpace(ref.front())) ref.remove_prefix(1);
    while (!ref.empty() && IsSpace(ref.back())) ref.remove_suffix(1);
    if (ref.empty() || ref.size() > 253 + 1 + 63) continue;
    auto [ns, name] = Judge::SplitReference(ref, ingress.ns);
    if (ns.empty() || name.empty()) continue;
    out.emplace_back(ns + "/" + name, key);
  }
  return out;
}

std::vector<Finding> Engine::CheckControllerConfigMap(const ConfigMap& cm) const {
  try {
    ControllerConfig config;
    ApplyControllerConfigMap(cm.data, &config);
    ControllerCheckOptions opts;
    const std::string id = EscapeForDisplay((cm.ns.empty() ? "default" : cm.ns) + "/" + cm.name);
    opts.where = "ConfigMap " + id;
    std::vector<Finding> out;
    for (auto& f : CheckControllerConfig(config, opts)) {
      auto it = policy_->rules.find(f.rule_id);
      if (it != policy_->rules.end()) {
        if (!it->second.enabled) continue;
        if (it->second.severity) f.severity = *it->second.severity;
      }
      f.field = "configmap " + id + ": " + f.field;
      out.push_back(std::move(f));
    }
    return out;
  } catch (const std::exception& e) {
    return EngineError(e);
  }
}

bool Engine::Judges(const NginxResource& resource) const {
  return NicServesResource(*policy_, resource) || NgfServesResource(*policy_, resource);
}

std::vector<Finding> Engine::Check(const NginxResource& resource) const {
  try {
    std::vector<Finding> findings;
    if (NicServesResource(*policy_, resource)) JudgeNicResource(*policy_, resource, &findings);
    if (NgfServesResource(*policy_, resource)) JudgeNgfResource(*policy_, resource, &findings);
    return findings;
  } catch (const std::exception& e) {
    return EngineError(e);
  }
}

}  // namespace riposte::core
