// The controller's threading rules (docs/controller.md, "Threads"), each against the fake
// client with a hand-driven clock for leader election:
//  - callbacks of the elector and the informers only update memory and enqueue: an API call
//    that hangs never holds up a Lease renewal or the delivery of other objects;
//  - the leader acts on a ResponseAction as soon as its create returns, without its watch
//    event;
//  - losing the Lease stops acting within one retry period, between two requests.

#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>

#include "controller/controller.h"
#include "kube/resource.h"
#include "tests/fakes/fake_clock.h"
#include "tests/fakes/fake_kube_client.h"
#include "tests/support/eventually.h"

namespace riposte::controller {
namespace {

using web::json::value;
using riposte::testing::Eventually;
using namespace std::chrono_literals;
namespace res = kube::resources;

// Blocks whoever calls Wait() until Open().
class Gate {
 public:
  void Wait() {
    std::unique_lock lock(mu_);
    ++waiting_;
    cv_.wait(lock, [this] { return open_; });
  }
  void Open() {
    std::lock_guard lock(mu_);
    open_ = true;
    cv_.notify_all();
  }
  int waiting() {
    std::lock_guard lock(mu_);
    return waiting_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool open_ = false;
  int waiting_ = 0;
};

value Policy(const std::string& name, const std::string& actions = R"([{"type":"event"}])") {
  return value::parse(R"({"apiVersion":"riposte.io/v1alpha1","kind":"ResponsePolicy","metadata":{"name":")" + name +
                      R"(","generation":1},"spec":{"match":{"rules":["Terminal shell in container"],"namespaces":["shop"]},
      "actions":)" + actions + R"(,"guards":{"cooldownSeconds":0}}})");
}

std::string Alert(const std::string& uuid) {
  return R"({"time":"2026-11-20T10:15:27Z","rule":"Terminal shell in container","priority":"Notice",
      "source":"syscall","hostname":"node-1","output":"shell","output_fields":{"k8s.ns.name":"shop","k8s.pod.name":"web-1",
      "proc.name":"sh"},"tags":["shell"],"uuid":")" + uuid + R"("})";
}

class ControllerThreads : public ::testing::Test {
 protected:
  void SetUp() override {
    main = std::make_shared<fakes::FakeKubeClient>();
    election = std::make_shared<fakes::FakeKubeClient>();
    clock = std::make_shared<fakes::FakeClock>();
    main->Seed(res::kNamespaces, value::parse(R"({"apiVersion":"v1","kind":"Namespace","metadata":{"name":"shop"}})"));
    main->Seed(res::kNodes, value::parse(R"({"apiVersion":"v1","kind":"Node","metadata":{"name":"node-1"},"spec":{}})"));
    main->Seed(res::kPods, value::parse(R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"web-1","namespace":"shop"},
        "spec":{"nodeName":"node-1"}})"));
    opts.identity = "replica-a";
    opts.lease_duration = 15s;
    opts.renew_deadline = 10s;
    opts.retry_period = 2s;
    opts.election_client = election;
    opts.clock = clock;
  }
  void TearDown() override {
    gate.Open();  // nothing stays blocked in the API
    if (rc) rc->Stop();
  }

  void Start() {
    rc = std::make_unique<ResponseController>(main, opts);
    rc->Start();
    ASSERT_TRUE(Eventually([&] { return rc->Ready() && rc->IsLeader(); }));
  }
  size_t LeaseWrites() {
    return election->ActionsFor("update", "leases.coordination.k8s.io").size() +
           election->ActionsFor("create", "leases.coordination.k8s.io").size();
  }
  // One retry period of fake time, and the elector's attempt in it.
  void OneRetryPeriod() {
    // Only once the elector waits for its next attempt (see FakeClock::Waiting).
    ASSERT_TRUE(Eventually([&] { return clock->Waiting() >= 1; }));
    const size_t gets = election->ActionsFor("get", "leases.coordination.k8s.io").size();
    clock->Advance(opts.retry_period);
    ASSERT_TRUE(Eventually([&] { return election->ActionsFor("get", "leases.coordination.k8s.io").size() > gets; }));
  }
  // Blocks every write of a ResponsePolicy condition until the gate opens.
  void HangPolicyStatusWrites() {
    main->AddReactor([this](const fakes::Action& a) -> std::optional<kube::Result<value>> {
      if (a.verb == "patch" && a.resource == "responsepolicies.riposte.io" && a.subresource == "status") gate.Wait();
      return std::nullopt;
    });
  }
  bool HasPolicy(const std::string& name) {
    for (const auto& n : rc->PolicyNames())
      if (n == name) return true;
    return false;
  }

  std::shared_ptr<fakes::FakeKubeClient> main, election;
  std::shared_ptr<fakes::FakeClock> clock;
  ControllerOptions opts;
  // Reactors of `main` block on it; it outlives the controller (stopped in TearDown), whose
  // threads may still call the API after a test body has returned.
  Gate gate;
  std::unique_ptr<ResponseController> rc;
};

// Becoming leader writes every policy's condition. Were that done on the elector's thread, a
// hanging write would stop the renewals and the leader would step down at the renew deadline.
TEST_F(ControllerThreads, AHangingApiCallOnBecomingLeaderDoesNotStopLeaseRenewals) {
  main->Seed(res::kResponsePolicies, Policy("shells"));
  HangPolicyStatusWrites();
  Start();
  ASSERT_TRUE(Eventually([&] { return gate.waiting() == 1; })) << "the condition write is under way and hangs";
  // Past the renew deadline (10 s) in fake time, renewing every retry period.
  for (int i = 0; i < 7; ++i) {
    ASSERT_TRUE(Eventually([&] { return clock->Waiting() >= 1; })) << "elector parked " << i;
    const size_t writes = LeaseWrites();
    clock->Advance(opts.retry_period);
    ASSERT_TRUE(Eventually([&] { return LeaseWrites() > writes; })) << "renewal " << i;
  }
  EXPECT_TRUE(rc->IsLeader());
  gate.Open();
}

// Informer handlers compile policies and enqueue; the condition write of one policy that
// hangs must not keep the informer from delivering the next ones.
TEST_F(ControllerThreads, AHangingApiCallDoesNotHoldUpTheInformers) {
  HangPolicyStatusWrites();
  Start();
  ASSERT_TRUE(main->Create(res::kResponsePolicies, "", Policy("first")).ok());
  ASSERT_TRUE(Eventually([&] { return HasPolicy("first") && gate.waiting() == 1; }));
  ASSERT_TRUE(main->Create(res::kResponsePolicies, "", Policy("second")).ok());
  ASSERT_TRUE(Eventually([&] { return HasPolicy("second"); }));
  ASSERT_TRUE(main->Create(res::kResponsePolicies, "", Policy("third")).ok());
  EXPECT_TRUE(Eventually([&] { return HasPolicy("third"); }));
  gate.Open();
}

// The leader acts on the ResponseAction its create returned, even when the watch never
// delivers it.
TEST_F(ControllerThreads, ActsOnTheCreatedResponseActionWithoutItsWatchEvent) {
  main->Seed(res::kResponsePolicies, Policy("shells"));
  Start();
  ASSERT_TRUE(Eventually([&] { return HasPolicy("shells"); }));
  main->AddReactor([](const fakes::Action& a) -> std::optional<kube::Result<value>> {
    if ((a.verb == "watch" || a.verb == "list") && a.resource == "responseactions.riposte.io")
      return kube::Result<value>(kube::MakeError(kube::ErrorKind::kServiceUnavailable, "watch unavailable"));
    return std::nullopt;
  });
  main->DropWatches();
  auto reply = rc->ingestor().Handle(Alert("u-1"));
  ASSERT_EQ(reply.status, 201) << reply.body.serialize();
  const std::string name = reply.body.at("responses").at(0).at("responseAction").as_string();
  EXPECT_TRUE(Eventually([&] {
    auto ra = main->Peek(res::kResponseActions, "shop", name);
    return ra && json::GetString(*ra, {"status", "phase"}) == "Succeeded";
  }));
  EXPECT_EQ(main->ActionsFor("create", "events").size() >= 1, true);
}

// A follower records alerts but leaves acting to the leader.
TEST_F(ControllerThreads, AFollowerDoesNotActOnWhatItRecorded) {
  main->Seed(res::kResponsePolicies, Policy("shells"));
  // Someone else holds the Lease.
  ASSERT_TRUE(election->Create(res::kLeases, "riposte-system", value::parse(R"({"apiVersion":"coordination.k8s.io/v1",
      "kind":"Lease","metadata":{"name":"riposte-controller","namespace":"riposte-system"},
      "spec":{"holderIdentity":"replica-b","leaseDurationSeconds":15}})")).ok());
  rc = std::make_unique<ResponseController>(main, opts);
  rc->Start();
  ASSERT_TRUE(Eventually([&] { return rc->Ready() && HasPolicy("shells"); }));
  ASSERT_FALSE(rc->IsLeader());
  auto reply = rc->ingestor().Handle(Alert("u-2"));
  ASSERT_EQ(reply.status, 201) << reply.body.serialize();
  // Its informer delivers the object: queued, then dropped by a worker (not the leader).
  const std::string name = reply.body.at("responses").at(0).at("responseAction").as_string();
  ASSERT_TRUE(Eventually([&] {
    return rc->metrics().Render().find("riposte_reconciles_total{result=\"skipped\"} 1") != std::string::npos;
  })) << rc->metrics().Render();
  EXPECT_TRUE(main->ActionsFor("get", "pods").empty());
  EXPECT_TRUE(main->ActionsFor("create", "events").empty());
  EXPECT_TRUE(main->ActionsFor("update-status", "responseactions.riposte.io").empty());
  EXPECT_FALSE(json::Find(main->Peek(res::kResponseActions, "shop", name).value(), {"status"}));
}

// Another replica takes the Lease while the leader is in the middle of a response: within one
// retry period the leader observes it, and the response stops before its next request.
TEST_F(ControllerThreads, LosingTheLeaseStopsActingWithinOneRetryPeriod) {
  main->Seed(res::kResponsePolicies, Policy("contain", R"([{"type":"isolate"},{"type":"cordonNode"}])"));
  main->AddReactor([this](const fakes::Action& a) -> std::optional<kube::Result<value>> {
    if (a.verb == "create" && a.resource == "networkpolicies.networking.k8s.io") gate.Wait();
    return std::nullopt;
  });
  Start();
  ASSERT_TRUE(Eventually([&] { return HasPolicy("contain"); }));
  auto reply = rc->ingestor().Handle(Alert("u-3"));
  ASSERT_EQ(reply.status, 201) << reply.body.serialize();
  ASSERT_TRUE(Eventually([&] { return gate.waiting() == 1; })) << "first request of the response under way";

  // The intruder rewrites the Lease (retrying on conflict: the leader renews concurrently).
  ASSERT_TRUE(Eventually([&] {
    auto got = election->Get(res::kLeases, "riposte-system", "riposte-controller");
    if (!got.ok()) return false;
    auto lease = got.value();
    lease["spec"]["holderIdentity"] = value::string("replica-b");
    lease["spec"]["leaseDurationSeconds"] = 15;
    return election->Update(res::kLeases, "riposte-system", lease).ok();
  }));
  EXPECT_TRUE(rc->IsLeader()) << "not observed yet";
  OneRetryPeriod();
  ASSERT_TRUE(Eventually([&] { return !rc->IsLeader(); })) << "observed at the next retry";

  gate.Open();
  ASSERT_TRUE(Eventually([&] {
    return rc->metrics().Render().find("riposte_reconciles_total{result=\"stopped\"} 1") != std::string::npos;
  })) << rc->metrics().Render();
  EXPECT_TRUE(main->ActionsFor("patch", "pods").empty()) << "the pod is not labelled after the policy";
  EXPECT_TRUE(main->ActionsFor("patch", "nodes").empty()) << "the next action does not run";
  EXPECT_TRUE(main->ActionsFor("update-status", "responseactions.riposte.io").empty()) << "nothing is written";
}

}  // namespace
}  // namespace riposte::controller
