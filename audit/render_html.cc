#include <algorithm>
#include <set>
#include <sstream>

#include "audit/eol.h"
#include "audit/render.h"

namespace riposte::audit {

std::string HtmlEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 8);
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      case '/': out += "&#47;"; break;
      case '\0': out += "&#65533;"; break;
      default: out += c;
    }
  }
  return out;
}

namespace {

using E = std::string;  // escaped HTML

E Esc(std::string_view s) { return HtmlEscape(s); }

// Everything the page needs is inline; the CSP forbids any fetch, so a report opened from a
// mail attachment or a CI artifact cannot phone home even if a cluster string slipped through.
constexpr const char* kHead = R"(<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Riposte audit</title>
<style>
:root{--crit:#b3001b;--high:#e0531f;--med:#d69e00;--low:#4a7ab5;--ok:#2e7d32;--bg:#f6f7f9;--fg:#1d2430;--mute:#6b7380}
*{box-sizing:border-box}body{margin:0;font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;background:var(--bg);color:var(--fg)}
header{padding:18px 28px;background:#1d2430;color:#fff}header h1{margin:0;font-size:20px}header p{margin:4px 0 0;color:#c9d1dc}
main{padding:20px 28px}section{margin-bottom:28px}h2{font-size:16px;margin:0 0 10px}
.tiles{display:flex;flex-wrap:wrap;gap:12px}.tile{background:#fff;border-radius:8px;padding:12px 16px;min-width:120px;box-shadow:0 1px 2px #0002;border-top:4px solid var(--mute)}
.tile b{display:block;font-size:26px}.tile span{color:var(--mute)}
.tile.risk{border-color:var(--crit)}.tile.safe{border-color:var(--ok)}.tile.critical{border-color:var(--crit)}.tile.high{border-color:var(--high)}.tile.medium{border-color:var(--med)}.tile.low{border-color:var(--low)}
.filters{display:flex;flex-wrap:wrap;gap:8px;margin-bottom:10px;align-items:center}.filters select,.filters input{padding:5px 8px;border:1px solid #c5cad3;border-radius:4px;font:inherit}
table{border-collapse:collapse;width:100%;background:#fff;box-shadow:0 1px 2px #0002}th,td{text-align:left;padding:7px 9px;border-bottom:1px solid #e4e7ec;vertical-align:top}
th{background:#eef0f4;font-weight:600}td.detail{max-width:560px}td small{color:var(--mute);display:block;margin-top:3px}
.sev{display:inline-block;padding:1px 7px;border-radius:10px;color:#fff;font-size:12px;font-weight:600}
.sev.critical{background:var(--crit)}.sev.high{background:var(--high)}.sev.medium{background:var(--med)}.sev.low{background:var(--low)}
tr.hidden{display:none}.mono{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12.5px;word-break:break-all}
.flow{display:grid;grid-template-columns:repeat(4,1fr);gap:0;background:#fff;border-radius:8px;padding:14px;box-shadow:0 1px 2px #0002;margin-bottom:14px}
.flow h3{grid-column:1/-1;margin:0 0 8px;font-size:14px}.col{padding:0 14px;border-left:2px dashed #d4d8df;position:relative}.col:first-of-type{border-left:none}
.col>h4{margin:0 0 6px;font-size:12px;text-transform:uppercase;color:var(--mute)}.col:not(:first-of-type)>h4::before{content:"\2192  "}
.node{border:1px solid #c5cad3;border-radius:6px;padding:5px 8px;margin:0 0 6px;background:#fafbfc;word-break:break-all}
.node.hot{border-color:var(--crit);background:#fdecee;box-shadow:0 0 0 1px var(--crit)}.node.warn{border-color:var(--high);background:#fff3ec}
.node em{font-style:normal;color:var(--mute);font-size:12px;display:block}
.empty{color:var(--mute)}ul.plain{margin:4px 0;padding-left:18px}
.state,.gw{display:inline-block;padding:1px 7px;border-radius:10px;font-size:12px;font-weight:600;border:1px solid}
.state.unmitigated{color:var(--crit);border-color:var(--crit)}.state.partly-mitigated{color:#8a6100;border-color:var(--med)}.state.mitigated{color:var(--ok);border-color:var(--ok)}
.gw.core,.gw.extended{color:var(--ok);border-color:var(--ok)}.gw.implementation-specific{color:#8a6100;border-color:var(--med)}.gw.none{color:var(--crit);border-color:var(--crit)}.gw.unrecognized{color:var(--mute);border-color:var(--mute)}
.eol{background:#fdecee;border-left:4px solid var(--crit);padding:10px 14px;margin:0 0 14px;border-radius:4px}
h3{font-size:14px;margin:14px 0 8px}
</style></head><body>
)";

// Filters: severity, kind, namespace and free text; a URL hash such as
// #severity=critical&kind=Ingress&ns=shop&q=auth (or #filter=critical) applies them on load,
// which also lets the browser test drive the page without user input.
constexpr const char* kScript = R"(<script>
(function(){
  var rows = Array.prototype.slice.call(document.querySelectorAll('#findings tbody tr'));
  var f = {severity: document.getElementById('f-sev'), kind: document.getElementById('f-kind'),
           ns: document.getElementById('f-ns'), q: document.getElementById('f-q')};
  function apply(){
    var q = f.q.value.toLowerCase(), n = 0;
    rows.forEach(function(r){
      var ok = (!f.severity.value || r.dataset.severity === f.severity.value) &&
               (!f.kind.value || r.dataset.kind === f.kind.value) &&
               (!f.ns.value || r.dataset.ns === f.ns.value) &&
               (!q || r.textContent.toLowerCase().indexOf(q) >= 0);
      r.classList.toggle('hidden', !ok);
      if (ok) n++;
    });
    var c = document.getElementById('visible-count');
    c.textContent = String(n);
    document.body.setAttribute('data-visible', String(n));
  }
  function fromHash(){
    var h = decodeURIComponent(location.hash.replace(/^#/, ''));
    h.split('&').forEach(function(kv){
      var i = kv.indexOf('='); if (i < 0) return;
      var k = kv.slice(0, i), v = kv.slice(i + 1);
      if (k === 'filter' || k === 'severity') f.severity.value = v;
      else if (k === 'kind') f.kind.value = v;
      else if (k === 'ns' || k === 'namespace') f.ns.value = v;
      else if (k === 'q') f.q.value = v;
    });
  }
  ['change','input'].forEach(function(ev){ for (var k in f) f[k].addEventListener(ev, apply); });
  window.addEventListener('hashchange', function(){ fromHash(); apply(); });
  fromHash(); apply();
  document.body.setAttribute('data-ready', 'true');
})();
</script>
)";

void Tile(std::ostringstream& out, const std::string& cls, const std::string& value, const std::string& label) {
  out << "<div class=\"tile " << cls << "\"><b>" << Esc(value) << "</b><span>" << Esc(label) << "</span></div>\n";
}

void Options(std::ostringstream& out, const std::set<std::string>& values) {
  for (const auto& v : values) out << "<option value=\"" << Esc(v) << "\">" << Esc(v) << "</option>";
}

std::string JoinText(const std::vector<std::string>& parts) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) out += (i ? ", " : "") + parts[i];
  return out;
}

void VirtualPatchTable(std::ostringstream& out, const Controller& c) {
  const std::string state(MitigationStateName(c.virtual_patch));
  out << "<h3 data-controller=\"" << Esc(c.workload.ToString()) << "\">" << Esc(c.workload.ToString())
      << " &middot; Riposte coverage <span class=\"state " << state << "\">" << state << "</span></h3>\n";
  if (!c.virtual_patch_reasons.empty()) {
    out << "<ul class=\"plain\">";
    for (const auto& why : c.virtual_patch_reasons) out << "<li>" << Esc(why) << "</li>";
    out << "</ul>\n";
  }
  if (c.mitigations.empty()) {
    out << "<p class=\"empty\">Exposed to no CVE of the table.</p>\n";
    return;
  }
  out << "<table class=\"mitigations\"><thead><tr><th>CVE</th><th>State</th><th>Blockable at admission</th>"
         "<th>Riposte rules</th><th>Why</th></tr></thead><tbody>\n";
  for (const auto& m : c.mitigations) {
    const std::string st(MitigationStateName(m.state));
    out << "<tr data-cve=\"" << Esc(m.cve) << "\" data-state=\"" << st << "\"><td class=\"mono\">" << Esc(m.cve)
        << "</td><td><span class=\"state " << st << "\">" << st << "</span></td><td>"
        << (m.admission_blockable ? "yes" : "no") << "</td><td class=\"mono\">" << Esc(JoinText(m.rules))
        << "</td><td class=\"detail\">" << Esc(m.summary) << "</td></tr>\n";
  }
  out << "</tbody></table>\n";
}

void Flow(std::ostringstream& out, const Report& r, const Controller& c) {
  // Exposed path: the controller is at risk and clients outside the cluster reach it.
  bool externally = false;
  for (const auto& s : c.services) externally = externally || s.exposed;
  const bool hot = c.at_risk && externally;
  out << "<div class=\"flow\" data-controller=\"" << Esc(c.workload.ToString()) << "\">\n<h3>"
      << Esc(c.workload.ToString()) << " &middot; " << Esc(c.version) << " &middot; end of life"
      << (c.at_risk ? " &middot; at risk" : "")
      << "</h3>\n";
  out << "<div class=\"col\"><h4>Ingresses</h4>";
  bool any = false;
  for (const auto& i : r.ingresses) {
    if (std::find(i.controllers.begin(), i.controllers.end(), c.workload.ToString()) == i.controllers.end()) continue;
    any = true;
    out << "<div class=\"node" << (i.findings > 0 ? " hot" : "") << "\">" << Esc(i.ingress.ns + "/" + i.ingress.name)
        << "<em>" << (i.findings > 0 ? Esc(std::to_string(i.findings) + " finding(s), worst " + i.worst) : "clean")
        << "</em></div>";
  }
  if (!any) out << "<div class=\"empty\">none</div>";
  out << "</div>\n<div class=\"col\"><h4>Services</h4>";
  if (c.services.empty()) out << "<div class=\"empty\">none</div>";
  for (const auto& s : c.services) {
    std::string cls = s.exposed ? (hot ? " hot" : " warn") : "";
    std::string ext;
    for (const auto& e : s.external) ext += (ext.empty() ? "" : ", ") + e;
    out << "<div class=\"node" << cls << "\">" << Esc(s.name) << "<em>" << Esc(s.type)
        << (ext.empty() ? "" : " " + Esc(ext)) << (s.admission ? " &middot; admission" : "") << "</em></div>";
  }
  out << "</div>\n<div class=\"col\"><h4>Controller pods</h4>";
  if (c.pods.empty()) out << "<div class=\"empty\">none</div>";
  for (const auto& p : c.pods) {
    out << "<div class=\"node" << (c.at_risk ? " hot" : "") << "\">" << Esc(p.name) << "<em>" << Esc(p.phase)
        << (p.ready ? ", ready" : "") << "</em></div>";
  }
  out << "</div>\n<div class=\"col\"><h4>Nodes</h4>";
  if (c.nodes.empty()) out << "<div class=\"empty\">none</div>";
  for (const auto& n : c.nodes) out << "<div class=\"node" << (hot ? " hot" : "") << "\">" << Esc(n) << "</div>";
  out << "</div>\n</div>\n";
}

}  // namespace

std::string RenderHtml(const Report& r) {
  std::ostringstream out;
  out << kHead;
  out << "<header><h1>Riposte audit: " << (r.at_risk() ? "at risk" : "nothing at risk")
      << (r.complete() && r.engine_available ? "" : " (incomplete)") << "</h1><p>" << Esc(r.source)
      << (r.namespace_scope.empty() ? "" : " &middot; namespace " + Esc(r.namespace_scope))
      << (r.generated_at.empty() ? "" : " &middot; " + Esc(r.generated_at)) << "</p></header>\n<main>\n";

  auto counts = r.CountsBySeverity();
  size_t ctrl_at_risk = 0;
  for (const auto& c : r.controllers) ctrl_at_risk += c.at_risk ? 1 : 0;
  out << "<section id=\"summary\"><div class=\"tiles\">\n";
  Tile(out, r.at_risk() ? "risk" : "safe", r.at_risk() ? "YES" : "no", "at risk");
  Tile(out, "critical", std::to_string(counts[3]), "critical");
  Tile(out, "high", std::to_string(counts[2]), "high");
  Tile(out, "medium", std::to_string(counts[1]), "medium");
  Tile(out, "low", std::to_string(counts[0]), "low");
  Tile(out, "", std::to_string(ctrl_at_risk) + "/" + std::to_string(r.controllers.size()), "controllers at risk");
  Tile(out, "", std::to_string(r.ingresses.size()), "Ingresses checked");
  Tile(out, r.riposte.enforcing ? "safe" : "risk",
       !r.riposte.installed ? "absent" : (r.riposte.enforcing ? "enforcing" : "not enforcing"), "Riposte webhook");
  size_t unmitigated = 0;
  for (const auto& c : r.controllers) {
    for (const auto& m : c.mitigations) unmitigated += m.state == MitigationState::kUnmitigated ? 1 : 0;
  }
  Tile(out, r.controllers.empty() ? "" : "risk", std::to_string(r.controllers.size()), "retired controllers running");
  Tile(out, unmitigated > 0 ? "critical" : "safe", std::to_string(unmitigated), "exposed CVEs unmitigated");
  out << "</div>\n";
  if (!r.controllers.empty()) {
    out << "<p class=\"eol\" id=\"end-of-life\"><b>ingress-nginx is retired.</b> Kubernetes SIG Network and the Security "
           "Response Committee ended its maintenance in "
        << Esc(eol::kMaintenanceEnded)
        << ": no further releases, bug fixes or security fixes. Riposte's webhook is the compensating control "
           "until the move to Gateway API or another controller. Announcement: <span class=\"mono\">"
        << Esc(eol::kAnnouncementUrl) << "</span></p>\n";
  }
  if (!r.unreadable.empty() || !r.engine_available) {
    out << "<p><b>Incomplete:</b></p><ul class=\"plain\" id=\"unreadable\">";
    for (const auto& u : r.unreadable) {
      out << "<li>" << Esc(u.resource) << ": " << Esc(u.reason) << (u.code ? " (" + std::to_string(u.code) + ")" : "")
          << " " << Esc(u.message) << "</li>";
    }
    if (!r.engine_available) out << "<li>existing Ingresses were not judged: the check engine is not built in</li>";
    out << "</ul>\n";
  }
  out << "</section>\n";

  std::set<std::string> kinds, namespaces;
  for (const auto& f : r.findings) {
    kinds.insert(f.object.kind);
    if (!f.object.ns.empty()) namespaces.insert(f.object.ns);
  }
  out << "<section><h2>Findings (<span id=\"visible-count\">" << r.findings.size() << "</span> of "
      << r.findings.size() << " shown)</h2>\n<div class=\"filters\">"
      << "<label>Severity <select id=\"f-sev\"><option value=\"\">all</option>";
  Options(out, {"critical", "high", "medium", "low"});
  out << "</select></label><label>Kind <select id=\"f-kind\"><option value=\"\">all</option>";
  Options(out, kinds);
  out << "</select></label><label>Namespace <select id=\"f-ns\"><option value=\"\">all</option>";
  Options(out, namespaces);
  out << "</select></label><label>Search <input id=\"f-q\" type=\"search\" placeholder=\"CVE, name, annotation...\"></label></div>\n";
  out << "<table id=\"findings\"><thead><tr><th>Severity</th><th>Object</th><th>Finding</th><th>Fix</th></tr></thead><tbody>\n";
  for (const auto& f : r.findings) {
    std::string sev(SeverityLabel(f.severity));
    const CveMitigation* mit = r.MitigationOf(f);
    const std::string mitigation = mit != nullptr ? std::string(MitigationStateName(mit->state)) : std::string();
    out << "<tr data-id=\"" << Esc(f.id) << "\" data-severity=\"" << sev << "\" data-kind=\"" << Esc(f.object.kind)
        << "\" data-ns=\"" << Esc(f.object.ns) << "\" data-category=\"" << CategoryName(f.category) << "\""
        << (mitigation.empty() ? std::string() : " data-mitigation=\"" + Esc(mitigation) + "\"") << ">"
        << "<td><span class=\"sev " << sev << "\">" << sev << "</span></td>"
        << "<td>" << Esc(f.object.kind) << "<br><span class=\"mono\">"
        << Esc(f.object.ns.empty() ? f.object.name : f.object.ns + "/" + f.object.name) << "</span></td>"
        << "<td class=\"detail\"><b>" << Esc(f.title) << "</b><small>" << Esc(f.detail) << "</small>"
        << (f.field.empty() ? "" : "<small class=\"mono\">" + Esc(f.field) + "</small>")
        << (mitigation.empty() ? std::string()
                                 : "<small>Riposte: <span class=\"state " + Esc(mitigation) + "\">" + Esc(mitigation) +
                                       "</span></small>")
        << "</td>"
        << "<td>" << Esc(f.remediation) << "</td></tr>\n";
  }
  out << "</tbody></table>\n";
  if (r.findings.empty()) out << "<p class=\"empty\">No findings.</p>\n";
  out << "</section>\n";

  out << "<section id=\"relationships\"><h2>Relationships: Ingress &rarr; Service &rarr; controller Pod &rarr; Node</h2>\n";
  if (r.controllers.empty()) out << "<p class=\"empty\">No ingress-nginx controllers found.</p>\n";
  for (const auto& c : r.controllers) Flow(out, r, c);
  out << "</section>\n";

  out << "<section id=\"virtual-patch\"><h2>Virtual patch: does Riposte block each exposed CVE at admission?</h2>\n";
  if (r.controllers.empty()) out << "<p class=\"empty\">No ingress-nginx controllers found.</p>\n";
  for (const auto& c : r.controllers) VirtualPatchTable(out, c);
  out << "</section>\n";

  out << "<section id=\"riposte\"><h2>Riposte webhook</h2><p>";
  if (!r.riposte.installed) {
    out << "Not installed.";
  } else {
    out << "ValidatingWebhookConfiguration " << Esc(r.riposte.configuration) << ", failurePolicy "
        << Esc(r.riposte.failure_policy) << ", service " << Esc(r.riposte.service) << ": "
        << (r.riposte.enforcing ? "enforcing" : "not enforcing");
  }
  out << "</p>";
  if (r.riposte.installed) {
    const RipostePolicySummary& p = r.riposte.policy;
    out << "<p id=\"riposte-policy\">Policy: "
        << (p.known ? "mode <b>" + Esc(p.mode) + "</b> from " + Esc(p.source) : "unknown (" + Esc(p.error) + ")");
    if (!p.exempt_namespaces.empty()) out << "; exemptNamespaces " << Esc(JoinText(p.exempt_namespaces));
    if (!p.snippet_namespaces.empty()) out << "; snippets allowed in " << Esc(JoinText(p.snippet_namespaces));
    if (p.snippets_allowed) out << "; snippets allowed everywhere";
    if (!p.disabled_rules.empty()) out << "; disabled rules " << Esc(JoinText(p.disabled_rules));
    const RiposteWebhookScope& sc = r.riposte.scope;
    out << ". Namespaces: "
        << (sc.only_namespaces.empty() ? std::string("all") : "only " + Esc(JoinText(sc.only_namespaces)));
    if (!sc.excluded_namespaces.empty()) out << " except " << Esc(JoinText(sc.excluded_namespaces));
    if (!sc.label_conditions.empty()) out << "; by label " << Esc(JoinText(sc.label_conditions));
    if (!sc.object_selector.empty()) out << "; objectSelector " << Esc(sc.object_selector);
    out << ".</p>";
    const RiposteConfigMapsEntry& cms = r.riposte.configmaps;
    out << "<p id=\"riposte-configmaps\">ConfigMaps: "
        << (cms.webhook.empty() ? std::string("no entry, so the ConfigMaps Ingresses name are not judged at admission")
                                : "entry " + Esc(cms.webhook) + ", failurePolicy " + Esc(cms.failure_policy) +
                                      (cms.covers ? "" : ", not covering CREATE and UPDATE") +
                                      (p.known && !p.configmap_index ? ", webhook without --configmap-index" : ""))
        << ".</p>";
  }
  if (!r.riposte.problems.empty()) {
    out << "<ul class=\"plain\">";
    for (const auto& p : r.riposte.problems) out << "<li>" << Esc(p) << "</li>";
    out << "</ul>";
  }
  out << "</section>\n";
  if (r.migration) out << MigrationHtml(*r.migration);
  out << "</main>\n" << kScript << "</body></html>\n";
  return out.str();
}

}  // namespace riposte::audit
