#include <map>
#include <sstream>

#include "audit/eol.h"
#include "audit/render.h"

namespace riposte::audit {

namespace {

// Cluster strings go to a terminal: control characters (ANSI escapes, CR that rewrites a
// line) are shown escaped so a hostile annotation cannot forge report lines.
std::string Clean(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (unsigned char c : s) {
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c < 0x20 || c == 0x7f) {
      static const char* hex = "0123456789abcdef";
      out += "\\x";
      out += hex[c >> 4];
      out += hex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

std::string Upper(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

std::string Join(const std::vector<std::string>& parts, const char* sep = ", ") {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) out += (i ? sep : "") + Clean(parts[i]);
  return out;
}

const char* YesNo(const std::optional<bool>& b) { return !b ? "unknown" : (*b ? "yes" : "no"); }

// "all except a, b; by label ...; objectSelector ..." and the end of the line.
void Scope(std::ostream& out, const RiposteWebhookScope& sc) {
  out << (sc.only_namespaces.empty() ? std::string("all") : "only " + Join(sc.only_namespaces));
  if (!sc.excluded_namespaces.empty()) out << " except " << Join(sc.excluded_namespaces);
  if (!sc.label_conditions.empty()) out << "; by label " << Join(sc.label_conditions, "; ");
  if (!sc.object_selector.empty()) out << "; objectSelector " << Clean(sc.object_selector);
  out << "\n";
}

}  // namespace

std::string TextEscape(std::string_view text) { return Clean(text); }

std::string RenderText(const Report& r) {
  std::ostringstream out;
  auto counts = r.CountsBySeverity();
  out << "Riposte audit of " << Clean(r.source.empty() ? "cluster" : r.source);
  if (!r.namespace_scope.empty()) out << " (namespace " << Clean(r.namespace_scope) << ")";
  if (!r.generated_at.empty()) out << " at " << r.generated_at;
  out << "\n\n";
  out << "AT RISK: " << (r.at_risk() ? "YES" : "no");
  if (!r.complete() || !r.engine_available) out << "  (INCOMPLETE: see below)";
  out << "\n";
  out << "findings: " << counts[3] << " critical, " << counts[2] << " high, " << counts[1] << " medium, "
      << counts[0] << " low\n";
  size_t ctrl_at_risk = 0;
  for (const auto& c : r.controllers) ctrl_at_risk += c.at_risk ? 1 : 0;
  size_t flagged = 0;
  for (const auto& i : r.ingresses) flagged += i.findings > 0 ? 1 : 0;
  out << "ingress-nginx controllers: " << r.controllers.size() << " (" << ctrl_at_risk << " at risk)\n";
  out << "existing Ingresses: " << r.ingresses.size() << " (" << flagged << " with findings)"
      << (r.engine_available ? "" : " -- NOT JUDGED: the check engine is not built into this binary") << "\n";
  if (!r.controllers.empty()) {
    out << "end of life: ingress-nginx is retired (no releases or security fixes since " << eol::kMaintenanceEnded
        << "); " << r.controllers.size() << " controller(s) still run it\n";
  }
  out << "Riposte webhook: "
      << (!r.riposte.installed ? "not installed" : (r.riposte.enforcing ? "installed, enforcing" : "installed, NOT enforcing"))
      << "\n";
  if (r.riposte.installed) {
    const RipostePolicySummary& p = r.riposte.policy;
    if (p.known) {
      out << "  policy: mode " << Clean(p.mode) << " from " << Clean(p.source);
      if (!p.exempt_namespaces.empty()) out << "; exemptNamespaces " << Join(p.exempt_namespaces);
      if (p.snippets_allowed) out << "; snippets allowed everywhere";
      if (!p.snippet_namespaces.empty()) out << "; snippets allowed in " << Join(p.snippet_namespaces);
      if (!p.disabled_rules.empty()) out << "; disabled rules " << Join(p.disabled_rules);
      out << "\n";
    } else {
      out << "  policy: unknown (" << Clean(p.error) << ")\n";
    }
    out << "  namespaces: ";
    Scope(out, r.riposte.scope);
    const RiposteConfigMapsEntry& cms = r.riposte.configmaps;
    if (cms.webhook.empty()) {
      out << "  configmaps: no entry (ConfigMaps Ingresses name are not judged at admission)\n";
    } else {
      out << "  configmaps: entry " << Clean(cms.webhook) << ", failurePolicy " << Clean(cms.failure_policy)
          << (cms.covers ? "" : ", not covering CREATE and UPDATE")
          << (r.riposte.policy.known && !r.riposte.policy.configmap_index ? ", webhook without --configmap-index" : "")
          << "; namespaces: ";
      Scope(out, cms.scope);
    }
  }
  if (!r.unreadable.empty()) {
    out << "\nCould not read (results for these are incomplete):\n";
    for (const auto& u : r.unreadable) {
      out << "  - " << Clean(u.resource) << ": " << Clean(u.reason);
      if (u.code != 0) out << " (" << u.code << ")";
      if (!u.message.empty()) out << " " << Clean(u.message);
      out << "\n";
    }
  }

  // Group findings per object, worst first (findings are already sorted by severity).
  std::vector<ObjectRef> order;
  std::map<ObjectRef, std::vector<const AuditFinding*>> by_object;
  for (const auto& f : r.findings) {
    if (f.category == Category::kUnreadable) continue;
    auto& list = by_object[f.object];
    if (list.empty()) order.push_back(f.object);
    list.push_back(&f);
  }
  for (const auto& c : r.controllers) {
    if (by_object.count(c.workload) == 0) order.push_back(c.workload);  // clean controllers too
  }

  for (const auto& obj : order) {
    out << "\n== " << Clean(obj.ToString()) << " ==\n";
    for (const auto& c : r.controllers) {
      if (!(c.workload == obj)) continue;
      out << "  container " << Clean(c.container) << ": " << Clean(c.image) << " -> version " << Clean(c.version);
      if (!c.version_note.empty()) out << " (" << Clean(c.version_note) << ")";
      out << "\n";
      out << "  END OF LIFE: ingress-nginx is retired; no release will fix what is found from now on";
      if (c.eol.on_last_release) {
        out << " (" << Clean(c.version) << " is the last release of the " << c.eol.release_line << " line)";
      } else if (!c.eol.line_last_release.empty()) {
        out << " (the " << c.eol.release_line << " line ended at " << c.eol.line_last_release << ")";
      }
      out << "\n";
      if (!c.recommended_version.empty()) {
        out << "  upgrade to " << c.recommended_version
            << ", the last release there will be, to fix every CVE below -- a step, not a fix: then migrate\n";
      }
      out << "  virtual patch (Riposte at admission): " << MitigationStateName(c.virtual_patch);
      if (!c.virtual_patch_reasons.empty()) out << " (" << Join(c.virtual_patch_reasons, "; ") << ")";
      out << "\n";
      if (!c.mitigations.empty()) {
        size_t n[3] = {0, 0, 0};
        for (const auto& m : c.mitigations) ++n[static_cast<size_t>(m.state)];
        out << "  exposed CVEs: " << n[0] << " unmitigated, " << n[1] << " partly mitigated, " << n[2]
            << " mitigated by Riposte\n";
      }
      out << "  nodes: " << (c.nodes.empty() ? std::string("none scheduled") : Join(c.nodes)) << "\n";
      for (const auto& s : c.services) {
        out << "  service " << Clean(s.name) << ": " << Clean(s.type);
        if (!s.external.empty()) out << " " << Join(s.external);
        out << " ports " << Join(s.ports) << (s.exposed ? " [EXPOSED]" : "") << (s.admission ? " [admission]" : "") << "\n";
      }
      out << "  settings: allow-snippet-annotations=" << YesNo(c.settings.allow_snippet_annotations)
          << " annotations-risk-level=" << Clean(c.settings.annotations_risk_level)
          << " enable-annotation-validation=" << YesNo(c.settings.enable_annotation_validation)
          << " strict-validate-path-type=" << YesNo(c.settings.strict_validate_path_type) << "\n";
      out << "  admission webhook: ";
      if (c.admission_port == 0) {
        out << "disabled\n";
      } else {
        out << "port " << c.admission_port << ", "
            << (c.admission_restricted ? "restricted by NetworkPolicy " + Join(c.network_policies) : std::string("reachable from every pod"))
            << ", ValidatingWebhookConfiguration " << (c.validating_webhook.empty() ? std::string("none") : Clean(c.validating_webhook))
            << "\n";
      }
    }
    auto it = by_object.find(obj);
    if (it == by_object.end()) {
      out << "  no findings\n";
      continue;
    }
    for (const AuditFinding* f : it->second) {
      out << "  [" << Upper(SeverityLabel(f->severity)) << "] " << Clean(f->title) << "\n";
      out << "      why: " << Clean(f->detail) << "\n";
      if (!f->remediation.empty()) out << "      fix: " << Clean(f->remediation) << "\n";
      if (const CveMitigation* m = r.MitigationOf(*f)) out << "      riposte: " << Clean(m->summary) << "\n";
    }
  }
  if (r.migration) out << MigrationText(*r.migration);
  out << "\nexit code " << r.ExitCode() << " (0 = nothing at risk, 1 = at risk, 2 = could not complete)\n";
  return out.str();
}

}  // namespace riposte::audit
