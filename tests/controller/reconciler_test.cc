// The ResponseAction state machine against the in-memory kube client: full run, dry run,
// retries, resume after a crash, revert, deletion with finalizer, invalid specs.

#include <gtest/gtest.h>

#include "controller/actions/isolate.h"
#include "common/json_value.h"
#include "controller/reconciler.h"
#include "common/json_value.h"
#include "controller/response_action.h"
#include "kube/resource.h"
#include "tests/fakes/fake_kube_client.h"

namespace riposte::controller {
namespace {

using web::json::value;
namespace res = kube::resources;

class ReconcilerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fake = std::make_shared<fakes::FakeKubeClient>();
    fake->Seed(res::kNodes, value::parse(R"({"apiVersion":"v1","kind":"Node","metadata":{"name":"node-1","labels":{}},"spec":{}})"));
    fake->Seed(res::kReplicaSets, value::parse(R"({"apiVersion":"apps/v1","kind":"ReplicaSet",
      "metadata":{"name":"web-7d9c8f","namespace":"shop"},
      "spec":{"selector":{"matchLabels":{"app":"web","pod-template-hash":"7d9c8f"}}},"status":{"readyReplicas":3}})"));
    fake->Seed(res::kPods, value::parse(R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"web-1","namespace":"shop",
      "labels":{"app":"web","pod-template-hash":"7d9c8f"},
      "ownerReferences":[{"apiVersion":"apps/v1","kind":"ReplicaSet","name":"web-7d9c8f","uid":"rs-1","controller":true}]},
      "spec":{"nodeName":"node-1"},"status":{"conditions":[{"type":"Ready","status":"True"}]}})"));
    reconciler = std::make_unique<Reconciler>(Deps());
  }

  ReconcilerDeps Deps() {
    ReconcilerDeps deps;
    deps.client = fake;
    deps.get_cached = [this](const std::string& ns, const std::string& name) -> std::shared_ptr<const value> {
      auto o = fake->Peek(res::kResponseActions, ns, name);
      return o ? std::make_shared<const value>(*o) : nullptr;
    };
    deps.registry = &BuiltinActions();
    deps.now = [this] { return clock; };
    deps.on_action = [this](const std::string& type, const std::string& result, std::optional<double>) {
      results.push_back(type + ":" + result);
    };
    return deps;
  }

  void SeedAction(const std::string& actions, bool dry_run = false) {
    auto ra = value::object();
    ra["apiVersion"] = value::string("riposte.io/v1alpha1");
    ra["kind"] = value::string("ResponseAction");
    ra["metadata"] = value::parse(R"({"name":"ra-1","namespace":"shop","finalizers":["riposte.io/undo"]})");
    ra["spec"] = value::object();
    ra["spec"]["target"] = value::parse(R"({"pod":"web-1"})");
    ra["spec"]["actions"] = value::parse(actions);
    ra["spec"]["dryRun"] = value::boolean(dry_run);
    fake->Seed(res::kResponseActions, ra);
  }

  // Reconciles until nothing is requeued (bounded).
  int Converge(int max = 20) {
    for (int i = 1; i <= max; ++i)
      if (!reconciler->Reconcile("shop/ra-1").requeue) return i;
    return -1;
  }

  value RA() { return fake->Peek(res::kResponseActions, "shop", "ra-1").value(); }
  std::string Phase() { return json::GetString(RA(), {"status", "phase"}).value_or(""); }
  size_t Writes(const std::string& resource) {
    size_t n = 0;
    for (const char* verb : {"create", "update", "patch", "delete", "evict"}) n += fake->ActionsFor(verb, resource).size();
    return n;
  }
  void Patch(const std::string& patch) {
    ASSERT_TRUE(fake->Patch(res::kResponseActions, "shop", "ra-1", value::parse(patch)).ok());
  }

  std::shared_ptr<fakes::FakeKubeClient> fake;
  std::unique_ptr<Reconciler> reconciler;
  std::vector<std::string> results;
  std::chrono::system_clock::time_point clock = std::chrono::system_clock::now();
};

constexpr const char* kContain =
    R"([{"type":"isolate"},{"type":"label","labels":{"riposte.io/quarantined":"true"},"detach":true},{"type":"cordonNode"},{"type":"event"}])";

TEST_F(ReconcilerTest, RunsEveryActionAndRecordsResults) {
  SeedAction(R"([{"type":"isolate"},{"type":"cordonNode"},{"type":"terminate","gracePeriodSeconds":0}])");
  EXPECT_GT(Converge(), 0);
  EXPECT_EQ(Phase(), "Succeeded");
  EXPECT_FALSE(fake->Peek(res::kPods, "shop", "web-1").has_value()) << "pod deleted";
  auto np = fake->Peek(res::kNetworkPolicies, "shop", IsolateAction::PolicyName("ra-1"));
  ASSERT_TRUE(np.has_value());
  EXPECT_EQ(np->at("spec").at("podSelector").at("matchLabels").at("riposte.io/quarantine").as_string(), "ra-1");
  EXPECT_EQ(np->at("spec").at("ingress").size(), 0u);
  EXPECT_TRUE(fake->Peek(res::kNodes, "", "node-1")->at("spec").at("unschedulable").as_bool());
  auto ra = RA();
  const auto& rs = ra.at("status").at("results");
  ASSERT_EQ(rs.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(rs.at(i).at("state").as_string(), "Succeeded") << i;
    EXPECT_EQ(rs.at(i).at("attempts").as_integer(), 1) << i;
    EXPECT_TRUE(rs.at(i).has_field("completionTime"));
  }
  EXPECT_EQ(ra.at("status").at("node").as_string(), "node-1");
  EXPECT_GE(fake->ActionsFor("create", "events").size(), 1u);
  // Level-based: reconciling a finished response again changes nothing.
  fake->ClearActions();
  EXPECT_EQ(Converge(), 1);
  EXPECT_EQ(Writes("pods") + Writes("nodes") + Writes("networkpolicies.networking.k8s.io"), 0u);
}

TEST_F(ReconcilerTest, DryRunRecordsWhatWouldBeDoneAndChangesNothing) {
  SeedAction(R"([{"type":"isolate"},{"type":"cordonNode"},{"type":"terminate"}])", true);
  EXPECT_GT(Converge(), 0);
  EXPECT_EQ(Phase(), "Succeeded");
  EXPECT_EQ(Writes("pods") + Writes("nodes") + Writes("networkpolicies.networking.k8s.io"), 0u);
  auto rs = RA().at("status").at("results");
  EXPECT_EQ(rs.at(0).at("state").as_string(), "DryRun");
  EXPECT_NE(rs.at(0).at("message").as_string().find("POST /apis/networking.k8s.io/v1/namespaces/shop/networkpolicies"),
            std::string::npos);
  EXPECT_NE(rs.at(2).at("message").as_string().find("DELETE /api/v1/namespaces/shop/pods/web-1"), std::string::npos);
}

TEST_F(ReconcilerTest, RetryableErrorsAreRetriedWithoutDuplicateSideEffects) {
  SeedAction(R"([{"type":"isolate"},{"type":"terminate"}])");
  fake->FailNext("create", "networkpolicies.networking.k8s.io", kube::ErrorFromResponse(500, ""), 1);
  fake->FailNext("delete", "pods", kube::ErrorFromResponse(429, "", "1"), 2);
  EXPECT_TRUE(reconciler->Reconcile("shop/ra-1").requeue);
  EXPECT_EQ(Phase(), "Running");
  EXPECT_NE(RA().at("status").at("results").at(0).at("message").as_string().find("500"), std::string::npos);
  EXPECT_GT(Converge(), 0);
  EXPECT_EQ(Phase(), "Succeeded");
  auto rs = RA().at("status").at("results");
  EXPECT_EQ(rs.at(0).at("attempts").as_integer(), 2);
  EXPECT_EQ(rs.at(1).at("attempts").as_integer(), 3);
  EXPECT_EQ(fake->Count(res::kNetworkPolicies), 1u);
  EXPECT_FALSE(fake->Peek(res::kPods, "shop", "web-1").has_value());
}

// Alert-to-action latency is a chain of API round trips. Nothing is written before the first
// side effect (no "intent" write: the actions are idempotent), and each result is written
// once: a one-action response costs one pod read, the action and one status write.
TEST_F(ReconcilerTest, FirstSideEffectFollowsOnePodReadAndEachResultIsWrittenOnce) {
  SeedAction(R"([{"type":"event"}])");
  EXPECT_GT(Converge(), 0);
  EXPECT_EQ(Phase(), "Succeeded");
  std::vector<std::string> calls;
  for (const auto& a : fake->Actions()) calls.push_back(a.verb + " " + a.resource);
  ASSERT_GE(calls.size(), 3u) << ::testing::PrintToString(calls);
  EXPECT_EQ(calls[0], "get pods");
  EXPECT_EQ(calls[1], "create events");
  EXPECT_EQ(calls[2], "update-status responseactions.riposte.io");
  auto writes = fake->ActionsFor("update-status", "responseactions.riposte.io");
  ASSERT_EQ(writes.size(), 1u);
  const auto& st = writes[0].body.at("status");
  EXPECT_EQ(st.at("phase").as_string(), "Succeeded");
  EXPECT_EQ(st.at("node").as_string(), "node-1");
  EXPECT_EQ(st.at("results").at(0).at("state").as_string(), "Succeeded");
  EXPECT_EQ(st.at("results").at(0).at("attempts").as_integer(), 1);

}

// Two actions: the first result is written before the second side effect, the second together
// with the final phase; the second action reads the pod again (the first may have changed it).
// With the pod read while the ResponseAction was being created, acting starts with the first
// action: no read before it.
TEST_F(ReconcilerTest, APrefetchedPodSavesTheFirstRead) {
  SeedAction(R"([{"type":"event"}])");
  ReconcilerDeps deps;
  deps.client = fake;
  deps.get_cached = [this](const std::string& ns, const std::string& name) -> std::shared_ptr<const value> {
    auto o = fake->Peek(res::kResponseActions, ns, name);
    return o ? std::make_shared<const value>(*o) : nullptr;
  };
  deps.registry = &BuiltinActions();
  int asked = 0;
  deps.prefetched_pod = [&](const std::string& ns, const std::string& pod) {
    ++asked;
    return std::optional<std::optional<value>>(fake->Peek(res::kPods, ns, pod));
  };
  Reconciler r(deps);
  EXPECT_FALSE(r.Reconcile("shop/ra-1").requeue);
  EXPECT_EQ(Phase(), "Succeeded");
  EXPECT_EQ(asked, 1);
  EXPECT_TRUE(fake->ActionsFor("get", "pods").empty());
  EXPECT_EQ(fake->Actions().at(0).verb + " " + fake->Actions().at(0).resource, "create events");
  EXPECT_EQ(RA().at("status").at("node").as_string(), "node-1") << "the node comes from the prefetched pod";
}

TEST_F(ReconcilerTest, ResultsAreWrittenBeforeTheNextSideEffectAndWithTheFinalPhase) {
  SeedAction(R"([{"type":"event"},{"type":"event","reason":"Second"}])");
  EXPECT_GT(Converge(), 0);
  EXPECT_EQ(Phase(), "Succeeded");
  auto w2 = fake->ActionsFor("update-status", "responseactions.riposte.io");
  ASSERT_EQ(w2.size(), 2u);
  EXPECT_EQ(w2[0].body.at("status").at("phase").as_string(), "Running");
  EXPECT_EQ(w2[0].body.at("status").at("results").at(0).at("state").as_string(), "Succeeded");
  EXPECT_EQ(w2[0].body.at("status").at("results").at(1).at("state").as_string(), "Pending");
  EXPECT_EQ(w2[1].body.at("status").at("phase").as_string(), "Succeeded");
  EXPECT_EQ(w2[1].body.at("status").at("results").at(1).at("state").as_string(), "Succeeded");
  EXPECT_EQ(fake->ActionsFor("get", "pods").size(), 2u);
}

TEST_F(ReconcilerTest, ResumesARunningResponseAfterACrashWithoutRepeatingWork) {
  SeedAction(kContain);
  // First controller: starts, records intent for isolate, creates the policy, then dies
  // before recording success (the status write fails as if the process were killed).
  int status_writes = 0;
  fake->AddReactor([&](const fakes::Action& a) -> std::optional<kube::Result<value>> {
    if (a.verb == "update-status" && a.resource == "responseactions.riposte.io" && ++status_writes == 2)
      return kube::Result<value>(kube::ErrorFromResponse(503, ""));
    return std::nullopt;
  });
  EXPECT_TRUE(reconciler->Reconcile("shop/ra-1").requeue);
  EXPECT_EQ(Phase(), "Running");
  EXPECT_EQ(fake->ActionsFor("create", "networkpolicies.networking.k8s.io").size(), 1u);
  // Second controller (fresh reconciler, same API state) finishes.
  EXPECT_GT(Converge(), 0);
  EXPECT_EQ(Phase(), "Succeeded");
  EXPECT_EQ(fake->ActionsFor("create", "networkpolicies.networking.k8s.io").size(), 1u) << "no second create";
  EXPECT_EQ(fake->ActionsFor("create", "events").size() >= 1, true);
  auto pod = fake->Peek(res::kPods, "shop", "web-1").value();
  auto labels = json::GetStringMap(pod, {"metadata", "labels"});
  EXPECT_EQ(labels.count("app"), 0u) << "detached";
  EXPECT_EQ(labels["riposte.io/quarantined"], "true");
  EXPECT_EQ(labels["riposte.io/quarantine"], "ra-1");
}

// The controller dies after its first side effects, before any status was written: the next
// one repeats nothing, and a later revert still restores what the first one changed (the
// undo record travelled with the change, on the pod).
TEST_F(ReconcilerTest, CrashBeforeTheFirstStatusWriteIsResumedAndRevertedExactly) {
  SeedAction(R"([{"type":"isolate"},{"type":"label","detach":true},{"type":"event"}])");
  int status_writes = 0;
  fake->AddReactor([&](const fakes::Action& a) -> std::optional<kube::Result<value>> {
    if (a.verb == "update-status" && a.resource == "responseactions.riposte.io" && ++status_writes == 1)
      return kube::Result<value>(kube::ErrorFromResponse(503, ""));
    return std::nullopt;
  });
  EXPECT_TRUE(reconciler->Reconcile("shop/ra-1").requeue);
  EXPECT_EQ(Phase(), "") << "nothing reached status";
  EXPECT_EQ(fake->Count(res::kNetworkPolicies), 1u);
  EXPECT_EQ(json::GetStringMap(fake->Peek(res::kPods, "shop", "web-1").value(), {"metadata", "labels"}).count("riposte.io/quarantine"), 1u);
  EXPECT_GT(Converge(), 0);
  EXPECT_EQ(Phase(), "Succeeded");
  EXPECT_EQ(fake->ActionsFor("create", "networkpolicies.networking.k8s.io").size(), 1u) << "no second create";
  EXPECT_EQ(fake->ActionsFor("patch", "pods").size(), 2u) << "isolate label and detach, once each";
  auto labels = json::GetStringMap(fake->Peek(res::kPods, "shop", "web-1").value(), {"metadata", "labels"});
  EXPECT_EQ(labels.count("app"), 0u) << "detached";
  Patch(R"({"spec":{"revert":true}})");
  EXPECT_GT(Converge(), 0);
  EXPECT_EQ(Phase(), "Reverted");
  EXPECT_EQ(fake->Count(res::kNetworkPolicies), 0u);
  auto pod = fake->Peek(res::kPods, "shop", "web-1").value();
  EXPECT_EQ(json::GetStringMap(pod, {"metadata", "labels"}),
            (std::map<std::string, std::string>{{"app", "web"}, {"pod-template-hash", "7d9c8f"}}));
  EXPECT_TRUE(json::GetStringMap(pod, {"metadata", "annotations"}).empty()) << "undo records removed";
}

// Deleting a response whose results never reached status still undoes what it did.
TEST_F(ReconcilerTest, DeletionUndoesActionsWhoseResultWasNeverWritten) {
  SeedAction(R"([{"type":"isolate"}])");
  fake->FailNext("update-status", "responseactions.riposte.io", kube::ErrorFromResponse(503, ""), 1);
  EXPECT_TRUE(reconciler->Reconcile("shop/ra-1").requeue);
  ASSERT_EQ(fake->Count(res::kNetworkPolicies), 1u);
  ASSERT_TRUE(fake->Delete(res::kResponseActions, "shop", "ra-1").ok());
  EXPECT_GT(Converge(), 0);
  EXPECT_FALSE(fake->Peek(res::kResponseActions, "shop", "ra-1").has_value());
  EXPECT_EQ(fake->Count(res::kNetworkPolicies), 0u);
  EXPECT_EQ(json::GetStringMap(fake->Peek(res::kPods, "shop", "web-1").value(), {"metadata", "labels"}).count("riposte.io/quarantine"), 0u);
}

// Losing the right to act (leadership) stops a response between two requests, without
// writing anything.
TEST_F(ReconcilerTest, StopsBetweenRequestsOnceItMayNoLongerAct) {
  SeedAction(R"([{"type":"isolate"},{"type":"cordonNode"}])");
  bool may_act = true;
  ReconcilerDeps deps;
  deps.client = fake;
  deps.get_cached = [this](const std::string& ns, const std::string& name) -> std::shared_ptr<const value> {
    auto o = fake->Peek(res::kResponseActions, ns, name);
    return o ? std::make_shared<const value>(*o) : nullptr;
  };
  deps.registry = &BuiltinActions();
  deps.may_act = [&] { return may_act; };
  Reconciler r(deps);
  // The leader loses its lease while the NetworkPolicy is being created.
  fake->AddReactor([&](const fakes::Action& a) -> std::optional<kube::Result<value>> {
    if (a.verb == "create" && a.resource == "networkpolicies.networking.k8s.io") may_act = false;
    return std::nullopt;
  });
  auto result = r.Reconcile("shop/ra-1");
  EXPECT_TRUE(result.stopped);
  EXPECT_FALSE(result.requeue);
  EXPECT_EQ(fake->ActionsFor("patch", "pods").size(), 0u) << "the label patch after the policy is not sent";
  EXPECT_EQ(fake->ActionsFor("patch", "nodes").size(), 0u);
  EXPECT_EQ(fake->ActionsFor("update-status").size(), 0u);
}

TEST_F(ReconcilerTest, RevertUndoesReversibleActions) {
  SeedAction(kContain);
  ASSERT_GT(Converge(), 0);
  ASSERT_EQ(Phase(), "Succeeded");
  Patch(R"({"spec":{"revert":true}})");
  EXPECT_GT(Converge(), 0);
  EXPECT_EQ(Phase(), "Reverted");
  EXPECT_EQ(fake->Count(res::kNetworkPolicies), 0u);
  auto pod = fake->Peek(res::kPods, "shop", "web-1").value();
  EXPECT_EQ(json::GetStringMap(pod, {"metadata", "labels"}),
            (std::map<std::string, std::string>{{"app", "web"}, {"pod-template-hash", "7d9c8f"}}));
  auto node = fake->Peek(res::kNodes, "", "node-1").value();
  EXPECT_FALSE(json::GetBool(node, {"spec", "unschedulable"}).value_or(false));
  EXPECT_EQ(json::GetStringMap(node, {"metadata", "labels"}).count("riposte.io/cordoned-by"), 0u);
}

TEST_F(ReconcilerTest, DeletionUndoesThenReleasesTheFinalizer) {
  SeedAction(R"([{"type":"isolate"}])");
  ASSERT_GT(Converge(), 0);
  ASSERT_EQ(fake->Count(res::kNetworkPolicies), 1u);
  ASSERT_TRUE(fake->Delete(res::kResponseActions, "shop", "ra-1").ok());
  ASSERT_TRUE(fake->Peek(res::kResponseActions, "shop", "ra-1").has_value()) << "held by the finalizer";
  EXPECT_GT(Converge(), 0);
  EXPECT_FALSE(fake->Peek(res::kResponseActions, "shop", "ra-1").has_value());
  EXPECT_EQ(fake->Count(res::kNetworkPolicies), 0u);
  EXPECT_EQ(json::GetStringMap(fake->Peek(res::kPods, "shop", "web-1").value(), {"metadata", "labels"}).count("riposte.io/quarantine"), 0u);
}

TEST_F(ReconcilerTest, InvalidSpecIsReportedAsACondition) {
  SeedAction(R"([{"type":"terminate","gracePeriodSeconds":"now"}])");
  EXPECT_GT(Converge(), 0);
  EXPECT_EQ(Phase(), "Failed");
  bool invalid = false;
  const value ra = RA();
  for (const auto& c : ra.at("status").at("conditions").as_array())
    if (c.at("type").as_string() == "Invalid") {
      invalid = c.at("status").as_string() == "True";
      EXPECT_NE(c.at("message").as_string().find("gracePeriodSeconds"), std::string::npos);
    }
  EXPECT_TRUE(invalid);
  EXPECT_TRUE(fake->Peek(res::kPods, "shop", "web-1").has_value());
}

TEST_F(ReconcilerTest, TerminalErrorFailsWithoutRetrying) {
  SeedAction(R"([{"type":"terminate"},{"type":"cordonNode"}])");
  fake->FailNext("delete", "pods", kube::ErrorFromResponse(403, ""), 1);
  EXPECT_GT(Converge(), 0);
  EXPECT_EQ(Phase(), "Failed");
  EXPECT_EQ(fake->ActionsFor("delete", "pods").size(), 1u);
  EXPECT_EQ(fake->ActionsFor("patch", "nodes").size(), 0u) << "later actions do not run after a failure";
}

TEST_F(ReconcilerTest, GuardSkipsStandalonePodTermination) {
  fake->Seed(res::kPods, value::parse(R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"solo","namespace":"shop"},"spec":{}})"));
  auto ra = value::parse(R"({"apiVersion":"riposte.io/v1alpha1","kind":"ResponseAction",
    "metadata":{"name":"ra-1","namespace":"shop"},"spec":{"target":{"pod":"solo"},"actions":[{"type":"terminate"}]}})");
  fake->Seed(res::kResponseActions, ra);
  EXPECT_GT(Converge(), 0);
  EXPECT_EQ(Phase(), "Succeeded");
  EXPECT_EQ(RA().at("status").at("results").at(0).at("state").as_string(), "Skipped");
  EXPECT_TRUE(fake->Peek(res::kPods, "shop", "solo").has_value());
  EXPECT_EQ(RA().at("metadata").at("finalizers").at(0).as_string(), kFinalizer) << "hand-made RA gets the finalizer";
}

}  // namespace
}  // namespace riposte::controller

namespace riposte::controller {
namespace {

// In-container actions through the reconciler: evidence first, then the kill, each outcome
// recorded in status.results, and a dry run that execs nothing.
class InContainerReconcileTest : public ReconcilerTest {
 protected:
  void SeedAlertAction(bool dry_run, int grace_seconds = 0) {
    SeedAction(R"([{"type":"captureEvidence"},{"type":"killProcess","graceSeconds":)" + std::to_string(grace_seconds) + "}]",
               dry_run);
    auto ra = RA();
    ra["spec"]["alert"] = value::parse(R"({"rule":"Drop and execute new binary in container","priority":"Critical",
      "source":"syscall","time":"2026-11-28T10:00:00Z","tags":[],
      "fields":{"proc.vpid":"42","proc.exepath":"/tmp/xmrig","proc.name":"xmrig"}})");
    ASSERT_TRUE(fake->Update(res::kResponseActions, "shop", ra).ok());
    auto pod = fake->Peek(res::kPods, "shop", "web-1").value();
    pod["spec"]["containers"] = value::parse(R"([{"name":"app"}])");
    ASSERT_TRUE(fake->Update(res::kPods, "shop", pod).ok());
    fake->SetLogsHandler([](const std::string&, const std::string&, const kube::LogOptions&) {
      kube::LogResult r;
      r.data = "GET / 200\n";
      return kube::Result<kube::LogResult>(r);
    });
    fake->SetExecHandler([this](const std::string&, const std::string&, const std::string&,
                                const std::vector<std::string>& argv) -> kube::Result<kube::ExecResult> {
      kube::ExecResult r;
      if (argv[0] == "cat") {
        if (killed) {
          r.exit_code = 1;
          r.stderr_data = "No such file or directory";
        } else {
          r.stdout_data = "42 (xmrig) S 1 1 1 0 -1 4 0 0 0 0 0 0 0 0 20 0 1 0 777 0 0\n";
        }
      } else if (argv[0] == "readlink") {
        r.stdout_data = "/tmp/xmrig\n";
      } else if (argv[0] == "kill") {
        kills.push_back(argv[1]);
        killed = !ignores_term || argv[1] == "-KILL";
      }
      return r;
    });
  }
  // The reconcile ended right after TERM: a short requeue, action `index` Running in status
  // with its pending step recorded.
  value ExpectPendingAfterTerm(const ReconcileResult& r, size_t index) {
    EXPECT_TRUE(r.error.empty()) << r.error;
    EXPECT_TRUE(r.requeue);
    EXPECT_GT(r.after.count(), 0);
    EXPECT_LE(r.after, std::chrono::seconds(1));
    EXPECT_EQ(kills, (std::vector<std::string>{"-TERM"}));
    EXPECT_EQ(Phase(), "Running");
    value res = RA().at("status").at("results").at(index);
    EXPECT_EQ(res.at("state").as_string(), "Running");
    EXPECT_EQ(res.at("undo").at("step").as_string(), "termSent");
    return res;
  }
  bool killed = false;
  bool ignores_term = false;
  std::vector<std::string> kills;
};

// The grace period between TERM and KILL does not hold the worker: the reconcile returns a
// delayed requeue with the pending step in status, and a later reconcile sends KILL.
TEST_F(InContainerReconcileTest, GracePeriodIsARequeueNotAWait) {
  SeedAlertAction(false, 30);
  ignores_term = true;
  ReconcileResult r = reconciler->Reconcile("shop/ra-1");
  value res = ExpectPendingAfterTerm(r, 1);
  EXPECT_EQ(res.at("undo").at("starttime").as_string(), "777");
  EXPECT_NE(res.at("message").as_string().find("KILL at"), std::string::npos) << res.at("message").as_string();
  // Early reconciles (the status write's own watch event) keep waiting.
  r = reconciler->Reconcile("shop/ra-1");
  EXPECT_GT(r.after.count(), 0);
  EXPECT_EQ(kills, (std::vector<std::string>{"-TERM"}));
  // A fresh reconciler (a restarted controller) picks the step up from status once it is due.
  clock += std::chrono::seconds(31);
  Reconciler restarted(Deps());
  r = restarted.Reconcile("shop/ra-1");
  EXPECT_EQ(r.after.count(), 0);
  EXPECT_FALSE(r.requeue) << r.error;
  EXPECT_EQ(kills, (std::vector<std::string>{"-TERM", "-KILL"}));
  EXPECT_EQ(Phase(), "Succeeded");
  EXPECT_NE(RA().at("status").at("results").at(1).at("message").as_string().find("killed with KILL"), std::string::npos);
  EXPECT_EQ(RA().at("status").at("results").at(1).at("attempts").as_integer(), 1) << "resuming is not a new attempt";
}

// killContainer's wait for the restart does not hold the worker either: the reconcile returns
// right after TERM, and a later one reads the pod, sees the restart and records it. The
// restarted container no longer has the alert's container.id, so only the record can name it.
TEST_F(InContainerReconcileTest, ContainerRestartIsAwaitedByRequeue) {
  SeedAction(R"([{"type":"killContainer","timeoutSeconds":60}])");
  auto ra = RA();
  ra["spec"]["alert"] = value::parse(R"({"rule":"Terminal shell in container","priority":"Warning",
    "source":"syscall","time":"2026-11-28T10:00:00Z","tags":[],"fields":{"container.id":"0123456789ab"}})");
  ASSERT_TRUE(fake->Update(res::kResponseActions, "shop", ra).ok());
  auto pod = fake->Peek(res::kPods, "shop", "web-1").value();
  pod["metadata"]["uid"] = value::string("pod-uid-1");
  pod["spec"]["containers"] = value::parse(R"([{"name":"app"},{"name":"side"}])");
  pod["status"]["containerStatuses"] = value::parse(R"([
    {"name":"app","containerID":"containerd://0123456789abcdef0123","restartCount":0},
    {"name":"side","containerID":"containerd://fedcba9876543210fedc","restartCount":0}])");
  ASSERT_TRUE(fake->Update(res::kPods, "shop", pod).ok());
  fake->SetExecHandler([this](const std::string&, const std::string&, const std::string& container,
                              const std::vector<std::string>& argv) -> kube::Result<kube::ExecResult> {
    EXPECT_EQ(container, "app");
    kube::ExecResult r;
    if (argv[0] == "cat") r.stdout_data = "Name:\tnginx\nSigCgt:\t0000000000004000\n";
    else kills.push_back(argv[1]);
    return r;
  });

  ReconcileResult r = reconciler->Reconcile("shop/ra-1");
  value result = ExpectPendingAfterTerm(r, 0);
  EXPECT_EQ(result.at("undo").at("restartCountBefore").as_integer(), 0);
  EXPECT_NE(result.at("message").as_string().find("waiting until"), std::string::npos) << result.at("message").as_string();

  // Not restarted yet: another short requeue.
  r = reconciler->Reconcile("shop/ra-1");
  EXPECT_TRUE(r.requeue);
  EXPECT_GT(r.after.count(), 0);

  // The kubelet restarts the container; a fresh reconciler (a restarted controller) finds it.
  pod = fake->Peek(res::kPods, "shop", "web-1").value();
  pod["status"]["containerStatuses"][0]["restartCount"] = value::number(1);
  pod["status"]["containerStatuses"][0]["containerID"] = value::string("containerd://99999999999999999999");
  pod["status"]["containerStatuses"][0]["lastState"] = value::parse(R"({"terminated":{"exitCode":143,"reason":"Error"}})");
  ASSERT_TRUE(fake->UpdateStatus(res::kPods, "shop", pod).ok());
  clock += std::chrono::seconds(2);
  Reconciler restarted(Deps());
  r = restarted.Reconcile("shop/ra-1");
  EXPECT_FALSE(r.requeue) << r.error;
  EXPECT_EQ(Phase(), "Succeeded");
  result = RA().at("status").at("results").at(0);
  EXPECT_EQ(result.at("state").as_string(), "Succeeded") << result.at("message").as_string();
  EXPECT_NE(result.at("message").as_string().find("restartCount 1"), std::string::npos) << result.at("message").as_string();
  EXPECT_EQ(result.at("undo").at("restartCount").as_integer(), 1);
  EXPECT_EQ(result.at("undo").at("containerId").as_string(), "containerd://99999999999999999999");
  EXPECT_EQ(result.at("attempts").as_integer(), 1) << "resuming is not a new attempt";
  EXPECT_EQ(kills, (std::vector<std::string>{"-TERM"})) << "TERM is never sent twice";
  EXPECT_EQ(fake->ExecCalls().size(), 2u);
}

// Past the deadline without a restart: the action fails as before, from the status record.
TEST_F(InContainerReconcileTest, ContainerNotRestartedByTheDeadlineFails) {
  SeedAction(R"([{"type":"killContainer","timeoutSeconds":5}])");
  auto pod = fake->Peek(res::kPods, "shop", "web-1").value();
  pod["spec"]["containers"] = value::parse(R"([{"name":"app"}])");
  pod["status"]["containerStatuses"] = value::parse(R"([{"name":"app","containerID":"containerd://0123","restartCount":0}])");
  ASSERT_TRUE(fake->Update(res::kPods, "shop", pod).ok());
  fake->SetExecHandler([this](const std::string&, const std::string&, const std::string&,
                              const std::vector<std::string>& argv) -> kube::Result<kube::ExecResult> {
    kube::ExecResult r;
    if (argv[0] == "cat") r.stdout_data = "Name:\tnginx\nSigCgt:\t0000000000004000\n";
    else kills.push_back(argv[1]);
    return r;
  });
  ExpectPendingAfterTerm(reconciler->Reconcile("shop/ra-1"), 0);
  clock += std::chrono::seconds(3);
  EXPECT_TRUE(reconciler->Reconcile("shop/ra-1").requeue);
  EXPECT_EQ(Phase(), "Running");
  clock += std::chrono::seconds(3);
  ReconcileResult r = reconciler->Reconcile("shop/ra-1");
  EXPECT_FALSE(r.requeue);
  EXPECT_EQ(Phase(), "Failed");
  auto result = RA().at("status").at("results").at(0);
  EXPECT_EQ(result.at("state").as_string(), "Failed");
  EXPECT_NE(result.at("message").as_string().find("shows no stop within 5s"), std::string::npos) << result.at("message").as_string();
  EXPECT_EQ(kills, (std::vector<std::string>{"-TERM"}));
}

TEST_F(InContainerReconcileTest, EvidenceThenKillRecordedInStatus) {
  SeedAlertAction(false);
  EXPECT_GT(Converge(), 0);
  EXPECT_EQ(Phase(), "Succeeded");
  auto rs = RA().at("status").at("results");
  EXPECT_EQ(rs.at(0).at("state").as_string(), "Succeeded");
  EXPECT_EQ(rs.at(0).at("undo").at("secret").as_string(), "ra-1-evidence-0");
  EXPECT_TRUE(fake->Peek(res::kSecrets, "shop", "ra-1-evidence-0").has_value());
  EXPECT_EQ(rs.at(1).at("state").as_string(), "Succeeded") << rs.at(1).at("message").as_string();
  EXPECT_NE(rs.at(1).at("message").as_string().find("ended after TERM"), std::string::npos);
  EXPECT_TRUE(killed);
  // The evidence was taken before the first kill was sent.
  auto calls = fake->Actions();
  size_t secret_at = 0, kill_at = 0;
  for (size_t i = 0; i < calls.size(); ++i) {
    if (calls[i].verb == "create" && calls[i].resource == "secrets") secret_at = i;
    if (calls[i].verb == "exec" && calls[i].body.at(0).as_string() == "kill" && kill_at == 0) kill_at = i;
  }
  EXPECT_LT(secret_at, kill_at);
  EXPECT_EQ(results, (std::vector<std::string>{"captureEvidence:succeeded", "killProcess:succeeded"}));
}

TEST_F(InContainerReconcileTest, DryRunExecsNothing) {
  SeedAlertAction(true);
  EXPECT_GT(Converge(), 0);
  EXPECT_EQ(Phase(), "Succeeded");
  EXPECT_TRUE(fake->ExecCalls().empty());
  EXPECT_EQ(fake->Count(res::kSecrets), 0u);
  auto rs = RA().at("status").at("results");
  EXPECT_EQ(rs.at(1).at("state").as_string(), "DryRun");
  EXPECT_EQ(rs.at(1).at("message").as_string(),
            "dry run; would: TERM to PID 42 in container app, KILL after 0s, if it is still /tmp/xmrig");
}

}  // namespace
}  // namespace riposte::controller
