// Incident records against the fake kube client: alerts attached to a ResponseAction are
// counted in memory and written once per ResponseAction and flush (never once per alert), on
// the status subresource, added to what is stored with a resourceVersion precondition; the
// record is bounded (rules, outputs, output length) and so is the memory behind it (pending
// ResponseActions), with drops counted. The guard and the ingestor name the ResponseAction
// that holds a target's cooldown, and the timeline reads it all back.

#include <gtest/gtest.h>

#include "controller/codec.h"
#include "controller/guards.h"
#include "controller/incident_timeline.h"
#include "controller/incidents.h"
#include "controller/ingest.h"
#include "tests/fakes/fake_kube_client.h"

namespace riposte::controller {
namespace {

using namespace std::chrono_literals;
using web::json::value;
using Wall = std::chrono::system_clock;

const kube::Resource& kRes = kube::resources::kResponseActions;
const std::string kGR = kRes.GroupResource();
const Wall::time_point kT0 = Wall::time_point(std::chrono::seconds(1795000000));

Alert MakeAlert(const std::string& rule, Wall::time_point at, const std::string& output = "") {
  Alert a;
  a.rule = rule;
  a.time = at;
  a.output = output.empty() ? rule + " fired" : output;
  return a;
}

class IncidentsTest : public ::testing::Test {
 protected:
  void SetUp() override { fake = std::make_shared<fakes::FakeKubeClient>(); }

  value Seed(const std::string& name, const std::string& status_json = "") {
    auto obj = value::parse(R"({"apiVersion":"riposte.io/v1alpha1","kind":"ResponseAction","metadata":{"name":")" +
                            name + R"(","namespace":"shop"},"spec":{"target":{"pod":"web-1"},"actions":[{"type":"event"}],
        "alert":{"rule":"Terminal shell in container","priority":"Warning","source":"syscall",
                 "time":"2026-11-18T00:00:00Z","output":"shell spawned"}}})");
    if (!status_json.empty()) obj["status"] = value::parse(status_json);
    return fake->Seed(kRes, obj);
  }
  std::optional<IncidentSummary> Incident(const std::string& name) {
    ResponseAction ra;
    json::Errors ignored;
    DecodeResponseAction(fake->Peek(kRes, "shop", name).value(), &ra, &ignored);
    return ra.status.incident;
  }
  size_t StatusPatches() {
    size_t n = 0;
    for (const auto& a : fake->ActionsFor("patch", kGR)) n += a.subresource == "status" ? 1 : 0;
    return n;
  }

  std::shared_ptr<fakes::FakeKubeClient> fake;
};

TEST_F(IncidentsTest, AFloodIsOneStatusWritePerResponseActionAndFlush) {
  Seed("contain-a");
  Seed("contain-b");
  IncidentAggregator agg(fake);
  for (int i = 0; i < 500; ++i) agg.Attach("shop", i % 2 ? "contain-a" : "contain-b", MakeAlert("Shell", kT0 + 1s * i));
  EXPECT_EQ(StatusPatches(), 0u) << "attaching must not write to the API";
  EXPECT_EQ(agg.pending(), 2u);
  auto st = agg.Flush();
  EXPECT_EQ(st.written, 2u);
  EXPECT_EQ(StatusPatches(), 2u) << "500 alerts, two ResponseActions: two writes";
  EXPECT_TRUE(fake->ActionsFor("update", kGR).empty());
  auto a = Incident("contain-a");
  ASSERT_TRUE(a);
  // The ResponseAction's own alert starts the record.
  EXPECT_EQ(a->alert_count, 251u);
  EXPECT_EQ(a->first_seen, "2026-11-18T00:00:00Z");
  EXPECT_EQ(a->last_seen, FormatRfc3339(kT0 + 499s));
  ASSERT_EQ(a->rules.size(), 2u);
  EXPECT_EQ(a->rules[0].rule, "Shell");
  EXPECT_EQ(a->rules[0].count, 250u);
  EXPECT_EQ(a->rules[1].rule, "Terminal shell in container");
  EXPECT_EQ(a->rules[1].count, 1u);
  EXPECT_EQ(agg.attached(), 500u);
  EXPECT_EQ(agg.dropped(), 0u);
  fake->ClearActions();
  EXPECT_EQ(agg.Flush().written, 0u);
  EXPECT_TRUE(fake->Actions().empty()) << "nothing new: nothing written";
}

TEST_F(IncidentsTest, AddsToTheStoredRecordAcrossFlushes) {
  Seed("contain");
  IncidentAggregator agg(fake);
  agg.Attach("shop", "contain", MakeAlert("Shell", kT0));
  ASSERT_EQ(agg.Flush().written, 1u);
  agg.Attach("shop", "contain", MakeAlert("Shell", kT0 + 5s));
  agg.Attach("shop", "contain", MakeAlert("Write below etc", kT0 + 6s));
  ASSERT_EQ(agg.Flush().written, 1u);
  auto in = Incident("contain");
  ASSERT_TRUE(in);
  EXPECT_EQ(in->alert_count, 4u);
  EXPECT_EQ(in->rules[0].rule, "Shell");
  EXPECT_EQ(in->rules[0].count, 2u);
  EXPECT_EQ(in->last_seen, FormatRfc3339(kT0 + 6s));
  ASSERT_EQ(in->last_outputs.size(), 4u);
  EXPECT_EQ(in->last_outputs.back().rule, "Write below etc");
}

TEST_F(IncidentsTest, RulesOutputsAndOutputLengthAreCapped) {
  Seed("contain");
  IncidentLimits lim;
  lim.max_rules = 3;
  lim.max_outputs = 2;
  lim.max_output_bytes = 10;
  IncidentAggregator agg(fake, lim);
  // r0 x5, r1 x4, ..., r5 x1 interleaved; plus the stored trigger rule x1.
  for (int r = 0; r < 6; ++r)
    for (int n = 0; n < 6 - r; ++n)
      agg.Attach("shop", "contain", MakeAlert("r" + std::to_string(r), kT0 + 1s * (r * 10 + n), std::string(100, 'x')));
  ASSERT_EQ(agg.Flush().written, 1u);
  auto in = Incident("contain");
  ASSERT_TRUE(in);
  EXPECT_EQ(in->alert_count, 22u);
  ASSERT_EQ(in->rules.size(), 3u);
  EXPECT_EQ(in->rules[0].rule, "r0");
  EXPECT_EQ(in->rules[0].count, 6u);
  EXPECT_EQ(in->rules[2].rule, "r2");
  uint64_t total = in->other_rules_count;
  for (const auto& r : in->rules) total += r.count;
  EXPECT_EQ(total, 22u) << "every alert is counted under a rule or under otherRulesCount";
  ASSERT_EQ(in->last_outputs.size(), 2u);
  for (const auto& o : in->last_outputs) EXPECT_LE(o.output.size(), 10u);
}

TEST_F(IncidentsTest, OutputIsCutOnAUtf8Boundary) {
  Seed("contain");
  IncidentLimits lim;
  lim.max_output_bytes = 5;
  IncidentAggregator agg(fake, lim);
  agg.Attach("shop", "contain", MakeAlert("Shell", kT0, "ab\xc3\xa9\xc3\xa9"));  // "abéé": 6 bytes
  ASSERT_EQ(agg.Flush().written, 1u);
  EXPECT_EQ(Incident("contain")->last_outputs.back().output, "ab\xc3\xa9");
}

TEST_F(IncidentsTest, FloodBeyondThePendingCapIsDroppedAndCounted) {
  IncidentLimits lim;
  lim.max_pending = 4;
  IncidentAggregator agg(fake, lim);
  int soon = 0;
  lim.flush_soon_at = 3;
  IncidentAggregator agg2(fake, lim);
  agg2.SetFlushSoon([&] { ++soon; });
  for (int i = 0; i < 10; ++i) {
    agg.Attach("shop", "ra-" + std::to_string(i), MakeAlert("Shell", kT0));
    agg2.Attach("shop", "ra-" + std::to_string(i), MakeAlert("Shell", kT0));
  }
  // More alerts for an already-pending ResponseAction are never dropped.
  for (int i = 0; i < 100; ++i) EXPECT_TRUE(agg.Attach("shop", "ra-0", MakeAlert("Shell", kT0)));
  EXPECT_EQ(agg.pending(), 4u);
  EXPECT_EQ(agg.dropped(), 6u);
  EXPECT_EQ(agg.attached(), 104u);
  EXPECT_GE(soon, 1) << "reaching flush_soon_at asks for an early flush";
}

TEST_F(IncidentsTest, AConflictIsRetriedOnTheNewestVersion) {
  Seed("contain");
  const value before = fake->Peek(kRes, "shop", "contain").value();
  // The reconciler writes the status meanwhile; our cached copy is stale.
  auto moved = before;
  moved["status"] = value::parse(R"({"phase":"Succeeded","results":[]})");
  ASSERT_TRUE(fake->UpdateStatus(kRes, "shop", moved).ok());
  IncidentAggregator agg(fake, {}, [&](const std::string&, const std::string&) {
    return std::make_shared<const value>(before);
  });
  agg.Attach("shop", "contain", MakeAlert("Shell", kT0));
  auto st = agg.Flush();
  EXPECT_EQ(st.written, 1u);
  EXPECT_EQ(st.conflicts, 1u) << "the stale copy must be refused by the resourceVersion precondition";
  auto stored = fake->Peek(kRes, "shop", "contain").value();
  EXPECT_EQ(stored.at("status").at("phase").as_string(), "Succeeded") << "the reconciler's status survives";
  EXPECT_EQ(Incident("contain")->alert_count, 2u);
}

TEST_F(IncidentsTest, EndlessConflictsAndOutagesKeepTheAlertsForTheNextFlush) {
  Seed("contain");
  IncidentAggregator agg(fake);
  agg.Attach("shop", "contain", MakeAlert("Shell", kT0));
  fake->FailNext("patch", kGR, kube::MakeError(kube::ErrorKind::kConflict, "modified"), IncidentAggregator::kMaxAttempts);
  auto st = agg.Flush();
  EXPECT_EQ(st.failed, 1u);
  EXPECT_EQ(st.conflicts, static_cast<size_t>(IncidentAggregator::kMaxAttempts));
  fake->FailNext("patch", kGR, kube::MakeError(kube::ErrorKind::kServiceUnavailable, "apiserver overloaded"));
  agg.Attach("shop", "contain", MakeAlert("Shell", kT0 + 1s));
  EXPECT_EQ(agg.Flush().failed, 1u);
  agg.Attach("shop", "contain", MakeAlert("Shell", kT0 + 2s));
  ASSERT_EQ(agg.Flush().written, 1u);
  auto in = Incident("contain");
  EXPECT_EQ(in->alert_count, 4u);
  ASSERT_EQ(in->last_outputs.size(), 4u);
  EXPECT_EQ(in->last_outputs.back().time, FormatRfc3339(kT0 + 2s)) << "kept alerts stay in arrival order";
  EXPECT_EQ(agg.pending(), 0u);
}

TEST_F(IncidentsTest, DeletedResponseActionsAreForgotten) {
  IncidentAggregator agg(fake);
  agg.Attach("shop", "gone", MakeAlert("Shell", kT0));
  auto st = agg.Flush();
  EXPECT_EQ(st.dropped, 1u);
  EXPECT_EQ(agg.pending(), 0u);
}

TEST_F(IncidentsTest, TheReconcilersStatusWriteKeepsTheRecord) {
  auto stored = Seed("contain", R"({"phase":"Running","incident":{"alertCount":7,"firstSeen":"2026-11-18T00:00:00Z",
      "lastSeen":"2026-11-18T00:01:00Z","rules":[{"rule":"Shell","count":7}],"otherRulesCount":0,"lastOutputs":[]}})");
  ResponseAction ra;
  json::Errors errs;
  ASSERT_TRUE(DecodeResponseAction(stored, &ra, &errs));
  ra.status.phase = Phase::kSucceeded;
  auto sent = EncodeStatusUpdate(ra);
  EXPECT_EQ(sent.at("status").at("incident").at("alertCount").as_integer(), 7);
  EXPECT_EQ(sent.at("status").at("incident").at("rules").at(0).at("rule").as_string(), "Shell");
}

TEST_F(IncidentsTest, MalformedStoredRecordReadsLeniently) {
  Seed("contain", R"({"incident":{"alertCount":"many","rules":[{"count":3},{"rule":"Shell","count":-2}],
      "lastOutputs":"none"}})");
  IncidentAggregator agg(fake);
  agg.Attach("shop", "contain", MakeAlert("Shell", kT0));
  ASSERT_EQ(agg.Flush().written, 1u);
  auto in = Incident("contain");
  EXPECT_EQ(in->alert_count, 1u);
  ASSERT_EQ(in->rules.size(), 1u);
  EXPECT_EQ(in->rules[0].count, 1u);
}

// ---- guards and ingest: which ResponseAction an alert is attached to -----------------

Policy CooldownPolicy() {
  Policy p;
  p.name = "contain";
  p.guards.cooldown_seconds = 300;
  p.guards.max_actions_per_minute = 100;
  return p;
}

TEST(IncidentGuardsTest, CooldownSuppressionNamesTheResponseActionHoldingIt) {
  Wall::time_point now = kT0;
  Guards g(GuardConfig{}, [&] { return now; });
  auto p = CooldownPolicy();
  AlertTarget t{"shop", "web-1", ""};
  auto first = g.Admit(p, t);
  ASSERT_EQ(first.reason, Suppression::kNone);
  g.Commit(first, "contain-abc");
  now += 10s;
  auto second = g.Admit(p, t);
  EXPECT_EQ(second.reason, Suppression::kCooldown);
  EXPECT_EQ(second.incident, "contain-abc");
}

TEST(IncidentGuardsTest, AResponseActionSeenInTheApiIsNamedAfterARestart) {
  Wall::time_point now = kT0;
  Guards g(GuardConfig{}, [&] { return now; });
  g.ObserveExisting("contain", "shop", "web-1", kT0 - 20s, 300, "contain-old");
  g.ObserveExisting("contain", "shop", "web-1", kT0 - 10s, 300, "contain-new");
  g.ObserveExisting("contain", "shop", "web-1", kT0 - 30s, 300, "contain-older");
  auto t = g.Admit(CooldownPolicy(), AlertTarget{"shop", "web-1", ""});
  EXPECT_EQ(t.reason, Suppression::kCooldown);
  EXPECT_EQ(t.incident, "contain-new") << "the newest ResponseAction holds the cooldown";
}

class CreateRecorder : public ResponseRecorder {
 public:
  RecordOutcome Create(const std::string&, const value& ra, std::string*) override {
    names.push_back(ra.at("metadata").at("name").as_string());
    return RecordOutcome::kCreated;
  }
  std::vector<std::string> names;
};

TEST(IncidentIngestTest, AlertsInTheCooldownAreAttachedAndStillAnswered200) {
  auto obj = value::parse(R"({"metadata":{"name":"contain-shells"},"spec":{
    "match":{"rules":["Terminal shell in container"]},"actions":[{"type":"event"}],"guards":{"cooldownSeconds":300}}})");
  std::vector<std::string> errors;
  PolicyPtr policy = CompilePolicy(obj, BuiltinActions(), &errors);
  ASSERT_TRUE(errors.empty());
  Guards guards(GuardConfig{});
  auto recorder = std::make_shared<CreateRecorder>();
  std::vector<std::pair<std::string, std::string>> attached;  // ns/name, rule
  bool accept = true;
  IngestDeps deps;
  deps.policies = [&] { return std::vector<PolicyPtr>{policy}; };
  deps.namespace_labels = [](const std::string&) { return std::map<std::string, std::string>{}; };
  deps.recorder = recorder;
  deps.guards = &guards;
  deps.attach_to_incident = [&](const Alert& a, const std::string& ns, const std::string& name) {
    attached.emplace_back(ns + "/" + name, a.rule);
    return accept;
  };
  AlertIngestor ingest(deps);
  const std::string body = R"({"rule":"Terminal shell in container","priority":"Warning","time":"2026-11-18T00:00:00Z",
      "output":"shell","output_fields":{"k8s.ns.name":"shop","k8s.pod.name":"web-1"}})";
  auto first = ingest.Handle(body);
  ASSERT_EQ(first.status, 201);
  ASSERT_EQ(recorder->names.size(), 1u);
  auto second = ingest.Handle(body);
  EXPECT_EQ(second.status, 200) << "the answer to a suppressed alert does not change";
  ASSERT_EQ(attached.size(), 1u);
  EXPECT_EQ(attached[0].first, "shop/" + recorder->names[0]);
  const auto& s = second.body.at("suppressed").at(0);
  EXPECT_EQ(s.at("reason").as_string(), "cooldown");
  EXPECT_EQ(s.at("responseAction").as_string(), recorder->names[0]);
  EXPECT_TRUE(s.at("attached").as_bool());
  // Flood cap reached: still 200, the body says the alert was not attached.
  accept = false;
  auto third = ingest.Handle(body);
  EXPECT_EQ(third.status, 200);
  EXPECT_FALSE(third.body.at("suppressed").at(0).at("attached").as_bool());
  EXPECT_EQ(recorder->names.size(), 1u);
}

// ---- the timeline -------------------------------------------------------------------

TEST_F(IncidentsTest, TimelineMergesResponseActionsIncidentsAndEventsByTime) {
  Seed("contain", R"({"phase":"Succeeded","results":[{"index":0,"type":"event","state":"Succeeded","attempts":1,
      "startTime":"2026-11-18T00:00:02Z","completionTime":"2026-11-18T00:00:03Z"}],
      "incident":{"alertCount":3,"firstSeen":"2026-11-18T00:00:00Z","lastSeen":"2026-11-18T00:00:09Z",
      "rules":[{"rule":"Shell","count":2},{"rule":"Terminal shell in container","count":1}],"otherRulesCount":0,
      "lastOutputs":[{"time":"2026-11-18T00:00:00Z","rule":"Terminal shell in container","output":"shell spawned"},
                     {"time":"2026-11-18T00:00:05Z","rule":"Shell","output":"again"}]}})");
  auto other = value::parse(R"({"apiVersion":"riposte.io/v1alpha1","kind":"ResponseAction","metadata":{"name":"other",
      "namespace":"shop"},"spec":{"target":{"pod":"db-0"},"actions":[{"type":"event"}]}})");
  fake->Seed(kRes, other);
  fake->Seed(kube::resources::kNamespaces, value::parse(R"({"metadata":{"name":"shop"}})"));
  fake->Seed(kube::resources::kEvents, value::parse(R"({"metadata":{"name":"e1","namespace":"shop"},
      "involvedObject":{"kind":"ResponseAction","name":"contain"},"reason":"ResponseSucceeded","type":"Normal",
      "message":"all actions done","lastTimestamp":"2026-11-18T00:00:04Z"})"));
  fake->Seed(kube::resources::kEvents, value::parse(R"({"metadata":{"name":"e2","namespace":"shop"},
      "involvedObject":{"kind":"Pod","name":"web-1"},"reason":"Killing","type":"Normal",
      "message":"Stopping container","lastTimestamp":"2026-11-18T00:00:03.500000Z"})"));
  TimelineError err;
  auto t = BuildTimeline(*fake, "shop", "web-1", &err);
  ASSERT_TRUE(t) << err.message;
  ASSERT_EQ(t->response_actions.size(), 1u) << "--pod keeps only that pod's ResponseActions";
  std::vector<std::string> kinds;
  for (const auto& e : t->entries) kinds.push_back(e.kind + "@" + e.time);
  // The trigger alert appears once, the attached one once, then in time order.
  std::vector<std::string> want{"alert@2026-11-18T00:00:00Z", "action@2026-11-18T00:00:03Z",
                                "event@2026-11-18T00:00:03.500000Z", "event@2026-11-18T00:00:04Z",
                                "alert@2026-11-18T00:00:05Z", "alerts@2026-11-18T00:00:09Z"};
  // "created" carries the server's creationTimestamp (now): last.
  ASSERT_EQ(kinds.size(), want.size() + 1) << ::testing::PrintToString(kinds);
  for (size_t i = 0; i < want.size(); ++i) EXPECT_EQ(kinds[i], want[i]);
  EXPECT_EQ(t->entries.back().kind, "created");
  auto table = RenderTimelineTable(*t);
  EXPECT_NE(table.find("3 alerts since 2026-11-18T00:00:00Z"), std::string::npos) << table;
  EXPECT_NE(table.find("Shell x2, Terminal shell in container x1"), std::string::npos) << table;
  auto j = TimelineJson(*t);
  EXPECT_EQ(j.at("version").as_integer(), 1);
  EXPECT_EQ(j.at("pod").as_string(), "web-1");
  EXPECT_EQ(j.at("responseActions").at(0).at("incident").at("alertCount").as_integer(), 3);
  EXPECT_EQ(j.at("timeline").size(), kinds.size());
  EXPECT_TRUE(j.at("eventsError").is_null());
}

TEST_F(IncidentsTest, TimelineErrorsNameTheirCause) {
  TimelineError err;
  fake->FailNext("list", kGR, kube::MakeError(kube::ErrorKind::kNotFound, "the server could not find the requested resource"));
  EXPECT_FALSE(BuildTimeline(*fake, "shop", "", &err));
  EXPECT_EQ(err.code, "crd_missing");
  EXPECT_NE(err.message.find("install the CRDs"), std::string::npos);
  fake->FailNext("list", kGR, kube::MakeError(kube::ErrorKind::kForbidden, "cannot list resource"));
  EXPECT_FALSE(BuildTimeline(*fake, "shop", "", &err));
  EXPECT_EQ(err.code, "forbidden");
  EXPECT_NE(err.message.find("RBAC"), std::string::npos);
  // No such namespace: an empty list would look like "no incidents".
  EXPECT_FALSE(BuildTimeline(*fake, "nope", "", &err));
  EXPECT_EQ(err.code, "namespace_not_found");
  // Events unreadable: the timeline still comes, saying what it lacks.
  Seed("contain");
  fake->FailNext("list", kube::resources::kEvents.GroupResource(), kube::MakeError(kube::ErrorKind::kForbidden, "events"));
  auto t = BuildTimeline(*fake, "shop", "", &err);
  ASSERT_TRUE(t);
  EXPECT_NE(t->events_error.find("events not read"), std::string::npos);
}

}  // namespace
}  // namespace riposte::controller
