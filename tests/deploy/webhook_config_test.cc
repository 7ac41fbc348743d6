// The admission wiring: the ValidatingWebhookConfiguration sends exactly Ingress
// CREATE/UPDATE to the webhook Service, fails closed, never judges Riposte's own namespace or
// kube-system, and the Services, ports and flags line up with the Deployments.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>

#include "core/nginx_resource.h"
#include "core/policy.h"
#include "tests/deploy/deploy_util.h"

namespace riposte::deploy_test {
namespace {

std::set<std::string> Strings(const YAML::Node& seq) {
  std::set<std::string> out;
  for (const auto& s : seq) out.insert(s.as<std::string>());
  return out;
}

bool Equal(const YAML::Node& a, const YAML::Node& b) {
  if (a.Type() != b.Type()) return false;
  if (a.IsScalar()) return a.as<std::string>() == b.as<std::string>();
  if (a.IsSequence()) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i) {
      if (!Equal(a[i], b[i])) return false;
    }
    return true;
  }
  if (a.IsMap()) {
    if (a.size() != b.size()) return false;
    for (const auto& kv : a) {
      const auto other = b[kv.first.as<std::string>()];
      if (!other || !Equal(kv.second, other)) return false;
    }
    return true;
  }
  return true;  // both null
}

TEST(WebhookConfiguration, PlainManifestJudgesIngressAndFailsClosed) {
  const auto vwc = FindDoc(Repo("manifests/webhook-configuration.yaml"),
                           "ValidatingWebhookConfiguration");
  ASSERT_TRUE(vwc);
  ASSERT_EQ(vwc["webhooks"].size(), 2u);  // Ingresses, then ConfigMaps
  const auto hook = vwc["webhooks"][0];
  const std::string w = "manifests/webhook-configuration.yaml webhooks[0]";
  EXPECT_TRUE(Strings(hook["admissionReviewVersions"]).count("v1")) << w;
  EXPECT_EQ(hook["clientConfig"]["service"]["name"].as<std::string>(""), "riposte-webhook") << w;
  EXPECT_EQ(hook["clientConfig"]["service"]["namespace"].as<std::string>(""), "riposte") << w;
  EXPECT_EQ(hook["clientConfig"]["service"]["path"].as<std::string>(""), "/validate/ingress") << w;
  ASSERT_EQ(hook["rules"].size(), 1u) << w;
  const auto rule = hook["rules"][0];
  EXPECT_EQ(Strings(rule["apiGroups"]), std::set<std::string>{"networking.k8s.io"}) << w;
  EXPECT_EQ(Strings(rule["apiVersions"]), std::set<std::string>{"v1"}) << w;
  EXPECT_EQ(Strings(rule["resources"]), std::set<std::string>{"ingresses"}) << w;
  EXPECT_EQ(Strings(rule["operations"]), (std::set<std::string>{"CREATE", "UPDATE"})) << w;
  EXPECT_EQ(hook["failurePolicy"].as<std::string>(""), "Fail") << w;
  EXPECT_EQ(hook["sideEffects"].as<std::string>(""), "None") << w;
  EXPECT_TRUE(hook["matchPolicy"]) << w << ": matchPolicy";
  const int timeout = hook["timeoutSeconds"].as<int>(0);
  EXPECT_TRUE(timeout >= 1 && timeout <= 30) << w << ": timeoutSeconds must be 1..30";
  bool excludes = false;
  for (const auto& e : hook["namespaceSelector"]["matchExpressions"]) {
    if (e["key"].as<std::string>("") == "kubernetes.io/metadata.name" &&
        e["operator"].as<std::string>("") == "NotIn") {
      const auto values = Strings(e["values"]);
      excludes = values.count("riposte") && values.count("kube-system");
    }
  }
  EXPECT_TRUE(excludes) << w << ": namespaceSelector must exclude riposte and kube-system";
}

// ConfigMaps have their own entry: failurePolicy Ignore (a webhook outage must not block
// ConfigMap writes cluster-wide), a short timeout, the same namespace exclusions.
TEST(WebhookConfiguration, PlainManifestConfigMapEntryIgnoresFailures) {
  const auto vwc = FindDoc(Repo("manifests/webhook-configuration.yaml"), "ValidatingWebhookConfiguration");
  ASSERT_TRUE(vwc);
  ASSERT_EQ(vwc["webhooks"].size(), 2u);
  const auto hook = vwc["webhooks"][1];
  const std::string w = "manifests/webhook-configuration.yaml webhooks[1]";
  EXPECT_EQ(hook["name"].as<std::string>(""), "configmaps.validate.riposte.io") << w;
  EXPECT_EQ(hook["clientConfig"]["service"]["path"].as<std::string>(""), "/validate/ingress") << w;
  ASSERT_EQ(hook["rules"].size(), 1u) << w;
  EXPECT_EQ(Strings(hook["rules"][0]["apiGroups"]), std::set<std::string>{""}) << w;
  EXPECT_EQ(Strings(hook["rules"][0]["resources"]), std::set<std::string>{"configmaps"}) << w;
  EXPECT_EQ(Strings(hook["rules"][0]["operations"]), (std::set<std::string>{"CREATE", "UPDATE"})) << w;
  EXPECT_EQ(hook["failurePolicy"].as<std::string>(""), "Ignore") << w;
  EXPECT_EQ(hook["sideEffects"].as<std::string>(""), "None") << w;
  const int timeout = hook["timeoutSeconds"].as<int>(0);
  EXPECT_TRUE(timeout >= 1 && timeout <= 30) << w;
  EXPECT_FALSE(hook["objectSelector"]) << w << ": a ConfigMap's labels say nothing about who reads it";
  bool excludes = false;
  for (const auto& e : hook["namespaceSelector"]["matchExpressions"]) {
    if (e["key"].as<std::string>("") == "kubernetes.io/metadata.name" && e["operator"].as<std::string>("") == "NotIn") {
      const auto values = Strings(e["values"]);
      excludes = values.count("riposte") && values.count("kube-system");
    }
  }
  EXPECT_TRUE(excludes) << w;
  const auto values = LoadDocs(Repo("helm/riposte/values.yaml"))[0]["webhook"]["configMaps"];
  EXPECT_TRUE(values["enabled"].as<bool>(false));
  EXPECT_EQ(values["failurePolicy"].as<std::string>(""), "Ignore");
  EXPECT_EQ(values["matchConditions"]["mode"].as<std::string>(""), "auto");
}

TEST(WebhookConfiguration, ChartTemplateKeepsTheSafetySettings) {
  const std::string tpl = ReadFile(Repo("helm/riposte/templates/webhook-admission.yaml"));
  for (const char* needle :
       {"kind: ValidatingWebhookConfiguration", "sideEffects: None",
        "failurePolicy: {{ $.Values.webhook.failurePolicy }}",
        "matchPolicy: {{ $.Values.webhook.matchPolicy }}",
        "timeoutSeconds: {{ $.Values.webhook.timeoutSeconds }}", "path: /validate/ingress",
        "operations: [\"CREATE\", \"UPDATE\"]", "\"resources\" (list \"ingresses\")",
        "\"groups\" (list \"networking.k8s.io\")", "key: kubernetes.io/metadata.name",
        "operator: NotIn", "list $.Release.Namespace", "objectSelector",
        "cert-manager.io/inject-ca-from", "caBundle:", "include \"riposte.tlsMaterial\""}) {
    EXPECT_NE(tpl.find(needle), std::string::npos) << "webhook-admission.yaml: missing " << needle;
  }
  const auto values = LoadDocs(Repo("helm/riposte/values.yaml"))[0]["webhook"];
  EXPECT_EQ(values["failurePolicy"].as<std::string>(""), "Fail");
  EXPECT_TRUE(Strings(values["excludeNamespaces"]).count("kube-system"));
  const int timeout = values["timeoutSeconds"].as<int>(0);
  EXPECT_TRUE(timeout >= 1 && timeout <= 30);
  // Generated certificates survive upgrades: the existing Secret is looked up and reused.
  const std::string helpers = ReadFile(Repo("helm/riposte/templates/_helpers.tpl"));
  EXPECT_NE(helpers.find("lookup \"v1\" \"Secret\""), std::string::npos);
  EXPECT_NE(helpers.find("genCA"), std::string::npos);
  EXPECT_NE(helpers.find("genSignedCert"), std::string::npos);
}

TEST(WebhookConfiguration, PlainPolicyMatchesChartDefault) {
  const auto cm = FindDoc(Repo("manifests/webhook.yaml"), "ConfigMap", "riposte-policy");
  ASSERT_TRUE(cm);
  const auto plain = YAML::Load(cm["data"]["policy.yaml"].as<std::string>());
  const auto chart = LoadDocs(Repo("helm/riposte/values.yaml"))[0]["webhook"]["policy"];
  EXPECT_TRUE(Equal(plain, chart)) << "manifests/webhook.yaml policy.yaml:\n"
                                   << YAML::Dump(plain) << "\nvalues.yaml webhook.policy:\n"
                                   << YAML::Dump(chart);
  // Mounted as a directory: subPath mounts never see ConfigMap updates, so no reload.
  const auto deployment = FindDoc(Repo("manifests/webhook.yaml"), "Deployment");
  for (const auto& m : deployment["spec"]["template"]["spec"]["containers"][0]["volumeMounts"]) {
    if (m["name"].as<std::string>("") == "policy") {
      EXPECT_FALSE(m["subPath"]) << "policy must not be mounted with subPath";
    }
  }
  const std::string tpl = ReadFile(Repo("helm/riposte/templates/webhook-deployment.yaml"));
  EXPECT_EQ(tpl.find("subPath"), std::string::npos) << "webhook-deployment.yaml uses subPath";
}

// The policy the chart and the plain manifests ship is one the webhook's loader accepts.
TEST(WebhookConfiguration, ShippedPoliciesLoad) {
  const auto chart = LoadDocs(Repo("helm/riposte/values.yaml"))[0]["webhook"]["policy"];
  core::PolicyError err;
  const auto chart_policy = core::ParsePolicy(YAML::Dump(chart), "values.yaml webhook.policy", &err);
  ASSERT_NE(chart_policy, nullptr) << err.ToString();
  EXPECT_FALSE(chart_policy->f5_nginx_ingress.enabled);
  EXPECT_FALSE(chart_policy->nginx_gateway_fabric.enabled);
  const auto cm = FindDoc(Repo("manifests/webhook.yaml"), "ConfigMap", "riposte-policy");
  ASSERT_NE(core::ParsePolicy(cm["data"]["policy.yaml"].as<std::string>(), "manifests/webhook.yaml", &err), nullptr)
      << err.ToString();
}

// The profiles' kinds as webhook rules: group -> resources, from the engine's own registry.
std::map<std::string, std::set<std::string>> ProfileRules() {
  std::map<std::string, std::set<std::string>> out;
  for (const auto& k : core::AllResourceKinds()) out[std::string(k.group)].insert(std::string(k.resource));
  return out;
}

std::map<std::string, std::set<std::string>> RulesOf(const YAML::Node& hook) {
  std::map<std::string, std::set<std::string>> out;
  for (const auto& rule : hook["rules"]) {
    EXPECT_EQ(Strings(rule["operations"]), (std::set<std::string>{"CREATE", "UPDATE"}));
    EXPECT_EQ(rule["scope"].as<std::string>(""), "Namespaced");
    for (const auto& g : rule["apiGroups"]) {
      for (const auto& r : rule["resources"]) out[g.as<std::string>()].insert(r.as<std::string>());
    }
  }
  return out;
}

// manifests/components/successor-profiles adds what the chart adds with both profiles on: a
// second webhook entry for exactly the kinds the engine judges, with the first entry's safety
// settings, and a policy that enables both profiles and is otherwise the default one.
TEST(WebhookConfiguration, SuccessorComponentMatchesTheEngineAndTheBase) {
  const auto component = LoadDocs(Repo("manifests/components/successor-profiles/kustomization.yaml"));
  ASSERT_EQ(component.size(), 1u);
  EXPECT_EQ(component[0]["kind"].as<std::string>(""), "Component");
  YAML::Node entry, policy_text;
  for (const auto& p : component[0]["patches"]) {
    const auto ops = YAML::Load(p["patch"].as<std::string>());
    ASSERT_TRUE(ops.IsSequence());
    const std::string kind = p["target"]["kind"].as<std::string>("");
    if (kind == "ValidatingWebhookConfiguration") {
      EXPECT_EQ(p["target"]["name"].as<std::string>(""), "riposte");
      EXPECT_EQ(ops[0]["op"].as<std::string>(""), "add");
      EXPECT_EQ(ops[0]["path"].as<std::string>(""), "/webhooks/-");
      entry = ops[0]["value"];
    } else if (kind == "ConfigMap") {
      EXPECT_EQ(p["target"]["name"].as<std::string>(""), "riposte-policy");
      EXPECT_EQ(ops[0]["path"].as<std::string>(""), "/data/policy.yaml");
      policy_text = ops[0]["value"];
    }
  }
  ASSERT_TRUE(entry && policy_text) << "the component must patch the webhook configuration and the policy";
  EXPECT_EQ(entry["name"].as<std::string>(""), "successors.validate.riposte.io");
  EXPECT_EQ(RulesOf(entry), ProfileRules());
  const auto base = FindDoc(Repo("manifests/webhook-configuration.yaml"), "ValidatingWebhookConfiguration")["webhooks"][0];
  for (const char* key : {"admissionReviewVersions", "clientConfig", "failurePolicy", "matchPolicy", "sideEffects",
                          "timeoutSeconds", "namespaceSelector"}) {
    EXPECT_TRUE(Equal(entry[key], base[key])) << "successor entry differs from the Ingress entry in " << key;
  }
  core::PolicyError err;
  const auto policy = core::ParsePolicy(policy_text.as<std::string>(), "component policy.yaml", &err);
  ASSERT_NE(policy, nullptr) << err.ToString();
  EXPECT_TRUE(policy->f5_nginx_ingress.enabled);
  EXPECT_TRUE(policy->nginx_gateway_fabric.enabled);
  EXPECT_TRUE(policy->ingress_nginx_enabled);
  auto expected = YAML::Load(FindDoc(Repo("manifests/webhook.yaml"), "ConfigMap", "riposte-policy")["data"]["policy.yaml"].as<std::string>());
  expected["profiles"]["f5NginxIngress"]["enabled"] = true;
  expected["profiles"]["nginxGatewayFabric"]["enabled"] = true;
  EXPECT_TRUE(Equal(YAML::Load(policy_text.as<std::string>()), expected)) << YAML::Dump(expected);
}

std::string Arg(const YAML::Node& container, const std::string& flag) {
  for (const auto& a : container["args"]) {
    const std::string s = a.as<std::string>();
    if (s.rfind(flag + "=", 0) == 0) return s.substr(flag.size() + 1);
  }
  return "";
}

int ContainerPort(const YAML::Node& container, const std::string& name) {
  for (const auto& p : container["ports"]) {
    if (p["name"].as<std::string>("") == name) return p["containerPort"].as<int>();
  }
  return -1;
}

// Flag values, container ports and Service target ports agree in the plain manifests.
TEST(WebhookConfiguration, PortsFlagsAndServicesLineUp) {
  struct Case {
    const char* file;
    const char* service;
    const char* port_name;
    const char* listen_flag;
  };
  for (const Case& c : {Case{"manifests/webhook.yaml", "riposte-webhook", "https", "--listen"},
                        Case{"manifests/controller.yaml", "riposte-alerts", "alerts",
                             "--alerts-listen"}}) {
    const auto deployment = FindDoc(Repo(c.file), "Deployment");
    ASSERT_TRUE(deployment) << c.file;
    const auto container = deployment["spec"]["template"]["spec"]["containers"][0];
    const int port = ContainerPort(container, c.port_name);
    EXPECT_EQ(Arg(container, c.listen_flag), ":" + std::to_string(port))
        << c.file << ": " << c.listen_flag << " must match containerPort " << c.port_name;
    EXPECT_EQ(Arg(container, "--metrics-listen"),
              ":" + std::to_string(ContainerPort(container, "metrics")))
        << c.file << ": --metrics-listen must match the metrics containerPort";
    const auto service = FindDoc(Repo(c.file), "Service", c.service);
    ASSERT_TRUE(service) << c.file << ": Service " << c.service;
    bool targets = false;
    for (const auto& p : service["spec"]["ports"]) {
      targets |= p["targetPort"].as<std::string>("") == c.port_name;
    }
    EXPECT_TRUE(targets) << c.file << ": Service " << c.service << " must target " << c.port_name;
    EXPECT_TRUE(Equal(service["spec"]["selector"], deployment["spec"]["selector"]["matchLabels"]))
        << c.file << ": Service " << c.service << " selects other pods than the Deployment";
    // Every mounted volume exists, and every flag path lives under a mounted directory.
    std::set<std::string> volumes;
    for (const auto& v : deployment["spec"]["template"]["spec"]["volumes"]) {
      volumes.insert(v["name"].as<std::string>());
    }
    std::vector<std::string> mounts;
    for (const auto& m : container["volumeMounts"]) {
      EXPECT_TRUE(volumes.count(m["name"].as<std::string>())) << c.file << ": " << m["name"];
      mounts.push_back(m["mountPath"].as<std::string>() + "/");
    }
    for (const auto& a : container["args"]) {
      const std::string s = a.as<std::string>();
      const auto eq = s.find("=/");
      if (eq == std::string::npos) continue;
      const std::string path = s.substr(eq + 1);
      EXPECT_TRUE(std::any_of(mounts.begin(), mounts.end(),
                              [&](const std::string& m) { return path.rfind(m, 0) == 0; }))
          << c.file << ": " << s << " points outside every mounted volume";
    }
  }
}

}  // namespace
}  // namespace riposte::deploy_test
