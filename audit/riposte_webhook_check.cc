#include "audit/riposte_webhook_check.h"

#include <algorithm>
#include <string>

#include "audit/k8s_read.h"

namespace riposte::audit::analysis {

namespace {

using core::Severity;
using web::json::value;
using namespace k8s;  // At, Str, Arr, Meta, Labels, Selects, ServiceSelects, CommandAndArgs, FlagValue, ParseBool

std::string FailurePolicy(const value& hook) {
  std::string p = Str(hook, {"failurePolicy"});
  return p.empty() ? "Fail" : p;  // admissionregistration/v1 default
}

// Whether one of the entry's rules has `want` (or "*") in its `field` list.
bool RuleHas(const value& rule, const char* field, const char* want) {
  const auto* a = Arr(rule, {field});
  return a != nullptr && std::any_of(a->begin(), a->end(), [&](const value& x) {
           return x.is_string() && (x.as_string() == want || x.as_string() == "*");
         });
}

bool NamesResource(const value& hook, const char* resource) {
  const auto* rules = Arr(hook, {"rules"});
  return rules != nullptr &&
         std::any_of(rules->begin(), rules->end(), [&](const value& r) { return RuleHas(r, "resources", resource); });
}

// One rule of the entry sends both CREATE and UPDATE of `resource`.
bool CoversCreateAndUpdate(const value& hook, const char* resource) {
  const auto* rules = Arr(hook, {"rules"});
  return rules != nullptr && std::any_of(rules->begin(), rules->end(), [&](const value& r) {
           return RuleHas(r, "resources", resource) && RuleHas(r, "operations", "CREATE") &&
                  RuleHas(r, "operations", "UPDATE");
         });
}

class RiposteWebhookCheck {
 public:
  explicit RiposteWebhookCheck(AnalysisState& st) : st_(st) {}

  void CheckRiposteWebhook() {
    if (!st_.snap.Readable(res::kValidatingWebhookConfigurations)) return;  // reported as unreadable
    RiposteWebhookStatus& st = st_.report.riposte;
    for (const auto& vwc : st_.snap.Objects(res::kValidatingWebhookConfigurations)) {
      if (st.installed) break;  // first configuration wins; sorted input keeps this stable
      const auto* hooks = Arr(vwc, {"webhooks"});
      if (hooks == nullptr) continue;
      // Every entry of Riposte's configuration goes to the same endpoint, which routes by kind:
      // the Ingress entry is the one whose rules name ingresses (else the first, reported as
      // not covering them), the ConfigMap entry the one whose rules name configmaps.
      const value* ingress = nullptr;
      const value* configmaps = nullptr;
      const value* first = nullptr;
      for (const auto& h : *hooks) {
        std::string name = Str(h, {"name"});
        std::string path = Str(h, {"clientConfig", "service", "path"});
        if (!name.ends_with(".riposte.io") && path != "/validate/ingress") continue;
        if (first == nullptr) first = &h;
        if (ingress == nullptr && NamesResource(h, "ingresses")) ingress = &h;
        if (configmaps == nullptr && NamesResource(h, "configmaps")) configmaps = &h;
      }
      if (first == nullptr) continue;
      const value& h = ingress != nullptr ? *ingress : *first;
      st.installed = true;
      st.configuration = Meta(vwc, "name");
      st.webhook = Str(h, {"name"});
      st.failure_policy = FailurePolicy(h);
      std::string svc_ns = Str(h, {"clientConfig", "service", "namespace"});
      std::string svc_name = Str(h, {"clientConfig", "service", "name"});
      st.service = svc_ns.empty() ? std::string() : svc_ns + "/" + svc_name;
      st.covers_ingress = CoversCreateAndUpdate(h, "ingresses");
      if (configmaps != nullptr) {
        st.configmaps.webhook = Str(*configmaps, {"name"});
        st.configmaps.failure_policy = FailurePolicy(*configmaps);
        st.configmaps.covers = CoversCreateAndUpdate(*configmaps, "configmaps");
      }
      if (st.service.empty()) {
        st.problems.push_back("the webhook calls a URL, not a Service; endpoint readiness not checked");
        st.endpoints_ready = true;
      } else if (!st_.snap.Readable(res::kEndpoints)) {
        st.problems.push_back("endpoints unreadable: cannot tell whether the webhook has ready pods");
      } else {
        for (const auto& ep : st_.snap.Objects(res::kEndpoints)) {
          if (Meta(ep, "namespace") != svc_ns || Meta(ep, "name") != svc_name) continue;
          if (const auto* subsets = Arr(ep, {"subsets"})) {
            for (const auto& ss : *subsets) {
              const auto* addrs = Arr(ss, {"addresses"});
              if (addrs != nullptr && addrs->size() > 0) st.endpoints_ready = true;
            }
          }
        }
        if (!st.endpoints_ready) st.problems.push_back("Service " + st.service + " has no ready endpoints");
      }
      if (st.failure_policy != "Fail") {
        st.problems.push_back("failurePolicy is " + st.failure_policy + ": Ingresses are admitted unchecked when the webhook is down");
      }
      if (!st.covers_ingress) st.problems.push_back("rules do not cover CREATE and UPDATE of ingresses");
      st.enforcing = st.failure_policy == "Fail" && st.covers_ingress && st.endpoints_ready;
    }
    if (!st.installed) {
      st_.AddFinding({.id = "riposte/webhook/not-installed",
                  .category = Category::kRiposte,
                  .severity = Severity::kMedium,
                  .object = {"ValidatingWebhookConfiguration", "", "riposte"},
                  .cves = {},
                  .rule_id = "AUD-RIPOSTE",
                  .field = "",
                  .title = "Riposte's admission webhook is not installed",
                  .detail = "no ValidatingWebhookConfiguration sends Ingresses to /validate/ingress; new and changed "
                            "Ingresses are not checked",
                  .remediation = "install Riposte (helm install riposte helm/riposte, or kubectl apply -k manifests/)"});
    } else if (!st.enforcing) {
      st_.AddFinding({.id = "riposte/webhook/not-enforcing",
                  .category = Category::kRiposte,
                  .severity = Severity::kMedium,
                  .object = {"ValidatingWebhookConfiguration", "", st.configuration},
                  .cves = {},
                  .rule_id = "AUD-RIPOSTE",
                  .field = "failurePolicy",
                  .title = "Riposte's admission webhook is installed but not enforcing",
                  .detail = Join(st.problems),
                  .remediation = "set failurePolicy: Fail, cover CREATE/UPDATE of networking.k8s.io ingresses and make "
                                 "sure the webhook Deployment has ready pods"});
    }
  }

 private:
  AnalysisState& st_;
};

}  // namespace

void CheckRiposteWebhook(AnalysisState& st) { RiposteWebhookCheck(st).CheckRiposteWebhook(); }

}  // namespace riposte::audit::analysis
