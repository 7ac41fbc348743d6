#include "audit/mitigation.h"

#include <algorithm>
#include <optional>
#include <string>

#include "audit/snapshot.h"

namespace riposte::audit {

namespace {

using V = AttackVector;

// The rule -> CVE map of docs/rules.md, read per CVE; only rules the engine still emits
// (RIP-ANN-SYNTAX is reserved). tests/audit/mitigation_test.cc checks it against core's rules.
const std::vector<VirtualPatch>& Table() {
  static const std::vector<VirtualPatch> table = {
      {"CVE-2021-25742", V::kSnippet, {"RIP-SNIPPET-DENIED", "RIP-SNIPPET-DANGER"},
       "snippet annotations are denied outside the namespaces the policy allows"},
      {"CVE-2021-25745", V::kPath, {"RIP-PATH-CHARS", "RIP-PATH-SECRET"},
       "paths naming credential locations or leaving the strict character set are rejected"},
      {"CVE-2021-25746", V::kAnnotation, {"RIP-ANN-TYPE", "RIP-ANN-DIRECTIVE", "RIP-ANN-CONTROL"},
       "annotation values must match their type and carry no directive text"},
      {"CVE-2021-25748", V::kPath, {"RIP-PATH-CHARS", "RIP-PATH-SECRET"},
       "newlines and credential locations in paths are rejected"},
      {"CVE-2022-4886", V::kPath, {"RIP-PATH-CHARS"}, "Exact/Prefix paths are held to the strict character set"},
      {"CVE-2023-5043", V::kSnippet, {"RIP-SNIPPET-DENIED", "RIP-SNIPPET-DANGER"},
       "configuration-snippet is denied outside the namespaces the policy allows"},
      {"CVE-2023-5044", V::kAnnotation, {"RIP-ANN-TYPE", "RIP-ANN-CONTROL", "RIP-ANN-DIRECTIVE"},
       "permanent-redirect must be a URL without control characters or directive text"},
      {"CVE-2024-7646", V::kAnnotation, {"RIP-ANN-CONTROL", "RIP-ANN-TYPE", "RIP-ANN-DIRECTIVE"},
       "control characters (the carriage return that bypassed ingress-nginx's validation) are rejected in every "
       "judged annotation"},
      {"CVE-2025-1097", V::kAnnotation, {"RIP-ANN-TYPE", "RIP-ANN-CONTROL", "RIP-ANN-DIRECTIVE"},
       "auth-tls-match-cn must be CN=<regex> without nginx syntax"},
      {"CVE-2025-1098", V::kAnnotation, {"RIP-ANN-TYPE", "RIP-ANN-CONTROL", "RIP-ANN-DIRECTIVE"},
       "mirror-target must be a URL and mirror-host a host"},
      {"CVE-2025-24513", V::kAdmissionPort, {},
       "the traversal is in the Ingress uid of a review sent straight to ingress-nginx's admission port; through the "
       "API server the uid is always a UUID"},
      {"CVE-2025-24514", V::kAnnotation, {"RIP-ANN-TYPE", "RIP-ANN-CONTROL", "RIP-ANN-DIRECTIVE"},
       "auth-url must be an http(s) URL without nginx syntax"},
      {"CVE-2025-1974", V::kAdmissionPort, {},
       "the attacker sends an AdmissionReview straight to ingress-nginx's admission port, never through the API "
       "server, so no admission webhook sees it"},
      {"CVE-2025-15566", V::kConfigMapValue, {"RIP-CM-HEADER"},
       "the payload is in the ConfigMap named by auth-proxy-set-headers / custom-headers: the configmaps entry "
       "judges every write of a ConfigMap an Ingress names, and the ingress entry an Ingress naming a poisoned one"},
      {"CVE-2026-1580", V::kAnnotation, {"RIP-ANN-TYPE", "RIP-ANN-CONTROL"}, "auth-method must be one HTTP method"},
      {"CVE-2026-24512", V::kPath, {"RIP-PATH-CHARS"},
       "quotes, whitespace, ';', '#' and braces are rejected in paths"},
      {"CVE-2026-24514", V::kAdmissionPort, {},
       "the oversized request goes to ingress-nginx's own admission port; webhooks run in parallel, so Riposte "
       "cannot keep it from ingress-nginx"},
      {"CVE-2026-3288", V::kAnnotation, {"RIP-ANN-TYPE", "RIP-ANN-CONTROL", "RIP-ANN-DIRECTIVE"},
       "rewrite-target must be a path (or URL) without nginx syntax"},
      {"CVE-2026-4342", V::kPath, {"RIP-PATH-CHARS"}, "'#' and newlines are never allowed in paths"},
  };
  return table;
}

bool Contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

std::string Join(const std::vector<std::string>& parts, const char* sep = ", ") {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) out += (i ? sep : "") + parts[i];
  return out;
}

struct Verdict {
  MitigationState state = MitigationState::kMitigated;
  std::vector<std::string> reasons;
  void Down(MitigationState s, std::string why) {
    state = std::min(state, s);
    reasons.push_back(std::move(why));
  }
};

bool Unreadable(const Report& r, const char* resource) {
  return std::any_of(r.unreadable.begin(), r.unreadable.end(),
                     [&](const UnreadableResource& u) { return u.resource == resource; });
}

// Namespaces the controller serves: its --watch-namespace (comma-separated), or every one
// (nullopt).
std::optional<std::vector<std::string>> Watched(const Controller& c) {
  if (c.watch_namespace.empty()) return std::nullopt;
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= c.watch_namespace.size()) {
    size_t comma = c.watch_namespace.find(',', start);
    if (comma == std::string::npos) comma = c.watch_namespace.size();
    if (comma > start) out.push_back(c.watch_namespace.substr(start, comma - start));
    start = comma + 1;
  }
  return out;
}

// The namespaces of `names` the controller serves.
std::vector<std::string> Served(const std::vector<std::string>& names, const Controller& c) {
  auto watched = Watched(c);
  if (!watched) return names;
  std::vector<std::string> out;
  for (const auto& n : names) {
    if (Contains(*watched, n)) out.push_back(n);
  }
  return out;
}

std::string OwnNamespace(const RiposteWebhookStatus& st) {
  auto slash = st.service.find('/');
  return slash == std::string::npos ? std::string() : st.service.substr(0, slash);
}

// Exclusions that do not weaken the virtual patch: Riposte's own namespace (it must never block
// its own repair; the chart always excludes it) and the cluster's system namespaces, where
// writing an Ingress already takes cluster-administrator rights.
bool ExclusionByDesign(const std::string& ns, const std::string& own) {
  return ns == own || ns == "kube-system" || ns == "kube-public" || ns == "kube-node-lease";
}

std::vector<std::string> Significant(const std::vector<std::string>& names, const Controller& c,
                                     const std::string& own) {
  std::vector<std::string> out;
  for (const auto& n : Served(names, c)) {
    if (!ExclusionByDesign(n, own)) out.push_back(n);
  }
  return out;
}

// How one entry of Riposte's configuration sends objects to the webhook: the Ingress entry for
// every class, the ConfigMap entry in addition for ConfigMap payloads. Reasons about the
// ConfigMap entry start with `prefix`.
struct Entry {
  const char* resource;  // as in the entry's rules: "ingresses"
  const char* singular;  // "Ingress"
  const char* plural;    // "Ingresses"
  const char* one;       // "an Ingress"
  std::string prefix;
  const std::string& failure_policy;
  bool covers;
  const RiposteWebhookScope& scope;
};

Entry IngressEntry(const RiposteWebhookStatus& st) {
  return {"ingresses", "Ingress", "Ingresses", "an Ingress", "", st.failure_policy, st.covers_ingress, st.scope};
}

Entry ConfigMapsEntry(const RiposteWebhookStatus& st) {
  return {"configmaps", "ConfigMap", "ConfigMaps", "a ConfigMap", "entry " + st.configmaps.webhook + ": ",
          st.configmaps.failure_policy, st.configmaps.covers, st.configmaps.scope};
}

// Does the entry send CREATE and UPDATE to the webhook, and what happens when it cannot answer.
void EntryReach(const Report& r, const Entry& e, Verdict* v) {
  const RiposteWebhookStatus& st = r.riposte;
  if (!e.covers) {
    v->Down(MitigationState::kUnmitigated, e.prefix + "ValidatingWebhookConfiguration " + st.configuration +
                                               " does not send CREATE and UPDATE of " + e.resource + " to it");
  }
  if (e.failure_policy != "Fail") {
    if (!st.endpoints_ready && !st.service.empty() && !Unreadable(r, res::kEndpoints)) {
      v->Down(MitigationState::kUnmitigated, e.prefix + "failurePolicy " + e.failure_policy +
                                                 " and no ready endpoints (Service " + st.service + "): every " + e.singular +
                                                 " is admitted unchecked");
    } else {
      v->Down(MitigationState::kPartlyMitigated, e.prefix + "failurePolicy " + e.failure_policy + ": " + e.plural +
                                                     " are admitted unchecked whenever the webhook cannot be reached");
    }
  }
}

// Which namespaces and objects the entry sends to the webhook.
void EntryScope(const Report& r, const Controller& c, const Entry& e, Verdict* v) {
  const RiposteWebhookScope& s = e.scope;
  if (!s.only_namespaces.empty()) {
    auto watched = Watched(c);
    bool all_in = watched.has_value() &&
                  std::all_of(watched->begin(), watched->end(), [&](const std::string& n) { return Contains(s.only_namespaces, n); });
    if (!all_in) {
      v->Down(MitigationState::kPartlyMitigated,
              e.prefix + "namespaceSelector sends only namespace(s) " + Join(s.only_namespaces) + " to the webhook");
    }
  }
  if (auto excluded = Significant(s.excluded_namespaces, c, OwnNamespace(r.riposte)); !excluded.empty()) {
    v->Down(MitigationState::kPartlyMitigated, e.prefix + "namespaceSelector excludes namespace(s) " + Join(excluded));
  }
  if (!s.label_conditions.empty()) {
    v->Down(MitigationState::kPartlyMitigated,
            e.prefix + "namespaceSelector also selects by label (" + Join(s.label_conditions, "; ") +
                "): namespaces it leaves out are not checked (the audit does not read Namespaces to tell which)");
  }
  if (!s.object_selector.empty()) {
    v->Down(MitigationState::kPartlyMitigated, e.prefix + "objectSelector (" + s.object_selector + "): whoever writes " +
                                                   e.one + " chooses its labels and can keep it away from the "
                                                   "webhook");
  }
}

// Everything that applies to every CVE of the controller: is the webhook there, does it see
// the controller's Ingresses, and does it deny what it finds.
Verdict WebhookVerdict(const Report& r, const Controller& c) {
  Verdict v;
  const RiposteWebhookStatus& st = r.riposte;
  if (!st.installed) {
    v.Down(MitigationState::kUnmitigated,
           Unreadable(r, res::kValidatingWebhookConfigurations)
               ? "ValidatingWebhookConfigurations could not be read, so Riposte's webhook cannot be confirmed"
               : "Riposte's webhook is not installed");
    return v;
  }
  EntryReach(r, IngressEntry(st), &v);
  const RipostePolicySummary& p = st.policy;
  if (!p.known) {
    v.Down(MitigationState::kPartlyMitigated,
           "its policy could not be read (" + p.error + "), so its mode and exemptions are not verified");
  } else {
    if (p.mode == "audit") {
      v.Down(MitigationState::kUnmitigated, "policy mode audit: findings are only logged and every Ingress is admitted");
    } else if (p.mode == "warn") {
      v.Down(MitigationState::kPartlyMitigated,
             "policy mode warn: findings come back as warnings and the Ingress is admitted");
    }
    if (!Contains(p.ingress_classes, c.ingress_class)) {
      v.Down(MitigationState::kUnmitigated, "policy ingressClasses [" + Join(p.ingress_classes) +
                                                "] leaves out this controller's class \"" + c.ingress_class +
                                                "\": Ingresses of that class are not judged");
    }
    if (auto exempt = Significant(p.exempt_namespaces, c, OwnNamespace(st)); !exempt.empty()) {
      v.Down(MitigationState::kPartlyMitigated, "exemptNamespaces in the policy: " + Join(exempt));
    }
  }
  EntryScope(r, c, IngressEntry(st), &v);
  return v;
}

// A ConfigMap payload also needs the ConfigMap entry: an Ingress naming a poisoned ConfigMap is
// judged through the Ingress entry, a later write of the ConfigMap only through this one.
void ConfigMapEntryCheck(const Report& r, const Controller& c, Verdict* v) {
  const RiposteWebhookStatus& st = r.riposte;
  if (st.configmaps.webhook.empty()) {
    v->Down(MitigationState::kUnmitigated,
            "ValidatingWebhookConfiguration " + st.configuration +
                " has no entry for configmaps (chart value webhook.configMaps.enabled): a later write of a ConfigMap "
                "an Ingress names is admitted unchecked");
    return;
  }
  const Entry e = ConfigMapsEntry(st);
  EntryReach(r, e, v);
  EntryScope(r, c, e, v);
  if (st.policy.known && !st.policy.configmap_index) {
    v->Down(MitigationState::kUnmitigated,
            "the webhook runs without --configmap-index: the ConfigMaps it receives are admitted unjudged");
  }
}

void PrefixCheck(const Report& r, const Controller& c, Verdict* v) {
  const RipostePolicySummary& p = r.riposte.policy;
  if (r.riposte.installed && p.known && p.annotation_prefix != c.annotations_prefix) {
    v->Down(MitigationState::kUnmitigated, "policy annotationPrefix " + p.annotation_prefix +
                                               " is not the controller's --annotations-prefix " +
                                               c.annotations_prefix + ": its annotations are not judged");
  }
}

void SnippetCheck(const Report& r, const Controller& c, Verdict* v) {
  const RipostePolicySummary& p = r.riposte.policy;
  if (!r.riposte.installed || !p.known) return;
  if (p.snippets_allowed) {
    v->Down(MitigationState::kPartlyMitigated,
            "the policy allows snippets in every namespace: only the directives RIP-SNIPPET-DANGER knows are rejected");
  } else if (auto ns = Served(p.snippet_namespaces, c); !ns.empty()) {
    v->Down(MitigationState::kPartlyMitigated, "the policy allows snippets in namespace(s) " + Join(ns) +
                                                   ": there only the directives RIP-SNIPPET-DANGER knows are rejected");
  }
}

void RuleCheck(const Report& r, const std::vector<std::string>& rules, Verdict* v) {
  const RipostePolicySummary& p = r.riposte.policy;
  if (!r.riposte.installed || !p.known || rules.empty()) return;
  std::vector<std::string> off;
  for (const auto& id : rules) {
    if (Contains(p.disabled_rules, id)) off.push_back(id);
  }
  if (off.empty()) return;
  v->Down(off.size() == rules.size() ? MitigationState::kUnmitigated : MitigationState::kPartlyMitigated,
          "rule(s) " + Join(off) + " disabled in the policy");
}

CveMitigation Assess(const Report& r, const Controller& c, const Verdict& common, const VirtualPatch& vp) {
  CveMitigation m;
  m.cve = std::string(vp.cve);
  for (auto rule : vp.rules) m.rules.emplace_back(rule);
  if (vp.vector == V::kAdmissionPort) {
    m.admission_blockable = false;
    const std::string why = "not blockable at admission: " + std::string(vp.how);
    if (c.admission_restricted) {
      m.state = MitigationState::kPartlyMitigated;
      m.mitigated_by = "networkpolicy";
      m.reasons = {why, "NetworkPolicy " + Join(c.network_policies) + " restricts the admission port " +
                            std::to_string(c.admission_port) + ", but pods it admits can still reach it"};
      m.summary = "partly mitigated by NetworkPolicy, not by Riposte (" + Join(m.reasons, "; ") + ")";
    } else {
      m.state = MitigationState::kUnmitigated;
      m.reasons = {why};
      m.reasons.push_back("restrict port " + std::to_string(c.admission_port) +
                          " to the API server with a NetworkPolicy, or run without --validating-webhook");
      m.summary = "exposed and unmitigated (" + Join(m.reasons, "; ") + ")";
    }
    return m;
  }
  Verdict v = common;
  if (r.riposte.installed) {
    if (vp.vector == V::kAnnotation || vp.vector == V::kSnippet || vp.vector == V::kConfigMapValue) {
      PrefixCheck(r, c, &v);  // the ConfigMap is found through its Ingress's annotation
    }
    if (vp.vector == V::kConfigMapValue) ConfigMapEntryCheck(r, c, &v);
    if (vp.vector == V::kSnippet) SnippetCheck(r, c, &v);
    RuleCheck(r, m.rules, &v);
    if (Contains(c.cves, "CVE-2025-1974")) {
      v.Down(MitigationState::kPartlyMitigated,
             "the same payload can be sent straight to the controller's admission port (CVE-2025-1974), which no "
             "admission webhook sees");
    }
  }
  m.state = v.state;
  m.reasons = v.reasons;
  switch (m.state) {
    case MitigationState::kMitigated:
      m.mitigated_by = "riposte";
      m.summary = "exposed but mitigated by Riposte (enforce, all namespaces): " + Join(m.rules) +
                  " reject it at admission (" + std::string(vp.how) + ")";
      break;
    case MitigationState::kPartlyMitigated:
      m.mitigated_by = "riposte";
      m.summary = "partly mitigated by Riposte (" + Join(m.reasons, "; ") + ")";
      break;
    case MitigationState::kUnmitigated:
      m.summary = "exposed and unmitigated (" + Join(m.reasons, "; ") + ")";
      break;
  }
  return m;
}

}  // namespace

std::span<const VirtualPatch> VirtualPatchTable() { return Table(); }

const VirtualPatch* FindVirtualPatch(std::string_view cve) {
  for (const auto& e : Table()) {
    if (e.cve == cve) return &e;
  }
  return nullptr;
}

void AssessMitigation(Report& report) {
  for (Controller& c : report.controllers) {
    const Verdict common = WebhookVerdict(report, c);
    // The controller as a whole: every class Riposte knows, every rule.
    Verdict whole = common;
    if (report.riposte.installed) {
      PrefixCheck(report, c, &whole);
      SnippetCheck(report, c, &whole);
      if (report.riposte.policy.known && !report.riposte.policy.disabled_rules.empty()) {
        whole.Down(MitigationState::kPartlyMitigated,
                   "rule(s) " + Join(report.riposte.policy.disabled_rules) + " disabled in the policy");
      }
    }
    c.virtual_patch = whole.state;
    c.virtual_patch_reasons = whole.reasons;
    c.mitigations.clear();
    for (const auto& cve : c.cves) {
      const VirtualPatch* vp = FindVirtualPatch(cve);
      if (vp == nullptr) continue;  // every CVE of the table has an entry (tested)
      c.mitigations.push_back(Assess(report, c, common, *vp));
    }
  }
}

}  // namespace riposte::audit
