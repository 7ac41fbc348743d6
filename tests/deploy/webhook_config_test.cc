// The admission wiring: the ValidatingWebhookConfiguration sends exactly Ingress
// CREATE/UPDATE to the webhook Service, fails closed, never judges Riposte's own namespace or
// kube-system, and the Services, ports and flags line up with the Deployments.
#include <gtest/gtest.h>

#include <algorithm>

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
  ASSERT_EQ(vwc["webhooks"].size(), 1u);
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

TEST(WebhookConfiguration, ChartTemplateKeepsTheSafetySettings) {
  const std::string tpl = ReadFile(Repo("helm/riposte/templates/webhook-admission.yaml"));
  for (const char* needle :
       {"kind: ValidatingWebhookConfiguration", "sideEffects: None",
        "failurePolicy: {{ .Values.webhook.failurePolicy }}",
        "matchPolicy: {{ .Values.webhook.matchPolicy }}",
        "timeoutSeconds: {{ .Values.webhook.timeoutSeconds }}", "path: /validate/ingress",
        "operations: [\"CREATE\", \"UPDATE\"]", "resources: [\"ingresses\"]",
        "apiGroups: [\"networking.k8s.io\"]", "key: kubernetes.io/metadata.name",
        "operator: NotIn", "list .Release.Namespace", "objectSelector",
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
