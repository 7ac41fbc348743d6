// The controller for real: `riposte controller` runs locally from the chart's Deployment with a
// TokenRequest token of the chart's ServiceAccount, so the chart's ClusterRole is the RBAC
// under test. Every action runs on real objects (pods bound to a registered Node, the real
// Eviction API with a PodDisruptionBudget, NetworkPolicies, Events), undo runs through spec.revert
// and the finalizer, dry runs change nothing, an alert becomes a ResponseAction and an action,
// and an action disabled in values loses its RBAC and fails with the server's reason.

#include <gtest/gtest.h>

#include "tests/e2e/fixtures.h"
#include "tests/e2e/riposte_local.h"
#include "tests/e2e/suite.h"

namespace riposte::e2e {
namespace {

using web::json::value;
using namespace std::chrono_literals;

const std::string kControllerUser = std::string("system:serviceaccount:") + kReleaseNamespace + ":" + kFullname + "-controller";

std::string PodPath(const std::string& ns, const std::string& pod) { return "/api/v1/namespaces/" + ns + "/pods/" + pod; }

bool Unschedulable(const std::string& node) {
  auto n = Get("/api/v1/nodes/" + node);
  const auto* u = Find(n, {"spec", "unschedulable"});
  return u != nullptr && u->as_bool();
}

std::vector<value> Items(const std::string& path) {
  std::vector<value> out;
  auto list = Get(path);
  if (list.has_field("items"))
    for (const auto& i : list.at("items").as_array()) out.push_back(i);
  return out;
}

// Writes the controller made in `ns` and to `node`, from kube-apiserver's audit log.
std::vector<AuditEvent> ControllerWrites(const std::string& ns, const std::string& node) {
  auto& c = Suite::Get().cluster();
  c.FlushAudit();
  std::vector<AuditEvent> out;
  for (auto& e : c.AuditEvents()) {
    if (e.user != kControllerUser || e.verb == "list") continue;
    if (e.ns != ns && !(e.resource == "nodes" && e.name == node)) continue;
    out.push_back(std::move(e));
  }
  return out;
}

class ControllerActions : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    CreateNode("actions-node");
    controller_ = std::make_unique<LocalController>("actions");
  }
  static void TearDownTestSuite() { controller_.reset(); }
  void TearDown() override {
    if (HasFailure()) std::printf("--- controller log ---\n%s\n", controller_->Log().c_str());
  }
  static value Ra(const std::string& ns, const std::string& name) { return Get(RaPath(ns, name)); }

  static std::unique_ptr<LocalController> controller_;
};
std::unique_ptr<LocalController> ControllerActions::controller_;

TEST_F(ControllerActions, EveryActionSucceedsUnderTheChartRbac) {
  const std::string ns = "actions";
  CreateNamespace(ns);
  auto w = CreateReplicaSet(ns, "web", 3, "actions-node");
  CreatePdb(ns, "web", w.selector, 1, 3, 2);

  CreateResponseAction(ns, "contain", R"({"target":{"pod":")" + w.pods[0] + R"("},"actions":[
      {"type":"annotate","annotations":{"riposte.io/incident":"e2e"}},
      {"type":"label","labels":{"riposte.io/quarantined":"true"},"detach":true},
      {"type":"isolate","allowDNS":true},
      {"type":"event","reason":"ShellContained","message":"contained by the e2e suite"},
      {"type":"cordonNode"}]})");
  ASSERT_TRUE(WaitPhase(ns, "contain", "Succeeded")) << Results(Ra(ns, "contain"));
  auto pod = Get(PodPath(ns, w.pods[0]));
  EXPECT_EQ(Str(pod, {"metadata", "annotations", "riposte.io/incident"}), "e2e");
  EXPECT_EQ(Str(pod, {"metadata", "labels", "riposte.io/quarantined"}), "true");
  EXPECT_EQ(Find(pod, {"metadata", "labels", "app"}), nullptr) << "detached from its ReplicaSet";
  EXPECT_EQ(Find(pod, {"metadata", "labels", "pod-template-hash"}), nullptr);
  auto nps = Items("/apis/networking.k8s.io/v1/namespaces/" + ns + "/networkpolicies");
  ASSERT_EQ(nps.size(), 1u);
  std::string quarantine = Str(pod, {"metadata", "labels", "riposte.io/quarantine"});
  EXPECT_FALSE(quarantine.empty()) << pod.serialize();
  EXPECT_EQ(Str(nps[0], {"spec", "podSelector", "matchLabels", "riposte.io/quarantine"}), quarantine);
  auto events = Items("/api/v1/namespaces/" + ns + "/events?fieldSelector=involvedObject.name%3D" + w.pods[0] +
                      ",reason%3DShellContained");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(Str(events[0], {"message"}), "contained by the e2e suite");
  EXPECT_TRUE(Unschedulable("actions-node"));

  CreateResponseAction(ns, "kill", R"({"target":{"pod":")" + w.pods[1] + R"("},"actions":[{"type":"terminate","gracePeriodSeconds":0}]})");
  ASSERT_TRUE(WaitPhase(ns, "kill", "Succeeded")) << Results(Ra(ns, "kill"));
  EXPECT_EQ(StatusOf(PodPath(ns, w.pods[1])), 404);

  // The real Eviction API: the PDB allows 2 disruptions, the server takes one and deletes the pod.
  CreateResponseAction(ns, "evict", R"({"target":{"pod":")" + w.pods[2] + R"("},"actions":[{"type":"evict","gracePeriodSeconds":0}]})");
  ASSERT_TRUE(WaitPhase(ns, "evict", "Succeeded")) << Results(Ra(ns, "evict"));
  EXPECT_EQ(StatusOf(PodPath(ns, w.pods[2])), 404);
  auto pdb = Get("/apis/policy/v1/namespaces/" + ns + "/poddisruptionbudgets/web");
  EXPECT_EQ(pdb.at("status").at("disruptionsAllowed").as_integer(), 1) << pdb.serialize();
  EXPECT_NE(Find(pdb, {"status", "disruptedPods", w.pods[2].c_str()}), nullptr) << pdb.serialize();

  // Every side effect was made by the chart's ServiceAccount, once.
  auto writes = ControllerWrites(ns, "actions-node");
  auto count = [&](const std::string& verb, const std::string& resource, const std::string& sub = "",
                   const std::string& name = "") {
    int n = 0;
    for (const auto& e : writes)
      if (e.verb == verb && e.resource == resource && e.subresource == sub && e.code < 300 &&
          (name.empty() || e.name == name))
        ++n;
    return n;
  };
  EXPECT_EQ(count("create", "networkpolicies"), 1);
  // The event action's Event (its name derives from the ResponseAction's); the controller's
  // own Events about each ResponseAction come on top.
  EXPECT_EQ(count("create", "events", "", "contain-event-3"), 1);
  EXPECT_EQ(count("delete", "pods"), 1);
  EXPECT_EQ(count("create", "pods", "eviction"), 1);
  EXPECT_EQ(count("patch", "nodes"), 1);
  for (const auto& e : writes) EXPECT_LT(e.code, 400) << e.verb << " " << e.resource << "/" << e.subresource << " " << e.code;
}

TEST_F(ControllerActions, RevertAndDeletionUndoThroughTheFinalizer) {
  const std::string ns = "undo";
  CreateNamespace(ns);
  CreateNode("undo-node");
  auto w = CreateReplicaSet(ns, "api", 2, "undo-node");
  const std::string actions = R"("actions":[{"type":"label","labels":{"riposte.io/quarantined":"true"},"detach":true},
      {"type":"isolate"},{"type":"cordonNode"},{"type":"annotate","annotations":{"riposte.io/incident":"undo"}}])";
  auto check_restored = [&](const std::string& pod_name) {
    auto pod = Get(PodPath(ns, pod_name));
    EXPECT_EQ(Str(pod, {"metadata", "labels", "app"}), "api") << pod.serialize();
    EXPECT_EQ(Str(pod, {"metadata", "labels", "pod-template-hash"}), "e2e");
    EXPECT_EQ(Find(pod, {"metadata", "labels", "riposte.io/quarantined"}), nullptr);
    EXPECT_EQ(Find(pod, {"metadata", "labels", "riposte.io/quarantine"}), nullptr);
    EXPECT_EQ(Find(pod, {"metadata", "annotations", "riposte.io/incident"}), nullptr);
    EXPECT_TRUE(Items("/apis/networking.k8s.io/v1/namespaces/" + ns + "/networkpolicies").empty());
    EXPECT_FALSE(Unschedulable("undo-node"));
  };

  // spec.revert: true
  CreateResponseAction(ns, "revert-me", R"({"target":{"pod":")" + w.pods[0] + R"("},)" + actions + "}");
  ASSERT_TRUE(WaitPhase(ns, "revert-me", "Succeeded")) << Results(Ra(ns, "revert-me"));
  ASSERT_TRUE(Unschedulable("undo-node"));
  auto ra = Ra(ns, "revert-me");
  auto fins = Find(ra, {"metadata", "finalizers"});
  ASSERT_NE(fins, nullptr) << "the controller protects its undo data with a finalizer: " << ra.serialize();
  MergePatch(RaPath(ns, "revert-me"), R"({"spec":{"revert":true}})");
  ASSERT_TRUE(WaitPhase(ns, "revert-me", "Reverted")) << Results(Ra(ns, "revert-me"));
  check_restored(w.pods[0]);

  // Deleting a ResponseAction undoes it before the finalizer lets it go.
  CreateResponseAction(ns, "delete-me", R"({"target":{"pod":")" + w.pods[1] + R"("},)" + actions + "}");
  ASSERT_TRUE(WaitPhase(ns, "delete-me", "Succeeded")) << Results(Ra(ns, "delete-me"));
  ASSERT_TRUE(Unschedulable("undo-node"));
  auto kubectl = Suite::Get().Kubectl({"-n", ns, "delete", "responseaction", "delete-me", "--wait=true", "--timeout=60s"});
  EXPECT_EQ(kubectl.exit_code, 0) << kubectl.Describe();
  EXPECT_EQ(StatusOf(RaPath(ns, "delete-me")), 404) << "finalizer removed after undo";
  check_restored(w.pods[1]);
}

TEST_F(ControllerActions, DryRunChangesNothing) {
  const std::string ns = "dryrun";
  CreateNamespace(ns);
  CreateNode("dryrun-node");
  auto w = CreateReplicaSet(ns, "web", 3, "dryrun-node");
  auto before = Get(PodPath(ns, w.pods[0]));
  CreateResponseAction(ns, "pretend", R"({"target":{"pod":")" + w.pods[0] + R"("},"dryRun":true,"actions":[
      {"type":"terminate"},{"type":"isolate"},{"type":"cordonNode"},{"type":"label","detach":true},{"type":"evict"}]})");
  ASSERT_TRUE(WaitPhase(ns, "pretend", "Succeeded")) << Results(Ra(ns, "pretend"));
  auto ra = Ra(ns, "pretend");
  for (const auto& r : ra.at("status").at("results").as_array()) {
    EXPECT_EQ(Str(r, {"state"}), "DryRun") << Results(ra);
    EXPECT_EQ(Str(r, {"message"}).rfind("dry run; would: ", 0), 0u) << Results(ra);
  }
  auto after = Get(PodPath(ns, w.pods[0]));
  EXPECT_EQ(Str(after, {"metadata", "resourceVersion"}), Str(before, {"metadata", "resourceVersion"})) << "pod untouched";
  EXPECT_FALSE(Unschedulable("dryrun-node"));
  for (const auto& e : ControllerWrites(ns, "dryrun-node"))
    EXPECT_TRUE(e.resource == "responseactions" || e.resource == "events")
        << "a dry run wrote " << e.verb << " " << e.resource << " " << e.name;
  // Events are the controller's record of the ResponseAction, never about the pod.
  for (const auto& ev : Items("/api/v1/namespaces/" + ns + "/events"))
    EXPECT_EQ(Str(ev, {"involvedObject", "kind"}), "ResponseAction") << ev.serialize();
}

TEST_F(ControllerActions, TerminateWithAGracePeriodLeavesThePodTerminatingWithoutAKubelet) {
  // No kubelet confirms the container stopped, so a graceful delete of a bound pod stays
  // Terminating, as it would on a node that is down. The controller's part is done.
  const std::string ns = "graceful";
  CreateNamespace(ns);
  CreateNode("graceful-node");
  auto w = CreateReplicaSet(ns, "web", 3, "graceful-node");
  CreateResponseAction(ns, "graceful", R"({"target":{"pod":")" + w.pods[0] + R"("},"actions":[{"type":"terminate","gracePeriodSeconds":30}]})");
  ASSERT_TRUE(WaitPhase(ns, "graceful", "Succeeded")) << Results(Ra(ns, "graceful"));
  auto pod = Get(PodPath(ns, w.pods[0]));
  EXPECT_FALSE(Str(pod, {"metadata", "deletionTimestamp"}).empty()) << pod.serialize();
  EXPECT_EQ(pod.at("metadata").at("deletionGracePeriodSeconds").as_integer(), 30);
  // What the kubelet would do once the container is gone.
  Suite::Get().cluster().MustApi("DELETE", PodPath(ns, w.pods[0]), R"({"gracePeriodSeconds":0})");
  EXPECT_EQ(StatusOf(PodPath(ns, w.pods[0])), 404);
}

TEST_F(ControllerActions, EvictionRefusedByThePdbFailsWithTheBudgetInTheStatus) {
  const std::string ns = "budget";
  CreateNamespace(ns);
  CreateNode("budget-node");
  auto w = CreateReplicaSet(ns, "web", 2, "budget-node");
  CreatePdb(ns, "web", w.selector, 2, 2, 0);
  CreateResponseAction(ns, "blocked", R"({"target":{"pod":")" + w.pods[0] + R"("},"actions":[{"type":"evict"}]})");
  ASSERT_TRUE(WaitPhase(ns, "blocked", "Failed", 120s)) << Results(Ra(ns, "blocked"));
  auto ra = Ra(ns, "blocked");
  std::string msg = Str(ra.at("status").at("results").at(0), {"message"});
  EXPECT_NE(msg.find("disruption budget"), std::string::npos) << Results(ra);
  EXPECT_EQ(StatusOf(PodPath(ns, w.pods[0])), 200);
}

TEST(ControllerAlerts, AlertOverHttpsBecomesAResponseActionAndIsCarriedOut) {
  // The first Falco event of the corpus names pod shop/web-7d9c8f-abcde on node-1.
  CreateNamespace("shop", {{"riposte.io/respond", "enabled"}});
  CreateNode("node-1");
  auto w = CreateReplicaSet("shop", "web-7d9c8f", 3, "node-1", {"web-7d9c8f-abcde", "web-7d9c8f-fghij", "web-7d9c8f-klmno"});
  LocalController controller("alerts");
  CreateResponsePolicy("contain-shells", R"({"match":{"rules":["Terminal shell in container"],"minPriority":"Notice",
      "namespaceSelector":{"matchLabels":{"riposte.io/respond":"enabled"}}},
      "actions":[{"type":"isolate","allowDNS":true},{"type":"cordonNode"},{"type":"terminate","gracePeriodSeconds":0}],
      "guards":{"cooldownSeconds":300}})");
  ASSERT_TRUE(WaitPolicyCompiled("contain-shells")) << controller.Log();
  auto r = controller.PostAlert(FalcoEvent(0));
  ASSERT_EQ(r.status, 201) << r.body << controller.Log();
  std::string name = Str(Json(r.body).at("responses").at(0), {"responseAction"});
  ASSERT_FALSE(name.empty()) << r.body;
  ASSERT_TRUE(WaitPhase("shop", name, "Succeeded")) << Results(Get(RaPath("shop", name))) << controller.Log();
  auto ra = Get(RaPath("shop", name));
  EXPECT_EQ(Str(ra, {"spec", "policyRef", "name"}), "contain-shells");
  EXPECT_EQ(Str(ra, {"spec", "alert", "rule"}), "Terminal shell in container");
  EXPECT_EQ(StatusOf(PodPath("shop", "web-7d9c8f-abcde")), 404);
  EXPECT_TRUE(Unschedulable("node-1"));
  EXPECT_EQ(Items("/apis/networking.k8s.io/v1/namespaces/shop/networkpolicies").size(), 1u);
  // The same alert again is within the cooldown: answered, not acted on twice.
  auto again = controller.PostAlert(FalcoEvent(0));
  EXPECT_LT(again.status, 300) << again.body;
  EXPECT_EQ(Items(RaPath("shop")).size(), 1u);
  // A wrong token is refused.
  EXPECT_EQ(controller.PostAlert(FalcoEvent(0), "not-the-token-0123456789").status, 401);
  // kubectl shows the response with the CRD's printer columns.
  auto get = Suite::Get().Kubectl({"-n", "shop", "get", "responseactions"});
  EXPECT_NE(get.out.find("PHASE"), std::string::npos) << get.Describe();
  EXPECT_NE(get.out.find("Succeeded"), std::string::npos) << get.out;
  EXPECT_NE(get.out.find("web-7d9c8f-abcde"), std::string::npos) << get.out;
}

TEST(ControllerRbac, DisabledActionLosesItsRbacAndFailsWithTheServersReason) {
  auto& suite = Suite::Get();
  struct Restore {
    ~Restore() {
      try {
        Suite::Get().UpgradeRelease({"--set", "controller.actions.terminate=true"});
      } catch (const std::exception& e) {
        ADD_FAILURE() << e.what();
      }
    }
  } restore;
  suite.UpgradeRelease({"--set", "controller.actions.terminate=false"});
  auto role = Get(std::string("/apis/rbac.authorization.k8s.io/v1/clusterroles/") + kFullname + "-controller");
  for (const auto& rule : role.at("rules").as_array()) {
    bool pods = false, del = false;
    for (const auto& r : rule.at("resources").as_array()) pods |= r.as_string() == "pods";
    for (const auto& v : rule.at("verbs").as_array()) del |= v.as_string() == "delete";
    EXPECT_FALSE(pods && del) << "delete on pods is gone: " << rule.serialize();
  }
  CreateNamespace("disabled");
  CreateNode("disabled-node");
  auto w = CreateReplicaSet("disabled", "web", 3, "disabled-node");
  LocalController controller("disabled");
  // RBAC changes reach the authorizer through its informers: wait until they have.
  ASSERT_TRUE(Eventually([&] { return !suite.cluster().Can(controller.pod().token, "delete", "", "pods", "disabled"); }, 30s));
  EXPECT_TRUE(suite.cluster().Can(controller.pod().token, "patch", "", "pods", "disabled")) << "label etc. still allowed";
  CreateResponseAction("disabled", "no-terminate", R"({"target":{"pod":")" + w.pods[0] + R"("},"actions":[
      {"type":"annotate","annotations":{"riposte.io/incident":"rbac"}},{"type":"terminate","gracePeriodSeconds":0}]})");
  ASSERT_TRUE(WaitPhase("disabled", "no-terminate", "Failed", 120s)) << Results(Get(RaPath("disabled", "no-terminate")));
  auto ra = Get(RaPath("disabled", "no-terminate"));
  const auto& results = ra.at("status").at("results");
  EXPECT_EQ(Str(results.at(0), {"state"}), "Succeeded") << Results(ra);
  EXPECT_EQ(Str(results.at(1), {"state"}), "Failed") << Results(ra);
  std::string msg = Str(results.at(1), {"message"});
  EXPECT_NE(msg.find("Forbidden"), std::string::npos) << msg;
  EXPECT_NE(msg.find("User \"" + kControllerUser + "\" cannot delete resource \"pods\""), std::string::npos) << msg;
  EXPECT_EQ(StatusOf(PodPath("disabled", w.pods[0])), 200);
}

// ConfigMap admission (webhook.configMaps, on by default) reads Ingresses and ConfigMaps;
// the webhook may do nothing else.
TEST(ControllerRbac, WebhookServiceAccountOnlyReadsIngressesAndConfigMaps) {
  auto& c = Suite::Get().cluster();
  std::string token = c.CreateToken(kReleaseNamespace, std::string(kFullname) + "-webhook");
  for (const char* resource : {"pods", "secrets", "namespaces"})
    EXPECT_FALSE(c.Can(token, "list", "", resource)) << resource;
  for (const char* verb : {"get", "list", "watch"}) {
    EXPECT_TRUE(c.Can(token, verb, "", "configmaps")) << verb;
    EXPECT_TRUE(c.Can(token, verb, "networking.k8s.io", "ingresses")) << verb;
  }
  for (const char* verb : {"create", "update", "patch", "delete"}) {
    EXPECT_FALSE(c.Can(token, verb, "", "configmaps")) << verb;
    EXPECT_FALSE(c.Can(token, verb, "networking.k8s.io", "ingresses")) << verb;
  }
  EXPECT_EQ(c.Api("GET", "/api/v1/namespaces", "", "", token).status, 403);
}

}  // namespace
}  // namespace riposte::e2e
