#include "core/engine.h"

#include <exception>
#include <optional>

#include "core/annotation_types.h"
#include "core/rules.h"
#include "core/scanners.h"
#include "core/text.h"
#include "core/validators.h"

namespace riposte::core {

namespace {

constexpr std::string_view kForeignPrefixSuffix = "ingress.kubernetes.io";

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
    const std::string& prefix = policy_.annotation_prefix;
    const size_t slash = key.find('/');
    if (slash == std::string::npos) return;
    std::string_view owner(key.data(), slash);
    std::string_view name(key.data() + slash + 1, key.size() - slash - 1);
    if (owner == prefix) {
      JudgeAnnotation(key, name, value, FindAnnotationType(name));
      return;
    }
    // Another ingress controller prefix (--annotations-prefix can be changed): known
    // ingress-nginx annotations there are judged as if they were ours, because a controller
    // started with that prefix would act on them.
    if (owner.size() >= kForeignPrefixSuffix.size() &&
        owner.substr(owner.size() - kForeignPrefixSuffix.size()) == kForeignPrefixSuffix) {
      if (const AnnotationType* type = FindAnnotationType(name)) JudgeAnnotation(key, name, value, type);
    }
  }

  void JudgeAnnotation(const std::string& key, std::string_view name, std::string_view value,
                       const AnnotationType* type) {
    if (value.size() > policy_.max_value_bytes) {
      Add(rule_ids::kSize, nullptr, key,
          "value is " + std::to_string(value.size()) + " bytes, over the " +
              std::to_string(policy_.max_value_bytes) + "-byte limit; not scanned further");
      return;
    }
    const std::string type_label = type ? std::string(ValueTypeName(type->type)) : "unknown annotation";
    bool broken = false;
    const bool snippet = type != nullptr && type->type == ValueType::kSnippet;
    if (auto hit = FindControl(value, snippet)) {
      broken = true;
      Add(rule_ids::kControl, type, key, hit->what + " in " + type_label + " value: " + QuoteFragment(value, hit->pos));
    }
    if (snippet) {
      JudgeSnippet(key, name, value, type);
      return;
    }
    std::optional<ScanHit> danger = FindDirective(value);
    if (!danger) danger = FindSensitivePath(value);
    if (!danger) danger = FindMetadataAddress(value);
    if (danger) {
      broken = true;
      Add(rule_ids::kDirective, type, key, danger->what + " in " + type_label + " value: " + QuoteFragment(value, danger->pos));
    }
    if (type == nullptr) {
      if (auto bad = CheckNginxSyntax(value)) {
        Add(rule_ids::kSyntax, nullptr, key, bad->reason + ": " + QuoteFragment(value, bad->pos));
      }
      return;
    }
    if (auto bad = ValidateAnnotationValue(*type, value)) {
      // A control character already explains why the type check fails; keep one finding.
      if (broken && FindControl(value)) return;
      Add(rule_ids::kType, type, key,
          "not a valid " + type_label + ": " + bad->reason + ": " + QuoteFragment(value, bad->pos));
      return;
    }
    if (type->type == ValueType::kHeaderConfigMap) JudgeHeaderConfigMap(key, value, type);
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

  void JudgeHeaderConfigMap(const std::string& key, std::string_view ref, const AnnotationType* type) {
    if (configmaps_ == nullptr) return;
    std::string ns = ingress_.ns.empty() ? "default" : ingress_.ns;
    std::string name(ref);
    const size_t slash = ref.find('/');
    if (slash != std::string_view::npos) {
      ns = std::string(ref.substr(0, slash));
      name = std::string(ref.substr(slash + 1));
    }
    const ConfigMap* cm = configmaps_->Find(ns, name);
    if (cm == nullptr) return;
    const std::string where = "configmap " + ns + "/" + name + " (" + key + ")";
    for (const auto& [header, value] : cm->data) {
      const std::string field = "configmap " + ns + "/" + name + ": " + EscapeForDisplay(header.substr(0, 128));
      if (auto bad = CheckHeaderName(header)) {
        Add(rule_ids::kConfigMapHeader, type, field,
            "header name " + bad->reason + ": " + QuoteFragment(header, bad->pos) + " in " + where);
        continue;
      }
      if (value.size() > policy_.max_value_bytes) {
        Add(rule_ids::kConfigMapHeader, type, field, "header value over the size limit in " + where);
        continue;
      }
      std::optional<ScanHit> hit = FindControl(value);
      if (!hit) hit = FindDirective(value);
      if (!hit) hit = FindSensitivePath(value);
      if (!hit) {
        for (size_t i = 0; i < value.size(); ++i) {
          const char c = value[i];
          if (c == '$' && i + 1 < value.size() && value[i + 1] == '{' && NginxVariableLength(value, i) != 0) {
            i += NginxVariableLength(value, i) - 1;
            continue;
          }
          if (c == '"' || c == '\'' || c == '`' || c == '\\' || c == '{' || c == '}' || c == '#') {
            hit = ScanHit{i, std::string("'") + c + "' would break out of the header value's quoting"};
            break;
          }
        }
      }
      if (hit) {
        Add(rule_ids::kConfigMapHeader, type, field, hit->what + " in header value: " + QuoteFragment(value, hit->pos));
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
    const bool strict = p.path_type == "Exact" || p.path_type == "Prefix";
    if (!uses_regex_) uses_regex_ = UsesRegex() ? 1 : 0;
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

std::vector<Finding> Engine::Check(const Ingress& ingress, const ConfigMapLookup* configmaps) const {
  if (policy_->IsExempt(ingress.ns)) return {};
  try {
    return Judge(*policy_, ingress, configmaps).Run();
  } catch (const std::exception& e) {
    Finding f;
    f.rule_id = std::string(rule_ids::kEngineError);
    f.severity = Severity::kCritical;
    f.field = "metadata";
    f.message = std::string("engine error: ") + e.what();
    f.remediation = std::string(FindRule(rule_ids::kEngineError)->remediation);
    return {f};
  }
}

}  // namespace riposte::core
