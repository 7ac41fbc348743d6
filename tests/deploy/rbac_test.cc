// RBAC is derived from what the actions declare: the chart's files/action-rbac.yaml is the
// binary's `riposte actions --format rbac-yaml` output, the values toggle exactly the declared
// actions (opt-in ones off), and the plain manifests grant exactly base + every action that is
// not opt-in, the opt-in ones in a separate manifest. The webhook only reads Ingresses and
// ConfigMaps.
#include <gtest/gtest.h>

#include <set>

#include "tests/deploy/deploy_util.h"

namespace riposte::deploy_test {
namespace {

const char* const kRbacFile = "helm/riposte/files/action-rbac.yaml";

YAML::Node BinaryRbac() {
  const auto result = RunProcess({RIPOSTE_BINARY, "actions", "--format", "rbac-yaml"});
  EXPECT_EQ(result.exit_code, 0) << "riposte actions --format rbac-yaml failed";
  try {
    return YAML::Load(result.out);
  } catch (const YAML::Exception& e) {
    ADD_FAILURE() << "riposte actions --format rbac-yaml printed invalid YAML: " << e.what();
    return YAML::Node();
  }
}

std::set<std::string> ActionNames(const YAML::Node& rbac) {
  std::set<std::string> names;
  for (const auto& kv : rbac) {
    if (kv.first.as<std::string>() != "base") names.insert(kv.first.as<std::string>());
  }
  return names;
}

// Actions marked optIn by `riposte actions --format json`: off unless enabled.
std::set<std::string> OptInActions() {
  const auto result = RunProcess({RIPOSTE_BINARY, "actions", "--format", "json"});
  EXPECT_EQ(result.exit_code, 0);
  std::set<std::string> out;
  for (const auto& a : YAML::Load(result.out)) {
    if (a["optIn"].as<bool>(false)) out.insert(a["name"].as<std::string>());
  }
  return out;
}

std::set<Permission> Union(const YAML::Node& rbac, const std::set<std::string>& without = {}) {
  std::set<Permission> all;
  for (const auto& kv : rbac) {
    if (without.count(kv.first.as<std::string>())) continue;
    const auto perms = Permissions(kv.second);
    all.insert(perms.begin(), perms.end());
  }
  return all;
}

TEST(Rbac, ChartRbacFileIsTheBinaryOutput) {
  const auto result = RunProcess({RIPOSTE_BINARY, "actions", "--format", "rbac-yaml"});
  ASSERT_EQ(result.exit_code, 0);
  const std::string diff = FirstDifference(result.out, ReadFile(Repo(kRbacFile)));
  EXPECT_TRUE(diff.empty())
      << kRbacFile << " is stale (" << diff
      << ")\nregenerate it with:\n  build/riposte actions --format rbac-yaml > "
      << kRbacFile << "\n(and update manifests/rbac.yaml to the same rules)";
}

TEST(Rbac, ValuesToggleExactlyTheDeclaredActions) {
  const auto rbac = BinaryRbac();
  ASSERT_TRUE(rbac.IsMap());
  ASSERT_TRUE(rbac["base"]) << "rbac-yaml output has no base rules";
  const auto values = LoadDocs(Repo("helm/riposte/values.yaml"));
  ASSERT_EQ(values.size(), 1u);
  std::set<std::string> toggles;
  for (const auto& kv : values[0]["controller"]["actions"]) {
    toggles.insert(kv.first.as<std::string>());
    EXPECT_TRUE(kv.second.IsScalar() && (kv.second.as<std::string>() == "true" ||
                                         kv.second.as<std::string>() == "false"))
        << "values.yaml controller.actions." << kv.first << " must be true or false";
  }
  EXPECT_EQ(toggles, ActionNames(rbac))
      << "controller.actions in values.yaml must list every action the binary declares";
  const auto opt_in = OptInActions();
  EXPECT_FALSE(opt_in.empty());
  for (const auto& name : opt_in) {
    EXPECT_EQ(values[0]["controller"]["actions"][name].as<std::string>(""), "false")
        << "opt-in action " << name << " must be off by default";
  }
}

TEST(Rbac, ChartTemplateBuildsTheRoleFromTheGeneratedFile) {
  const std::string tpl = ReadFile(Repo("helm/riposte/templates/controller-rbac.yaml"));
  EXPECT_NE(tpl.find(".Files.Get \"files/action-rbac.yaml\""), std::string::npos);
  EXPECT_NE(tpl.find("$rbac.base"), std::string::npos) << "base rules must always be granted";
  EXPECT_NE(tpl.find(".Values.controller.actions"), std::string::npos)
      << "action rules must follow the values toggles";
}

TEST(Rbac, PlainManifestsGrantExactlyBaseAndEveryAction) {
  const auto rbac = BinaryRbac();
  const auto role = FindDoc(Repo("manifests/rbac.yaml"), "ClusterRole", "riposte-controller");
  ASSERT_TRUE(role) << "manifests/rbac.yaml: ClusterRole riposte-controller missing";
  const auto granted = Permissions(role["rules"]);
  const auto opt_in = OptInActions();
  const auto declared = Union(rbac, opt_in);
  std::set<Permission> extra, missing;
  for (const auto& p : granted) {
    if (!declared.count(p)) extra.insert(p);
  }
  for (const auto& p : declared) {
    if (!granted.count(p)) missing.insert(p);
  }
  EXPECT_TRUE(extra.empty()) << "manifests/rbac.yaml grants more than the actions declare:\n"
                             << Describe(extra);
  EXPECT_TRUE(missing.empty()) << "manifests/rbac.yaml lacks permissions the actions declare:\n"
                               << Describe(missing);
  const auto binding =
      FindDoc(Repo("manifests/rbac.yaml"), "ClusterRoleBinding", "riposte-controller");
  ASSERT_TRUE(binding);
  EXPECT_EQ(binding["roleRef"]["name"].as<std::string>(""), "riposte-controller");
  EXPECT_EQ(binding["subjects"][0]["name"].as<std::string>(""), "riposte-controller");
  EXPECT_EQ(binding["subjects"][0]["namespace"].as<std::string>(""), "riposte");

  // The opt-in actions' rules: a separate manifest, not applied by kustomization.yaml.
  const auto in_container = FindDoc(Repo("manifests/components/in-container-actions/rbac.yaml"), "ClusterRole");
  ASSERT_TRUE(in_container);
  std::set<std::string> others;
  for (const auto& name : ActionNames(rbac))
    if (!opt_in.count(name)) others.insert(name);
  others.insert("base");
  EXPECT_EQ(Permissions(in_container["rules"]), Union(rbac, others));
  EXPECT_EQ(ReadFile(Repo("manifests/kustomization.yaml")).find("in-container-actions"), std::string::npos);
  // pods/exec is never part of the default grant.
  EXPECT_FALSE(granted.count(Permission{"", "pods/exec", "get"}));
}

// The promise in values.yaml: disabling terminate removes `delete` on pods. That only holds
// if no other action (and not base) grants it.
TEST(Rbac, DisablingTerminateRemovesPodDelete) {
  const auto rbac = BinaryRbac();
  ASSERT_TRUE(rbac["terminate"]) << "no terminate action declared";
  const Permission pod_delete{"", "pods", "delete"};
  EXPECT_TRUE(Union(rbac).count(pod_delete)) << "terminate must declare delete on pods";
  EXPECT_FALSE(Union(rbac, {"terminate"}).count(pod_delete))
      << "something other than terminate grants delete on pods";
  // Only base applies when every action is off: read-only on workloads, no writes to pods.
  const auto base = Permissions(rbac["base"]);
  for (const auto& [group, resource, verb] : base) {
    if (group.empty() && resource == "pods") {
      EXPECT_TRUE(verb == "get" || verb == "list" || verb == "watch")
          << "base rules must not write pods (" << verb << ")";
    }
  }
}

// The webhook reads Ingresses and ConfigMaps for ConfigMap admission (docs/policy.md) and
// nothing else: get/list/watch on those two resources, never a write, never another resource.
void ExpectWebhookRoleIsReadOnly(const YAML::Node& role, const std::string& where) {
  std::set<std::string> granted;
  for (const auto& rule : role["rules"]) {
    for (const auto& group : rule["apiGroups"]) {
      for (const auto& res : rule["resources"]) {
        for (const auto& verb : rule["verbs"]) {
          granted.insert(group.as<std::string>() + "/" + res.as<std::string>() + ":" + verb.as<std::string>());
        }
      }
    }
  }
  const std::set<std::string> expected = {
      "networking.k8s.io/ingresses:get", "networking.k8s.io/ingresses:list", "networking.k8s.io/ingresses:watch",
      "/configmaps:get",                 "/configmaps:list",                 "/configmaps:watch"};
  EXPECT_EQ(granted, expected) << where;
}

TEST(Rbac, WebhookOnlyReadsIngressesAndConfigMaps) {
  // Plain manifests: the only binding naming the webhook's ServiceAccount is riposte-webhook,
  // to the read-only role.
  for (const auto& file : FilesUnder(Repo("manifests"), {".yaml"})) {
    for (const auto& doc : LoadDocs(file)) {
      const std::string kind = doc["kind"].as<std::string>("");
      if (kind != "RoleBinding" && kind != "ClusterRoleBinding") continue;
      for (const auto& s : doc["subjects"]) {
        if (s["name"].as<std::string>("") != "riposte-webhook") continue;
        EXPECT_EQ(kind, "ClusterRoleBinding") << Rel(file);
        EXPECT_EQ(doc["roleRef"]["name"].as<std::string>(""), "riposte-webhook")
            << Rel(file) << ": the webhook may only be bound to its read-only role";
      }
    }
  }
  const auto role = FindDoc(Repo("manifests/rbac.yaml"), "ClusterRole", "riposte-webhook");
  ASSERT_TRUE(role) << "manifests/rbac.yaml: ClusterRole riposte-webhook missing";
  ExpectWebhookRoleIsReadOnly(role, "manifests/rbac.yaml riposte-webhook");
  const auto deployment = FindDoc(Repo("manifests/webhook.yaml"), "Deployment");
  ASSERT_TRUE(deployment);
  bool index_flag = false;
  for (const auto& a : deployment["spec"]["template"]["spec"]["containers"][0]["args"]) {
    index_flag = index_flag || a.as<std::string>("") == "--configmap-index";
  }
  EXPECT_TRUE(index_flag) << "manifests/webhook.yaml: the token is mounted only for --configmap-index";
  EXPECT_TRUE(deployment["spec"]["template"]["spec"]["automountServiceAccountToken"].as<bool>(false));

  // Chart: the controller template, the `helm test` hook (tests/verify.yaml, checked in
  // chart_verify_test.cc) and webhook-rbac.yaml bind roles; the webhook's is read-only and
  // exists, like its token, only with webhook.configMaps.enabled.
  for (const auto& file : FilesUnder(Repo("helm/riposte/templates"), {".yaml"})) {
    const std::string text = ReadFile(file);
    if (text.find("kind: ClusterRoleBinding") != std::string::npos ||
        text.find("kind: RoleBinding") != std::string::npos) {
      const std::string name = file.filename().string();
      EXPECT_TRUE(name == "controller-rbac.yaml" || name == "webhook-rbac.yaml" ||
                  Rel(file) == "helm/riposte/templates/tests/verify.yaml")
          << Rel(file) << ": unexpected role binding";
      if (name != "webhook-rbac.yaml") {
        EXPECT_EQ(text.find("-webhook"), std::string::npos) << Rel(file) << ": the webhook must not be bound here";
      }
    }
  }
  const std::string rbac = ReadFile(Repo("helm/riposte/templates/webhook-rbac.yaml"));
  EXPECT_NE(rbac.find("if and .Values.webhook.enabled .Values.webhook.configMaps.enabled"), std::string::npos);
  for (const char* write : {"create", "update", "patch", "delete", "secrets", "\"*\""}) {
    EXPECT_EQ(rbac.find(write), std::string::npos) << "webhook-rbac.yaml grants " << write;
  }
  const std::string webhook = ReadFile(Repo("helm/riposte/templates/webhook-deployment.yaml"));
  EXPECT_NE(webhook.find("automountServiceAccountToken: {{ .Values.webhook.configMaps.enabled }}"), std::string::npos)
      << "webhook-deployment.yaml: the webhook pod mounts a token only for ConfigMap admission";
}

}  // namespace
}  // namespace riposte::deploy_test
