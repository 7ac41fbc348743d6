#pragma once
// The webhook/scan policy file (YAML). See docs/policy.md for the format.

#include <cstddef>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/finding.h"
#include "core/ingress.h"

namespace riposte::core {

enum class Mode { kEnforce, kWarn, kAudit };

struct RuleOverride {
  bool enabled = true;
  std::optional<Severity> severity;
};

// Settings of one successor-controller profile (docs/profiles.md). Snippets are denied unless
// allowed here, exactly like ingress-nginx's snippet annotations under `snippets`.
struct ProfileSettings {
  bool enabled = false;
  // IngressClasses the controller serves (F5 NGINX Ingress Controller only; its Helm default is
  // "nginx", the same name as ingress-nginx's).
  std::vector<std::string> ingress_classes;
  bool snippets_allowed = false;               // everywhere
  std::vector<std::string> snippet_namespaces;  // allowed only in these namespaces

  bool SnippetsAllowedIn(const std::string& ns) const;
  bool ServesClass(const std::string& ingress_class) const;
};

struct Policy {
  Mode mode = Mode::kEnforce;
  std::string annotation_prefix = "nginx.ingress.kubernetes.io";
  bool snippets_allowed = false;               // everywhere
  std::vector<std::string> snippet_namespaces;  // allowed only in these namespaces
  std::vector<std::string> exempt_namespaces;   // never judged
  size_t max_value_bytes = 32 * 1024;          // per annotation value / path
  std::map<std::string, RuleOverride> rules;    // keyed by rule id
  // IngressClasses ingress-nginx serves (names of IngressClass objects whose controller is
  // ingress-nginx's --controller-class, or its --ingress-class for the annotation). Ingresses
  // of other classes are never judged; Ingresses without a class always are.
  std::vector<std::string> ingress_classes = {"nginx"};
  // References to Secrets/ConfigMaps in another namespace (RIP-XNS-REF).
  bool cross_namespace_allowed = false;                 // everywhere
  std::vector<std::string> cross_namespace_targets;     // referenced namespaces always allowed
  // Profiles (policy key `profiles`). ingress-nginx's rules above can be switched off for
  // clusters that only run a successor controller.
  bool ingress_nginx_enabled = true;
  ProfileSettings f5_nginx_ingress{false, {"nginx"}, false, {}};  // nginx.org/*, k8s.nginx.org kinds
  ProfileSettings nginx_gateway_fabric;                          // gateway.nginx.org kinds

  // The ingress-nginx controller's own ConfigMap(s) (its --configmap), guarded at admission
  // (core/controller_config.h): by "namespace/name", or by labels (all must match; empty =
  // no label match). Exempt namespaces do not apply to them.
  std::vector<std::string> controller_configmaps = {"ingress-nginx/ingress-nginx-controller"};
  std::map<std::string, std::string> controller_configmap_labels;

  bool SnippetsAllowedIn(const std::string& ns) const;
  bool IsExempt(const std::string& ns) const;
  bool IsControllerConfigMap(const std::string& ns, const std::string& name, const KeyValues& labels) const;
  bool ServesClass(const std::string& ingress_class) const;
  bool CrossNamespaceAllowed(const std::string& target_ns) const;
};

using PolicyPtr = std::shared_ptr<const Policy>;

// An error in a policy file, with the position of the offending node (1-based).
struct PolicyError {
  std::string file;
  int line = 0;
  int column = 0;
  std::string message;
  std::string ToString() const;  // "file:line:column: message"
};

// read -> validate -> compile. On failure returns nullptr and fills *error.
PolicyPtr LoadPolicyFile(const std::string& path, PolicyError* error);
PolicyPtr ParsePolicy(const std::string& text, const std::string& file_name, PolicyError* error);
PolicyPtr DefaultPolicy();

}  // namespace riposte::core
