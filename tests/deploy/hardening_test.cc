// Pods are hardened in both install paths: non-root, read-only root filesystem, no privilege
// escalation, no capabilities, seccomp RuntimeDefault, resources, probes on the real
// endpoints, spread over nodes, and enough replicas to survive a node drain.
#include <gtest/gtest.h>

#include "tests/deploy/deploy_util.h"

namespace riposte::deploy_test {
namespace {

void ExpectHardenedContainerContext(const YAML::Node& sc, const std::string& where) {
  ASSERT_TRUE(sc && sc.IsMap()) << where << ": securityContext missing";
  EXPECT_TRUE(sc["runAsNonRoot"].as<bool>(false)) << where << ": runAsNonRoot must be true";
  EXPECT_TRUE(sc["readOnlyRootFilesystem"].as<bool>(false))
      << where << ": readOnlyRootFilesystem must be true";
  EXPECT_TRUE(sc["allowPrivilegeEscalation"] && !sc["allowPrivilegeEscalation"].as<bool>(true))
      << where << ": allowPrivilegeEscalation must be false";
  EXPECT_FALSE(sc["privileged"].as<bool>(false)) << where << ": privileged";
  bool drops_all = false;
  for (const auto& cap : sc["capabilities"]["drop"]) drops_all |= cap.as<std::string>() == "ALL";
  EXPECT_TRUE(drops_all) << where << ": capabilities.drop must contain ALL";
  EXPECT_FALSE(sc["capabilities"]["add"] && sc["capabilities"]["add"].size() > 0)
      << where << ": capabilities.add must be empty";
  EXPECT_EQ(sc["seccompProfile"]["type"].as<std::string>(""), "RuntimeDefault")
      << where << ": seccompProfile.type must be RuntimeDefault";
}

void ExpectHardenedPodContext(const YAML::Node& sc, const std::string& where) {
  ASSERT_TRUE(sc && sc.IsMap()) << where << ": pod securityContext missing";
  EXPECT_TRUE(sc["runAsNonRoot"].as<bool>(false)) << where << ": runAsNonRoot must be true";
  EXPECT_EQ(sc["seccompProfile"]["type"].as<std::string>(""), "RuntimeDefault")
      << where << ": pod seccompProfile.type must be RuntimeDefault";
  if (sc["runAsUser"]) {
    EXPECT_NE(sc["runAsUser"].as<int>(), 0) << where << ": runAsUser 0";
  }
}

TEST(Hardening, PlainManifestDeployments) {
  int deployments = 0;
  for (const char* file : {"manifests/webhook.yaml", "manifests/controller.yaml"}) {
    for (const auto& doc : LoadDocs(Repo(file))) {
      if (doc["kind"].as<std::string>("") != "Deployment") continue;
      ++deployments;
      const std::string name = doc["metadata"]["name"].as<std::string>();
      const std::string where = std::string(file) + " Deployment " + name;
      EXPECT_GE(doc["spec"]["replicas"].as<int>(0), 2) << where << ": run at least 2 replicas";
      const auto pod = doc["spec"]["template"]["spec"];
      ExpectHardenedPodContext(pod["securityContext"], where);
      EXPECT_TRUE(pod["topologySpreadConstraints"] && pod["topologySpreadConstraints"].size() > 0)
          << where << ": topologySpreadConstraints missing";
      for (const auto& c : pod["containers"]) {
        const std::string cw = where + " container " + c["name"].as<std::string>();
        ExpectHardenedContainerContext(c["securityContext"], cw + " securityContext");
        for (const char* kind : {"requests", "limits"}) {
          for (const char* res : {"cpu", "memory"}) {
            EXPECT_TRUE(c["resources"][kind][res]) << cw << ": resources." << kind << "." << res;
          }
        }
        EXPECT_EQ(c["readinessProbe"]["httpGet"]["path"].as<std::string>(""), "/readyz")
            << cw << ": readinessProbe must hit /readyz";
        EXPECT_EQ(c["livenessProbe"]["httpGet"]["path"].as<std::string>(""), "/healthz")
            << cw << ": livenessProbe must hit /healthz";
        // Probe ports must be ports the container declares.
        for (const char* probe : {"readinessProbe", "livenessProbe"}) {
          const std::string port = c[probe]["httpGet"]["port"].as<std::string>("");
          bool declared = false;
          for (const auto& p : c["ports"]) declared |= p["name"].as<std::string>("") == port;
          EXPECT_TRUE(declared) << cw << ": " << probe << " port '" << port << "' not declared";
        }
      }
      // A PodDisruptionBudget selects the same pods.
      const auto pdb = FindDoc(Repo(file), "PodDisruptionBudget", name);
      ASSERT_TRUE(pdb) << where << ": no PodDisruptionBudget";
      EXPECT_EQ(YAML::Dump(pdb["spec"]["selector"]["matchLabels"]),
                YAML::Dump(doc["spec"]["selector"]["matchLabels"]))
          << where << ": PDB selector differs from the Deployment's";
    }
  }
  EXPECT_EQ(deployments, 2);
}

// The body of `{{- define "NAME" -}} ... {{- end -}}` in _helpers.tpl, with template-only
// lines removed, parsed as YAML.
YAML::Node HelperYaml(const std::string& name) {
  const std::string text = ReadFile(Repo("helm/riposte/templates/_helpers.tpl"));
  const std::string open = "{{- define \"" + name + "\" -}}";
  const size_t begin = text.find(open);
  if (begin == std::string::npos) {
    ADD_FAILURE() << "_helpers.tpl: no define \"" << name << "\"";
    return YAML::Node();
  }
  const size_t end = text.find("{{- end -}}", begin);
  std::string body;
  size_t pos = begin + open.size();
  while (pos < end) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string::npos || nl > end) nl = end;
    const std::string line = text.substr(pos, nl - pos);
    if (line.find("{{") == std::string::npos) body += line + "\n";
    pos = nl + 1;
  }
  return YAML::Load(body);
}

TEST(Hardening, ChartHelpersHardenEveryPod) {
  ExpectHardenedContainerContext(HelperYaml("riposte.containerSecurityContext"),
                                 "_helpers.tpl riposte.containerSecurityContext");
  ExpectHardenedPodContext(HelperYaml("riposte.podSecurityContext"),
                           "_helpers.tpl riposte.podSecurityContext");
  const auto values = LoadDocs(Repo("helm/riposte/values.yaml"));
  ASSERT_EQ(values.size(), 1u);
  EXPECT_NE(values[0]["securityContext"]["runAsUser"].as<int>(0), 0)
      << "values.yaml securityContext.runAsUser must not be root";
}

TEST(Hardening, ChartDeploymentsUseTheHelpersProbesAndResources) {
  const auto values = LoadDocs(Repo("helm/riposte/values.yaml"));
  ASSERT_EQ(values.size(), 1u);
  for (const std::string component : {"webhook", "controller"}) {
    const std::string file = "helm/riposte/templates/" + component + "-deployment.yaml";
    const std::string text = ReadFile(Repo(file));
    for (const char* needle :
         {"include \"riposte.podSecurityContext\"", "include \"riposte.containerSecurityContext\"",
          "include \"riposte.topologySpread\"", "path: /readyz", "path: /healthz",
          "readinessProbe:", "livenessProbe:", "priorityClassName",
          ".Values.imagePullSecrets"}) {
      EXPECT_NE(text.find(needle), std::string::npos) << file << ": missing " << needle;
    }
    EXPECT_NE(text.find("toYaml .Values." + component + ".resources"), std::string::npos)
        << file << ": resources must come from values";
    const auto v = values[0][component];
    EXPECT_GE(v["replicas"].as<int>(0), 2) << "values.yaml " << component << ".replicas";
    for (const char* kind : {"requests", "limits"}) {
      for (const char* res : {"cpu", "memory"}) {
        EXPECT_TRUE(v["resources"][kind][res])
            << "values.yaml " << component << ".resources." << kind << "." << res;
      }
    }
    EXPECT_TRUE(v["topologySpread"]["enabled"].as<bool>(false))
        << "values.yaml " << component << ".topologySpread.enabled should default to true";
    EXPECT_TRUE(fs::exists(Repo("helm/riposte/templates/" + component + "-pdb.yaml")))
        << component << ": no PodDisruptionBudget template";
  }
}

}  // namespace
}  // namespace riposte::deploy_test
