// The alert pipeline without HTTP: parse, match, guard, record, answer.

#include <gtest/gtest.h>

#include <fstream>
#include <mutex>

#include "controller/ingest.h"
#include "controller/response_action.h"

namespace riposte::controller {
namespace {

using web::json::value;

std::vector<std::string> Lines(const std::string& file) {
  std::ifstream in(std::string(RIPOSTE_TEST_DATA_DIR) + "/corpus/" + file);
  std::vector<std::string> out;
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) out.push_back(line);
  return out;
}

class FakeRecorder : public ResponseRecorder {
 public:
  RecordOutcome Create(const std::string& ns, const value& ra, std::string* message) override {
    std::lock_guard lock(mu);
    ++calls;
    if (next != RecordOutcome::kCreated) {
      *message = "fake outage";
      return next;
    }
    std::string key = ns + "/" + ra.at("metadata").at("name").as_string();
    if (stored.count(key) != 0) return RecordOutcome::kAlreadyExists;
    stored[key] = ra;
    return RecordOutcome::kCreated;
  }
  std::mutex mu;
  int calls = 0;
  RecordOutcome next = RecordOutcome::kCreated;
  std::map<std::string, value> stored;
};

PolicyPtr ShellPolicy(bool dry_run = false) {
  auto obj = value::parse(R"({"metadata":{"name":"contain-shells"},"spec":{
    "match":{"rules":["Terminal shell in container"],"minPriority":"Notice"},
    "actions":[{"type":"isolate"},{"type":"terminate"}],"guards":{"cooldownSeconds":300}}})");
  if (dry_run) obj["spec"]["mode"] = value::string("dryRun");
  std::vector<std::string> errors;
  auto p = CompilePolicy(obj, BuiltinActions(), &errors);
  EXPECT_TRUE(errors.empty());
  return p;
}

struct Harness {
  std::shared_ptr<FakeRecorder> recorder = std::make_shared<FakeRecorder>();
  std::vector<PolicyPtr> policies{ShellPolicy()};
  bool ready = true;
  GuardConfig guard_config;
  std::unique_ptr<Guards> guards;
  std::unique_ptr<AlertIngestor> ingestor;
  std::vector<std::pair<std::string, Suppression>> decisions;
  explicit Harness(bool global_dry_run = false) {
    guard_config.protected_namespaces = {"kube-system", "payments"};
    guards = std::make_unique<Guards>(guard_config);
    IngestDeps deps;
    deps.policies = [this] { return policies; };
    deps.namespace_labels = [](const std::string&) { return std::map<std::string, std::string>{}; };
    deps.ready = [this] { return ready; };
    deps.recorder = recorder;
    deps.guards = guards.get();
    deps.global_dry_run = global_dry_run;
    deps.on_decision = [this](const Policy& p, Suppression s, const std::string&) { decisions.emplace_back(p.name, s); };
    ingestor = std::make_unique<AlertIngestor>(deps);
  }
};

TEST(Ingest, EveryBadBodyGets4xxJsonErrorAndIsNeverRecorded) {
  Harness h;
  for (const auto& line : Lines("falco_bad_bodies.jsonl")) {
    auto c = value::parse(line);
    SCOPED_TRACE(c.at("case").as_string());
    auto reply = h.ingestor->Handle(c.at("body").as_string());
    EXPECT_GE(reply.status, 400);
    EXPECT_LT(reply.status, 500);
    EXPECT_TRUE(reply.body.at("error").is_string());
    EXPECT_TRUE(reply.body.at("message").is_string());
  }
  EXPECT_EQ(h.recorder->calls, 0);
  EXPECT_EQ(h.ingestor->counters().rejected.load(), 12u);
}

TEST(Ingest, MatchedAlertIsRecordedAsAResponseActionBeforeAnswering) {
  Harness h;
  auto reply = h.ingestor->Handle(Lines("falco_events.jsonl")[0]);
  ASSERT_EQ(reply.status, 201) << reply.body.serialize();
  ASSERT_EQ(h.recorder->stored.size(), 1u);
  const auto& ra = h.recorder->stored.begin()->second;
  EXPECT_EQ(reply.body.at("responses").at(0).at("responseAction").as_string(),
            ra.at("metadata").at("name").as_string());
  EXPECT_EQ(ra.at("kind").as_string(), "ResponseAction");
  EXPECT_EQ(ra.at("metadata").at("namespace").as_string(), "shop");
  EXPECT_EQ(ra.at("metadata").at("labels").at(kLabelPolicy).as_string(), "contain-shells");
  EXPECT_EQ(ra.at("metadata").at("labels").at(kLabelTargetPod).as_string(), "web-7d9c8f-abcde");
  EXPECT_EQ(ra.at("metadata").at("annotations").at(kAnnotationAlertUuid).as_string(),
            "5a0c9e1e-8d1c-4b7e-9f7a-0c2b1e3d4f50");
  EXPECT_EQ(ra.at("metadata").at("finalizers").at(0).as_string(), kFinalizer);
  EXPECT_EQ(ra.at("spec").at("target").at("pod").as_string(), "web-7d9c8f-abcde");
  EXPECT_EQ(ra.at("spec").at("target").at("container").as_string(), "web");
  EXPECT_EQ(ra.at("spec").at("actions").size(), 2u);
  EXPECT_FALSE(ra.at("spec").at("dryRun").as_bool());
  EXPECT_EQ(ra.at("spec").at("policyRef").at("name").as_string(), "contain-shells");
  EXPECT_EQ(ra.at("spec").at("alert").at("rule").as_string(), "Terminal shell in container");
  EXPECT_EQ(ra.at("spec").at("alert").at("priority").as_string(), "Notice");
  EXPECT_EQ(h.ingestor->counters().matched.load(), 1u);
}

TEST(Ingest, NoMatchAndNoTargetAre200AndCounted) {
  Harness h;
  auto lines = Lines("falco_events.jsonl");
  auto r1 = h.ingestor->Handle(lines[1]);  // different rule
  EXPECT_EQ(r1.status, 200);
  EXPECT_FALSE(r1.body.at("matched").as_bool());
  auto r2 = h.ingestor->Handle(lines[6]);  // <NA> pod
  EXPECT_EQ(r2.status, 200);
  EXPECT_TRUE(r2.body.has_field("note"));
  EXPECT_EQ(h.recorder->calls, 0);
  EXPECT_EQ(h.ingestor->counters().unmatched.load(), 2u);
  EXPECT_EQ(h.ingestor->counters().no_target.load(), 1u);
}

TEST(Ingest, NotReadyAndApiOutageAnswer503WithRetryAfterAndLoseNothing) {
  Harness h;
  auto event = Lines("falco_events.jsonl")[0];
  h.ready = false;
  auto r = h.ingestor->Handle(event);
  EXPECT_EQ(r.status, 503);
  EXPECT_GT(r.retry_after_seconds, 0);
  EXPECT_EQ(h.recorder->calls, 0);
  h.ready = true;
  h.recorder->next = RecordOutcome::kUnavailable;
  r = h.ingestor->Handle(event);
  EXPECT_EQ(r.status, 503);
  EXPECT_GT(r.retry_after_seconds, 0);
  EXPECT_TRUE(h.recorder->stored.empty());
  // The sender retries once the API is back: the failed attempt did not start a cooldown.
  h.recorder->next = RecordOutcome::kCreated;
  r = h.ingestor->Handle(event);
  EXPECT_EQ(r.status, 201) << r.body.serialize();
  EXPECT_EQ(h.recorder->stored.size(), 1u);
}

TEST(Ingest, ResponseRecordedByAnotherReplicaCountsAsDurable) {
  Harness a;
  auto event = Lines("falco_events.jsonl")[0];
  EXPECT_EQ(a.ingestor->Handle(event).status, 201);
  // Replica b has no memory of it but derives the same name: the create collides.
  Harness b2;
  b2.recorder->stored = a.recorder->stored;
  auto r = b2.ingestor->Handle(event);
  EXPECT_GE(r.status, 200);
  EXPECT_LT(r.status, 300);
  EXPECT_EQ(r.body.at("responses").at(0).at("outcome").as_string(), "exists");
  EXPECT_EQ(b2.recorder->stored.size(), 1u);
}

TEST(Ingest, FloodOfOneThousandAlertsForOnePodGivesOneResponse) {
  Harness h;
  auto event = Lines("falco_events.jsonl")[0];
  int ok = 0;
  for (int i = 0; i < 1000; ++i) {
    auto r = h.ingestor->Handle(event);
    if (r.status >= 200 && r.status < 300) ++ok;
  }
  EXPECT_EQ(ok, 1000);
  EXPECT_EQ(h.recorder->calls, 1);
  EXPECT_EQ(h.recorder->stored.size(), 1u);
  EXPECT_EQ(h.guards->suppressed(Suppression::kCooldown), 999u);
}

TEST(Ingest, ProtectedNamespaceIsSuppressedVisibly) {
  Harness h;
  h.policies = {[] {
    auto obj = value::parse(R"({"metadata":{"name":"curl"},"spec":{"match":{"rules":["Contact K8S API Server From Container"]},"actions":[{"type":"isolate"}]}})");
    std::vector<std::string> errors;
    return CompilePolicy(obj, BuiltinActions(), &errors);
  }()};
  auto r = h.ingestor->Handle(Lines("falco_events.jsonl")[3]);  // namespace payments
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body.at("suppressed").at(0).at("reason").as_string(), "protected_namespace");
  EXPECT_EQ(h.recorder->calls, 0);
  ASSERT_EQ(h.decisions.size(), 1u);
  EXPECT_EQ(h.decisions[0].second, Suppression::kProtectedNamespace);
}

TEST(Ingest, KillSwitchRecordsDryRunResponses) {
  Harness global(true);
  global.ingestor->Handle(Lines("falco_events.jsonl")[0]);
  ASSERT_EQ(global.recorder->stored.size(), 1u);
  EXPECT_TRUE(global.recorder->stored.begin()->second.at("spec").at("dryRun").as_bool());
  Harness policy;
  policy.policies = {ShellPolicy(true)};
  policy.ingestor->Handle(Lines("falco_events.jsonl")[0]);
  ASSERT_EQ(policy.recorder->stored.size(), 1u);
  EXPECT_TRUE(policy.recorder->stored.begin()->second.at("spec").at("dryRun").as_bool());
}

}  // namespace
}  // namespace riposte::controller
