#pragma once
// The audit result, independent of how it is rendered (render.h) or exported (metrics.h).
// Everything here is sorted deterministically so that renderings are stable.

#include <array>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/finding.h"

namespace riposte::audit {

// What a finding is about. Stable names in JSON: see CategoryName().
enum class Category { kCve, kSetting, kReachability, kIngress, kConfigMap, kRiposte, kUnreadable };
std::string_view CategoryName(Category c);
// "low", "medium", "high", "critical" (same names as core::SeverityName, which this library
// must not require: riposte_core is optional at build time).
std::string_view SeverityLabel(core::Severity s);

struct ObjectRef {
  std::string kind;  // "Deployment", "Ingress", "ConfigMap", ...
  std::string ns;
  std::string name;
  bool operator<(const ObjectRef& o) const;
  bool operator==(const ObjectRef& o) const = default;
  std::string ToString() const;  // "Deployment ingress-nginx/ingress-nginx-controller"
};

struct AuditFinding {
  std::string id;          // stable within a report: "<kind>/<ns>/<name>/<cve|rule|setting>"
  Category category = Category::kCve;
  core::Severity severity = core::Severity::kHigh;
  ObjectRef object;        // the workload / Ingress / ConfigMap / resource concerned
  std::vector<std::string> cves;
  std::string rule_id;     // engine rule or audit check id ("AUD-SNIPPETS", ...)
  std::string field;       // annotation key, setting name, container arg
  std::string title;       // one line: what
  std::string detail;      // why
  std::string remediation; // how to fix
};

struct ServiceExposure {
  std::string ns;
  std::string name;
  std::string type;                      // ClusterIP, NodePort, LoadBalancer
  std::vector<std::string> external;     // LB IPs/hostnames and externalIPs
  std::vector<std::string> ports;        // "80->http (nodePort 30080)"
  bool exposed = false;                  // reachable from outside the cluster
  bool admission = false;                // exposes the admission webhook port
};

struct ControllerSettings {
  std::optional<bool> allow_snippet_annotations;   // nullopt = unknown (ConfigMap unreadable)
  std::string annotations_risk_level;              // "" = unknown
  std::optional<bool> enable_annotation_validation;
  std::optional<bool> strict_validate_path_type;
  std::string configmap;                           // "ns/name" from --configmap, "" when none
  bool configmap_found = false;
  std::vector<std::string> sources;                // where each value came from, for the report
};

struct PodInfo {
  std::string name;
  std::string node;
  std::string phase;
  bool ready = false;
};

struct Controller {
  ObjectRef workload;                 // Deployment / DaemonSet / Pod (standalone)
  std::string container;
  std::string image;
  std::string version;                // "v1.11.4" or "unknown"
  std::string version_note;           // why unknown (e.g. "digest only")
  std::vector<PodInfo> pods;
  std::vector<std::string> nodes;     // sorted, unique
  std::vector<ServiceExposure> services;
  ControllerSettings settings;
  std::string ingress_class;          // --ingress-class (default "nginx")
  // CVE-2025-1974 reachability.
  int admission_port = 0;             // 0 = webhook disabled
  bool admission_restricted = false;  // a NetworkPolicy restricts ingress to the admission port
  std::vector<std::string> network_policies;  // names of policies selecting the pods
  std::string validating_webhook;     // VWC name pointing at the admission Service, "" if none
  std::vector<std::string> cves;      // exposed CVEs, sorted
  std::string recommended_version;    // lowest release fixing every exposed CVE, "" if none
  bool at_risk = false;
};

struct IngressResult {
  ObjectRef ingress;
  std::string ingress_class;
  std::vector<std::string> backends;     // Service names
  std::vector<std::string> controllers;  // workload names serving this class
  size_t findings = 0;
  std::string worst;                     // severity name of the worst finding, "" when clean
};

struct RiposteWebhookStatus {
  bool installed = false;
  bool enforcing = false;
  std::string configuration;  // VWC name
  std::string failure_policy; // "Fail" / "Ignore"
  std::string service;        // "ns/name"
  bool endpoints_ready = false;
  bool covers_ingress = false;  // rules include ingresses CREATE+UPDATE
  std::vector<std::string> problems;
};

struct UnreadableResource {
  std::string resource;
  std::string reason;
  int code = 0;
  std::string message;
};

struct Report {
  std::string source;
  std::string namespace_scope;
  std::string generated_at;  // RFC 3339, "" to omit (golden files)
  std::vector<Controller> controllers;
  std::vector<IngressResult> ingresses;
  RiposteWebhookStatus riposte;
  std::vector<UnreadableResource> unreadable;
  std::vector<AuditFinding> findings;   // sorted: severity desc, then object, then id
  bool engine_available = true;         // false when the check engine was not built in

  bool complete() const { return unreadable.empty(); }
  bool at_risk() const;  // any critical or high finding
  std::array<size_t, 4> CountsBySeverity() const;  // index = static_cast<int>(Severity)
  int ExitCode() const;  // 2 incomplete, 1 at risk, 0 otherwise
};

}  // namespace riposte::audit
