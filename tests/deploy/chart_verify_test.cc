// The chart's `helm test` (templates/tests/verify.yaml) rendered by helm: the pod runs the
// chart's own image with `riposte verify` for this release, hardened like the Deployments, and its
// ServiceAccount can read only what verify reads and write nothing but Ingress creates in the
// test namespace (docs/verify.md). Whether it passes and fails for the right reasons against a
// real API server is tests/e2e/verify_test.cc.
#include <gtest/gtest.h>

#include <algorithm>

#include "tests/deploy/chart_tools.h"

namespace riposte::deploy_test {
namespace {

// A string field by path; "" when any step is missing (yaml-cpp throws on chained misses).
std::string Field(const YAML::Node& node, std::initializer_list<const char*> path) {
  YAML::Node cur = YAML::Clone(node);
  for (const char* k : path) {
    if (!cur.IsMap() || !cur[k]) return "";
    cur = cur[k];
  }
  return cur.IsScalar() ? cur.as<std::string>() : "";
}

std::vector<YAML::Node> TestHooks(const std::vector<YAML::Node>& docs) {
  std::vector<YAML::Node> out;
  for (const auto& d : docs)
    if (Field(d, {"metadata", "annotations", "helm.sh/hook"}) == "test") out.push_back(d);
  return out;
}

std::set<std::string> Strings(const YAML::Node& list) {
  std::set<std::string> out;
  for (const auto& x : list) out.insert(x.as<std::string>());
  return out;
}

TEST(ChartVerifyTest, PodRunsVerifyWithTheChartsImageHardened) {
  RIPOSTE_REQUIRE_TOOL(helm, "helm");
  const auto r = HelmTemplate(helm, {"--set", "image.tag=1.2.3"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto hooks = TestHooks(r.docs);
  const auto pods = OfKind(hooks, "Pod");
  ASSERT_EQ(pods.size(), 1u);
  const auto& pod = pods[0];
  EXPECT_EQ(pod["metadata"]["name"].as<std::string>(""), "riposte-verify");
  EXPECT_EQ(pod["metadata"]["namespace"].as<std::string>(""), kNamespace);
  EXPECT_EQ(pod["spec"]["restartPolicy"].as<std::string>(""), "Never");
  EXPECT_EQ(pod["spec"]["serviceAccountName"].as<std::string>(""), "riposte-verify");
  const auto& c = pod["spec"]["containers"][0];
  const auto webhook = OfKind(r.docs, "Deployment", "riposte-webhook");
  ASSERT_EQ(webhook.size(), 1u);
  EXPECT_EQ(c["image"].as<std::string>(""), webhook[0]["spec"]["template"]["spec"]["containers"][0]["image"].as<std::string>())
      << "the test runs the Riposte image itself";
  std::vector<std::string> args;
  for (const auto& a : c["args"]) args.push_back(a.as<std::string>());
  EXPECT_EQ(args, (std::vector<std::string>{"verify", "--name=riposte", std::string("--namespace=") + kNamespace,
                                            "--test-namespace=default", "--lease-name=riposte-controller"}));
  EXPECT_TRUE(c["securityContext"]["readOnlyRootFilesystem"].as<bool>(false));
  EXPECT_FALSE(c["securityContext"]["allowPrivilegeEscalation"].as<bool>(true));
  EXPECT_EQ(Strings(c["securityContext"]["capabilities"]["drop"]), std::set<std::string>{"ALL"});
  EXPECT_TRUE(pod["spec"]["securityContext"]["runAsNonRoot"].as<bool>(false));
  EXPECT_EQ(pod["spec"]["securityContext"]["runAsUser"].as<int>(0), 65532);
  // Every object of the test is a test hook; the RBAC goes first and is removed after a pass.
  for (const auto& d : hooks) {
    if (d["kind"].as<std::string>() == "Pod") continue;
    EXPECT_EQ(d["metadata"]["annotations"]["helm.sh/hook-weight"].as<std::string>(""), "-5") << d["kind"];
    EXPECT_EQ(d["metadata"]["annotations"]["helm.sh/hook-delete-policy"].as<std::string>(""),
              "before-hook-creation,hook-succeeded")
        << d["kind"];
  }
  // Nothing of the test is installed by `helm install` itself.
  for (const auto& d : r.docs) {
    if (Field(d, {"metadata", "labels", "app.kubernetes.io/component"}) == "verify") {
      EXPECT_EQ(Field(d, {"metadata", "annotations", "helm.sh/hook"}), "test") << d["kind"];
    }
  }
}

TEST(ChartVerifyTest, ServiceAccountReadsOnlyWhatVerifyReadsAndWritesOnlyDryRunIngresses) {
  RIPOSTE_REQUIRE_TOOL(helm, "helm");
  const auto r = HelmTemplate(helm, {"--set", "tests.namespace=shop"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto hooks = TestHooks(r.docs);
  int write_rules = 0;
  for (const char* kind : {"ClusterRole", "Role"}) {
    for (const auto& role : OfKind(hooks, kind)) {
      const std::string where = std::string(kind) + "/" + role["metadata"]["name"].as<std::string>() + " in " +
                                role["metadata"]["namespace"].as<std::string>("(cluster)");
      for (const auto& rule : role["rules"]) {
        const auto verbs = Strings(rule["verbs"]);
        const auto resources = Strings(rule["resources"]);
        if (verbs.count("create")) {
          ++write_rules;
          EXPECT_EQ(verbs, std::set<std::string>{"create"}) << where;
          EXPECT_EQ(resources, std::set<std::string>{"ingresses"}) << where;
          EXPECT_EQ(std::string(kind), "Role") << where << ": Ingress creates are granted in one namespace only";
          EXPECT_EQ(role["metadata"]["namespace"].as<std::string>(""), "shop") << where;
          continue;
        }
        for (const auto& v : verbs) EXPECT_TRUE(v == "get" || v == "list") << where << ": verb " << v;
        EXPECT_FALSE(resources.count("secrets")) << where;
        if (verbs.count("get")) {
          EXPECT_TRUE(rule["resourceNames"].IsSequence()) << where << ": get by name only";
        }
      }
    }
  }
  EXPECT_EQ(write_rules, 1);
  const auto cluster_roles = OfKind(hooks, "ClusterRole");
  ASSERT_EQ(cluster_roles.size(), 1u);
  EXPECT_EQ(Strings(cluster_roles[0]["rules"][0]["resourceNames"]), std::set<std::string>{"riposte"});
  EXPECT_EQ(Strings(cluster_roles[0]["rules"][1]["resourceNames"]), std::set<std::string>{"shop"});
  // Every binding names the test's own ServiceAccount and nothing else.
  for (const char* kind : {"ClusterRoleBinding", "RoleBinding"}) {
    for (const auto& b : OfKind(hooks, kind)) {
      ASSERT_EQ(b["subjects"].size(), 1u);
      EXPECT_EQ(b["subjects"][0]["name"].as<std::string>(""), "riposte-verify");
      EXPECT_EQ(b["subjects"][0]["namespace"].as<std::string>(""), kNamespace);
    }
  }
  const auto pod = OfKind(hooks, "Pod");
  ASSERT_EQ(pod.size(), 1u);
  EXPECT_EQ(pod[0]["spec"]["containers"][0]["args"][3].as<std::string>(""), "--test-namespace=shop");
}

TEST(ChartVerifyTest, FollowsTheInstallsShape) {
  RIPOSTE_REQUIRE_TOOL(helm, "helm");
  auto r = HelmTemplate(helm, {"--set", "controller.enabled=false", "--set", "tests.extraArgs={--ingress-class=internal}"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto pods = OfKind(TestHooks(r.docs), "Pod");
  ASSERT_EQ(pods.size(), 1u);
  std::vector<std::string> args;
  for (const auto& a : pods[0]["spec"]["containers"][0]["args"]) args.push_back(a.as<std::string>());
  EXPECT_NE(std::find(args.begin(), args.end(), "--controller=false"), args.end()) << "no controller to check";
  EXPECT_EQ(args.back(), "--ingress-class=internal");
  for (const char* off : {"tests.enabled=false", "webhook.enabled=false"}) {
    r = HelmTemplate(helm, {"--set", off});
    ASSERT_EQ(r.exit_code, 0) << r.output;
    EXPECT_TRUE(TestHooks(r.docs).empty()) << off;
  }
  r = HelmTemplate(helm, {"--set", "tests.namespace=Not_A_Namespace"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("tests.namespace"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace riposte::deploy_test
