// Routing, authentication and content-type handling of the alert and ops endpoints.

#include <gtest/gtest.h>

#include <unistd.h>

#include <fstream>

#include "controller/endpoint.h"

namespace riposte::controller {
namespace {

class FakeRecorder : public ResponseRecorder {
 public:
  RecordOutcome Create(const std::string&, const web::json::value&, std::string*) override {
    ++calls;
    return RecordOutcome::kCreated;
  }
  int calls = 0;
};

struct Fixture {
  std::shared_ptr<FakeRecorder> recorder = std::make_shared<FakeRecorder>();
  Guards guards{GuardConfig{}};
  std::unique_ptr<AlertIngestor> ingestor;
  std::string token_path = "/tmp/riposte-endpoint-token-" + std::to_string(getpid());
  std::unique_ptr<TokenFile> token;
  Fixture() {
    std::ofstream(token_path) << "endpoint-test-token-0123456789\n";
    token = std::make_unique<TokenFile>(token_path);
    std::string err;
    EXPECT_TRUE(token->Load(&err));
    IngestDeps deps;
    deps.policies = [] { return std::vector<PolicyPtr>{}; };
    deps.ready = [] { return true; };
    deps.recorder = recorder;
    deps.guards = &guards;
    ingestor = std::make_unique<AlertIngestor>(deps);
  }
  ~Fixture() { std::remove(token_path.c_str()); }
  HttpReply Post(std::string_view target, std::string_view auth, std::string_view body, std::string_view ct = "application/json") {
    HttpRequestView r{"POST", target, auth, ct, body, false};
    return HandleAlertRequest(r, AlertAuth{token.get(), false}, *ingestor);
  }
};

constexpr const char* kEvent = R"({"rule":"x","priority":"Notice","time":"2026-11-20T10:15:27Z","output":"x"})";
constexpr const char* kAuth = "Bearer endpoint-test-token-0123456789";

TEST(AlertEndpoint, AcceptsBothPathsWithTheToken) {
  Fixture f;
  EXPECT_EQ(f.Post("/", kAuth, kEvent).status, 200);
  EXPECT_EQ(f.Post("/v1/alerts", kAuth, kEvent).status, 200);
  EXPECT_EQ(f.Post("/v1/alerts?x=1", kAuth, kEvent).status, 200);
  EXPECT_EQ(f.Post("/", kAuth, kEvent, "application/json; charset=utf-8").status, 200);
}

TEST(AlertEndpoint, RefusesWithoutAuthBeforeParsing) {
  Fixture f;
  auto r = f.Post("/", "", kEvent);
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(r.headers.count("WWW-Authenticate"), 1u);
  EXPECT_EQ(f.Post("/", "Bearer wrong-token-0123456789", kEvent).status, 401);
  EXPECT_EQ(f.ingestor->counters().received.load(), 0u);
  HttpRequestView no_cert{"POST", "/", kAuth, "application/json", kEvent, false};
  EXPECT_EQ(HandleAlertRequest(no_cert, AlertAuth{nullptr, true}, *f.ingestor).status, 401);
  no_cert.client_cert_verified = true;
  EXPECT_EQ(HandleAlertRequest(no_cert, AlertAuth{nullptr, true}, *f.ingestor).status, 200);
}

TEST(AlertEndpoint, WrongMethodPathAndContentType) {
  Fixture f;
  HttpRequestView get{"GET", "/", kAuth, "", "", false};
  auto r = HandleAlertRequest(get, AlertAuth{f.token.get(), false}, *f.ingestor);
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.headers["Allow"], "POST");
  EXPECT_EQ(f.Post("/other", kAuth, kEvent).status, 404);
  EXPECT_EQ(f.Post("/", kAuth, kEvent, "application/x-www-form-urlencoded").status, 415);
  auto bad = f.Post("/", kAuth, "not json");
  EXPECT_EQ(bad.status, 400);
  auto v = web::json::value::parse(bad.body);
  EXPECT_EQ(v.at("error").as_string(), "invalid_json");
}

TEST(OpsEndpoint, HealthReadinessAndMetrics) {
  bool ready = false;
  auto call = [&](std::string_view path) {
    HttpRequestView r{"GET", path, "", "", "", false};
    return HandleOpsRequest(r, [&] { return ready; }, [] { return std::string("riposte_x 1\n"); });
  };
  EXPECT_EQ(call("/healthz").status, 200);
  EXPECT_EQ(call("/readyz").status, 503);
  ready = true;
  EXPECT_EQ(call("/readyz").status, 200);
  EXPECT_EQ(call("/metrics").body, "riposte_x 1\n");
  EXPECT_EQ(call("/nope").status, 404);
}

}  // namespace
}  // namespace riposte::controller
