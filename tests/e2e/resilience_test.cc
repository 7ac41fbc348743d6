// The controller against a real control plane that misbehaves the ways real ones do: the
// leader dies mid-response, kube-apiserver restarts under open watches, and etcd compaction
// expires the resourceVersion an informer wants to resume from (410 Gone, then a relist).
// Side effects are counted from kube-apiserver's audit log, so "no duplicates" is exact.

#include <gtest/gtest.h>

#include <ctime>

#include "tests/e2e/fixtures.h"
#include "tests/e2e/riposte_local.h"
#include "tests/e2e/suite.h"

namespace riposte::e2e {
namespace {

using web::json::value;
using namespace std::chrono_literals;

const std::string kControllerUser = std::string("system:serviceaccount:") + kReleaseNamespace + ":" + kFullname + "-controller";
const std::string kLease = std::string("/apis/coordination.k8s.io/v1/namespaces/") + kReleaseNamespace + "/leases/riposte-controller";

std::string Holder() { return Str(Get(kLease), {"spec", "holderIdentity"}); }

int ControllerWrites(const std::string& verb, const std::string& resource, const std::string& ns, const std::string& name,
                     const std::string& subresource = "") {
  auto& c = Suite::Get().cluster();
  int n = 0;
  for (const auto& e : c.AuditEvents())
    if (e.user == kControllerUser && e.verb == verb && e.resource == resource && e.subresource == subresource &&
        (ns.empty() || e.ns == ns) && (name.empty() || e.name == name) && e.code >= 200 && e.code < 300)
      ++n;
  return n;
}

// Seconds since the epoch of a metav1.MicroTime ("2026-11-28T10:04:56.123456Z").
double MicroTimeSeconds(const std::string& t) {
  std::tm tm{};
  if (t.size() < 20 || strptime(t.c_str(), "%Y-%m-%dT%H:%M:%S", &tm) == nullptr) return 0;
  double frac = t[19] == '.' ? std::stod("0" + t.substr(19, t.find('Z') - 19)) : 0;
  return static_cast<double>(timegm(&tm)) + frac;
}

int Succeeded(const value& ra) {
  int n = 0;
  const auto* results = Find(ra, {"status", "results"});
  if (results != nullptr && results->is_array())
    for (const auto& r : results->as_array()) n += Str(r, {"state"}) == "Succeeded";
  return n;
}

TEST(Resilience, LeaderKilledMidResponseFollowerTakesOverWithoutDuplicateSideEffects) {
  const std::string ns = "failover";
  CreateNamespace(ns);
  CreateNode("failover-node");
  auto w = CreateReplicaSet(ns, "web", 3, "failover-node");
  // A leader throttled to 2 requests/s takes seconds per action, so the kill lands mid-response.
  LocalControllerOptions slow;
  slow.identity = "replica-a";
  slow.flags = {{"--kube-api-qps", "2"}, {"--kube-api-burst", "1"}};
  LocalController a("replica-a", slow);
  ASSERT_TRUE(Eventually([] { return Holder() == "replica-a"; }, 30s)) << Holder();
  LocalControllerOptions follower;
  follower.identity = "replica-b";
  LocalController b("replica-b", follower);
  EXPECT_EQ(Holder(), "replica-a");
  const int transitions = Get(kLease).at("spec").at("leaseTransitions").as_integer();

  CreateResponseAction(ns, "failover", R"({"target":{"pod":")" + w.pods[0] + R"("},"actions":[
      {"type":"annotate","annotations":{"riposte.io/incident":"failover"}},
      {"type":"label","labels":{"riposte.io/quarantined":"true"}},
      {"type":"isolate"},
      {"type":"event","reason":"Failover"},
      {"type":"cordonNode"},
      {"type":"terminate","gracePeriodSeconds":0}]})");
  value mid;
  ASSERT_TRUE(Eventually([&] {
    mid = Get(RaPath(ns, "failover"));
    return Succeeded(mid) >= 2;
  }, 60s)) << Results(mid) << a.Log();
  auto killed = std::chrono::steady_clock::now();
  a.Kill();
  const std::string last_renew = Str(Get(kLease), {"spec", "renewTime"});
  mid = Get(RaPath(ns, "failover"));
  ASSERT_EQ(Str(mid, {"status", "phase"}), "Running") << "killed mid-response: " << Results(mid);
  ASSERT_LT(Succeeded(mid), 6) << Results(mid);

  ASSERT_TRUE(Eventually([] { return Holder() == "replica-b"; }, 60s)) << Holder() << b.Log();
  double takeover = std::chrono::duration<double>(std::chrono::steady_clock::now() - killed).count();
  auto lease = Get(kLease);
  const int duration = lease.at("spec").at("leaseDurationSeconds").as_integer();
  // Never two leaders: replica-b acquired only after replica-a's last renewal had expired
  // (both timestamps are written by the replicas, with this machine's clock).
  const double expired_for = MicroTimeSeconds(Str(lease, {"spec", "acquireTime"})) - MicroTimeSeconds(last_renew) - duration;
  EXPECT_GE(expired_for, -0.001) << "acquired " << Str(lease, {"spec", "acquireTime"}) << ", last renewal " << last_renew;
  std::printf("[e2e] leader killed after %d of 6 actions; replica-b holds the Lease %.2fs after the kill, %.2fs after "
              "replica-a's lease expired (leaseDurationSeconds %d)\n",
              Succeeded(mid), takeover, expired_for, duration);
  ::testing::Test::RecordProperty("takeover_seconds", std::to_string(takeover));
  EXPECT_EQ(lease.at("spec").at("leaseTransitions").as_integer(), transitions + 1);

  ASSERT_TRUE(WaitPhase(ns, "failover", "Succeeded")) << Results(Get(RaPath(ns, "failover"))) << b.Log();
  EXPECT_EQ(StatusOf("/api/v1/namespaces/" + ns + "/pods/" + w.pods[0]), 404);
  Suite::Get().cluster().FlushAudit();
  // Each side effect happened exactly once, whichever replica made it.
  EXPECT_EQ(ControllerWrites("create", "networkpolicies", ns, ""), 1);
  EXPECT_EQ(ControllerWrites("create", "events", ns, "failover-event-3"), 1);
  EXPECT_EQ(ControllerWrites("patch", "nodes", "", "failover-node"), 1);
  EXPECT_EQ(ControllerWrites("delete", "pods", ns, w.pods[0]), 1);
  EXPECT_EQ(ControllerWrites("patch", "pods", ns, w.pods[0]), 3) << "annotate, label, isolate's quarantine label";
}

TEST(Resilience, ApiServerRestartUnderOpenWatches) {
  const std::string ns = "restart";
  CreateNamespace(ns);
  CreateNode("restart-node");
  auto w = CreateReplicaSet(ns, "web", 3, "restart-node");
  LocalController controller("restart");
  CreateResponseAction(ns, "before", R"({"target":{"pod":")" + w.pods[0] + R"("},"actions":[{"type":"annotate","annotations":{"a":"1"}}]})");
  ASSERT_TRUE(WaitPhase(ns, "before", "Succeeded")) << controller.Log();
  auto& cluster = Suite::Get().cluster();
  pid_t old_pid = cluster.apiserver_pid();
  cluster.RestartApiServer();  // SIGKILL: every watch is cut without a goodbye
  EXPECT_NE(cluster.apiserver_pid(), old_pid);
  EXPECT_EQ(Phase(ns, "before"), "Succeeded") << "etcd kept the data";
  CreateResponseAction(ns, "after", R"({"target":{"pod":")" + w.pods[1] + R"("},"actions":[{"type":"annotate","annotations":{"a":"2"}}]})");
  ASSERT_TRUE(WaitPhase(ns, "after", "Succeeded", 90s)) << Results(Get(RaPath(ns, "after"))) << controller.Log();
  EXPECT_TRUE(controller.WaitReady(30s)) << controller.Ops("/readyz").second;
  EXPECT_TRUE(controller.Running());
}

TEST(Resilience, EtcdCompactionForces410AndARelist) {
  auto& cluster = Suite::Get().cluster();
  // Watches served by etcd itself (no watch cache), and compaction every second.
  const std::vector<std::string> compacting = {"--watch-cache=false", "--etcd-compaction-interval=1s"};
  const std::vector<std::string> normal;
  struct Restore {
    const std::vector<std::string>& args;
    ~Restore() { Suite::Get().cluster().RestartApiServer(&args); }
  } restore{normal};
  cluster.RestartApiServer(&compacting);

  const std::string ns = "compaction";
  CreateNamespace(ns);
  CreateNode("compaction-node");
  auto w = CreateReplicaSet(ns, "web", 3, "compaction-node");
  LocalController controller("compaction");
  CreateResponseAction(ns, "before", R"({"target":{"pod":")" + w.pods[0] + R"("},"actions":[{"type":"annotate","annotations":{"a":"1"}}]})");
  ASSERT_TRUE(WaitPhase(ns, "before", "Succeeded")) << controller.Log();
  const std::string rv = Str(Get(RaPath(ns)), {"metadata", "resourceVersion"});

  // Frozen, the controller cannot notice anything; the restart cuts its watches meanwhile.
  controller.Freeze();
  cluster.RestartApiServer(&compacting);
  CreateResponseAction(ns, "while-away", R"({"target":{"pod":")" + w.pods[1] + R"("},"actions":[{"type":"annotate","annotations":{"a":"2"}}]})");
  // Wait until etcd has compacted past every resourceVersion the controller knows.
  int status = 0;
  ASSERT_TRUE(Eventually([&] {
    Get(RaPath(ns) + "?resourceVersion=" + rv + "&resourceVersionMatch=Exact", &status);
    return status == 410;
  }, 60s)) << "no compaction past " << rv << " (last status " << status << ")";
  cluster.FlushAudit();
  auto relists = [&] {
    int n = 0;
    for (const auto& e : cluster.AuditEvents())
      if (e.user == kControllerUser && e.verb == "list" && e.resource == "responseactions" &&
          e.request_uri.find("limit=500") != std::string::npos)
        ++n;
    return n;
  };
  const int lists_before = relists();
  controller.Thaw();
  ASSERT_TRUE(WaitPhase(ns, "while-away", "Succeeded", 90s)) << Results(Get(RaPath(ns, "while-away"))) << controller.Log();
  cluster.FlushAudit();
  EXPECT_GT(relists(), lists_before) << "the informer resumed at a compacted resourceVersion, got 410 and listed again";
}

}  // namespace
}  // namespace riposte::e2e
