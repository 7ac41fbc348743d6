// End to end: the test API server and the real `riposte controller` as processes, real Falco
// events over HTTPS, assertions on API state.

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "controller/actions/isolate.h"
#include "tests/apiserver/test_apiserver_process.h"
#include "tests/support/eventually.h"
#include "tests/controller/controller_process.h"

namespace riposte::controller {
namespace {

using web::json::value;
using testing::ControllerProcess;
using testing::ControllerProcessOptions;
using riposte::testing::Eventually;
using namespace std::chrono_literals;

std::string CorpusLine(size_t i) {
  std::ifstream in(std::string(RIPOSTE_TEST_DATA_DIR) + "/corpus/falco_events.jsonl");
  std::string line;
  for (size_t k = 0; k <= i; ++k) std::getline(in, line);
  return line;
}

constexpr const char* kPod = "web-7d9c8f-abcde";

class ControllerIntegration : public ::testing::Test {
 protected:
  void SetUp() override {
    server = std::make_unique<testapi::TestApiServerProcess>();
    ASSERT_NO_THROW(testing::InstallCrds(*server, RIPOSTE_SOURCE_DIR));
    auto items = value::array();
    auto add = [&](const std::string& j) { items[items.size()] = value::parse(j); };
    add(R"({"apiVersion":"v1","kind":"Namespace","metadata":{"name":"shop","labels":{"riposte.io/respond":"enabled"}}})");
    add(R"({"apiVersion":"v1","kind":"Namespace","metadata":{"name":"riposte-system"}})");
    add(R"({"apiVersion":"v1","kind":"Node","metadata":{"name":"node-1"},"spec":{}})");
    add(R"({"apiVersion":"apps/v1","kind":"ReplicaSet","metadata":{"name":"web-7d9c8f","namespace":"shop"},
            "spec":{"replicas":3,"selector":{"matchLabels":{"app":"web","pod-template-hash":"7d9c8f"}}},"status":{"replicas":3,"readyReplicas":3}})");
    auto list = value::object();
    list["items"] = items;
    server->Seed(list);
    // The pod's owner reference must carry the ReplicaSet's real uid, or the test server's
    // garbage collector removes the pod as an orphan.
    auto rs_uid = server->Api("GET", "/apis/apps/v1/namespaces/shop/replicasets/web-7d9c8f").Json()
                      .at("metadata").at("uid").as_string();
    items = value::array();
    add(std::string(R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":")") + kPod + R"(","namespace":"shop",
            "labels":{"app":"web","pod-template-hash":"7d9c8f"},
            "ownerReferences":[{"apiVersion":"apps/v1","kind":"ReplicaSet","name":"web-7d9c8f","uid":")" + rs_uid + R"(","controller":true}]},
            "spec":{"nodeName":"node-1","containers":[{"name":"web","image":"nginx:1.27"}]},
            "status":{"phase":"Running","conditions":[{"type":"Ready","status":"True"}]}})");
    list["items"] = items;
    server->Seed(list);
    kubeconfig = server->WriteKubeconfig();
  }

  void StartController(std::vector<std::string> extra = {}) {
    ControllerProcessOptions o;
    o.kubeconfig = kubeconfig;
    o.extra_args = std::move(extra);
    controller = std::make_unique<ControllerProcess>(server->dir(), o);
    controller->Start();
    ASSERT_TRUE(controller->WaitReady(20s)) << controller->log();
  }

  void CreatePolicy(const std::string& name, const std::string& spec) {
    auto obj = value::parse(spec);
    auto p = value::object();
    p["apiVersion"] = value::string("riposte.io/v1alpha1");
    p["kind"] = value::string("ResponsePolicy");
    p["metadata"] = value::object();
    p["metadata"]["name"] = value::string(name);
    p["spec"] = obj;
    auto r = server->Api("POST", "/apis/riposte.io/v1alpha1/responsepolicies", p.serialize());
    ASSERT_LT(r.status, 300) << r.body;
    // The controller must have compiled it before alerts are sent: wait for its condition.
    ASSERT_TRUE(Eventually([&] {
      auto g = server->Api("GET", "/apis/riposte.io/v1alpha1/responsepolicies/" + name);
      return g.status == 200 && g.Json().has_field("status") && g.Json().at("status").has_field("conditions");
    }, 20s)) << controller->log();
  }

  std::vector<value> ResponseActions() {
    auto r = server->Api("GET", "/apis/riposte.io/v1alpha1/namespaces/shop/responseactions");
    std::vector<value> out;
    if (r.status != 200) return out;
    const value list = r.Json();
    for (const auto& i : list.at("items").as_array()) out.push_back(i);
    return out;
  }

  std::string PhaseOf(const std::string& name) {
    auto r = server->Api("GET", "/apis/riposte.io/v1alpha1/namespaces/shop/responseactions/" + name);
    if (r.status != 200) return "";
    auto v = r.Json();
    if (!v.has_field("status") || !v.at("status").has_field("phase")) return "";
    return v.at("status").at("phase").as_string();
  }

  bool WaitPhase(const std::string& name, const std::string& phase) {
    return Eventually([&] { return PhaseOf(name) == phase; }, 30s);
  }

  int PodStatus() { return server->Api("GET", std::string("/api/v1/namespaces/shop/pods/") + kPod).status; }

  std::unique_ptr<testapi::TestApiServerProcess> server;
  std::unique_ptr<ControllerProcess> controller;
  std::string kubeconfig;
};

constexpr const char* kContainPolicy = R"({"match":{"rules":["Terminal shell in container"],"minPriority":"Notice",
    "namespaceSelector":{"matchLabels":{"riposte.io/respond":"enabled"}}},
    "actions":[{"type":"isolate","allowDNS":true},{"type":"cordonNode"},{"type":"terminate","gracePeriodSeconds":0}],
    "guards":{"cooldownSeconds":300}})";

TEST_F(ControllerIntegration, AlertOverHttpsIsolatesCordonsAndTerminates) {
  StartController();
  CreatePolicy("contain-shells", kContainPolicy);
  auto r = controller->PostAlert(CorpusLine(0));
  ASSERT_EQ(r.status, 201) << r.body << controller->log();
  auto name = r.Json().at("responses").at(0).at("responseAction").as_string();
  ASSERT_TRUE(WaitPhase(name, "Succeeded")) << PhaseOf(name) << "\n" << controller->log();
  EXPECT_EQ(PodStatus(), 404) << "pod deleted";
  auto np = server->Api("GET", "/apis/networking.k8s.io/v1/namespaces/shop/networkpolicies/" + IsolateAction::PolicyName(name));
  ASSERT_EQ(np.status, 200);
  auto spec = np.Json().at("spec");
  EXPECT_EQ(spec.at("podSelector").at("matchLabels").at("riposte.io/quarantine").as_string(), IsolateAction::LabelValue(name));
  EXPECT_EQ(spec.at("policyTypes").size(), 2u);
  EXPECT_EQ(spec.at("ingress").size(), 0u);
  EXPECT_EQ(spec.at("egress").size(), 1u);  // DNS only
  auto node = server->Api("GET", "/api/v1/nodes/node-1").Json();
  EXPECT_TRUE(node.at("spec").at("unschedulable").as_bool());
  const value ra = server->Api("GET", "/apis/riposte.io/v1alpha1/namespaces/shop/responseactions/" + name).Json();
  for (const auto& res : ra.at("status").at("results").as_array()) EXPECT_EQ(res.at("state").as_string(), "Succeeded");
  // Metrics reflect it.
  auto metrics = controller->GetOps("/metrics");
  EXPECT_EQ(metrics.first, 200);
  EXPECT_NE(metrics.second.find("riposte_actions_total{type=\"terminate\",result=\"succeeded\"} 1"), std::string::npos)
      << metrics.second;
  EXPECT_NE(metrics.second.find("riposte_alert_to_action_seconds_count 1"), std::string::npos);
}

TEST_F(ControllerIntegration, BadBodiesAndMissingTokenAreRefused) {
  StartController();
  CreatePolicy("contain-shells", kContainPolicy);
  std::ifstream in(std::string(RIPOSTE_TEST_DATA_DIR) + "/corpus/falco_bad_bodies.jsonl");
  for (std::string line; std::getline(in, line);) {
    auto c = value::parse(line);
    auto r = controller->PostAlert(c.at("body").as_string());
    EXPECT_GE(r.status, 400) << c.at("case").as_string();
    EXPECT_LT(r.status, 500) << c.at("case").as_string();
    EXPECT_TRUE(r.Json().has_field("error")) << c.at("case").as_string();
  }
  std::string wrong = "not-the-token-0123456789";
  EXPECT_EQ(controller->PostAlert(CorpusLine(0), "/", &wrong).status, 401);
  EXPECT_TRUE(ResponseActions().empty());
  EXPECT_EQ(PodStatus(), 200);
}

TEST_F(ControllerIntegration, FloodOfOneThousandAlertsForOnePodGivesOneResponse) {
  StartController();
  CreatePolicy("contain-shells", kContainPolicy);
  int ok = 0;
  for (int i = 0; i < 1000; ++i) {
    auto r = controller->PostAlert(CorpusLine(0), i % 2 ? "/" : "/v1/alerts");
    if (r.status >= 200 && r.status < 300) ++ok;
  }
  EXPECT_EQ(ok, 1000);
  EXPECT_EQ(ResponseActions().size(), 1u);
  EXPECT_NE(controller->GetOps("/metrics").second.find("riposte_alerts_suppressed_total{reason=\"cooldown\"} 999"),
            std::string::npos);
}

TEST_F(ControllerIntegration, GlobalDryRunChangesNothing) {
  StartController({"--dry-run"});
  CreatePolicy("contain-shells", kContainPolicy);
  auto r = controller->PostAlert(CorpusLine(0));
  ASSERT_EQ(r.status, 201) << r.body;
  auto name = r.Json().at("responses").at(0).at("responseAction").as_string();
  ASSERT_TRUE(WaitPhase(name, "Succeeded")) << controller->log();
  EXPECT_EQ(PodStatus(), 200);
  auto node = server->Api("GET", "/api/v1/nodes/node-1").Json();
  EXPECT_FALSE(node.at("spec").has_field("unschedulable") && node.at("spec").at("unschedulable").as_bool());
  auto nps = server->Api("GET", "/apis/networking.k8s.io/v1/namespaces/shop/networkpolicies").Json();
  EXPECT_EQ(nps.at("items").size(), 0u);
  const value ra = server->Api("GET", "/apis/riposte.io/v1alpha1/namespaces/shop/responseactions/" + name).Json();
  for (const auto& res : ra.at("status").at("results").as_array()) EXPECT_EQ(res.at("state").as_string(), "DryRun");
}

TEST_F(ControllerIntegration, RevertRestoresLabelsPolicyAndNode) {
  StartController();
  CreatePolicy("detach", R"({"match":{"rules":["Terminal shell in container"]},
      "actions":[{"type":"label","labels":{"riposte.io/quarantined":"true"},"detach":true},{"type":"isolate"},{"type":"cordonNode"}]})");
  auto r = controller->PostAlert(CorpusLine(0));
  ASSERT_EQ(r.status, 201) << r.body;
  auto name = r.Json().at("responses").at(0).at("responseAction").as_string();
  ASSERT_TRUE(WaitPhase(name, "Succeeded")) << controller->log();
  auto labels = server->Api("GET", std::string("/api/v1/namespaces/shop/pods/") + kPod).Json().at("metadata").at("labels");
  EXPECT_FALSE(labels.has_field("app"));
  auto patch = server->Api("PATCH", "/apis/riposte.io/v1alpha1/namespaces/shop/responseactions/" + name,
                           R"({"spec":{"revert":true}})", "application/merge-patch+json");
  ASSERT_EQ(patch.status, 200) << patch.body;
  ASSERT_TRUE(WaitPhase(name, "Reverted")) << controller->log();
  auto pod = server->Api("GET", std::string("/api/v1/namespaces/shop/pods/") + kPod).Json();
  ASSERT_TRUE(pod.at("metadata").has_field("labels"))
      << pod.serialize() << "\n" << server->Api("GET", "/apis/riposte.io/v1alpha1/namespaces/shop/responseactions/" + name).body;
  labels = pod.at("metadata").at("labels");
  ASSERT_TRUE(labels.has_field("app")) << pod.serialize() << "\n"
      << server->Api("GET", "/apis/riposte.io/v1alpha1/namespaces/shop/responseactions/" + name).body;
  EXPECT_EQ(labels.at("app").as_string(), "web");
  EXPECT_EQ(labels.at("pod-template-hash").as_string(), "7d9c8f");
  EXPECT_FALSE(labels.has_field("riposte.io/quarantined"));
  EXPECT_FALSE(labels.has_field("riposte.io/quarantine"));
  EXPECT_EQ(server->Api("GET", "/apis/networking.k8s.io/v1/namespaces/shop/networkpolicies").Json().at("items").size(), 0u);
  auto node = server->Api("GET", "/api/v1/nodes/node-1").Json();
  EXPECT_FALSE(node.at("spec").has_field("unschedulable") && node.at("spec").at("unschedulable").as_bool());
}

TEST_F(ControllerIntegration, KilledMidActionFinishesAfterRestartWithoutDuplicates) {
  StartController();
  CreatePolicy("contain-shells", kContainPolicy);
  // The pod delete hangs long enough to kill the controller in the middle of the response.
  server->InjectDelay(std::string("/api/v1/namespaces/shop/pods/") + kPod, 3000, 1, "delete");
  auto r = controller->PostAlert(CorpusLine(0));
  ASSERT_EQ(r.status, 201) << r.body;
  auto name = r.Json().at("responses").at(0).at("responseAction").as_string();
  ASSERT_TRUE(Eventually([&] { return server->StatCount(std::string("delete pods shop/") + kPod) >= 1; }, 20s));
  controller->Kill();
  EXPECT_EQ(PhaseOf(name), "Running");
  StartController();
  ASSERT_TRUE(WaitPhase(name, "Succeeded")) << controller->log();
  EXPECT_EQ(PodStatus(), 404);
  EXPECT_EQ(server->StatCount("create networkpolicies.networking.k8s.io"), 1) << "isolate not repeated";
  EXPECT_EQ(server->StatCount("patch nodes node-1"), 1) << "cordon not repeated";
}

TEST_F(ControllerIntegration, ApiFaultsEndInSuccessWithoutDuplicates) {
  StartController();
  CreatePolicy("contain-shells", kContainPolicy);
  server->InjectError("/apis/networking.k8s.io/v1/namespaces/shop/networkpolicies", 500, 2, 0, "create");
  server->InjectError("/api/v1/nodes/node-1", 429, 2, 1, "patch");
  server->DropWatches();
  auto r = controller->PostAlert(CorpusLine(0));
  ASSERT_EQ(r.status, 201) << r.body;
  auto name = r.Json().at("responses").at(0).at("responseAction").as_string();
  ASSERT_TRUE(WaitPhase(name, "Succeeded")) << controller->log();
  EXPECT_EQ(server->Api("GET", "/apis/networking.k8s.io/v1/namespaces/shop/networkpolicies").Json().at("items").size(), 1u);
  EXPECT_TRUE(server->Api("GET", "/api/v1/nodes/node-1").Json().at("spec").at("unschedulable").as_bool());
  EXPECT_EQ(PodStatus(), 404);
}

TEST_F(ControllerIntegration, ApiOutageAnswers503WithRetryAfter) {
  StartController();
  CreatePolicy("contain-shells", kContainPolicy);
  server->InjectError("/apis/riposte.io/v1alpha1/namespaces/shop/responseactions", 503, 100, 0, "create");
  auto r = controller->PostAlert(CorpusLine(0));
  EXPECT_EQ(r.status, 503) << r.body;
  EXPECT_EQ(r.headers.count("retry-after"), 1u);
  server->ClearFaults();
  auto again = controller->PostAlert(CorpusLine(0));
  EXPECT_EQ(again.status, 201) << again.body;
  EXPECT_EQ(ResponseActions().size(), 1u);
}

// Regression: after SIGTERM the work queue still handed out its whole backlog and the workers
// reconciled all of it before exiting (controller_bench's controller took minutes to stop).
TEST_F(ControllerIntegration, SigtermDoesNotWorkOffTheBacklog) {
  constexpr int kBacklog = 200;
  auto items = value::array();
  for (int i = 0; i < kBacklog; ++i) {
    auto ra = value::parse(std::string(R"({"apiVersion":"riposte.io/v1alpha1","kind":"ResponseAction",
        "metadata":{"namespace":"shop"},"spec":{"target":{"pod":")") + kPod + R"("},"actions":[{"type":"event"}],"dryRun":true}})");
    ra["metadata"]["name"] = value::string("backlog-" + std::to_string(i));
    items[items.size()] = ra;
  }
  auto list = value::object();
  list["items"] = items;
  server->Seed(list);
  // ~8 requests per ResponseAction at 10 requests/s: the backlog would take minutes.
  StartController({"--kube-api-qps", "10", "--kube-api-burst", "1"});
  auto succeeded = [&] {
    int n = 0;
    for (const auto& ra : ResponseActions())
      if (ra.has_field("status") && ra.at("status").has_field("phase") && ra.at("status").at("phase").as_string() == "Succeeded") ++n;
    return n;
  };
  ASSERT_TRUE(Eventually([&] { return succeeded() > 0; }, 30s)) << controller->log();
  EXPECT_TRUE(controller->Stop(20s)) << "exit 0 on SIGTERM while " << kBacklog - succeeded() << " are queued\n" << controller->log();
  EXPECT_LT(succeeded(), kBacklog);
}

// One incident record per target: the 999 alerts the cooldown suppresses are attached to the
// one ResponseAction and written in one status patch (the shutdown flush; the interval is long).
TEST_F(ControllerIntegration, FloodIsAttachedToOneIncidentRecordInOneStatusWrite) {
  StartController({"--policy-status-interval", "10m"});
  CreatePolicy("contain-shells", kContainPolicy);
  std::string name;
  for (int i = 0; i < 1000; ++i) {
    auto r = controller->PostAlert(CorpusLine(0));
    ASSERT_LT(r.status, 300) << r.body;
    if (i == 0) name = r.Json().at("responses").at(0).at("responseAction").as_string();
    else ASSERT_EQ(r.Json().at("suppressed").at(0).at("responseAction").as_string(), name) << r.body;
  }
  EXPECT_NE(controller->GetOps("/metrics").second.find("riposte_incident_alerts_total{result=\"attached\"} 999"),
            std::string::npos);
  ASSERT_TRUE(controller->Stop()) << controller->log();
  auto ra = server->Api("GET", "/apis/riposte.io/v1alpha1/namespaces/shop/responseactions/" + name).Json();
  auto in = ra.at("status").at("incident");
  EXPECT_EQ(in.at("alertCount").as_integer(), 1000) << in.serialize();
  EXPECT_EQ(in.at("rules").size(), 1u);
  EXPECT_EQ(in.at("rules").at(0).at("count").as_integer(), 1000);
  EXPECT_EQ(in.at("lastOutputs").size(), 5u);
  EXPECT_EQ(server->StatCount("patch responseactions.riposte.io/status shop/" + name), 1) << "999 alerts, one write";
}

TEST_F(ControllerIntegration, IncidentWriteConflictsAndOutagesAreRetriedWithoutLosingAlerts) {
  StartController({"--policy-status-interval", "1s"});
  CreatePolicy("contain-shells", kContainPolicy);
  auto r = controller->PostAlert(CorpusLine(0));
  ASSERT_EQ(r.status, 201) << r.body;
  auto name = r.Json().at("responses").at(0).at("responseAction").as_string();
  const std::string status_path = "/apis/riposte.io/v1alpha1/namespaces/shop/responseactions/" + name + "/status";
  auto alert_count = [&] {
    auto v = server->Api("GET", "/apis/riposte.io/v1alpha1/namespaces/shop/responseactions/" + name).Json();
    if (!v.has_field("status") || !v.at("status").has_field("incident")) return int64_t{0};
    return static_cast<int64_t>(v.at("status").at("incident").at("alertCount").as_integer());
  };
  // Someone else wrote in between, twice: the flush re-reads and retries.
  server->InjectError(status_path, 409, 2, 0, "patch");
  for (int i = 0; i < 3; ++i) ASSERT_EQ(controller->PostAlert(CorpusLine(0)).status, 200);
  ASSERT_TRUE(Eventually([&] { return alert_count() == 4; }, 20s)) << alert_count() << "\n" << controller->log();
  EXPECT_NE(controller->GetOps("/metrics").second.find("riposte_incident_status_writes_total{result=\"conflict\"}"),
            std::string::npos);
  // The API refuses status writes for a while: the alerts wait for a later flush.
  server->InjectError(status_path, 500, 6, 0, "patch");
  for (int i = 0; i < 2; ++i) ASSERT_EQ(controller->PostAlert(CorpusLine(0)).status, 200);
  ASSERT_TRUE(Eventually([&] { return alert_count() == 6; }, 30s)) << alert_count() << "\n" << controller->log();
  EXPECT_EQ(PhaseOf(name), "Succeeded") << "the reconciler's status survives the incident writes";
}

}  // namespace
}  // namespace riposte::controller
