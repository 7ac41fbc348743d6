#include "audit/controller_discovery.h"

#include <algorithm>
#include <charconv>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "audit/cve_table.h"
#include "audit/image_ref.h"
#include "audit/k8s_read.h"
#include "audit/version.h"
#include "common/json_value.h"
#include "core/controller_config.h"
#include "core/rules.h"

namespace riposte::audit::analysis {

namespace {

using core::Severity;
using web::json::value;
using namespace k8s;  // At, Str, Arr, Meta, Labels, Selects, ServiceSelects, CommandAndArgs, FlagValue, ParseBool

int PortFromAddress(const std::string& addr) {
  auto colon = addr.rfind(':');
  std::string_view digits = colon == std::string::npos ? std::string_view(addr) : std::string_view(addr).substr(colon + 1);
  int port = 0;
  auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
  if (ec != std::errc() || p != digits.data() + digits.size() || port <= 0 || port > 65535) return 0;
  return port;
}

class ControllerDiscovery {
 public:
  explicit ControllerDiscovery(AnalysisState& st) : st_(st) {}

  void FindControllers() {
    std::set<std::pair<std::string, std::string>> claimed_pods;  // (ns, name)
    for (const char* resource : {res::kDeployments, res::kDaemonSets}) {
      const std::string kind = std::string(resource) == res::kDeployments ? "Deployment" : "DaemonSet";
      for (const auto& obj : st_.snap.Objects(resource)) {
        const value* tmpl = json::Find(obj, {"spec", "template"});
        if (tmpl == nullptr) continue;
        ObjectRef ref{kind, Meta(obj, "namespace"), Meta(obj, "name")};
        auto labels = Labels(json::Find(*tmpl, {"metadata", "labels"}));
        const value* selector = json::Find(obj, {"spec", "selector"});
        AddCandidatesFromPodSpec(ref, *tmpl, labels, [&](ControllerCandidate& c) {
          for (const auto& pod : st_.snap.Objects(res::kPods)) {
            if (Meta(pod, "namespace") != ref.ns) continue;
            if (!Selects(selector, Labels(json::Find(pod, {"metadata", "labels"})))) continue;
            c.ctrl.pods.push_back(PodFrom(pod));
            claimed_pods.insert({ref.ns, Meta(pod, "name")});
          }
        });
      }
    }
    // Controller pods without a Deployment/DaemonSet we could see (standalone, or the
    // workload lists were unreadable).
    for (const auto& pod : st_.snap.Objects(res::kPods)) {
      ObjectRef ref{"Pod", Meta(pod, "namespace"), Meta(pod, "name")};
      if (claimed_pods.count({ref.ns, ref.name}) != 0) continue;
      auto labels = Labels(json::Find(pod, {"metadata", "labels"}));
      AddCandidatesFromPodSpec(ref, pod, labels, [&](ControllerCandidate& c) { c.ctrl.pods.push_back(PodFrom(pod)); });
    }
  }

  template <typename AttachPods>
  void AddCandidatesFromPodSpec(const ObjectRef& ref, const value& pod_or_template,
                                const std::map<std::string, std::string>& labels, AttachPods attach) {
    const auto* containers = Arr(pod_or_template, {"spec", "containers"});
    if (containers == nullptr) return;
    for (const auto& container : *containers) {
      std::string image = Str(container, {"image"});
      auto args = CommandAndArgs(container);
      ImageRef ir = ParseImageRef(image);
      if (!IsIngressNginxController(ir, args)) continue;
      ControllerCandidate c;
      c.ctrl.workload = ref;
      c.ctrl.container = Str(container, {"name"});
      c.ctrl.image = image;
      c.pod_labels = labels;
      c.args = args;
      c.version = ParseVersion(ir.tag);
      if (c.version) {
        c.ctrl.version = c.version->ToString();
      } else {
        c.ctrl.version = "unknown";
        if (ir.tag.empty() && !ir.digest.empty()) {
          c.ctrl.version_note = "image pinned by digest only (" + ir.digest +
                                "); the version cannot be read from the reference";
        } else if (ir.tag.empty()) {
          c.ctrl.version_note = "image has no tag (resolves to :latest); the version is unknown";
        } else {
          c.ctrl.version_note = "image tag \"" + ir.tag + "\" is not a controller version";
        }
      }
      if (const auto* ports = Arr(container, {"ports"})) {
        for (const auto& p : *ports) {
          const value* cp = json::Find(p, {"containerPort"});
          if (cp != nullptr && cp->is_integer()) {
            c.container_port_names_for_admission.push_back(std::to_string(cp->as_integer()) + "=" + Str(p, {"name"}));
          }
        }
      }
      attach(c);
      st_.candidates.push_back(std::move(c));
    }
  }

  static PodInfo PodFrom(const value& pod) {
    PodInfo p;
    p.name = Meta(pod, "name");
    p.node = Str(pod, {"spec", "nodeName"});
    p.phase = Str(pod, {"status", "phase"});
    if (const auto* conds = Arr(pod, {"status", "conditions"})) {
      for (const auto& c : *conds) {
        if (Str(c, {"type"}) == "Ready") p.ready = Str(c, {"status"}) == "True";
      }
    }
    return p;
  }

  // Name of the container port listening on `port` ("webhook" in the upstream manifests).
  static std::string AdmissionPortName(const ControllerCandidate& c, int port) {
    std::string prefix = std::to_string(port) + "=";
    for (const auto& entry : c.container_port_names_for_admission) {
      if (entry.starts_with(prefix)) return entry.substr(prefix.size());
    }
    return "";
  }

  static bool PortMatches(const value* port_ref, int number, const std::string& name) {
    if (port_ref == nullptr) return false;
    if (port_ref->is_integer()) return port_ref->as_integer() == number;
    if (port_ref->is_string()) {
      const std::string& s = port_ref->as_string();
      return (!name.empty() && s == name) || s == std::to_string(number);
    }
    return false;
  }

  void ResolveSettings(ControllerCandidate& c) {
    Controller& ctrl = c.ctrl;
    ControllerSettings& s = ctrl.settings;
    const Version v = c.version.value_or(Version{0, 0, 0});  // unknown -> oldest defaults
    const bool v1_9 = c.version && v >= Version{1, 9, 0};
    const bool v1_12 = c.version && v >= Version{1, 12, 0};
    s.allow_snippet_annotations = !v1_9;
    s.annotations_risk_level = v1_12 ? "High" : "Critical";
    s.enable_annotation_validation = v1_12;
    s.strict_validate_path_type = v1_12;
    std::string defaults = c.version ? "defaults of " + ctrl.version : "defaults of old releases (version unknown)";

    std::map<std::string, std::string> data;
    if (auto cm = ControllerConfigMapFlag(c.args, ctrl.workload.ns)) {
      s.configmap = cm->ref;
      for (const auto& obj : st_.snap.Objects(res::kConfigMaps)) {
        if (Meta(obj, "namespace") == cm->ns && Meta(obj, "name") == cm->name) {
          s.configmap_found = true;
          data = Labels(json::Find(obj, {"data"}));
        }
      }
      if (!st_.snap.Readable(res::kConfigMaps)) {
        s.sources.push_back("ConfigMap " + s.configmap + " unreadable; assuming " + defaults);
      } else if (!s.configmap_found) {
        s.sources.push_back("ConfigMap " + s.configmap + " not found; " + defaults);
      } else {
        s.sources.push_back("ConfigMap " + s.configmap + " over " + defaults);
      }
    } else {
      s.sources.push_back("no --configmap; " + defaults);
    }
    core::ApplyControllerConfigMap(core::KeyValues(data.begin(), data.end()), &s);
    if (auto flag = FlagValue(c.args, "enable-annotation-validation")) {
      if (auto b = ParseBool(*flag)) {
        s.enable_annotation_validation = *b;
        s.sources.push_back("--enable-annotation-validation=" + *flag);
      }
    }
    ctrl.ingress_class = FlagValue(c.args, "ingress-class").value_or("nginx");
    ctrl.annotations_prefix = FlagValue(c.args, "annotations-prefix").value_or("nginx.ingress.kubernetes.io");
    ctrl.watch_namespace = ExpandNamespace(FlagValue(c.args, "watch-namespace").value_or(""), ctrl.workload.ns);
    if (auto wh = FlagValue(c.args, "validating-webhook")) ctrl.admission_port = PortFromAddress(*wh);
  }

  void FindServices(ControllerCandidate& c) {
    Controller& ctrl = c.ctrl;
    const std::string admission_name = AdmissionPortName(c, ctrl.admission_port);
    for (const auto& svc : st_.snap.Objects(res::kServices)) {
      if (Meta(svc, "namespace") != ctrl.workload.ns || !ServiceSelects(svc, c.pod_labels)) continue;
      ServiceExposure e;
      e.ns = ctrl.workload.ns;
      e.name = Meta(svc, "name");
      e.type = Str(svc, {"spec", "type"});
      if (e.type.empty()) e.type = "ClusterIP";
      if (const auto* ips = Arr(svc, {"spec", "externalIPs"})) {
        for (const auto& ip : *ips) {
          if (ip.is_string()) e.external.push_back(ip.as_string());
        }
      }
      if (const auto* lbs = Arr(svc, {"status", "loadBalancer", "ingress"})) {
        for (const auto& lb : *lbs) {
          std::string addr = Str(lb, {"ip"});
          if (addr.empty()) addr = Str(lb, {"hostname"});
          if (!addr.empty()) e.external.push_back(addr);
        }
      }
      if (const auto* ports = Arr(svc, {"spec", "ports"})) {
        for (const auto& p : *ports) {
          const value* port = json::Find(p, {"port"});
          const value* target = json::Find(p, {"targetPort"});
          std::string text = port != nullptr && port->is_integer() ? std::to_string(port->as_integer()) : "?";
          if (target != nullptr) text += "->" + (target->is_string() ? target->as_string() : target->serialize());
          const value* np = json::Find(p, {"nodePort"});
          if (np != nullptr && np->is_integer() && e.type != "ClusterIP") {
            text += " (nodePort " + std::to_string(np->as_integer()) + ")";
          }
          e.ports.push_back(text);
          // targetPort defaults to port when absent.
          const value* effective = target != nullptr ? target : port;
          if (ctrl.admission_port != 0 && PortMatches(effective, ctrl.admission_port, admission_name)) {
            e.admission = true;
          }
        }
      }
      e.exposed = e.type == "LoadBalancer" || e.type == "NodePort" || !e.external.empty();
      ctrl.services.push_back(std::move(e));
    }
    std::sort(ctrl.services.begin(), ctrl.services.end(),
              [](const ServiceExposure& a, const ServiceExposure& b) { return a.name < b.name; });
  }

  // Whether NetworkPolicies isolate the controller pods for ingress and none of their rules
  // lets every source reach the admission port.
  void CheckNetworkPolicies(ControllerCandidate& c) {
    Controller& ctrl = c.ctrl;
    const std::string admission_name = AdmissionPortName(c, ctrl.admission_port);
    bool isolated = false;
    bool open_rule = false;
    for (const auto& np : st_.snap.Objects(res::kNetworkPolicies)) {
      if (Meta(np, "namespace") != ctrl.workload.ns) continue;
      if (!Selects(json::Find(np, {"spec", "podSelector"}), c.pod_labels)) continue;
      bool ingress_type = true;  // policyTypes defaults to include Ingress
      if (const auto* types = Arr(np, {"spec", "policyTypes"})) {
        ingress_type = std::any_of(types->begin(), types->end(),
                                   [](const value& t) { return t.is_string() && t.as_string() == "Ingress"; });
      }
      if (!ingress_type) continue;
      ctrl.network_policies.push_back(Meta(np, "name"));
      isolated = true;
      const auto* rules = Arr(np, {"spec", "ingress"});
      if (rules == nullptr) continue;
      for (const auto& rule : *rules) {
        bool port_allowed = true;
        if (const auto* ports = Arr(rule, {"ports"}); ports != nullptr && ports->size() > 0) {
          port_allowed = std::any_of(ports->begin(), ports->end(), [&](const value& p) {
            const value* port = json::Find(p, {"port"});
            if (port == nullptr) return true;  // all ports of the protocol
            const value* end = json::Find(p, {"endPort"});
            if (port->is_integer() && end != nullptr && end->is_integer()) {
              return port->as_integer() <= ctrl.admission_port && ctrl.admission_port <= end->as_integer();
            }
            return PortMatches(port, ctrl.admission_port, admission_name);
          });
        }
        if (!port_allowed) continue;
        const auto* from = Arr(rule, {"from"});
        bool from_all = from == nullptr || from->size() == 0 ||
                        std::any_of(from->begin(), from->end(), [](const value& peer) {
                          std::string cidr = Str(peer, {"ipBlock", "cidr"});
                          if (cidr == "0.0.0.0/0" || cidr == "::/0") return true;
                          // namespaceSelector {} without podSelector: every pod in the cluster.
                          const value* nss = json::Find(peer, {"namespaceSelector"});
                          return nss != nullptr && nss->is_object() && nss->size() == 0 &&
                                 json::Find(peer, {"podSelector"}) == nullptr;
                        });
        if (from_all) open_rule = true;
      }
    }
    std::sort(ctrl.network_policies.begin(), ctrl.network_policies.end());
    ctrl.admission_restricted = ctrl.admission_port != 0 && isolated && !open_rule;
  }

  void FindControllerWebhook(Controller& ctrl) {
    std::set<std::string> admission_services;
    for (const auto& s : ctrl.services) {
      if (s.admission) admission_services.insert(s.name);
    }
    for (const auto& vwc : st_.snap.Objects(res::kValidatingWebhookConfigurations)) {
      const auto* hooks = Arr(vwc, {"webhooks"});
      if (hooks == nullptr) continue;
      for (const auto& h : *hooks) {
        if (Str(h, {"clientConfig", "service", "namespace"}) == ctrl.workload.ns &&
            admission_services.count(Str(h, {"clientConfig", "service", "name"})) != 0) {
          ctrl.validating_webhook = Meta(vwc, "name");
        }
      }
    }
  }

  std::string FindingId(const Controller& ctrl, const std::string& what) const {
    return ctrl.workload.kind + "/" + ctrl.workload.ns + "/" + ctrl.workload.name + "/" + ctrl.container + "/" + what;
  }

  std::string ExposureText(const Controller& ctrl) const {
    std::string out;
    for (const auto& s : ctrl.services) {
      if (!s.exposed) continue;
      if (!out.empty()) out += ", ";
      out += s.type + " " + s.ns + "/" + s.name;
      if (!s.external.empty()) {
        out += " (";
        for (size_t i = 0; i < s.external.size(); ++i) out += (i ? ", " : "") + s.external[i];
        out += ")";
      }
    }
    return out;
  }

  void AnalyzeController(ControllerCandidate& c) {
    ResolveSettings(c);
    FindServices(c);
    CheckNetworkPolicies(c);
    Controller& ctrl = c.ctrl;
    FindControllerWebhook(ctrl);
    std::set<std::string> nodes;
    for (const auto& p : ctrl.pods) {
      if (!p.node.empty()) nodes.insert(p.node);
    }
    ctrl.nodes.assign(nodes.begin(), nodes.end());
    std::sort(ctrl.pods.begin(), ctrl.pods.end(), [](const PodInfo& a, const PodInfo& b) { return a.name < b.name; });

    const ControllerSettings& s = ctrl.settings;
    const std::string where = ctrl.workload.ToString() + " (container " + ctrl.container + ", image " + ctrl.image + ")";
    const std::string exposure = ExposureText(ctrl);
    const std::string cm_hint = s.configmap.empty() ? std::string("the controller ConfigMap (--configmap)")
                                                    : "ConfigMap " + s.configmap;
    const bool networkpolicies_known = st_.snap.Readable(res::kNetworkPolicies);

    if (!c.version) {
      st_.AddFinding({.id = FindingId(ctrl, "version-unknown"),
                  .category = Category::kCve,
                  .severity = Severity::kHigh,
                  .object = ctrl.workload,
                  .cves = {},
                  .rule_id = "AUD-VERSION-UNKNOWN",
                  .field = "image",
                  .title = "ingress-nginx controller version unknown",
                  .detail = where + ": " + ctrl.version_note +
                            ". Exposure to the ingress-nginx CVEs cannot be ruled out.",
                  .remediation = "reference the image by tag and digest (e.g. controller:v1.15.1@sha256:...) so "
                                 "the version is visible, and run a release at or above v1.15.1"});
    }

    for (const auto& cve : CveTable()) {
      const bool below = c.version && IsBelowFix(*c.version, cve.fixed_in);
      bool exposed = below;
      std::string why;
      std::string fix;
      if (below) {
        auto target = UpgradeTarget(*c.version, cve.fixed_in);
        why = ctrl.version + " is below the fix (fixed in ";
        for (size_t i = 0; i < cve.fixed_in.size(); ++i) why += (i ? ", " : "") + cve.fixed_in[i].ToString();
        why += ")";
        fix = "upgrade to " + (target ? target->ToString() : cve.fixed_in.back().ToString()) + " or later";
      }
      switch (cve.condition) {
        case CveCondition::kNone:
          break;
        case CveCondition::kSnippetsAllowed:
          if (s.allow_snippet_annotations.value_or(true)) {
            exposed = exposed || c.version.has_value();
            why += std::string(why.empty() ? "" : "; ") + "snippet annotations are allowed";
            fix += std::string(fix.empty() ? "" : ", and ") + "set allow-snippet-annotations: \"false\" in " + cm_hint;
          }
          break;
        case CveCondition::kAnnotationValidationOff:
          if (!s.enable_annotation_validation.value_or(false)) {
            exposed = exposed || c.version.has_value();
            why += std::string(why.empty() ? "" : "; ") + "annotation validation is disabled";
            fix += std::string(fix.empty() ? "" : ", and ") + "set enable-annotation-validation: \"true\" in " + cm_hint;
          }
          break;
        case CveCondition::kStrictPathTypeOff:
          if (!s.strict_validate_path_type.value_or(false)) {
            exposed = exposed || c.version.has_value();
            why += std::string(why.empty() ? "" : "; ") + "strict-validate-path-type is off";
            fix += std::string(fix.empty() ? "" : ", and ") + "set strict-validate-path-type: \"true\" in " + cm_hint;
          }
          break;
        case CveCondition::kAdmissionWebhook:
          if (ctrl.admission_port == 0) {
            exposed = false;  // no admission webhook listening: nothing to send the payload to
          }
          break;
      }
      if (!exposed) continue;
      Severity sev = cve.severity;
      std::string detail = why + ".";
      if (below) ctrl.recommended_version = std::max(ctrl.recommended_version, cve.fixed_in.back().ToString(),
                                          [](const std::string& a, const std::string& b) {
                                            return ParseVersion(a).value_or(Version{}) < ParseVersion(b).value_or(Version{});
                                          });
      if (cve.condition == CveCondition::kAdmissionWebhook) {
        if (ctrl.admission_restricted) {
          sev = std::min(sev, Severity::kHigh);
          detail += " The admission webhook (port " + std::to_string(ctrl.admission_port) +
                    ") is restricted by NetworkPolicy " + Join(ctrl.network_policies) +
                    "; any pod those policies admit can still exploit it.";
        } else {
          detail += " The admission webhook (port " + std::to_string(ctrl.admission_port) + ") is reachable from " +
                    (networkpolicies_known ? "every pod in the cluster (no NetworkPolicy restricts it)"
                                           : "possibly every pod (NetworkPolicies unreadable)") +
                    "; no credentials are needed.";
          fix += ", and until then add a NetworkPolicy in " + ctrl.workload.ns +
                 " that admits only the API server to port " + std::to_string(ctrl.admission_port) +
                 " (or disable the webhook with --validating-webhook=\"\")";
        }
      }
      if (!exposure.empty()) detail += " Exposed to clients through " + exposure + ".";
      if (std::string(cve.advisory).size() > 0) detail += " Advisory: " + std::string(cve.advisory);
      ctrl.cves.emplace_back(cve.id);
      st_.AddFinding({.id = FindingId(ctrl, std::string(cve.id)),
                  .category = Category::kCve,
                  .severity = sev,
                  .object = ctrl.workload,
                  .cves = {std::string(cve.id)},
                  .rule_id = "AUD-CVE",
                  .field = "image",
                  .title = std::string(cve.id) + ": " + std::string(cve.title),
                  .detail = detail,
                  .remediation = fix});
    }
    std::sort(ctrl.cves.begin(), ctrl.cves.end());

    AddSettingFindings(ctrl, cm_hint, c.version.has_value() && *c.version >= Version{1, 9, 0});
    AddReachabilityFindings(ctrl, where, networkpolicies_known);
    st_.report.controllers.push_back(ctrl);
  }


  void AddSettingFindings(const Controller& ctrl, const std::string& cm_hint,
                          bool has_risk_level) {
    const ControllerSettings& s = ctrl.settings;
    const std::string src = "effective value from " + Join(s.sources);
    core::ControllerCheckOptions opts;
    opts.where = cm_hint;
    opts.unknown_is_unsafe = true;
    opts.has_risk_level = has_risk_level;
    for (auto& f : core::CheckControllerConfig(s, opts)) {
      const bool snippet = f.rule_id == core::rule_ids::kControllerSnippet;
      st_.AddFinding({.id = FindingId(ctrl, f.field),
                  .category = Category::kSetting,
                  .severity = f.severity,
                  .object = ctrl.workload,
                  .cves = std::move(f.cves),
                  .rule_id = snippet ? "AUD-SETTING-SNIPPET" : "AUD-SETTING",
                  .field = f.field,
                  .title = std::move(f.message),
                  .detail = src + ".",
                  .remediation = std::move(f.remediation)});
    }
  }

  void AddReachabilityFindings(Controller& ctrl, const std::string& where, bool networkpolicies_known) {
    if (ctrl.admission_port == 0) return;
    for (const auto& s : ctrl.services) {
      if (s.admission && s.exposed) {
        st_.AddFinding({.id = FindingId(ctrl, "admission-exposed/" + s.name),
                    .category = Category::kReachability,
                    .severity = Severity::kHigh,
                    .object = ctrl.workload,
                    .cves = {"CVE-2025-1974"},
                    .rule_id = "AUD-ADMISSION-EXPOSED",
                    .field = "service " + s.ns + "/" + s.name,
                    .title = "the admission webhook is exposed outside the cluster by " + s.type + " Service " + s.name,
                    .detail = where + ": Service " + s.ns + "/" + s.name + " forwards to the admission port " +
                              std::to_string(ctrl.admission_port) + ".",
                    .remediation = "make the admission Service type ClusterIP; only the API server needs it"});
      }
    }
    if (!ctrl.admission_restricted) {
      st_.AddFinding({.id = FindingId(ctrl, "admission-open"),
                  .category = Category::kReachability,
                  .severity = Severity::kMedium,
                  .object = ctrl.workload,
                  .cves = {"CVE-2025-1974"},
                  .rule_id = "AUD-ADMISSION-OPEN",
                  .field = "--validating-webhook",
                  .title = "the admission webhook port " + std::to_string(ctrl.admission_port) +
                           " is reachable from every pod",
                  .detail = where + (networkpolicies_known
                                         ? ": no NetworkPolicy in " + ctrl.workload.ns +
                                               " restricts ingress to the admission port" +
                                               (ctrl.validating_webhook.empty()
                                                    ? std::string()
                                                    : " (ValidatingWebhookConfiguration " + ctrl.validating_webhook + ")")
                                         : ": NetworkPolicies could not be read") + ".",
                  .remediation = "add a NetworkPolicy in " + ctrl.workload.ns +
                                 " selecting the controller pods that allows port " +
                                 std::to_string(ctrl.admission_port) + " only from the API server"});
    }
  }

 private:
  AnalysisState& st_;
};

}  // namespace

void FindControllers(AnalysisState& st) { ControllerDiscovery(st).FindControllers(); }

void AnalyzeController(AnalysisState& st, ControllerCandidate& c) { ControllerDiscovery(st).AnalyzeController(c); }

}  // namespace riposte::audit::analysis
