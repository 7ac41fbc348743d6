// The controller's API traffic is split over clients with their own client-side rate limits:
// Lease renewals and alert recording once shared the reconcile client's token bucket, so a
// reconcile backlog delayed renewals past the renew deadline (the leader stepped down) and
// held every alert's answer behind the backlog (controller_bench: ~36 alerts/s).

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "common/json_value.h"
#include "controller/controller.h"
#include "kube/api_error.h"
#include "kube/resource.h"
#include "tests/fakes/fake_kube_client.h"
#include "tests/support/eventually.h"

namespace riposte::controller {
namespace {

using web::json::value;
using namespace std::chrono_literals;

using riposte::testing::Eventually;

TEST(ControllerClients, LeaseAndAlertRecordingDoNotUseTheReconcileClient) {
  auto main = std::make_shared<fakes::FakeKubeClient>();
  auto election = std::make_shared<fakes::FakeKubeClient>();
  auto recorder = std::make_shared<fakes::FakeKubeClient>();
  main->Seed(kube::resources::kNamespaces, value::parse(R"({"apiVersion":"v1","kind":"Namespace","metadata":{"name":"shop"}})"));
  main->Seed(kube::resources::kResponsePolicies, value::parse(R"({"apiVersion":"riposte.io/v1alpha1","kind":"ResponsePolicy",
      "metadata":{"name":"shells","generation":1},"spec":{"match":{"rules":["Terminal shell in container"],"namespaces":["shop"]},
      "actions":[{"type":"event"}]}})"));
  ControllerOptions opts;
  opts.identity = "replica-a";
  opts.lease_duration = 3s;
  opts.renew_deadline = 2s;
  opts.retry_period = 200ms;
  opts.election_client = election;
  opts.recorder_client = recorder;
  ResponseController rc(main, opts);
  rc.Start();
  ASSERT_TRUE(Eventually([&] { return rc.Ready() && rc.IsLeader(); }, 10s));
  ASSERT_TRUE(Eventually([&] { return !main->ActionsFor("patch", "responsepolicies.riposte.io").empty(); }, 10s))
      << "policy compiled and its condition written";

  auto reply = rc.ingestor().Handle(R"({"time":"2026-11-20T10:15:27Z","rule":"Terminal shell in container","priority":"Notice",
      "source":"syscall","hostname":"node-1","output":"shell","output_fields":{"k8s.ns.name":"shop","k8s.pod.name":"web-1",
      "proc.name":"sh"},"tags":["shell"],"uuid":"u-1"})");
  rc.Stop();
  EXPECT_EQ(reply.status, 201) << reply.body.serialize();
  EXPECT_EQ(recorder->ActionsFor("create", "responseactions.riposte.io").size(), 1u);
  EXPECT_TRUE(main->ActionsFor("create", "responseactions.riposte.io").empty());
  EXPECT_FALSE(election->ActionsFor("create", "leases.coordination.k8s.io").empty());
  EXPECT_FALSE(election->ActionsFor("update", "leases.coordination.k8s.io").empty() &&
               election->ActionsFor("get", "leases.coordination.k8s.io").empty());
  for (const auto& a : main->Actions()) EXPECT_NE(a.resource, "leases.coordination.k8s.io") << a.verb;
  for (const auto& a : recorder->Actions()) EXPECT_EQ(a.resource, "responseactions.riposte.io") << a.verb;
}

// The recorder starts the pod read before the create is sent (it runs while the API server
// handles the create) and hands the created object on for acting at once; a create the
// server refused is not acted on.
TEST(ControllerClients, RecorderStartsThePodReadWithTheCreateAndHandsOnOnlyCreatedObjects) {
  auto client = std::make_shared<fakes::FakeKubeClient>();
  std::vector<std::string> creating;
  std::vector<value> created;
  bool creating_seen_by_server = false;
  client->AddReactor([&](const fakes::Action& a) -> std::optional<kube::Result<value>> {
    if (a.verb == "create") creating_seen_by_server = creating.size() == 1;
    return std::nullopt;
  });
  KubeResponseRecorder recorder(
      client, [&](const std::string& ns, const std::string& pod) { creating.push_back(ns + "/" + pod); },
      [&](value&& obj) { created.push_back(std::move(obj)); });
  auto ra = value::parse(R"({"apiVersion":"riposte.io/v1alpha1","kind":"ResponseAction",
      "metadata":{"name":"r1","namespace":"shop"},"spec":{"target":{"pod":"web-1"},"actions":[{"type":"event"}]}})");
  std::string message;
  ASSERT_EQ(recorder.Create("shop", ra, &message), RecordOutcome::kCreated) << message;
  EXPECT_EQ(creating, std::vector<std::string>{"shop/web-1"}) << "one pod read per create";
  EXPECT_TRUE(creating_seen_by_server) << "the read starts before the create reaches the server";
  ASSERT_EQ(created.size(), 1u);
  EXPECT_EQ(json::GetString(created[0], {"metadata", "name"}), "r1");

  // Refused by the server: the read was started, but nothing is acted on.
  client->FailNext("create", "", kube::MakeError(kube::ErrorKind::kServerError, "etcd timeout"));
  EXPECT_EQ(recorder.Create("shop", ra, &message), RecordOutcome::kUnavailable);
  EXPECT_EQ(creating.size(), 2u);
  EXPECT_EQ(created.size(), 1u) << "a failed create is not handed on";
}

}  // namespace
}  // namespace riposte::controller
