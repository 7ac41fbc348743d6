// One incident record per target, on the real kube-apiserver: alerts for a pod whose
// ResponseAction holds the cooldown are attached to it (status.incident: count, first/last
// seen, per-rule counts, last outputs) in one batched status patch, shown by the printer
// columns and by `riposte incidents` (table and JSON); a restarted controller attaches to the
// same ResponseAction; `riposte incidents` names its failures (no such namespace, RBAC,
// invalid flags).

#include <gtest/gtest.h>

#include <optional>
#include <set>

#include "controller/alert.h"
#include "tests/e2e/fixtures.h"
#include "tests/e2e/riposte_local.h"
#include "tests/e2e/suite.h"

namespace riposte::e2e {
namespace {

using web::json::value;

const std::string kNs = "incidents";
const std::string kControllerUser =
    std::string("system:serviceaccount:") + kReleaseNamespace + ":" + kFullname + "-controller";

std::string Alert(const std::string& pod, const std::string& rule, int second, const std::string& output) {
  auto a = value::object();
  a["rule"] = value::string(rule);
  a["priority"] = value::string("Warning");
  a["source"] = value::string("syscall");
  a["time"] = value::string("2026-11-28T16:00:" + std::string(second < 10 ? "0" : "") + std::to_string(second) + "Z");
  a["output"] = value::string(output);
  a["output_fields"] = value::object();
  a["output_fields"]["k8s.ns.name"] = value::string(kNs);
  a["output_fields"]["k8s.pod.name"] = value::string(pod);
  return a.serialize();
}

std::string Norm(const std::string& t) { return controller::FormatRfc3339(*controller::ParseRfc3339(t)); }

int IncidentStatusPatches(const std::string& name) {
  auto& c = Suite::Get().cluster();
  c.FlushAudit();
  int n = 0;
  for (const auto& e : c.AuditEvents())
    if (e.user == kControllerUser && e.verb == "patch" && e.resource == "responseactions" && e.subresource == "status" &&
        e.ns == kNs && e.name == name && e.code < 300)
      ++n;
  return n;
}

CommandResult Incidents(std::vector<std::string> args, const std::string& kubeconfig = "") {
  auto& s = Suite::Get();
  std::vector<std::string> argv = {s.binary(), "incidents", "--kubeconfig",
                                   kubeconfig.empty() ? s.cluster().admin_kubeconfig() : kubeconfig};
  argv.insert(argv.end(), args.begin(), args.end());
  return RunCommand(argv);
}

TEST(Incidents, AlertsForOnePodBecomeOneIncidentRecordShownByKubectlAndRiposteIncidents) {
  CreateNamespace(kNs);
  CreateNode("incidents-node");
  auto w = CreateReplicaSet(kNs, "web", 1, "incidents-node");
  const std::string pod = w.pods[0];
  CreateResponsePolicy("incident-shells", R"({"match":{"rules":["Terminal shell in container","Write below etc"],
      "namespaces":["incidents"]},"actions":[{"type":"event","reason":"ShellSeen"}],"guards":{"cooldownSeconds":600}})");
  // A long flush interval: the incident record is written by the shutdown flush, so the
  // number of writes does not depend on how fast the alerts arrive.
  LocalControllerOptions opts;
  opts.flags = {{"--policy-status-interval", "10m"}};
  auto controller = std::make_unique<LocalController>("incidents", opts);
  ASSERT_TRUE(WaitPolicyCompiled("incident-shells")) << controller->Log();

  auto first = controller->PostAlert(Alert(pod, "Terminal shell in container", 0, "shell 0"));
  ASSERT_EQ(first.status, 201) << first.body << controller->Log();
  const std::string name = Str(Json(first.body).at("responses").at(0), {"responseAction"});
  ASSERT_TRUE(WaitPhase(kNs, name, "Succeeded")) << Results(Get(RaPath(kNs, name))) << controller->Log();

  const std::vector<std::pair<std::string, int>> more = {{"Terminal shell in container", 1},
                                                         {"Terminal shell in container", 2},
                                                         {"Write below etc", 3},
                                                         {"Terminal shell in container", 4},
                                                         {"Write below etc", 5}};
  for (const auto& [rule, sec] : more) {
    auto r = controller->PostAlert(Alert(pod, rule, sec, "output " + std::to_string(sec)));
    ASSERT_EQ(r.status, 200) << "a suppressed alert is answered as before: " << r.body;
    const value body = Json(r.body);
    const auto& s = body.at("suppressed").at(0);
    EXPECT_EQ(Str(s, {"reason"}), "cooldown") << r.body;
    EXPECT_EQ(Str(s, {"responseAction"}), name) << r.body;
    EXPECT_TRUE(s.at("attached").as_bool()) << r.body;
  }
  EXPECT_NE(controller->Metrics().find("riposte_incident_alerts_total{result=\"attached\"} 5"), std::string::npos)
      << controller->Metrics();
  ASSERT_TRUE(controller->Stop()) << controller->Log();

  auto ra = Get(RaPath(kNs, name));
  const auto* in = Find(ra, {"status", "incident"});
  ASSERT_NE(in, nullptr) << ra.serialize();
  EXPECT_EQ(in->at("alertCount").as_integer(), 6) << in->serialize();
  EXPECT_EQ(Str(*in, {"firstSeen"}), Norm("2026-11-28T16:00:00Z"));
  EXPECT_EQ(Str(*in, {"lastSeen"}), Norm("2026-11-28T16:00:05Z"));
  ASSERT_EQ(in->at("rules").size(), 2u) << in->serialize();
  EXPECT_EQ(Str(in->at("rules").at(0), {"rule"}), "Terminal shell in container");
  EXPECT_EQ(in->at("rules").at(0).at("count").as_integer(), 4);
  EXPECT_EQ(in->at("rules").at(1).at("count").as_integer(), 2);
  ASSERT_EQ(in->at("lastOutputs").size(), 5u) << "bounded to the last five";
  EXPECT_EQ(Str(in->at("lastOutputs").at(4), {"output"}), "output 5");
  EXPECT_EQ(Str(in->at("lastOutputs").at(0), {"output"}), "output 1");
  EXPECT_EQ(Str(ra, {"status", "phase"}), "Succeeded") << "the reconciler's status is kept";
  EXPECT_EQ(IncidentStatusPatches(name), 1) << "five alerts, one status write";

  // A restarted controller learns from the API which ResponseAction holds the cooldown.
  auto again = std::make_unique<LocalController>("incidents-restarted", opts);
  auto r = again->PostAlert(Alert(pod, "Write below etc", 9, "output 9"));
  ASSERT_EQ(r.status, 200) << r.body << again->Log();
  EXPECT_EQ(Str(Json(r.body).at("suppressed").at(0), {"responseAction"}), name) << r.body;
  ASSERT_TRUE(again->Stop()) << again->Log();
  ra = Get(RaPath(kNs, name));
  EXPECT_EQ(Find(ra, {"status", "incident", "alertCount"})->as_integer(), 7) << ra.serialize();
  EXPECT_EQ(Str(ra, {"status", "incident", "lastSeen"}), Norm("2026-11-28T16:00:09Z"));
  EXPECT_EQ(IncidentStatusPatches(name), 2);

  // kubectl: the printer columns.
  auto get = Suite::Get().Kubectl({"-n", kNs, "get", "responseactions"});
  ASSERT_EQ(get.exit_code, 0) << get.Describe();
  EXPECT_NE(get.out.find("ALERTS"), std::string::npos) << get.out;
  EXPECT_NE(get.out.find("LAST ALERT"), std::string::npos) << get.out;
  auto row = get.out.substr(get.out.find(name));
  row = row.substr(0, row.find('\n'));
  EXPECT_NE(row.find(" 7 "), std::string::npos) << row;

  // riposte incidents: the table.
  auto table = Incidents({"-n", kNs, "--pod", pod});
  ASSERT_EQ(table.exit_code, 0) << table.Describe();
  for (const std::string& want : {std::string("TIME"), name, std::string("7 alerts since"),
                                  std::string("Terminal shell in container x4, Write below etc x3"),
                                  std::string("event: Succeeded"), std::string("output 9")})
    EXPECT_NE(table.out.find(want), std::string::npos) << want << " in\n" << table.out;

  // riposte incidents: JSON, sorted by time.
  auto js = Incidents({"--namespace", kNs, "--format", "json"});
  ASSERT_EQ(js.exit_code, 0) << js.Describe();
  auto doc = Json(js.out);
  EXPECT_EQ(doc.at("version").as_integer(), 1);
  EXPECT_EQ(Str(doc, {"namespace"}), kNs);
  EXPECT_TRUE(doc.at("pod").is_null());
  ASSERT_EQ(doc.at("responseActions").size(), 1u) << js.out;
  EXPECT_EQ(doc.at("responseActions").at(0).at("incident").at("alertCount").as_integer(), 7);
  std::set<std::string> kinds;
  std::optional<std::chrono::system_clock::time_point> prev;
  for (const auto& e : doc.at("timeline").as_array()) {
    kinds.insert(Str(e, {"kind"}));
    auto t = controller::ParseRfc3339(Str(e, {"time"}));
    ASSERT_TRUE(t) << e.serialize();
    if (prev) {
      EXPECT_LE(*prev, *t) << "timeline not sorted at " << e.serialize();
    }
    prev = t;
  }
  for (const char* k : {"created", "alert", "alerts", "action", "event"}) EXPECT_EQ(kinds.count(k), 1u) << k << js.out;
  EXPECT_TRUE(doc.at("eventsError").is_null()) << js.out;
}

TEST(Incidents, RiposteIncidentsNamesItsFailures) {
  // No such namespace: not an empty timeline.
  auto missing = Incidents({"-n", "no-such-namespace"});
  EXPECT_EQ(missing.exit_code, 1) << missing.Describe();
  EXPECT_NE(missing.err.find("namespace no-such-namespace not found"), std::string::npos) << missing.Describe();
  // RBAC: a ServiceAccount with no role.
  CreateNamespace("incidents-rbac");
  Post("/api/v1/namespaces/incidents-rbac/serviceaccounts", R"({"metadata":{"name":"nobody"}})");
  auto& s = Suite::Get();
  auto kc = s.cluster().WriteKubeconfig(s.NewDir("incidents-rbac") + "/kubeconfig",
                                        s.cluster().CreateToken("incidents-rbac", "nobody"));
  auto forbidden = Incidents({"-n", "incidents-rbac"}, kc);
  EXPECT_EQ(forbidden.exit_code, 1) << forbidden.Describe();
  EXPECT_NE(forbidden.err.find("not allowed to list responseactions.riposte.io in namespace incidents-rbac"),
            std::string::npos)
      << forbidden.Describe();
  // Invalid flags never reach the API.
  auto bad_ns = Incidents({"-n", "Not_A_Namespace"});
  EXPECT_EQ(bad_ns.exit_code, 2) << bad_ns.Describe();
  EXPECT_NE(bad_ns.err.find("--namespace"), std::string::npos) << bad_ns.Describe();
  auto bad_format = Incidents({"-n", "default", "--format", "yaml"});
  EXPECT_EQ(bad_format.exit_code, 2) << bad_format.Describe();
  // An empty namespace is an empty timeline, said in words.
  auto empty = Incidents({"-n", "incidents-rbac"});
  EXPECT_EQ(empty.exit_code, 0) << empty.Describe();
  EXPECT_NE(empty.out.find("no ResponseActions in namespace incidents-rbac"), std::string::npos) << empty.Describe();
}

}  // namespace
}  // namespace riposte::e2e
