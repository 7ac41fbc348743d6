#pragma once
// Virtual-patch status: for every CVE a controller is exposed to, whether Riposte's webhook as
// installed stops the exploit class at admission. Decided from the CVE's attack vector and the
// Riposte rules that reject it (the rule -> CVE map of docs/rules.md), the webhook's
// registration (rules, failurePolicy, namespaceSelector, objectSelector) and its policy (mode,
// exempt namespaces, snippets, IngressClasses, annotation prefix, disabled rules).
//
// CVE-2025-15566's payload sits in a ConfigMap an Ingress names: it is blocked only when the
// configuration also has Riposte's configmaps entry (judged like the Ingress entry: CREATE and
// UPDATE covered, failurePolicy, namespace and object selectors) and the webhook runs
// --configmap-index. Some CVEs cannot be stopped by any admission webhook: CVE-2025-1974,
// CVE-2025-24513 and CVE-2026-24514 are requests sent straight to ingress-nginx's own admission
// port (a NetworkPolicy is the mitigation, reported as such).

#include <span>
#include <string_view>
#include <vector>

#include "audit/report.h"

namespace riposte::audit {

// How the exploit reaches nginx.conf.
enum class AttackVector {
  kAnnotation,      // an annotation value of an Ingress (through the API server)
  kPath,            // spec.rules[].http.paths[].path of an Ingress
  kSnippet,         // a snippet annotation (raw nginx configuration)
  kAdmissionPort,   // a request sent directly to ingress-nginx's admission webhook
  kConfigMapValue,  // values of a ConfigMap an Ingress references
};

struct VirtualPatch {
  std::string_view cve;
  AttackVector vector;
  std::vector<std::string_view> rules;  // Riposte rules rejecting the class; empty when none can
  std::string_view how;                 // what Riposte checks, or why no admission webhook can
};

// One entry per CVE of CveTable().
std::span<const VirtualPatch> VirtualPatchTable();
const VirtualPatch* FindVirtualPatch(std::string_view cve);

// Sets Controller::virtual_patch(_reasons) and Controller::mitigations (one per exposed CVE)
// for every controller; Report::MitigationOf finds the one of a CVE finding. Needs
// report.riposte filled (CheckRiposteWebhook + ReadRiposteInstall).
void AssessMitigation(Report& report);

}  // namespace riposte::audit
