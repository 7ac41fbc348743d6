#include "kube/objects.h"

#include <gtest/gtest.h>

#include "kube/resource.h"

namespace riposte::kube {
namespace {
namespace json = web::json;

const char* kPod = R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"web-1","namespace":"shop","uid":"u1",
 "resourceVersion":"42","labels":{"app":"web"},"ownerReferences":[{"apiVersion":"apps/v1","kind":"ReplicaSet",
 "name":"web-rs","uid":"rs1","controller":true}],"finalizers":["x/y"],"futureField":{"a":1}},
 "spec":{"nodeName":"node-1","initContainers":[{"name":"init","image":"busybox"}],
 "containers":[{"name":"web","image":"nginx:1.25","unknownKnob":true}]},
 "status":{"phase":"Running","podIP":"10.0.0.5","conditions":[{"type":"Ready","status":"True"}],
 "containerStatuses":[{"name":"web","ready":true,"restartCount":2,"containerID":"containerd://abc"}]}})";

TEST(ObjectsTest, PodAccessors) {
  Pod pod(json::value::parse(kPod));
  EXPECT_EQ(pod.name(), "web-1");
  EXPECT_EQ(pod.namespace_(), "shop");
  EXPECT_EQ(pod.uid(), "u1");
  EXPECT_EQ(pod.resource_version(), "42");
  EXPECT_EQ(pod.node_name(), "node-1");
  EXPECT_EQ(pod.phase(), "Running");
  EXPECT_TRUE(pod.IsReady());
  EXPECT_FALSE(pod.IsTerminal());
  EXPECT_EQ(pod.pod_ip(), "10.0.0.5");
  EXPECT_EQ(pod.label("app"), "web");
  auto cs = pod.containers();
  ASSERT_EQ(cs.size(), 2u);
  EXPECT_TRUE(cs[0].init);
  EXPECT_EQ(cs[1].image, "nginx:1.25");
  auto st = pod.container_statuses();
  ASSERT_EQ(st.size(), 1u);
  EXPECT_EQ(st[0].restart_count, 2);
  auto ctrl = pod.controller_ref();
  ASSERT_TRUE(ctrl.has_value());
  EXPECT_EQ(ctrl->kind, "ReplicaSet");
  EXPECT_EQ(pod.finalizers(), std::vector<std::string>{"x/y"});
}

TEST(ObjectsTest, MutationsKeepUnknownFields) {
  Pod pod(json::value::parse(kPod));
  pod.set_label("riposte.io/quarantined", "true").remove_label("app").set_annotation("a", "b");
  const json::value& j = pod.json();
  EXPECT_EQ(j.at("metadata").at("futureField").serialize(), R"({"a":1})");
  EXPECT_TRUE(j.at("spec").at("containers").at(0).at("unknownKnob").as_bool());
  EXPECT_EQ(pod.labels(), (std::map<std::string, std::string>{{"riposte.io/quarantined", "true"}}));
  EXPECT_EQ(pod.annotation("a"), "b");
}

TEST(ObjectsTest, WrongTypesReadAsDefaults) {
  Pod pod(json::value::parse(R"({"metadata":{"name":5,"labels":["x"]},"spec":null,"status":{"phase":null}})"));
  EXPECT_EQ(pod.name(), "");
  EXPECT_TRUE(pod.labels().empty());
  EXPECT_EQ(pod.node_name(), "");
  EXPECT_EQ(pod.phase(), "");
  EXPECT_FALSE(pod.IsReady());
  ObjectView empty(json::value::string("not an object"));
  EXPECT_EQ(empty.name(), "");
  empty.set_name("x");  // replaces the non-object
  EXPECT_EQ(empty.name(), "x");
}

TEST(ObjectsTest, NodeAndLease) {
  Node node(json::value::parse(R"({"metadata":{"name":"n1"},"spec":{"podCIDR":"10.0.0.0/24"}})"));
  EXPECT_FALSE(node.unschedulable());
  node.set_unschedulable(true);
  EXPECT_TRUE(node.unschedulable());
  EXPECT_EQ(node.json().at("spec").at("podCIDR").as_string(), "10.0.0.0/24");

  Lease lease;
  const auto t = std::chrono::system_clock::from_time_t(1700000000) + std::chrono::microseconds(123456);
  lease.set_holder_identity("a").set_lease_duration_seconds(15).set_renew_time(t).set_lease_transitions(3);
  EXPECT_EQ(lease.holder_identity(), "a");
  EXPECT_EQ(lease.renew_time(), "2023-11-14T22:13:20.123456Z");
  EXPECT_EQ(lease.lease_transitions(), 3);
  lease.set_holder_identity("");
  EXPECT_EQ(lease.holder_identity(), "");
}

TEST(ObjectsTest, TimeFormatting) {
  const auto t = std::chrono::system_clock::from_time_t(1700000000);
  EXPECT_EQ(FormatTime(t), "2023-11-14T22:13:20Z");
  EXPECT_EQ(ParseTime("2023-11-14T22:13:20Z"), t);
  EXPECT_EQ(ParseTime("2023-11-14T23:13:20+01:00"), t);
  EXPECT_EQ(ParseTime("2023-11-14T22:13:20.5Z"), t + std::chrono::milliseconds(500));
  EXPECT_FALSE(ParseTime("yesterday").has_value());
  EXPECT_FALSE(ParseTime("2023-11-14T22:13:20").has_value());
}

TEST(ObjectsTest, NetworkPolicyDeniesAllByDefault) {
  json::value np = NetworkPolicyBuilder("shop", "riposte-isolate-web-1")
                       .PodSelector({{"riposte.io/isolated", "web-1"}})
                       .Label("app.kubernetes.io/managed-by", "riposte")
                       .Build();
  EXPECT_EQ(np.at("kind").as_string(), "NetworkPolicy");
  EXPECT_EQ(np.at("spec").at("policyTypes").serialize(), R"(["Ingress","Egress"])");
  EXPECT_EQ(np.at("spec").at("ingress").size(), 0u);
  EXPECT_EQ(np.at("spec").at("egress").size(), 0u);
  json::value dns = NetworkPolicyBuilder("shop", "x")
                        .AllowEgressToNamespace({{"kubernetes.io/metadata.name", "kube-system"}}, 53, "UDP")
                        .AllowIngressFromCidr("10.1.0.0/16")
                        .Build();
  EXPECT_EQ(dns.at("spec").at("egress").at(0).at("ports").at(0).at("port").as_integer(), 53);
  EXPECT_EQ(dns.at("spec").at("ingress").at(0).at("from").at(0).at("ipBlock").at("cidr").as_string(), "10.1.0.0/16");
}

TEST(ObjectsTest, EventAboutAPod) {
  json::value pod = json::value::parse(kPod);
  EventBuilder b(pod, "Isolated", std::string(5000, 'm'));
  b.Type("Warning").Component("riposte-controller");
  json::value ev = b.Build();
  EXPECT_EQ(b.ns(), "shop");
  EXPECT_EQ(ev.at("involvedObject").at("uid").as_string(), "u1");
  EXPECT_EQ(ev.at("involvedObject").at("kind").as_string(), "Pod");
  EXPECT_EQ(ev.at("type").as_string(), "Warning");
  EXPECT_EQ(ev.at("message").as_string().size(), 1024u);
  EXPECT_EQ(ev.at("metadata").at("name").as_string().rfind("web-1.", 0), 0u);
  EXPECT_NE(EventBuilder(pod, "r", "m").Build().at("metadata").at("name"), ev.at("metadata").at("name"));
}

TEST(ResourceTest, PathsAndLookup) {
  EXPECT_EQ(resources::kPods.BasePath(), "/api/v1");
  EXPECT_EQ(resources::kLeases.BasePath(), "/apis/coordination.k8s.io/v1");
  EXPECT_EQ(resources::kLeases.ApiVersion(), "coordination.k8s.io/v1");
  EXPECT_EQ(resources::kResponseActions.GroupResource(), "responseactions.riposte.io");
  EXPECT_FALSE(resources::kResponsePolicies.namespaced);
  EXPECT_EQ(FindResource("Pod"), &resources::kPods);
  EXPECT_EQ(FindResource("networkpolicies.networking.k8s.io"), &resources::kNetworkPolicies);
  EXPECT_EQ(FindResource("widgets"), nullptr);
}

}  // namespace
}  // namespace riposte::kube
