// The migration inventory in the three report formats. Namespaces, names and annotation keys
// come from the cluster: escaped for the terminal and for HTML like everything else.
#include <sstream>

#include "audit/render.h"

namespace riposte::audit {

namespace {

using web::json::value;

constexpr GatewayClass kHardestClasses[] = {GatewayClass::kCore, GatewayClass::kExtended,
                                            GatewayClass::kImplementationSpecific, GatewayClass::kNone};
constexpr GatewayClass kAllClasses[] = {GatewayClass::kCore, GatewayClass::kExtended,
                                        GatewayClass::kImplementationSpecific, GatewayClass::kNone,
                                        GatewayClass::kUnrecognized};

size_t At(const std::array<size_t, kGatewayClassCount>& counts, GatewayClass c) {
  return counts[static_cast<size_t>(c)];
}

std::string HardestText(const std::array<size_t, kGatewayClassCount>& counts) {
  std::string out;
  for (GatewayClass c : kHardestClasses) {
    if (!out.empty()) out += ", ";
    out += std::to_string(At(counts, c)) + " " + std::string(GatewayClassName(c));
  }
  return out;
}

std::string ClassesText(const std::array<size_t, kGatewayClassCount>& counts) {
  std::string out;
  for (GatewayClass c : kAllClasses) {
    if (!out.empty()) out += ", ";
    out += std::to_string(At(counts, c)) + " " + std::string(GatewayClassName(c));
  }
  return out;
}

value Counts(const std::array<size_t, kGatewayClassCount>& counts, bool with_unrecognized) {
  value o = value::object(true);
  for (GatewayClass c : kAllClasses) {
    if (c == GatewayClass::kUnrecognized && !with_unrecognized) continue;
    o[std::string(GatewayClassName(c))] = value::number(static_cast<uint64_t>(At(counts, c)));
  }
  return o;
}

value StrArray(const std::vector<std::string>& items) {
  value arr = value::array(items.size());
  for (size_t i = 0; i < items.size(); ++i) arr[i] = value::string(items[i]);
  return arr;
}

}  // namespace

std::string MigrationText(const MigrationInventory& inv) {
  std::ostringstream out;
  out << "\n== Migration to Gateway API ==\n";
  out << "  mapping: " << inv.mapping_basis << " (docs/migration.md)\n";
  out << "  Ingresses served by ingress-nginx: " << inv.ingresses.size() << " (hardest annotation: "
      << HardestText(inv.ingresses_by_hardest) << ")\n";
  out << "  annotation uses: " << ClassesText(inv.annotations_by_class) << "\n";
  if (!inv.namespaces.empty()) out << "  per namespace:\n";
  for (const auto& ns : inv.namespaces) {
    out << "    " << TextEscape(ns.ns) << ": " << ns.ingresses << " Ingress(es) (" << HardestText(ns.ingresses_by_hardest)
        << "), " << ns.blockers << " blocker(s)\n";
  }
  out << "  blockers (no Gateway API equivalent): " << (inv.blockers.empty() ? "none" : std::to_string(inv.blockers.size()))
      << "\n";
  for (const auto& b : inv.blockers) {
    out << "    " << TextEscape(b.ns) << "/" << TextEscape(b.ingress) << ": " << TextEscape(b.annotation) << " -- "
        << TextEscape(b.reason) << "\n";
  }
  if (!inv.annotations.empty()) out << "  annotations in use (class, uses):\n";
  for (const auto& a : inv.annotations) {
    out << "    " << TextEscape(a.annotation) << ": " << GatewayClassName(a.gateway_class) << ", " << a.uses;
    if (!a.gateway_feature.empty()) out << " -- " << TextEscape(a.gateway_feature);
    out << "\n";
  }
  if (!inv.ingresses.empty()) out << "  Ingresses (hardest class: annotations):\n";
  for (const auto& i : inv.ingresses) {
    out << "    " << TextEscape(i.ns) << "/" << TextEscape(i.name) << " [" << GatewayClassName(i.hardest) << "]";
    if (i.annotations.empty()) out << " no ingress-nginx annotations";
    for (size_t k = 0; k < i.annotations.size(); ++k) {
      const auto& a = i.annotations[k];
      out << (k ? ", " : " ") << TextEscape(a.annotation) << " (" << GatewayClassName(a.gateway_class) << ")";
    }
    out << "\n";
  }
  return out.str();
}

value MigrationJson(const MigrationInventory& inv) {
  value o = value::object(true);
  o["mappingBasis"] = value::string(inv.mapping_basis);
  value summary = value::object(true);
  summary["ingresses"] = value::number(static_cast<uint64_t>(inv.ingresses.size()));
  summary["ingressesByHardest"] = Counts(inv.ingresses_by_hardest, false);
  summary["annotationsByClass"] = Counts(inv.annotations_by_class, true);
  summary["blockers"] = value::number(static_cast<uint64_t>(inv.blockers.size()));
  o["summary"] = summary;
  value nss = value::array(inv.namespaces.size());
  for (size_t i = 0; i < inv.namespaces.size(); ++i) {
    const auto& ns = inv.namespaces[i];
    value j = value::object(true);
    j["namespace"] = value::string(ns.ns);
    j["ingresses"] = value::number(static_cast<uint64_t>(ns.ingresses));
    j["ingressesByHardest"] = Counts(ns.ingresses_by_hardest, false);
    j["annotationsByClass"] = Counts(ns.annotations_by_class, true);
    j["blockers"] = value::number(static_cast<uint64_t>(ns.blockers));
    nss[i] = j;
  }
  o["namespaces"] = nss;
  value blockers = value::array(inv.blockers.size());
  for (size_t i = 0; i < inv.blockers.size(); ++i) {
    const auto& b = inv.blockers[i];
    value j = value::object(true);
    j["namespace"] = value::string(b.ns);
    j["ingress"] = value::string(b.ingress);
    j["annotation"] = value::string(b.annotation);
    j["reason"] = value::string(b.reason);
    blockers[i] = j;
  }
  o["blockers"] = blockers;
  value used = value::array(inv.annotations.size());
  for (size_t i = 0; i < inv.annotations.size(); ++i) {
    const auto& a = inv.annotations[i];
    value j = value::object(true);
    j["annotation"] = value::string(a.annotation);
    j["class"] = value::string(std::string(GatewayClassName(a.gateway_class)));
    j["gatewayFeature"] = value::string(a.gateway_feature);
    j["uses"] = value::number(static_cast<uint64_t>(a.uses));
    used[i] = j;
  }
  o["annotationsUsed"] = used;
  value ings = value::array(inv.ingresses.size());
  for (size_t i = 0; i < inv.ingresses.size(); ++i) {
    const auto& g = inv.ingresses[i];
    value j = value::object(true);
    j["namespace"] = value::string(g.ns);
    j["name"] = value::string(g.name);
    j["ingressClass"] = value::string(g.ingress_class);
    j["controllers"] = StrArray(g.controllers);
    j["hardest"] = value::string(std::string(GatewayClassName(g.hardest)));
    value anns = value::array(g.annotations.size());
    for (size_t k = 0; k < g.annotations.size(); ++k) {
      const auto& a = g.annotations[k];
      value aj = value::object(true);
      aj["annotation"] = value::string(a.annotation);
      aj["class"] = value::string(std::string(GatewayClassName(a.gateway_class)));
      aj["reason"] = value::string(a.reason);
      anns[k] = aj;
    }
    j["annotations"] = anns;
    ings[i] = j;
  }
  o["ingresses"] = ings;
  return o;
}

std::string MigrationHtml(const MigrationInventory& inv) {
  std::ostringstream out;
  auto esc = [](std::string_view s) { return HtmlEscape(s); };
  out << "<section id=\"migration\"><h2>Migration to Gateway API</h2>\n<p class=\"empty\">Mapping: "
      << esc(inv.mapping_basis) << " (docs&#47;migration.md). Classes: core and extended are HTTPRoute &#47; Gateway "
      << "features of the standard channel; implementation-specific needs the chosen implementation's own policy; "
      << "none has no equivalent (a blocker).</p>\n<div class=\"tiles\">\n";
  auto tile = [&](const std::string& cls, size_t n, const std::string& label) {
    out << "<div class=\"tile " << cls << "\"><b>" << n << "</b><span>" << esc(label) << "</span></div>\n";
  };
  tile("", inv.ingresses.size(), "Ingresses served by ingress-nginx");
  tile("low", At(inv.ingresses_by_hardest, GatewayClass::kCore), "core only");
  tile("low", At(inv.ingresses_by_hardest, GatewayClass::kExtended), "need extended features");
  tile("medium", At(inv.ingresses_by_hardest, GatewayClass::kImplementationSpecific), "need implementation policies");
  tile("critical", At(inv.ingresses_by_hardest, GatewayClass::kNone), "blocked");
  out << "</div>\n<h3>Per namespace</h3>\n<table id=\"migration-namespaces\"><thead><tr><th>Namespace</th>"
         "<th>Ingresses</th><th>core</th><th>extended</th><th>implementation-specific</th><th>blocked</th>"
         "<th>blockers</th></tr></thead><tbody>\n";
  for (const auto& ns : inv.namespaces) {
    out << "<tr data-ns=\"" << esc(ns.ns) << "\"><td class=\"mono\">" << esc(ns.ns) << "</td><td>" << ns.ingresses
        << "</td>";
    for (GatewayClass c : kHardestClasses) out << "<td>" << At(ns.ingresses_by_hardest, c) << "</td>";
    out << "<td>" << ns.blockers << "</td></tr>\n";
  }
  out << "</tbody></table>\n";
  if (inv.namespaces.empty()) out << "<p class=\"empty\">No Ingress served by ingress-nginx.</p>\n";
  out << "<h3>Blockers</h3>\n<table id=\"migration-blockers\"><thead><tr><th>Ingress</th><th>Annotation</th>"
         "<th>Why there is no equivalent</th></tr></thead><tbody>\n";
  for (const auto& b : inv.blockers) {
    out << "<tr data-ns=\"" << esc(b.ns) << "\"><td class=\"mono\">" << esc(b.ns + "/" + b.ingress)
        << "</td><td class=\"mono\">" << esc(b.annotation) << "</td><td>" << esc(b.reason) << "</td></tr>\n";
  }
  out << "</tbody></table>\n";
  if (inv.blockers.empty()) out << "<p class=\"empty\">No blockers.</p>\n";
  out << "<h3>Annotations in use</h3>\n<table id=\"migration-annotations\"><thead><tr><th>Annotation</th>"
         "<th>Class</th><th>Uses</th><th>Gateway API</th></tr></thead><tbody>\n";
  for (const auto& a : inv.annotations) {
    out << "<tr><td class=\"mono\">" << esc(a.annotation) << "</td><td><span class=\"gw "
        << GatewayClassName(a.gateway_class) << "\">" << GatewayClassName(a.gateway_class) << "</span></td><td>" << a.uses
        << "</td><td>" << esc(a.gateway_feature) << "</td></tr>\n";
  }
  out << "</tbody></table>\n";
  out << "<h3>Ingresses</h3>\n<table id=\"migration-ingresses\"><thead><tr><th>Ingress</th><th>Hardest</th>"
         "<th>Annotations</th></tr></thead><tbody>\n";
  for (const auto& i : inv.ingresses) {
    out << "<tr data-ns=\"" << esc(i.ns) << "\" data-hardest=\"" << GatewayClassName(i.hardest) << "\"><td class=\"mono\">"
        << esc(i.ns + "/" + i.name) << "</td><td><span class=\"gw " << GatewayClassName(i.hardest) << "\">"
        << GatewayClassName(i.hardest) << "</span></td><td>";
    if (i.annotations.empty()) out << "<span class=\"empty\">none</span>";
    for (const auto& a : i.annotations) {
      out << "<div><span class=\"mono\">" << esc(a.annotation) << "</span> <span class=\"gw "
          << GatewayClassName(a.gateway_class) << "\">" << GatewayClassName(a.gateway_class) << "</span>";
      if (!a.reason.empty()) out << "<small>" << esc(a.reason) << "</small>";
      out << "</div>";
    }
    out << "</td></tr>\n";
  }
  out << "</tbody></table>\n</section>\n";
  return out.str();
}

}  // namespace riposte::audit
