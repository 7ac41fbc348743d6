// The chart rendered by the real helm (pinned v3.17.1, scripts/envtest-tools.sh): defaults and
// every optional object render and lint; bad values are refused by values.schema.json with the
// path of the offending value, by helm and by the offline validator alike; the monitoring objects
// match the published Prometheus Operator CRD schemas (vendored under testdata/), and an object
// broken on purpose does not.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <regex>
#include <sstream>

#include "core/nginx_resource.h"
#include "core/policy.h"
#include "tests/deploy/chart_tools.h"

namespace riposte::deploy_test {
namespace {

YAML::Node DefaultValues() { return LoadDocs(Repo("helm/riposte/values.yaml"))[0]; }
YAML::Node ValuesSchema() { return LoadDocs(Repo("helm/riposte/values.schema.json"))[0]; }

// Helm's value coalescing: maps merge key by key, null deletes, anything else replaces.
YAML::Node Merge(const YAML::Node& base, const YAML::Node& overlay) {
  if (!base.IsMap() || !overlay.IsMap()) return YAML::Clone(overlay);
  YAML::Node out = YAML::Clone(base);
  for (const auto& kv : overlay) {
    const std::string key = kv.first.as<std::string>();
    if (kv.second.IsNull()) {
      out.remove(key);
    } else if (out[key] && out[key].IsMap() && kv.second.IsMap()) {
      out[key] = Merge(out[key], kv.second);
    } else {
      out[key] = YAML::Clone(kv.second);
    }
  }
  return out;
}

// helm's error path ("a.b.0.c") as the offline validator writes it ("values.a.b[0].c").
std::string OfflinePath(const std::string& helm_path) {
  std::string out = "values";
  std::stringstream ss(helm_path);
  for (std::string part; std::getline(ss, part, '.');) {
    if (!part.empty() && std::all_of(part.begin(), part.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); }))
      out += "[" + part + "]";
    else
      out += "." + part;
  }
  return out;
}

// Writes a values overlay to a file for `helm -f`.
std::string ValuesFile(const std::string& yaml) { return WriteTemp("values.yaml", yaml); }

std::set<std::string> Kinds(const std::vector<YAML::Node>& docs) {
  std::set<std::string> out;
  for (const auto& d : docs) out.insert(d["kind"].as<std::string>("") + "/" + d["metadata"]["name"].as<std::string>(""));
  return out;
}

TEST(ChartRender, DefaultsRenderAndLint) {
  RIPOSTE_REQUIRE_TOOL(helm, "helm");
  const auto r = HelmTemplate(helm, {});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto kinds = Kinds(r.docs);
  for (const char* k : {"Deployment/riposte-webhook", "Deployment/riposte-controller",
                        "ValidatingWebhookConfiguration/riposte"}) {
    EXPECT_TRUE(kinds.count(k)) << "default render lacks " << k;
  }
  // Monitoring is opt-in: nothing needs the Prometheus Operator CRDs by default.
  for (const char* kind : {"ServiceMonitor", "PodMonitor", "PrometheusRule"}) EXPECT_TRUE(OfKind(r.docs, kind).empty()) << kind;
  const auto lint = RunProcess({helm, "lint", "--strict", Repo("helm/riposte").string()}, true);
  EXPECT_EQ(lint.exit_code, 0) << lint.out;
}

// Every optional object, in the combinations that are allowed together.
TEST(ChartRender, EveryOptionalObjectRendersAndLints) {
  RIPOSTE_REQUIRE_TOOL(helm, "helm");
  const std::string all = ValuesFile(R"(
serviceMonitor: {enabled: true, labels: {release: kube-prometheus},
                 metricRelabelings: [{action: drop, regex: 'riposte_audit_findings', sourceLabels: [__name__]}]}
prometheusRule: {enabled: true, labels: {release: kube-prometheus}, additionalAlertLabels: {team: platform}}
grafanaDashboard: {enabled: true, namespace: monitoring, annotations: {grafana_folder: Security}}
networkPolicy: {enabled: true, alertsFrom: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: falco}}}]}
ingressNginxAdmissionPolicy: {enabled: true, apiServerCIDRs: [10.0.0.0/24]}
controller: {auditInterval: 10m}
certManager: {enabled: true}
)");
  const auto r = HelmTemplate(helm, {"-f", all});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto kinds = Kinds(r.docs);
  for (const char* k : {"ServiceMonitor/riposte-webhook", "ServiceMonitor/riposte-controller", "PrometheusRule/riposte",
                        "ConfigMap/riposte-dashboard", "NetworkPolicy/riposte-webhook", "NetworkPolicy/riposte-controller",
                        "Certificate/riposte-webhook", "Issuer/riposte-ca", "ClusterRole/riposte-controller-audit"}) {
    EXPECT_TRUE(kinds.count(k)) << "render with every option lacks " << k << "; has:\n" << [&] {
      std::string s;
      for (const auto& x : kinds) s += "  " + x + "\n";
      return s;
    }();
  }
  const auto dashboard = OfKind(r.docs, "ConfigMap", "riposte-dashboard");
  ASSERT_EQ(dashboard.size(), 1u);
  EXPECT_EQ(dashboard[0]["metadata"]["namespace"].as<std::string>(""), "monitoring");
  EXPECT_EQ(dashboard[0]["metadata"]["labels"]["grafana_dashboard"].as<std::string>(""), "1");
  EXPECT_EQ(dashboard[0]["metadata"]["annotations"]["grafana_folder"].as<std::string>(""), "Security");
  for (const auto& sm : OfKind(r.docs, "ServiceMonitor")) {
    EXPECT_EQ(sm["metadata"]["labels"]["release"].as<std::string>(""), "kube-prometheus");
    EXPECT_EQ(sm["spec"]["endpoints"][0]["metricRelabelings"][0]["action"].as<std::string>(""), "drop");
  }
  EXPECT_EQ(OfKind(r.docs, "PrometheusRule")[0]["spec"]["groups"][0]["rules"][0]["labels"]["team"].as<std::string>(""),
            "platform");
  const auto lint = RunProcess({helm, "lint", "--strict", Repo("helm/riposte").string(), "-f", all}, true);
  EXPECT_EQ(lint.exit_code, 0) << lint.out;

  const auto pods = HelmTemplate(helm, {"--set", "podMonitor.enabled=true"});
  ASSERT_EQ(pods.exit_code, 0) << pods.output;
  EXPECT_EQ(OfKind(pods.docs, "PodMonitor").size(), 2u);
}

TEST(ChartRender, ScrapeObjectsFollowTheEnabledComponents) {
  RIPOSTE_REQUIRE_TOOL(helm, "helm");
  const auto r = HelmTemplate(helm, {"--set", "serviceMonitor.enabled=true,prometheusRule.enabled=true,webhook.enabled=false"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto sms = OfKind(r.docs, "ServiceMonitor");
  ASSERT_EQ(sms.size(), 1u);
  EXPECT_EQ(sms[0]["metadata"]["name"].as<std::string>(""), "riposte-controller");
  // It selects the controller's metrics Service only: component label and the `metrics` port.
  EXPECT_EQ(sms[0]["spec"]["selector"]["matchLabels"]["app.kubernetes.io/component"].as<std::string>(""), "controller");
  EXPECT_EQ(sms[0]["spec"]["endpoints"][0]["port"].as<std::string>(""), "metrics");
  const auto services = OfKind(r.docs, "Service");
  int matching = 0;
  for (const auto& svc : services) {
    if (svc["metadata"]["labels"]["app.kubernetes.io/component"].as<std::string>("") != "controller") continue;
    for (const auto& p : svc["spec"]["ports"]) matching += p["name"].as<std::string>("") == "metrics" ? 1 : 0;
  }
  EXPECT_EQ(matching, 1) << "exactly one controller Service should expose a port named metrics";
  const auto rules = OfKind(r.docs, "PrometheusRule");
  ASSERT_EQ(rules.size(), 1u);
  for (const auto& g : rules[0]["spec"]["groups"]) {
    EXPECT_NE(g["name"].as<std::string>(""), "riposte.webhook") << "webhook alerts rendered without a webhook";
    EXPECT_NE(g["name"].as<std::string>(""), "riposte.audit") << "audit alerts rendered with the audit off";
  }
}

TEST(ChartRender, ServiceMonitorAndPodMonitorTogetherAreRefused) {
  RIPOSTE_REQUIRE_TOOL(helm, "helm");
  const auto r = HelmTemplate(helm, {"--set", "serviceMonitor.enabled=true,podMonitor.enabled=true"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("serviceMonitor.enabled and podMonitor.enabled are both true"), std::string::npos) << r.output;
}

struct BadValues {
  const char* overlay;   // values file content
  const char* path;      // helm's path of the offending value
  const char* message;   // what helm says about it
};

const std::vector<BadValues>& BadValueCases() {
  static const std::vector<BadValues> cases = {
      {"webhook: {replicas: \"two\"}", "webhook.replicas", "Invalid type. Expected: integer, given: string"},
      {"webhook: {failurePolicy: Maybe}", "webhook.failurePolicy", "must be one of the following: \"Fail\", \"Ignore\""},
      {"webhook: {timeoutSeconds: 31}", "webhook.timeoutSeconds", "Must be less than or equal to 30"},
      {"webhook: {replica: 3}", "webhook", "Additional property replica is not allowed"},
      {"webhook: {service: null}", "webhook", "service is required"},
      {"webhook: {resources: {limits: {memory: 128MB}}}", "webhook.resources.limits.memory", "Does not match pattern"},
      {"webhook: {tolerations: [{key: a, operator: Equals}]}", "webhook.tolerations.0.operator", "must be one of the following"},
      {"webhook: {excludeNamespaces: [Kube_System]}", "webhook.excludeNamespaces.0", "Does not match pattern"},
      {"webhook: {policy: {rules: {RIP-TLS: {enabled: \"no\"}}}}", "webhook.policy.rules.RIP-TLS.enabled",
       "Invalid type. Expected: boolean, given: string"},
      {"serviceMonitor: {interval: 30 seconds}", "serviceMonitor.interval", "Does not match pattern"},
      {"serviceMonitor: {enabled: \"yes\"}", "serviceMonitor.enabled", "Invalid type. Expected: boolean, given: string"},
      {"podMonitor: {metricRelabelings: [{source_labels: [a], action: drop}]}", "podMonitor.metricRelabelings.0",
       "Additional property source_labels is not allowed"},
      {"prometheusRule: {disabledAlerts: [RiposteWebhookErrorz]}", "prometheusRule.disabledAlerts.0", "must be one of the following"},
      {"prometheusRule: {thresholds: {webhookErrorRatio: 2}}", "prometheusRule.thresholds.webhookErrorRatio",
       "Must be less than or equal to 1"},
      // helm --set passes decimals as strings; those are checked by pattern.
      {"prometheusRule: {thresholds: {webhookErrorRatio: \"1.5\"}}", "prometheusRule.thresholds.webhookErrorRatio",
       "Does not match pattern"},
      {"grafanaDashboard: {labels: {grafana_dashboard: 1}}", "grafanaDashboard.labels.grafana_dashboard",
       "Invalid type. Expected: string, given: integer"},
      {"controller: {actions: {terminte: false}}", "controller.actions", "Additional property terminte is not allowed"},
      {"controller: {auditInterval: ten minutes}", "controller.auditInterval", "Does not match pattern"},
      {"controller: {alerts: {port: 70000}}", "controller.alerts.port", "Must be less than or equal to 65535"},
      {"controller: {alerts: {clientCA: {enabled: true}}}", "controller.alerts.clientCA.existingSecret",
       "String length must be greater than or equal to 1"},
      {"controller: {alerts: {token: {enabled: false}}}", "controller.alerts.clientCA.enabled", "does not match: true"},
      {"image: {repository: \"ghcr.io/riposte/riposte:0.1.0\"}", "image.repository", "Does not match pattern"},
      {"image: {digest: \"sha256:abc\"}", "image.digest", "Does not match pattern"},
      {"certManager: {duration: 90d}", "certManager.duration", "Does not match pattern"},
      {"commonLabels: {team: true}", "commonLabels.team", "Invalid type. Expected: string, given: boolean"},
      {"securityContext: {runAsUser: 0}", "securityContext.runAsUser", "Must be greater than or equal to 1"},
      {"networkPolicy: {alertsFrom: [{namespaceSelector: {matchLabel: {a: b}}}]}", "networkPolicy.alertsFrom.0.namespaceSelector",
       "Additional property matchLabel is not allowed"},
      {"ingressNginxAdmissionPolicy: {enabled: true}", "ingressNginxAdmissionPolicy.apiServerCIDRs",
       "Array must have at least 1 items"},
  };
  return cases;
}

// The same table through the offline validator (no helm needed): each bad value is reported at
// its path.
TEST(ChartValuesSchema, OfflineValidatorRejectsEachBadValueAtItsPath) {
  const auto schema = ValuesSchema();
  ASSERT_TRUE(schema.IsMap());
  for (const auto& c : BadValueCases()) {
    const auto values = Merge(DefaultValues(), YAML::Load(c.overlay));
    const auto errors = ValidateAgainstSchema(values, schema, "values", SchemaDialect::kJsonSchema);
    const std::string want = OfflinePath(c.path) + ":";
    bool found = false;
    for (const auto& e : errors) found = found || e.rfind(want, 0) == 0;
    EXPECT_TRUE(found) << c.overlay << ": expected an error at " << want << ", got:\n" << Join(errors);
  }
}

TEST(ChartValuesSchema, HelmTemplateAndLintRejectEachBadValueWithItsPath) {
  RIPOSTE_REQUIRE_TOOL(helm, "helm");
  for (const auto& c : BadValueCases()) {
    const std::string file = ValuesFile(c.overlay);
    const auto r = HelmTemplate(helm, {"-f", file});
    EXPECT_NE(r.exit_code, 0) << c.overlay << " rendered";
    const std::string line = std::string("- ") + c.path + ": ";
    const auto at = r.output.find(line);
    ASSERT_NE(at, std::string::npos) << c.overlay << ": helm names no " << c.path << ":\n" << r.output;
    const std::string rest = r.output.substr(at, r.output.find('\n', at) - at);
    EXPECT_NE(rest.find(c.message), std::string::npos) << c.overlay << ": " << rest;
  }
  // lint reports the same, with the chart marked failed.
  const auto lint = RunProcess({helm, "lint", Repo("helm/riposte").string(), "-f", ValuesFile(BadValueCases()[2].overlay)}, true);
  EXPECT_NE(lint.exit_code, 0);
  EXPECT_NE(lint.out.find("- webhook.timeoutSeconds: Must be less than or equal to 30"), std::string::npos) << lint.out;
}

// Every key of values.yaml is described by the schema with a type, and every object the schema
// declares is closed, so a typo anywhere is an error.
TEST(ChartValuesSchema, CoversEveryValueAndIsClosed) {
  const auto schema = ValuesSchema();
  std::function<void(const YAML::Node&, const YAML::Node&, const std::string&)> walk =
      [&](const YAML::Node& value, YAML::Node s, const std::string& path) {
        while (s["$ref"]) {
          const std::string ref = s["$ref"].as<std::string>();
          s.reset(schema["definitions"][ref.substr(ref.rfind('/') + 1)]);
        }
        ASSERT_TRUE(s.IsMap()) << path << " has no schema";
        EXPECT_TRUE(s["type"] || s["anyOf"]) << path << ": schema gives no type";
        if (!value.IsMap()) return;
        if (s["properties"]) {
          EXPECT_TRUE(s["additionalProperties"] && !s["additionalProperties"].as<bool>(true))
              << path << ": object with declared properties must set additionalProperties: false";
        }
        for (const auto& kv : value) {
          const std::string key = kv.first.as<std::string>();
          if (s["properties"] && s["properties"][key]) {
            walk(kv.second, s["properties"][key], path + "." + key);
          } else {
            EXPECT_TRUE(s["additionalProperties"] && s["additionalProperties"].IsMap())
                << path << "." << key << " is in values.yaml but not in values.schema.json";
          }
        }
      };
  walk(DefaultValues(), schema, "values");
}

// --- successor-controller profiles -------------------------------------------------------------

// Structural equality (flow and block style alike).
bool SameYaml(const YAML::Node& a, const YAML::Node& b) {
  if (a.Type() != b.Type()) return false;
  if (a.IsScalar()) return a.Scalar() == b.Scalar();
  if (a.IsSequence()) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i) {
      if (!SameYaml(a[i], b[i])) return false;
    }
    return true;
  }
  if (a.IsMap()) {
    if (a.size() != b.size()) return false;
    for (const auto& kv : a) {
      const auto other = b[kv.first.as<std::string>()];
      if (!other || !SameYaml(kv.second, other)) return false;
    }
  }
  return true;
}

std::map<std::string, std::set<std::string>> WebhookRules(const YAML::Node& hook) {
  std::map<std::string, std::set<std::string>> out;
  for (const auto& rule : hook["rules"]) {
    for (const auto& g : rule["apiGroups"])
      for (const auto& r : rule["resources"]) out[g.as<std::string>()].insert(r.as<std::string>());
  }
  return out;
}

// Each combination of webhook.policy.profiles renders a policy the webhook loads with the same
// profiles on, and a second webhook entry for exactly the kinds the engine judges for them,
// with the Ingress entry's settings; with none enabled there is no second entry.
TEST(ChartRender, ProfilesAddTheirResourcesToTheWebhookAndThePolicy) {
  RIPOSTE_REQUIRE_TOOL(helm, "helm");
  for (const auto& [f5, ngf] : std::vector<std::pair<bool, bool>>{{false, false}, {true, false}, {false, true}, {true, true}}) {
    const std::string what = std::string("f5NginxIngress=") + (f5 ? "true" : "false") + " nginxGatewayFabric=" + (ngf ? "true" : "false");
    const auto r = HelmTemplate(helm, {"--set", std::string("webhook.policy.profiles.f5NginxIngress.enabled=") + (f5 ? "true" : "false"),
                                       "--set", std::string("webhook.policy.profiles.nginxGatewayFabric.enabled=") + (ngf ? "true" : "false")});
    ASSERT_EQ(r.exit_code, 0) << what << r.output;
    const auto vwc = OfKind(r.docs, "ValidatingWebhookConfiguration");
    ASSERT_EQ(vwc.size(), 1u) << what;
    const auto hooks = vwc[0]["webhooks"];
    std::map<std::string, std::set<std::string>> expected;
    for (const auto& k : core::AllResourceKinds()) {
      const bool on = k.profile == core::ProfileId::kF5NginxIngress ? f5 : ngf;
      if (on) expected[std::string(k.group)].insert(std::string(k.resource));
    }
    // Ingresses, ConfigMaps (webhook.configMaps, on by default), then the successors.
    ASSERT_EQ(hooks.size(), expected.empty() ? 2u : 3u) << what;
    EXPECT_EQ(WebhookRules(hooks[0]), (std::map<std::string, std::set<std::string>>{{"networking.k8s.io", {"ingresses"}}}));
    EXPECT_EQ(hooks[1]["name"].as<std::string>(""), "configmaps.validate.riposte.io");
    if (!expected.empty()) {
      EXPECT_EQ(hooks[2]["name"].as<std::string>(""), "successors.validate.riposte.io");
      EXPECT_EQ(WebhookRules(hooks[2]), expected) << what;
      for (const char* key : {"admissionReviewVersions", "clientConfig", "failurePolicy", "matchPolicy", "sideEffects",
                              "timeoutSeconds", "namespaceSelector"}) {
        EXPECT_TRUE(SameYaml(hooks[2][key], hooks[0][key])) << what << ": " << key;
      }
    }
    const auto cm = OfKind(r.docs, "ConfigMap", "riposte-policy");
    ASSERT_EQ(cm.size(), 1u);
    core::PolicyError err;
    const auto policy = core::ParsePolicy(cm[0]["data"]["policy.yaml"].as<std::string>(), "rendered policy.yaml", &err);
    ASSERT_NE(policy, nullptr) << what << ": " << err.ToString();
    EXPECT_EQ(policy->f5_nginx_ingress.enabled, f5) << what;
    EXPECT_EQ(policy->nginx_gateway_fabric.enabled, ngf) << what;
  }
  // The same safety settings reach the second entry when they are changed.
  const auto r = HelmTemplate(helm, {"--set", "webhook.policy.profiles.nginxGatewayFabric.enabled=true", "--set",
                                     "webhook.failurePolicy=Ignore", "--set", "webhook.timeoutSeconds=9", "--set",
                                     "webhook.objectSelector.matchLabels.riposte=on"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto hook = OfKind(r.docs, "ValidatingWebhookConfiguration")[0]["webhooks"][2];
  EXPECT_EQ(hook["failurePolicy"].as<std::string>(""), "Ignore");
  // A webhook run outside the cluster (webhook.url) serves both entries.
  const auto url = HelmTemplate(helm, {"--set", "webhook.policy.profiles.f5NginxIngress.enabled=true", "--set",
                                       "webhook.url=https://127.0.0.1:8443/validate/ingress"});
  ASSERT_EQ(url.exit_code, 0) << url.output;
  for (const auto& h : OfKind(url.docs, "ValidatingWebhookConfiguration")[0]["webhooks"]) {
    EXPECT_EQ(h["clientConfig"]["url"].as<std::string>(""), "https://127.0.0.1:8443/validate/ingress") << h["name"];
    EXPECT_FALSE(h["clientConfig"]["service"]) << h["name"];
  }
  EXPECT_EQ(hook["timeoutSeconds"].as<int>(0), 9);
  EXPECT_EQ(hook["objectSelector"]["matchLabels"]["riposte"].as<std::string>(""), "on");
}

// webhook.configMaps: its own entry with its own failurePolicy, timeout and namespace
// selector terms, no Ingress objectSelector, matchConditions only on 1.28+ (or when forced),
// and a read-only role for the webhook; disabled, none of it and no token.
TEST(ChartRender, ConfigMapEntryHasItsOwnSettingsAndReadOnlyRbac) {
  RIPOSTE_REQUIRE_TOOL(helm, "helm");
  const auto r = HelmTemplate(helm, {"--kube-version", "1.26.5", "--set", "webhook.objectSelector.matchLabels.riposte=on",
                                     "--set", "webhook.configMaps.namespaceSelector.matchLabels.team=yes"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto hooks = OfKind(r.docs, "ValidatingWebhookConfiguration")[0]["webhooks"];
  ASSERT_EQ(hooks.size(), 2u);
  const auto cm = hooks[1];
  EXPECT_EQ(WebhookRules(cm), (std::map<std::string, std::set<std::string>>{{"", {"configmaps"}}}));
  EXPECT_EQ(cm["failurePolicy"].as<std::string>(""), "Ignore");
  EXPECT_EQ(hooks[0]["failurePolicy"].as<std::string>(""), "Fail");
  EXPECT_EQ(cm["timeoutSeconds"].as<int>(0), 3);
  EXPECT_FALSE(cm["objectSelector"]);
  EXPECT_EQ(hooks[0]["objectSelector"]["matchLabels"]["riposte"].as<std::string>(""), "on");
  EXPECT_EQ(cm["namespaceSelector"]["matchLabels"]["team"].as<std::string>(""), "yes");
  EXPECT_FALSE(hooks[0]["namespaceSelector"]["matchLabels"]);
  EXPECT_TRUE(SameYaml(cm["namespaceSelector"]["matchExpressions"][0], hooks[0]["namespaceSelector"]["matchExpressions"][0]));
  EXPECT_FALSE(cm["matchConditions"]) << "1.26: no matchConditions";

  const auto roles = OfKind(r.docs, "ClusterRole", "riposte-webhook");
  ASSERT_EQ(roles.size(), 1u);
  const auto binding = OfKind(r.docs, "ClusterRoleBinding", "riposte-webhook");
  ASSERT_EQ(binding.size(), 1u);
  EXPECT_EQ(binding[0]["subjects"][0]["name"].as<std::string>(""), "riposte-webhook");
  const auto deploy = OfKind(r.docs, "Deployment", "riposte-webhook");
  ASSERT_EQ(deploy.size(), 1u);
  EXPECT_TRUE(deploy[0]["spec"]["template"]["spec"]["automountServiceAccountToken"].as<bool>(false));
  bool flag = false;
  for (const auto& a : deploy[0]["spec"]["template"]["spec"]["containers"][0]["args"]) flag = flag || a.as<std::string>() == "--configmap-index";
  EXPECT_TRUE(flag);

  const auto v128 = HelmTemplate(helm, {"--kube-version", "1.28.0"});
  ASSERT_EQ(v128.exit_code, 0) << v128.output;
  const auto mc = OfKind(v128.docs, "ValidatingWebhookConfiguration")[0]["webhooks"][1]["matchConditions"];
  ASSERT_TRUE(mc && mc.size() == 1u);
  EXPECT_EQ(mc[0]["name"].as<std::string>(""), "not-kube-system-controllers");
  const auto never = HelmTemplate(helm, {"--kube-version", "1.30.0", "--set", "webhook.configMaps.matchConditions.mode=never"});
  ASSERT_EQ(never.exit_code, 0) << never.output;
  EXPECT_FALSE(OfKind(never.docs, "ValidatingWebhookConfiguration")[0]["webhooks"][1]["matchConditions"]);
  const auto forced = HelmTemplate(helm, {"--kube-version", "1.26.5", "--set", "webhook.configMaps.matchConditions.mode=always"});
  ASSERT_EQ(forced.exit_code, 0) << forced.output;
  EXPECT_TRUE(OfKind(forced.docs, "ValidatingWebhookConfiguration")[0]["webhooks"][1]["matchConditions"]);

  const auto off = HelmTemplate(helm, {"--set", "webhook.configMaps.enabled=false"});
  ASSERT_EQ(off.exit_code, 0) << off.output;
  EXPECT_EQ(OfKind(off.docs, "ValidatingWebhookConfiguration")[0]["webhooks"].size(), 1u);
  EXPECT_TRUE(OfKind(off.docs, "ClusterRole", "riposte-webhook").empty());
  EXPECT_TRUE(OfKind(off.docs, "ClusterRoleBinding", "riposte-webhook").empty());
  const auto off_deploy = OfKind(off.docs, "Deployment", "riposte-webhook");
  ASSERT_EQ(off_deploy.size(), 1u);
  EXPECT_FALSE(off_deploy[0]["spec"]["template"]["spec"]["automountServiceAccountToken"].as<bool>(true));
  for (const auto& a : off_deploy[0]["spec"]["template"]["spec"]["containers"][0]["args"]) {
    EXPECT_NE(a.as<std::string>(), "--configmap-index");
  }

  const auto bad = HelmTemplate(helm, {"--set", "webhook.configMaps.failurePolicy=Maybe"});
  EXPECT_NE(bad.exit_code, 0) << "values.schema.json must refuse an unknown failurePolicy";
}

// The plain manifests with manifests/components/successor-profiles, built by the real kubectl
// kustomize, carry the same second entry as the chart with both profiles on.
TEST(ChartRender, SuccessorComponentBuildsLikeTheChart) {
  RIPOSTE_REQUIRE_TOOL(helm, "helm");
  RIPOSTE_REQUIRE_TOOL(kubectl, "kubectl");
  const fs::path dir = fs::path(RIPOSTE_BUILD_DIR) / "tests" / "deploy" / "kustomize-successors";
  fs::remove_all(dir);
  fs::create_directories(dir);
  const fs::path manifests = Repo("manifests");
  {
    std::ofstream out(dir / "kustomization.yaml");
    out << "resources: [" << fs::relative(manifests, dir).string() << "]\ncomponents: ["
        << fs::relative(manifests / "components" / "successor-profiles", dir).string() << "]\n";
  }
  const auto built = RunProcess({kubectl, "kustomize", dir.string()});
  ASSERT_EQ(built.exit_code, 0) << built.out;
  std::vector<YAML::Node> docs;
  for (auto& d : YAML::LoadAll(built.out)) docs.push_back(d);
  const auto plain = OfKind(docs, "ValidatingWebhookConfiguration");
  ASSERT_EQ(plain.size(), 1u);
  ASSERT_EQ(plain[0]["webhooks"].size(), 3u);
  const auto r = HelmTemplate(helm, {"--set", "webhook.policy.profiles.f5NginxIngress.enabled=true", "--set",
                                     "webhook.policy.profiles.nginxGatewayFabric.enabled=true"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto chart = OfKind(r.docs, "ValidatingWebhookConfiguration")[0]["webhooks"][2];
  const auto component = plain[0]["webhooks"][2];
  EXPECT_EQ(component["name"].as<std::string>(""), chart["name"].as<std::string>(""));
  EXPECT_EQ(WebhookRules(component), WebhookRules(chart));
  for (const char* key : {"admissionReviewVersions", "failurePolicy", "matchPolicy", "sideEffects", "timeoutSeconds"}) {
    EXPECT_TRUE(SameYaml(component[key], chart[key])) << key << ":\n" << YAML::Dump(component[key]) << "\n" << YAML::Dump(chart[key]);
  }
  const auto cm = OfKind(docs, "ConfigMap", "riposte-policy");
  ASSERT_EQ(cm.size(), 1u);
  core::PolicyError err;
  const auto policy = core::ParsePolicy(cm[0]["data"]["policy.yaml"].as<std::string>(), "kustomized policy.yaml", &err);
  ASSERT_NE(policy, nullptr) << err.ToString();
  EXPECT_TRUE(policy->f5_nginx_ingress.enabled && policy->nginx_gateway_fabric.enabled);
  fs::remove_all(dir);
}

// --- monitoring objects against the Prometheus Operator CRDs ---------------------------------

std::map<std::string, YAML::Node> PrometheusOperatorSchemas() {
  std::map<std::string, YAML::Node> out;
  for (const auto& f : FilesUnder(Repo("tests/deploy/testdata/prometheus-operator"), {".yaml"})) {
    for (const auto& crd : LoadDocs(f)) {
      for (const auto& v : crd["spec"]["versions"]) {
        if (v["name"].as<std::string>("") == "v1")
          out[crd["spec"]["names"]["kind"].as<std::string>()] = v["schema"]["openAPIV3Schema"];
      }
    }
  }
  return out;
}

// A rendered object against its CRD schema, plus what every object needs in metadata.
std::vector<std::string> ValidateObject(const YAML::Node& obj, const std::map<std::string, YAML::Node>& schemas) {
  const std::string kind = obj["kind"].as<std::string>("");
  const std::string where = kind + "/" + obj["metadata"]["name"].as<std::string>("");
  if (!schemas.count(kind)) return {where + ": no vendored CRD for kind " + kind};
  auto errors = ValidateAgainstSchema(obj, schemas.at(kind), where);
  if (obj["apiVersion"].as<std::string>("") != "monitoring.coreos.com/v1") errors.push_back(where + ": apiVersion must be monitoring.coreos.com/v1");
  static const std::regex kDns(R"([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*)");
  const std::string name = obj["metadata"]["name"].as<std::string>("");
  if (name.size() > 253 || !std::regex_match(name, kDns)) errors.push_back(where + ": metadata.name is not a DNS subdomain");
  if (obj["metadata"]["namespace"].as<std::string>("") != kNamespace) errors.push_back(where + ": not in the release namespace");
  return errors;
}

std::vector<YAML::Node> MonitoringObjects(const std::string& helm) {
  std::vector<YAML::Node> out;
  const std::string relabel = ValuesFile(R"(
serviceMonitor:
  enabled: true
  relabelings: [{sourceLabels: [__meta_kubernetes_pod_node_name], targetLabel: node, action: replace}]
  metricRelabelings: [{action: drop, regex: 'riposte_audit_findings', sourceLabels: [__name__]}]
prometheusRule: {enabled: true, additionalAlertLabels: {team: platform}}
controller: {auditInterval: 10m}
)");
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"-f", relabel},
           {"--set", "podMonitor.enabled=true,podMonitor.interval=1m,podMonitor.scrapeTimeout=15s"}}) {
    const auto r = HelmTemplate(helm, args);
    EXPECT_EQ(r.exit_code, 0) << r.output;
    for (const char* kind : {"ServiceMonitor", "PodMonitor", "PrometheusRule"})
      for (const auto& d : OfKind(r.docs, kind)) out.push_back(d);
  }
  return out;
}

TEST(ChartMonitoring, RenderedObjectsMatchThePrometheusOperatorCrds) {
  RIPOSTE_REQUIRE_TOOL(helm, "helm");
  const auto schemas = PrometheusOperatorSchemas();
  ASSERT_EQ(schemas.size(), 3u) << "expected the ServiceMonitor, PodMonitor and PrometheusRule CRDs in testdata";
  const auto objects = MonitoringObjects(helm);
  std::map<std::string, int> seen;
  for (const auto& obj : objects) {
    ++seen[obj["kind"].as<std::string>()];
    const auto errors = ValidateObject(obj, schemas);
    EXPECT_TRUE(errors.empty()) << Join(errors) << YAML::Dump(obj);
  }
  EXPECT_EQ(seen["ServiceMonitor"], 2);
  EXPECT_EQ(seen["PodMonitor"], 2);
  EXPECT_EQ(seen["PrometheusRule"], 1);
}

// Disabling every alert of a group drops the group (an empty `rules:` would be null, which the
// API server refuses); with nothing left the rule has `groups: []`. Both stay valid objects.
TEST(ChartMonitoring, DisablingEveryAlertOfAGroupKeepsTheRuleValid) {
  RIPOSTE_REQUIRE_TOOL(helm, "helm");
  const auto schemas = PrometheusOperatorSchemas();
  const auto some = HelmTemplate(helm, {"--set", "prometheusRule.enabled=true", "--set",
                                        "prometheusRule.disabledAlerts={RiposteAlertEndpointUnavailable,"
                                        "RiposteControllerNoLeader,RiposteResponseActionsFailed}"});
  ASSERT_EQ(some.exit_code, 0) << some.output;
  const auto rule = OfKind(some.docs, "PrometheusRule").at(0);
  EXPECT_TRUE(ValidateObject(rule, schemas).empty()) << Join(ValidateObject(rule, schemas));
  ASSERT_EQ(rule["spec"]["groups"].size(), 1u) << YAML::Dump(rule);
  EXPECT_EQ(rule["spec"]["groups"][0]["name"].as<std::string>(), "riposte.webhook");

  const auto none = HelmTemplate(helm, {"--set", "prometheusRule.enabled=true,webhook.enabled=false,controller.enabled=false"});
  ASSERT_EQ(none.exit_code, 0) << none.output;
  const auto empty = OfKind(none.docs, "PrometheusRule").at(0);
  EXPECT_TRUE(empty["spec"]["groups"].IsSequence() && empty["spec"]["groups"].size() == 0) << YAML::Dump(empty);
  EXPECT_TRUE(ValidateObject(empty, schemas).empty()) << Join(ValidateObject(empty, schemas));
}

// The validation is real: objects broken in ways the API server refuses fail it, at the path.
TEST(ChartMonitoring, BrokenObjectsFailTheCrdSchemaAtTheirPath) {
  RIPOSTE_REQUIRE_TOOL(helm, "helm");
  const auto schemas = PrometheusOperatorSchemas();
  const auto objects = MonitoringObjects(helm);
  auto first = [&](const std::string& kind) {
    for (const auto& o : objects)
      if (o["kind"].as<std::string>() == kind) return YAML::Clone(o);
    ADD_FAILURE() << "no " << kind << " rendered";
    return YAML::Node();
  };
  struct Case {
    const char* kind;
    const char* what;
    std::function<void(YAML::Node&)> breakIt;
    const char* error;  // expected substring of one error
  };
  const std::vector<Case> cases = {
      {"ServiceMonitor", "unknown endpoint field", [](YAML::Node& o) { o["spec"]["endpoints"][0]["prot"] = "metrics"; },
       "ServiceMonitor/riposte-webhook.spec.endpoints[0]: unknown field 'prot'"},
      {"ServiceMonitor", "scheme tcp", [](YAML::Node& o) { o["spec"]["endpoints"][0]["scheme"] = "tcp"; },
       ".spec.endpoints[0].scheme: 'tcp' is not one of the allowed values"},
      {"ServiceMonitor", "interval in words", [](YAML::Node& o) { o["spec"]["endpoints"][0]["interval"] = "30 seconds"; },
       ".spec.endpoints[0].interval: '30 seconds' does not match"},
      {"ServiceMonitor", "no selector", [](YAML::Node& o) { o["spec"].remove("selector"); },
       ".spec: required field 'selector' missing"},
      {"ServiceMonitor", "relabel action typo",
       [](YAML::Node& o) { o["spec"]["endpoints"][0]["relabelings"][0]["action"] = "rename"; },
       ".spec.endpoints[0].relabelings[0].action: 'rename' is not one of the allowed values"},
      {"PodMonitor", "port number out of range", [](YAML::Node& o) { o["spec"]["podMetricsEndpoints"][0]["portNumber"] = 70000; },
       ".spec.podMetricsEndpoints[0].portNumber: 70000 is above maximum 65535"},
      {"PodMonitor", "targetPort a list",
       [](YAML::Node& o) { o["spec"]["podMetricsEndpoints"][0]["targetPort"].push_back(1); },
       ".spec.podMetricsEndpoints[0].targetPort: expected integer or string, got array"},
      {"PodMonitor", "endpoints not a list", [](YAML::Node& o) { o["spec"]["podMetricsEndpoints"] = "metrics"; },
       ".spec.podMetricsEndpoints: expected array"},
      {"PrometheusRule", "rule without expr", [](YAML::Node& o) { o["spec"]["groups"][0]["rules"][0].remove("expr"); },
       ".spec.groups[0].rules[0]: required field 'expr' missing"},
      {"PrometheusRule", "empty group name", [](YAML::Node& o) { o["spec"]["groups"][0]["name"] = ""; },
       ".spec.groups[0].name: shorter than 1 characters"},
      {"PrometheusRule", "for in words", [](YAML::Node& o) { o["spec"]["groups"][0]["rules"][0]["for"] = "5 minutes"; },
       ".spec.groups[0].rules[0].for: '5 minutes' does not match"},
      {"PrometheusRule", "annotation not a string",
       [](YAML::Node& o) {
         YAML::Node list;
         list.push_back("x");
         o["spec"]["groups"][0]["rules"][0]["annotations"]["summary"] = list;
       },
       ".spec.groups[0].rules[0].annotations.summary: expected string"},
      {"PrometheusRule", "partial_response_strategy outside (?i)(abort|warn)",
       [](YAML::Node& o) { o["spec"]["groups"][0]["partial_response_strategy"] = "maybe"; },
       ".spec.groups[0].partial_response_strategy: 'maybe' does not match"},
  };
  for (const auto& c : cases) {
    YAML::Node obj = first(c.kind);
    if (!obj) continue;
    ASSERT_TRUE(ValidateObject(obj, schemas).empty()) << c.kind << " is invalid before breaking it";
    c.breakIt(obj);
    const auto errors = ValidateObject(obj, schemas);
    bool found = false;
    for (const auto& e : errors) found = found || e.find(c.error) != std::string::npos;
    EXPECT_TRUE(found) << c.kind << " with " << c.what << ": expected an error containing \"" << c.error << "\", got:\n"
                       << Join(errors);
  }
  // Case-insensitive CRD patterns ((?i) in Go) accept other cases, as the API server does.
  YAML::Node rule = first("PrometheusRule");
  rule["spec"]["groups"][0]["partial_response_strategy"] = "ABORT";
  EXPECT_TRUE(ValidateObject(rule, schemas).empty()) << Join(ValidateObject(rule, schemas));
}

}  // namespace
}  // namespace riposte::deploy_test
