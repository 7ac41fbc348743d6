#include "audit/eol.h"
#include "audit/render.h"

namespace riposte::audit {

namespace {
using web::json::value;

value Str(const std::string& s) { return value::string(s); }

value StrArray(const std::vector<std::string>& items) {
  value arr = value::array(items.size());
  for (size_t i = 0; i < items.size(); ++i) arr[i] = Str(items[i]);
  return arr;
}

value Obj() { return value::object(true); }

value RefJson(const ObjectRef& ref) {
  value o = Obj();
  o["kind"] = Str(ref.kind);
  o["namespace"] = Str(ref.ns);
  o["name"] = Str(ref.name);
  return o;
}

value OptBool(const std::optional<bool>& b) { return b ? value::boolean(*b) : value::null(); }

value ControllerJson(const Controller& c) {
  value o = Obj();
  o["workload"] = RefJson(c.workload);
  o["container"] = Str(c.container);
  o["image"] = Str(c.image);
  o["version"] = Str(c.version);
  o["versionNote"] = Str(c.version_note);
  o["atRisk"] = value::boolean(c.at_risk);
  o["cves"] = StrArray(c.cves);
  o["recommendedVersion"] = Str(c.recommended_version);
  o["nodes"] = StrArray(c.nodes);
  value pods = value::array();
  for (size_t i = 0; i < c.pods.size(); ++i) {
    value p = Obj();
    p["name"] = Str(c.pods[i].name);
    p["node"] = Str(c.pods[i].node);
    p["phase"] = Str(c.pods[i].phase);
    p["ready"] = value::boolean(c.pods[i].ready);
    pods[i] = p;
  }
  o["pods"] = pods;
  value svcs = value::array();
  for (size_t i = 0; i < c.services.size(); ++i) {
    const auto& s = c.services[i];
    value j = Obj();
    j["namespace"] = Str(s.ns);
    j["name"] = Str(s.name);
    j["type"] = Str(s.type);
    j["external"] = StrArray(s.external);
    j["ports"] = StrArray(s.ports);
    j["exposed"] = value::boolean(s.exposed);
    j["admission"] = value::boolean(s.admission);
    svcs[i] = j;
  }
  o["services"] = svcs;
  value st = Obj();
  st["configMap"] = Str(c.settings.configmap);
  st["configMapFound"] = value::boolean(c.settings.configmap_found);
  st["allowSnippetAnnotations"] = OptBool(c.settings.allow_snippet_annotations);
  st["annotationsRiskLevel"] = Str(c.settings.annotations_risk_level);
  st["enableAnnotationValidation"] = OptBool(c.settings.enable_annotation_validation);
  st["strictValidatePathType"] = OptBool(c.settings.strict_validate_path_type);
  st["sources"] = StrArray(c.settings.sources);
  o["settings"] = st;
  o["ingressClass"] = Str(c.ingress_class);
  value adm = Obj();
  adm["port"] = value::number(c.admission_port);
  adm["restrictedByNetworkPolicy"] = value::boolean(c.admission_restricted);
  adm["networkPolicies"] = StrArray(c.network_policies);
  adm["validatingWebhookConfiguration"] = Str(c.validating_webhook);
  o["admission"] = adm;
  o["annotationsPrefix"] = Str(c.annotations_prefix);
  o["watchNamespace"] = Str(c.watch_namespace);
  value eol = Obj();
  eol["retired"] = value::boolean(true);
  eol["maintenanceEnded"] = Str(std::string(eol::kMaintenanceEnded));
  eol["announcement"] = Str(std::string(eol::kAnnouncementUrl));
  eol["migrationGuide"] = Str(std::string(eol::kMigrationGuideUrl));
  std::vector<std::string> last;
  for (const auto& l : ReleaseLines()) {
    if (l.final_fixes) last.push_back(l.last.ToString());
  }
  eol["lastReleases"] = StrArray(last);
  eol["releaseLine"] = Str(c.eol.release_line);
  eol["lineLastRelease"] = Str(c.eol.line_last_release);
  eol["lineGotFinalRelease"] = value::boolean(c.eol.line_got_final_release);
  eol["onLastRelease"] = value::boolean(c.eol.on_last_release);
  eol["newerThanCommunity"] = value::boolean(c.eol.newer_than_community);
  eol["upgradeTarget"] = Str(c.eol.upgrade_target);
  o["endOfLife"] = eol;
  value vp = Obj();
  vp["state"] = Str(std::string(MitigationStateName(c.virtual_patch)));
  vp["reasons"] = StrArray(c.virtual_patch_reasons);
  o["virtualPatch"] = vp;
  value mits = value::array(c.mitigations.size());
  for (size_t i = 0; i < c.mitigations.size(); ++i) {
    const auto& m = c.mitigations[i];
    value j = Obj();
    j["cve"] = Str(m.cve);
    j["state"] = Str(std::string(MitigationStateName(m.state)));
    j["admissionBlockable"] = value::boolean(m.admission_blockable);
    j["mitigatedBy"] = Str(m.mitigated_by);
    j["rules"] = StrArray(m.rules);
    j["reasons"] = StrArray(m.reasons);
    j["summary"] = Str(m.summary);
    mits[i] = j;
  }
  o["mitigations"] = mits;
  return o;
}

value ScopeJson(const RiposteWebhookScope& sc) {
  value scope = Obj();
  scope["excludedNamespaces"] = StrArray(sc.excluded_namespaces);
  scope["onlyNamespaces"] = StrArray(sc.only_namespaces);
  scope["labelConditions"] = StrArray(sc.label_conditions);
  scope["objectSelector"] = Str(sc.object_selector);
  return scope;
}

value RiposteJson(const RiposteWebhookStatus& r) {
  value rip = Obj();
  rip["installed"] = value::boolean(r.installed);
  rip["enforcing"] = value::boolean(r.enforcing);
  rip["configuration"] = Str(r.configuration);
  rip["failurePolicy"] = Str(r.failure_policy);
  rip["service"] = Str(r.service);
  rip["endpointsReady"] = value::boolean(r.endpoints_ready);
  rip["coversIngress"] = value::boolean(r.covers_ingress);
  rip["problems"] = StrArray(r.problems);
  rip["webhook"] = Str(r.webhook);
  rip["scope"] = ScopeJson(r.scope);
  value cms = Obj();
  cms["webhook"] = Str(r.configmaps.webhook);
  cms["failurePolicy"] = Str(r.configmaps.failure_policy);
  cms["coversConfigMaps"] = value::boolean(r.configmaps.covers);
  cms["scope"] = ScopeJson(r.configmaps.scope);
  rip["configMaps"] = cms;
  value pol = Obj();
  pol["known"] = value::boolean(r.policy.known);
  pol["source"] = Str(r.policy.source);
  pol["error"] = Str(r.policy.error);
  pol["mode"] = Str(r.policy.mode);
  pol["annotationPrefix"] = Str(r.policy.annotation_prefix);
  pol["ingressClasses"] = StrArray(r.policy.ingress_classes);
  pol["exemptNamespaces"] = StrArray(r.policy.exempt_namespaces);
  pol["snippetsAllowed"] = value::boolean(r.policy.snippets_allowed);
  pol["snippetNamespaces"] = StrArray(r.policy.snippet_namespaces);
  pol["disabledRules"] = StrArray(r.policy.disabled_rules);
  pol["configMapIndex"] = value::boolean(r.policy.configmap_index);
  rip["policy"] = pol;
  return rip;
}

void AppendIndent(std::string& out, int depth) { out.append(static_cast<size_t>(depth) * 2, ' '); }

void Pretty(const value& v, std::string& out, int depth) {
  if (v.is_object()) {
    const auto& obj = v.as_object();
    if (obj.size() == 0) {
      out += "{}";
      return;
    }
    out += "{\n";
    size_t i = 0;
    for (const auto& [k, val] : obj) {
      AppendIndent(out, depth + 1);
      out += value::string(k).serialize();
      out += ": ";
      Pretty(val, out, depth + 1);
      out += ++i < obj.size() ? ",\n" : "\n";
    }
    AppendIndent(out, depth);
    out += "}";
  } else if (v.is_array()) {
    const auto& arr = v.as_array();
    if (arr.size() == 0) {
      out += "[]";
      return;
    }
    out += "[\n";
    for (size_t i = 0; i < arr.size(); ++i) {
      AppendIndent(out, depth + 1);
      Pretty(arr.at(i), out, depth + 1);
      out += i + 1 < arr.size() ? ",\n" : "\n";
    }
    AppendIndent(out, depth);
    out += "]";
  } else {
    out += v.serialize();
  }
}

}  // namespace

std::string PrettyJson(const value& v) {
  std::string out;
  Pretty(v, out, 0);
  out += "\n";
  return out;
}

value ReportToJson(const Report& r) {
  value doc = Obj();
  doc["schema"] = Str("riposte.io/audit/v1");
  if (!r.generated_at.empty()) doc["generatedAt"] = Str(r.generated_at);
  doc["source"] = Str(r.source);
  doc["namespace"] = Str(r.namespace_scope);
  doc["complete"] = value::boolean(r.complete() && r.engine_available);
  doc["atRisk"] = value::boolean(r.at_risk());
  doc["exitCode"] = value::number(r.ExitCode());
  value summary = Obj();
  auto counts = r.CountsBySeverity();
  value by_sev = Obj();
  for (core::Severity s : {core::Severity::kCritical, core::Severity::kHigh, core::Severity::kMedium, core::Severity::kLow}) {
    by_sev[std::string(SeverityLabel(s))] = value::number(static_cast<uint64_t>(counts[static_cast<size_t>(s)]));
  }
  summary["findingsBySeverity"] = by_sev;
  summary["findings"] = value::number(static_cast<uint64_t>(r.findings.size()));
  size_t at_risk = 0;
  for (const auto& c : r.controllers) at_risk += c.at_risk ? 1 : 0;
  summary["controllers"] = value::number(static_cast<uint64_t>(r.controllers.size()));
  summary["controllersAtRisk"] = value::number(static_cast<uint64_t>(at_risk));
  size_t flagged = 0;
  for (const auto& i : r.ingresses) flagged += i.findings > 0 ? 1 : 0;
  summary["ingresses"] = value::number(static_cast<uint64_t>(r.ingresses.size()));
  summary["ingressesWithFindings"] = value::number(static_cast<uint64_t>(flagged));
  summary["engineAvailable"] = value::boolean(r.engine_available);
  summary["unreadableResources"] = value::number(static_cast<uint64_t>(r.unreadable.size()));
  // Every controller found is a retired ingress-nginx (end of life since March 2026).
  summary["controllersEndOfLife"] = value::number(static_cast<uint64_t>(r.controllers.size()));
  value by_state = Obj();
  for (auto st : {MitigationState::kUnmitigated, MitigationState::kPartlyMitigated, MitigationState::kMitigated}) {
    size_t n = 0;
    for (const auto& c : r.controllers) {
      for (const auto& m : c.mitigations) n += m.state == st ? 1 : 0;
    }
    by_state[std::string(MitigationStateName(st))] = value::number(static_cast<uint64_t>(n));
  }
  summary["exposedCvesByMitigation"] = by_state;
  doc["summary"] = summary;

  value ctrls = value::array();
  for (size_t i = 0; i < r.controllers.size(); ++i) ctrls[i] = ControllerJson(r.controllers[i]);
  doc["controllers"] = ctrls;

  value ings = value::array();
  for (size_t i = 0; i < r.ingresses.size(); ++i) {
    const auto& g = r.ingresses[i];
    value j = Obj();
    j["namespace"] = Str(g.ingress.ns);
    j["name"] = Str(g.ingress.name);
    j["ingressClass"] = Str(g.ingress_class);
    j["backends"] = StrArray(g.backends);
    j["controllers"] = StrArray(g.controllers);
    j["findings"] = value::number(static_cast<uint64_t>(g.findings));
    j["worstSeverity"] = Str(g.worst);
    ings[i] = j;
  }
  doc["ingresses"] = ings;

  doc["riposteWebhook"] = RiposteJson(r.riposte);

  value unread = value::array();
  for (size_t i = 0; i < r.unreadable.size(); ++i) {
    value j = Obj();
    j["resource"] = Str(r.unreadable[i].resource);
    j["reason"] = Str(r.unreadable[i].reason);
    j["code"] = value::number(r.unreadable[i].code);
    j["message"] = Str(r.unreadable[i].message);
    unread[i] = j;
  }
  doc["unreadable"] = unread;

  value finds = value::array();
  for (size_t i = 0; i < r.findings.size(); ++i) {
    const auto& f = r.findings[i];
    value j = Obj();
    j["id"] = Str(f.id);
    j["severity"] = Str(std::string(SeverityLabel(f.severity)));
    j["category"] = Str(std::string(CategoryName(f.category)));
    j["object"] = RefJson(f.object);
    j["cves"] = StrArray(f.cves);
    j["ruleId"] = Str(f.rule_id);
    j["field"] = Str(f.field);
    j["title"] = Str(f.title);
    j["detail"] = Str(f.detail);
    j["remediation"] = Str(f.remediation);
    const CveMitigation* m = r.MitigationOf(f);
    j["mitigation"] = Str(m != nullptr ? std::string(MitigationStateName(m->state)) : std::string());
    finds[i] = j;
  }
  doc["findings"] = finds;
  if (r.migration) doc["migration"] = MigrationJson(*r.migration);
  return doc;
}

std::string RenderJson(const Report& report) { return PrettyJson(ReportToJson(report)); }

}  // namespace riposte::audit
