// The controller's alert edge: authentication on the request head, the shared error shape, the
// recording executor (busy -> 503 + Retry-After at once; I/O threads never wait on the API),
// and controller::Service's listeners, over real HTTPS with fake Kubernetes clients.

#include <gtest/gtest.h>
#include <unistd.h>

#include <condition_variable>
#include <fstream>
#include <future>
#include <mutex>
#include <thread>

#include "controller/endpoint.h"
#include "controller/service.h"
#include "kube/resource.h"
#include "tests/fakes/fake_kube_client.h"
#include "tests/support/certs.h"
#include "tests/support/files.h"
#include "tests/support/https_client.h"
#include "tests/support/eventually.h"

namespace riposte::controller {
namespace {

using riposte::testing::ClientOptions;
using riposte::testing::Fetch;
using riposte::testing::HttpResult;
using riposte::testing::TestClient;
using web::json::value;
using namespace std::chrono_literals;
using riposte::testing::Eventually;
// Every wait in this file had this deadline before it used the shared helper.
constexpr std::chrono::milliseconds kWait = 15s;

constexpr const char* kTokenValue = "endpoint-test-token-0123456789";
constexpr const char* kAuth = "Bearer endpoint-test-token-0123456789";

struct TokenOnDisk {
  std::string path = "/tmp/riposte-endpoint-token-" + std::to_string(getpid());
  std::unique_ptr<TokenFile> token;
  TokenOnDisk() {
    std::ofstream(path) << kTokenValue << "\n";
    token = std::make_unique<TokenFile>(path);
    std::string err;
    EXPECT_TRUE(token->Load(&err)) << err;
  }
  ~TokenOnDisk() { std::remove(path.c_str()); }
};

http::Request Head(std::string authorization, std::string subject = "") {
  http::Request r;
  r.method = "POST";
  r.target = r.path = "/v1/alerts";
  if (!authorization.empty()) r.AddHeader("Authorization", authorization);
  r.client_subject = std::move(subject);
  return r;
}

value ErrorOf(const std::string& body) { return value::parse(body).at("error"); }

TEST(AlertAuthenticator, TokenAndClientCertificateAreCheckedOnTheHead) {
  TokenOnDisk t;
  auto token_only = MakeAlertAuthenticator(AlertAuth{t.token.get(), false});
  EXPECT_FALSE(token_only(Head(kAuth)).has_value());
  auto missing = token_only(Head(""));
  ASSERT_TRUE(missing.has_value());
  EXPECT_EQ(missing->status, 401);
  EXPECT_EQ(ErrorOf(missing->body).at("reason").as_string(), "unauthenticated");
  EXPECT_EQ(ErrorOf(missing->body).at("code").as_integer(), 401);
  ASSERT_EQ(missing->headers.size(), 1u);
  EXPECT_EQ(missing->headers[0].first, "WWW-Authenticate");
  EXPECT_TRUE(token_only(Head("Bearer wrong-token-0123456789")).has_value());

  auto cert_only = MakeAlertAuthenticator(AlertAuth{nullptr, true});
  EXPECT_TRUE(cert_only(Head(kAuth)).has_value());
  EXPECT_FALSE(cert_only(Head("", "CN=falco")).has_value());
  auto both = MakeAlertAuthenticator(AlertAuth{t.token.get(), true});
  EXPECT_TRUE(both(Head(kAuth)).has_value());
  EXPECT_TRUE(both(Head("", "CN=falco")).has_value());
  EXPECT_FALSE(both(Head(kAuth, "CN=falco")).has_value());
  // Neither (only with --alerts-insecure-no-auth): no authenticator at all.
  EXPECT_FALSE(static_cast<bool>(MakeAlertAuthenticator(AlertAuth{nullptr, false})));
}

TEST(AlertReply, ErrorsTakeTheSharedShapeAndSuccessBodiesPassThrough) {
  IngestReply bad;
  bad.status = 422;
  bad.body = value::parse(R"({"error":"invalid_pod_name","message":"k8s.pod.name: pod name \"A\" must be ..."})");
  http::Response r = ToResponse(bad);
  EXPECT_EQ(r.status, 422);
  EXPECT_EQ(r.body, R"({"error":{"code":422,"reason":"invalid_pod_name","message":"k8s.pod.name: pod name \"A\" must be ..."}})");
  IngestReply unavailable;
  unavailable.status = 503;
  unavailable.body = value::parse(R"({"error":"not_ready","message":"retry later"})");
  unavailable.retry_after_seconds = 5;
  r = ToResponse(unavailable);
  ASSERT_EQ(r.headers.size(), 1u);
  EXPECT_EQ(r.headers[0], (std::pair<std::string, std::string>{"Retry-After", "5"}));
  IngestReply ok;
  ok.status = 201;
  ok.body = value::parse(R"({"alert":"a","matched":true})");
  r = ToResponse(ok);
  EXPECT_EQ(r.status, 201);
  EXPECT_EQ(value::parse(r.body), ok.body);
  r = BusyResponse("busy now", 2);
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(ErrorOf(r.body).at("reason").as_string(), "busy");
}

// controller::Service with fake clients: a policy for namespace shop, and a recorder whose
// creates can be held to keep every recorder busy.
class AlertService : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = riposte::testing::MakeTempDir();
    auto pair = riposte::testing::MakeCert("alerts");
    riposte::testing::WriteFile(dir_ + "/tls.crt", pair.cert_pem);
    riposte::testing::WriteFile(dir_ + "/tls.key", pair.key_pem);
    riposte::testing::WriteFile(dir_ + "/token", std::string(kTokenValue) + "\n");
    main_->Seed(kube::resources::kNamespaces, value::parse(R"({"apiVersion":"v1","kind":"Namespace","metadata":{"name":"shop"}})"));
    main_->Seed(kube::resources::kResponsePolicies,
                value::parse(R"({"apiVersion":"riposte.io/v1alpha1","kind":"ResponsePolicy",
      "metadata":{"name":"shells","generation":1},"spec":{"match":{"rules":["Terminal shell in container"],"namespaces":["shop"]},
      "actions":[{"type":"event"}]}})"));
    recorder_->AddReactor([this](const fakes::Action& a) -> std::optional<kube::Result<value>> {
      if (a.verb != "create") return std::nullopt;
      std::unique_lock<std::mutex> lock(mu_);
      ++creates_started_;
      cv_.notify_all();
      cv_.wait(lock, [this] { return !hold_; });
      return std::nullopt;
    });
  }
  void TearDown() override {
    Release();
    if (service_) service_->Stop();
    riposte::testing::RemoveTree(dir_);
  }

  void Start(int recorders, size_t queue) {
    ServiceOptions o;
    o.alerts_listen = "127.0.0.1:0";
    o.metrics_listen = "127.0.0.1:0";
    o.tls_cert = dir_ + "/tls.crt";
    o.tls_key = dir_ + "/tls.key";
    o.token_file = dir_ + "/token";
    o.record_workers = recorders;
    o.record_queue = queue;
    o.controller.identity = "replica-a";
    o.controller.lease_duration = 3s;
    o.controller.renew_deadline = 2s;
    o.controller.retry_period = 200ms;
    o.controller.election_client = election_;
    o.controller.recorder_client = recorder_;
    service_ = std::make_unique<Service>(main_, o);
    std::string err;
    ASSERT_TRUE(service_->Start(&err)) << err;
    ASSERT_TRUE(Eventually([&] { return service_->Ready() && service_->controller().IsLeader(); }, kWait));
    ASSERT_TRUE(Eventually([&] { return !main_->ActionsFor("patch", "responsepolicies.riposte.io").empty(); }, kWait))
        << "policy compiled";
  }

  static std::string Alert(const std::string& uuid) {
    return R"({"time":"2026-11-20T10:15:27Z","rule":"Terminal shell in container","priority":"Notice","source":"syscall",
      "hostname":"node-1","output":"shell","output_fields":{"k8s.ns.name":"shop","k8s.pod.name":"web-)" +
           uuid + R"(","proc.name":"sh"},"tags":["shell"],"uuid":")" + uuid + "\"}";
  }

  HttpResult Post(const std::string& body, const std::string& auth = kAuth, const std::string& target = "/v1/alerts") {
    TestClient c;
    std::string err;
    if (!c.Connect(service_->AlertsPort(), ClientOptions{}, &err)) return HttpResult{0, {}, "", err};
    std::vector<std::pair<std::string, std::string>> headers;
    if (!auth.empty()) headers.emplace_back("Authorization", auth);
    return c.Request("POST", target, body, "application/json", false, headers);
  }

  void Hold() {
    std::lock_guard<std::mutex> lock(mu_);
    hold_ = true;
  }
  void Release() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      hold_ = false;
    }
    cv_.notify_all();
  }
  bool WaitCreates(int n) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, 15s, [&] { return creates_started_ >= n; });
  }

  std::string dir_;
  std::shared_ptr<fakes::FakeKubeClient> main_ = std::make_shared<fakes::FakeKubeClient>();
  std::shared_ptr<fakes::FakeKubeClient> election_ = std::make_shared<fakes::FakeKubeClient>();
  std::shared_ptr<fakes::FakeKubeClient> recorder_ = std::make_shared<fakes::FakeKubeClient>();
  std::unique_ptr<Service> service_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool hold_ = false;
  int creates_started_ = 0;
};

TEST_F(AlertService, RoutingAuthAndErrorsUseTheSharedServerAndShape) {
  Start(2, 8);
  HttpResult unauth = Post(Alert("u-1"), "");
  EXPECT_EQ(unauth.status, 401);
  EXPECT_EQ(ErrorOf(unauth.body).at("reason").as_string(), "unauthenticated");
  EXPECT_EQ(unauth.headers["www-authenticate"], "Bearer realm=\"riposte-alerts\"");
  EXPECT_EQ(unauth.headers["connection"], "close");
  HttpResult bad = Post("not json");
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(ErrorOf(bad.body).at("reason").as_string(), "invalid_json");
  EXPECT_EQ(ErrorOf(bad.body).at("code").as_integer(), 400);
  HttpResult dup = Post(R"({"rule":"a","rule":"b","priority":"Notice","time":"2026-11-20T10:15:27Z"})");
  EXPECT_EQ(dup.status, 400);
  EXPECT_EQ(ErrorOf(dup.body).at("reason").as_string(), "duplicate_field");
  HttpResult nowhere = Post(Alert("u-1"), kAuth, "/other");
  EXPECT_EQ(nowhere.status, 404);
  EXPECT_EQ(ErrorOf(nowhere.body).at("code").as_integer(), 404);
  HttpResult get = Fetch(service_->AlertsPort(), "GET", "/v1/alerts");
  EXPECT_EQ(get.status, 405);
  EXPECT_EQ(get.headers["allow"], "POST");
  HttpResult form = [&] {
    TestClient c;
    std::string err;
    c.Connect(service_->AlertsPort(), ClientOptions{}, &err);
    return c.Request("POST", "/", Alert("u-1"), "application/x-www-form-urlencoded", false, {{"Authorization", kAuth}});
  }();
  EXPECT_EQ(form.status, 415);
  // Both paths, with and without a Content-Type (Falco's http_output may omit it).
  EXPECT_EQ(Post(Alert("u-1")).status, 201);
  TestClient bare;
  std::string err;
  ASSERT_TRUE(bare.Connect(service_->AlertsPort(), ClientOptions{}, &err)) << err;
  EXPECT_EQ(bare.Request("POST", "/", Alert("u-2"), "", false, {{"Authorization", kAuth}}).status, 201);
}

TEST_F(AlertService, HealthReadinessAndMetricsBodiesMatchTheWebhook) {
  Start(2, 8);
  HttpResult health = Fetch(service_->MetricsPort(), "GET", "/healthz", "", false);
  EXPECT_EQ(health.status, 200);
  EXPECT_EQ(health.body, "{\"status\":\"ok\"}");
  HttpResult ready = Fetch(service_->MetricsPort(), "GET", "/readyz", "", false);
  EXPECT_EQ(ready.status, 200);
  EXPECT_EQ(ready.body, "{\"status\":\"ready\"}");
  EXPECT_EQ(Post(Alert("m-1"), "").status, 401);
  // The server counts the close after the 401 has been written, so the client may read the
  // answer before the counter moves: wait for it rather than race it.
  const std::string closed = "riposte_http_connections_closed_total{server=\"alerts\",reason=\"unauthenticated\"} 1\n";
  HttpResult m;
  EXPECT_TRUE(Eventually([&] {
    m = Fetch(service_->MetricsPort(), "GET", "/metrics", "", false);
    return m.body.find(closed) != std::string::npos;
  }, kWait)) << m.body;
  ASSERT_EQ(m.status, 200);
  for (const char* needle : {"riposte_alerts_received_total ", "riposte_alerts_busy_total 0\n",
                             "riposte_alert_record_queue 0\n", "riposte_tls_cert_not_after_seconds "}) {
    EXPECT_NE(m.body.find(needle), std::string::npos) << needle << "\n" << m.body;
  }
  EXPECT_EQ(Fetch(service_->MetricsPort(), "POST", "/metrics", "", false).status, 405);
}

TEST_F(AlertService, BusyRecordersAnswer503AtOnceAndIoThreadsNeverWaitOnTheApi) {
  Start(/*recorders=*/1, /*queue=*/1);
  Hold();
  // The only recorder is held in its API call; one more alert may wait in the queue.
  auto first = std::async(std::launch::async, [&] { return Post(Alert("b-1")); });
  ASSERT_TRUE(WaitCreates(1));
  auto second = std::async(std::launch::async, [&] { return Post(Alert("b-2")); });
  ASSERT_TRUE(Eventually([&] {
    return Fetch(service_->MetricsPort(), "GET", "/metrics", "", false).body.find("riposte_alert_record_queue 1\n") !=
           std::string::npos;
  }, kWait));
  // Full: refused at once with Retry-After, while the API call is still held.
  HttpResult busy = Post(Alert("b-3"));
  EXPECT_EQ(busy.status, 503);
  EXPECT_EQ(ErrorOf(busy.body).at("reason").as_string(), "busy");
  EXPECT_EQ(busy.headers["retry-after"], "2");
  // The listener's I/O threads are free: other requests are answered meanwhile.
  EXPECT_EQ(Post(Alert("b-4"), "").status, 401);
  EXPECT_EQ(Fetch(service_->AlertsPort(), "GET", "/v1/alerts").status, 405);
  EXPECT_NE(Fetch(service_->MetricsPort(), "GET", "/metrics", "", false).body.find("riposte_alerts_busy_total 1\n"),
            std::string::npos);
  Release();
  EXPECT_EQ(first.get().status, 201);
  EXPECT_EQ(second.get().status, 201);
  EXPECT_EQ(recorder_->ActionsFor("create", "responseactions.riposte.io").size(), 2u);
}

TEST(AlertServiceStart, RefusesToStartWithoutAuthOrWithABadToken) {
  auto fake = std::make_shared<fakes::FakeKubeClient>();
  ServiceOptions o;
  o.alerts_listen = "127.0.0.1:0";
  o.metrics_listen = "";
  Service none(fake, o);
  std::string err;
  EXPECT_FALSE(none.Start(&err));
  EXPECT_NE(err.find("token"), std::string::npos) << err;
  o.token_file = "/nonexistent/token";
  Service missing(fake, o);
  EXPECT_FALSE(missing.Start(&err));
  EXPECT_NE(err.find("/nonexistent/token"), std::string::npos) << err;
}

}  // namespace
}  // namespace riposte::controller
