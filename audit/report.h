#pragma once
// The audit result, independent of how it is rendered (render.h) or exported (metrics.h).
// Everything here is sorted deterministically so that renderings are stable.

#include <array>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "audit/migration_report.h"
#include "core/controller_config.h"
#include "core/finding.h"

namespace riposte::audit {

// What a finding is about. Stable names in JSON: see CategoryName().
enum class Category { kCve, kSetting, kReachability, kIngress, kConfigMap, kRiposte, kUnreadable, kEndOfLife };
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

// The settings as core/controller_config.h reads them (nullopt / "" = unknown, e.g. the
// ConfigMap is unreadable), plus where they came from.
struct ControllerSettings : core::ControllerConfig {
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

// ingress-nginx's retirement as it applies to one controller (audit/eol.h).
struct EndOfLife {
  std::string release_line;        // "1.11"; "" when the version is unknown
  std::string line_last_release;   // last release of that line ("v1.11.8"); "" when not known
  bool line_got_final_release = false;  // 1.13 / 1.14 / 1.15: released with the last fixes (March 2026)
  bool on_last_release = false;    // runs the last release of a line that got the final fixes
  bool newer_than_community = false;  // a version the community project never released (a fork)
  std::string upgrade_target;      // the last release to step to; "" when already on one
};

// Whether Riposte's webhook, as installed, stops an exploit class at admission (audit/mitigation.h).
enum class MitigationState { kUnmitigated, kPartlyMitigated, kMitigated };
// "unmitigated", "partly-mitigated", "mitigated" (JSON, metrics label values).
std::string_view MitigationStateName(MitigationState s);

struct CveMitigation {
  std::string cve;
  MitigationState state = MitigationState::kUnmitigated;
  bool admission_blockable = true;  // false: no admission webhook can see the exploit
  std::string mitigated_by;         // "riposte", "networkpolicy" or ""
  std::vector<std::string> rules;   // Riposte rules that reject the exploit class
  std::vector<std::string> reasons; // what keeps it from "mitigated" (empty when mitigated)
  std::string summary;              // one line for the report
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
  std::string annotations_prefix;     // --annotations-prefix (default "nginx.ingress.kubernetes.io")
  std::string watch_namespace;        // --watch-namespace ("" = every namespace)
  // CVE-2025-1974 reachability.
  int admission_port = 0;             // 0 = webhook disabled
  bool admission_restricted = false;  // a NetworkPolicy restricts ingress to the admission port
  std::vector<std::string> network_policies;  // names of policies selecting the pods
  std::string validating_webhook;     // VWC name pointing at the admission Service, "" if none
  std::vector<std::string> cves;      // exposed CVEs, sorted
  std::string recommended_version;    // lowest release fixing every exposed CVE, "" if none
  bool at_risk = false;
  EndOfLife eol;
  // Riposte's coverage of this controller's Ingresses, whatever the CVE: kMitigated when the
  // webhook enforces on every namespace the controller serves.
  MitigationState virtual_patch = MitigationState::kUnmitigated;
  std::vector<std::string> virtual_patch_reasons;
  std::vector<CveMitigation> mitigations;  // one per exposed CVE, in `cves` order
};

struct IngressResult {
  ObjectRef ingress;
  std::string ingress_class;
  std::vector<std::string> backends;     // Service names
  std::vector<std::string> controllers;  // workload names serving this class
  size_t findings = 0;
  std::string worst;                     // severity name of the worst finding, "" when clean
};

// Which Ingresses reach Riposte's webhook (its namespaceSelector / objectSelector).
struct RiposteWebhookScope {
  std::vector<std::string> excluded_namespaces;  // kubernetes.io/metadata.name NotIn, sorted
  std::vector<std::string> only_namespaces;      // kubernetes.io/metadata.name In: only these
  std::vector<std::string> label_conditions;     // other selector terms, as text
  std::string object_selector;                   // "" = none
};

// The entry (webhooks[]) of Riposte's ValidatingWebhookConfiguration that sends ConfigMaps to it
// (the chart's webhook.configMaps): ConfigMaps Ingresses reference are judged at admission there.
struct RiposteConfigMapsEntry {
  std::string webhook;          // name within the configuration; "" = the configuration has none
  std::string failure_policy;   // "Fail" / "Ignore"
  bool covers = false;          // rules include configmaps CREATE+UPDATE
  RiposteWebhookScope scope;
};

// The policy Riposte's webhook runs (core/policy.h), as far as the audit can read it.
struct RipostePolicySummary {
  bool known = false;
  std::string source;  // "ConfigMap riposte/riposte-policy key policy.yaml", "defaults (no --policy)", ...
  std::string error;   // why it is not known
  std::string mode;    // enforce | warn | audit
  std::string annotation_prefix;
  std::vector<std::string> ingress_classes;
  std::vector<std::string> exempt_namespaces;
  bool snippets_allowed = false;
  std::vector<std::string> snippet_namespaces;
  std::vector<std::string> disabled_rules;
  // The webhook container runs --configmap-index: without it ConfigMaps are admitted unjudged.
  bool configmap_index = false;
};

struct RiposteWebhookStatus {
  bool installed = false;
  bool enforcing = false;
  std::string configuration;  // VWC name
  std::string webhook;        // webhook name within the configuration
  std::string failure_policy; // "Fail" / "Ignore"
  std::string service;        // "ns/name"
  bool endpoints_ready = false;
  bool covers_ingress = false;  // rules include ingresses CREATE+UPDATE
  std::vector<std::string> problems;
  RiposteWebhookScope scope;
  RiposteConfigMapsEntry configmaps;
  RipostePolicySummary policy;
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
  std::optional<MigrationInventory> migration;  // with AnalyzeOptions::migration (--migration)

  bool complete() const { return unreadable.empty(); }
  bool at_risk() const;  // any critical or high finding
  std::array<size_t, 4> CountsBySeverity() const;  // index = static_cast<int>(Severity)
  int ExitCode() const;  // 2 incomplete, 1 at risk, 0 otherwise
  // The virtual-patch status of a controller's CVE finding (rule AUD-CVE); nullptr for others.
  const CveMitigation* MitigationOf(const AuditFinding& finding) const;
};

}  // namespace riposte::audit
