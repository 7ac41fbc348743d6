// Starts the real `riposte webhook` binary on random loopback ports with a certificate
// generated here and talks HTTPS to it.

#include <gtest/gtest.h>
#include <openssl/ssl.h>
#include <signal.h>
#include <simdjson.h>

#include <atomic>
#include <memory>
#include <regex>
#include <thread>

#include "common/http_server.h"
#include "tests/support/certs.h"
#include "tests/support/eventually.h"
#include "tests/support/files.h"
#include "tests/support/https_client.h"
#include "tests/support/process.h"

namespace riposte::webhook {
namespace {

using riposte::testing::ChildProcess;
using riposte::testing::ClientOptions;
using riposte::testing::Fetch;
using riposte::testing::HttpResult;
using riposte::testing::TestClient;
using namespace std::chrono_literals;

using riposte::testing::Eventually;

std::string Review(const std::string& uid, const std::string& annotations_json, const std::string& ns = "shop",
                   const std::string& operation = "CREATE", bool dry_run = false,
                   const std::string& kind = R"({"group":"networking.k8s.io","version":"v1","kind":"Ingress"})") {
  return R"({"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":")" + uid +
         R"(","kind":)" + kind + R"(,"operation":")" + operation + R"(","namespace":")" + ns +
         R"(","name":"web","userInfo":{"username":"mallory@example.com"},"dryRun":)" + (dry_run ? "true" : "false") +
         R"(,"object":{"apiVersion":"networking.k8s.io/v1","kind":"Ingress","metadata":{"name":"web","namespace":")" + ns +
         R"(","uid":"0f3c2a8e-1111-4a4a-8b8b-123456789abc","annotations":)" + annotations_json +
         R"(},"spec":{"ingressClassName":"nginx","rules":[{"host":"shop.example.com","http":{"paths":[{"path":"/","pathType":"Prefix","backend":{"service":{"name":"web","port":{"number":80}}}}]}}]}}}})";
}

const std::string kBenign = R"({"nginx.ingress.kubernetes.io/ssl-redirect":"true"})";
const std::string kAttack =
    R"({"nginx.ingress.kubernetes.io/auth-url":"http://example.com/#;\n}}}\nssl_engine /proc/47/fd/23;\n#"})";

struct Verdict {
  bool ok = false;
  std::string uid;
  bool allowed = false;
  int64_t code = 0;
  std::string message;
  std::vector<std::string> warnings;
};

Verdict ParseVerdict(const std::string& body) {
  Verdict v;
  simdjson::dom::parser p;
  simdjson::dom::element e;
  if (p.parse(body).get(e)) return v;
  auto resp = e["response"];
  if (resp.error()) return v;
  std::string_view uid;
  bool allowed = false;
  if (resp["uid"].get(uid) || resp["allowed"].get(allowed)) return v;
  if (std::string_view(e["apiVersion"].get_string().value_unsafe()) != "admission.k8s.io/v1") return v;
  v.ok = true;
  v.uid = std::string(uid);
  v.allowed = allowed;
  int64_t code = 0;
  std::string_view msg;
  if (!resp["status"]["code"].get(code)) v.code = code;
  if (!resp["status"]["message"].get(msg)) v.message = std::string(msg);
  simdjson::dom::array w;
  if (!resp["warnings"].get(w)) {
    for (auto item : w) v.warnings.emplace_back(std::string_view(item.get_string().value_unsafe()));
  }
  return v;
}

class WebhookProcessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = riposte::testing::MakeTempDir();
    WriteCert("webhook-one");
  }
  void TearDown() override {
    child_.reset();  // terminates the process
    riposte::testing::RemoveTree(dir_);
  }

  std::string Path(const std::string& n) const { return dir_ + "/" + n; }
  void WriteCert(const std::string& cn) {
    auto pair = riposte::testing::MakeCert(cn);
    riposte::testing::ReplaceFile(Path("tls.crt"), pair.cert_pem);
    riposte::testing::ReplaceFile(Path("tls.key"), pair.key_pem);
  }
  void WritePolicy(const std::string& yaml) { riposte::testing::ReplaceFile(Path("policy.yaml"), yaml); }

  void Start(std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"webhook",       "--tls-cert",         Path("tls.crt"), "--tls-key",
                                     Path("tls.key"), "--listen",           "127.0.0.1:0",   "--metrics-listen",
                                     "127.0.0.1:0",   "--reload-interval-ms", "200",         "--log-format",
                                     "json"};
    args.insert(args.end(), extra.begin(), extra.end());
    child_ = std::make_unique<ChildProcess>(RIPOSTE_BINARY, args, Path("out.log"));
    ASSERT_TRUE(child_->started());
    ASSERT_TRUE(child_->WaitForOutput("\"msg\":\"webhook ready\"", 20000ms)) << child_->Output();
    std::smatch m;
    std::string out = child_->Output();
    ASSERT_TRUE(std::regex_search(out, m, std::regex("\"msg\":\"webhook ready\".*\"port\":\"(\\d+)\".*\"metrics_port\":\"(\\d+)\"")))
        << out;
    port_ = static_cast<uint16_t>(std::stoi(m[1]));
    metrics_port_ = static_cast<uint16_t>(std::stoi(m[2]));
  }

  HttpResult Post(const std::string& body, const std::string& ct = "application/json") {
    return Fetch(port_, "POST", "/validate/ingress", body, true, ct);
  }
  Verdict Judge(const std::string& body) {
    HttpResult r = Post(body);
    EXPECT_EQ(r.status, 200) << r.error << r.body;
    return ParseVerdict(r.body);
  }
  std::string Metrics() { return Fetch(metrics_port_, "GET", "/metrics", "", false).body; }

  std::string dir_;
  std::unique_ptr<ChildProcess> child_;
  uint16_t port_ = 0;
  uint16_t metrics_port_ = 0;
};

TEST_F(WebhookProcessTest, AllowsBenignAndDeniesAttackWithUid403AndMessage) {
  Start();
  Verdict ok = Judge(Review("uid-benign-1", kBenign));
  ASSERT_TRUE(ok.ok);
  EXPECT_EQ(ok.uid, "uid-benign-1");
  EXPECT_TRUE(ok.allowed);
  EXPECT_EQ(ok.code, 0);

  Verdict deny = Judge(Review("uid-attack-1", kAttack));
  ASSERT_TRUE(deny.ok);
  EXPECT_EQ(deny.uid, "uid-attack-1");
  EXPECT_FALSE(deny.allowed);
  EXPECT_EQ(deny.code, 403);
  EXPECT_NE(deny.message.find("CVE-2025-24514"), std::string::npos) << deny.message;
  EXPECT_NE(deny.message.find("nginx.ingress.kubernetes.io/auth-url"), std::string::npos) << deny.message;
  EXPECT_NE(deny.message.find("Fix:"), std::string::npos) << deny.message;
  // One structured denial line with who/what, and the raw payload never appears unescaped.
  ASSERT_TRUE(child_->WaitForOutput("\"msg\":\"admission denied\"", 5000ms));
  std::string out = child_->Output();
  EXPECT_NE(out.find("\"user\":\"mallory@example.com\""), std::string::npos) << out;
  EXPECT_NE(out.find("\"uid\":\"uid-attack-1\""), std::string::npos);
  EXPECT_NE(out.find("\"namespace\":\"shop\""), std::string::npos);
  EXPECT_EQ(out.find("ssl_engine /proc/47/fd/23;\n"), std::string::npos);
}

TEST_F(WebhookProcessTest, UnjudgedOperationsKindsDryRunAndExemptNamespaces) {
  WritePolicy("mode: enforce\nexemptNamespaces: [ingress-nginx]\n");
  Start({"--policy", Path("policy.yaml")});
  EXPECT_TRUE(Judge(Review("d1", kAttack, "shop", "DELETE")).allowed);
  EXPECT_TRUE(Judge(Review("c1", kAttack, "shop", "CONNECT")).allowed);
  EXPECT_TRUE(Judge(Review("k1", kAttack, "shop", "CREATE", false, R"({"group":"","version":"v1","kind":"ConfigMap"})")).allowed);
  EXPECT_TRUE(Judge(Review("e1", kAttack, "ingress-nginx")).allowed);
  Verdict upd = Judge(Review("u1", kAttack, "shop", "UPDATE"));
  EXPECT_FALSE(upd.allowed);
  Verdict dry = Judge(Review("dry-1", kAttack, "shop", "CREATE", true));
  EXPECT_FALSE(dry.allowed);  // judged the same...
  EXPECT_EQ(dry.code, 403);
  ASSERT_TRUE(child_->WaitForOutput("\"uid\":\"u1\"", 5000ms));
  EXPECT_EQ(child_->Output().find("\"uid\":\"dry-1\""), std::string::npos);  // ...but not an incident
}

std::string ResourceReview(const std::string& uid, const std::string& group, const std::string& version,
                           const std::string& kind, const std::string& ns, const std::string& spec) {
  return R"({"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":")" + uid +
         R"(","kind":{"group":")" + group + R"(","version":")" + version + R"(","kind":")" + kind +
         R"("},"operation":"CREATE","namespace":")" + ns + R"(","name":"x","userInfo":{"username":"mallory@example.com"},)" +
         R"("object":{"apiVersion":")" + group + "/" + version + R"(","kind":")" + kind +
         R"(","metadata":{"name":"x","namespace":")" + ns + R"("},"spec":)" + spec + "}}}";
}

// The profiles' resources reach the same endpoint and are judged only while their profile is
// enabled; the snippet namespaces of the policy apply.
TEST_F(WebhookProcessTest, ProfileResourcesAreJudgedWhileTheirProfileIsEnabled) {
  const std::string vs_snippet = ResourceReview("vs-1", "k8s.nginx.org", "v1", "VirtualServer", "shop",
                                                R"({"host":"cafe.example.com","server-snippets":"gzip on;"})");
  const std::string sf_token = ResourceReview(
      "sf-1", "gateway.nginx.org", "v1alpha1", "SnippetsFilter", "platform",
      R"({"snippets":[{"context":"http.server.location","value":"alias /var/run/secrets/kubernetes.io/serviceaccount/;"}]})");
  const std::string sf_benign = ResourceReview("sf-2", "gateway.nginx.org", "v1alpha1", "SnippetsFilter", "platform",
                                               R"({"snippets":[{"context":"http.server.location","value":"keepalive_time 1h;"}]})");
  WritePolicy("mode: enforce\n");
  Start({"--policy", Path("policy.yaml")});
  EXPECT_TRUE(Judge(vs_snippet).allowed) << "profiles are off by default";

  WritePolicy("mode: enforce\nprofiles:\n  f5NginxIngress: {enabled: true}\n"
              "  nginxGatewayFabric: {enabled: true, snippets: {namespaces: [platform]}}\n");
  ASSERT_TRUE(Eventually([&] { return !Judge(vs_snippet).allowed; }));
  Verdict vs = Judge(vs_snippet);
  EXPECT_EQ(vs.uid, "vs-1");
  EXPECT_EQ(vs.code, 403);
  EXPECT_EQ(vs.message.rfind("riposte denied this VirtualServer (1 finding)", 0), 0u) << vs.message;
  EXPECT_NE(vs.message.find("RIP-NIC-SNIPPET-DENIED at spec.server-snippets"), std::string::npos) << vs.message;
  EXPECT_NE(vs.message.find("Fix:"), std::string::npos);
  EXPECT_TRUE(Judge(sf_benign).allowed) << "snippets are allowed in platform";
  Verdict sf = Judge(sf_token);
  EXPECT_FALSE(sf.allowed);
  EXPECT_NE(sf.message.find("RIP-NGF-SNIPPET-DANGER"), std::string::npos) << sf.message;
  EXPECT_NE(Metrics().find("riposte_admission_rule_findings_total{rule=\"RIP-NIC-SNIPPET-DENIED\",result=\"denied\"}"),
            std::string::npos)
      << Metrics();
}

TEST_F(WebhookProcessTest, WarnAndAuditModes) {
  WritePolicy("mode: warn\n");
  Start({"--policy", Path("policy.yaml")});
  Verdict warn = Judge(Review("w1", kAttack));
  EXPECT_TRUE(warn.allowed);
  ASSERT_FALSE(warn.warnings.empty());
  EXPECT_NE(warn.warnings[0].find("CVE-2025-24514"), std::string::npos) << warn.warnings[0];
  for (const auto& w : warn.warnings) EXPECT_LE(w.size(), 256u);
  EXPECT_TRUE(Judge(Review("w2", kBenign)).warnings.empty());

  WritePolicy("mode: audit\n");
  ASSERT_TRUE(Eventually([&] {
    Verdict v = Judge(Review("a1", kAttack));
    return v.allowed && v.warnings.empty();
  }));
  ASSERT_TRUE(child_->WaitForOutput("\"outcome\":\"audited\"", 5000ms)) << child_->Output();
  // Every outcome's series exists from the start, so the count is what is checked.
  EXPECT_NE(Metrics().find("riposte_admission_requests_total{result=\"audited\"} 1\n"), std::string::npos) << Metrics();
}

TEST_F(WebhookProcessTest, PolicyReloadKeepsLastGoodOnBrokenFileAndReportsMetric) {
  WritePolicy("mode: enforce\n");
  Start({"--policy", Path("policy.yaml")});
  EXPECT_FALSE(Judge(Review("p1", kAttack)).allowed);
  EXPECT_NE(Metrics().find("riposte_policy_reload_success 1\n"), std::string::npos);
  WritePolicy("mode: warn\n");
  ASSERT_TRUE(Eventually([&] { return Judge(Review("p2", kAttack)).allowed; }));
  WritePolicy("mode: warn\nbogus: [\n");
  ASSERT_TRUE(Eventually([&] { return Metrics().find("riposte_policy_reload_success 0\n") != std::string::npos; }));
  EXPECT_TRUE(Judge(Review("p3", kAttack)).allowed);  // still the last good (warn) policy
  std::string out = child_->Output();
  EXPECT_NE(out.find("policy reload failed"), std::string::npos) << out;
  EXPECT_NE(out.find(Path("policy.yaml") + ":"), std::string::npos) << out;  // file:line:column
  EXPECT_EQ(Fetch(metrics_port_, "GET", "/readyz", "", false).status, 200);
}

TEST_F(WebhookProcessTest, BadRequestsGetJsonErrors) {
  Start({"--max-body-bytes", "4096"});
  auto is_json_error = [](const HttpResult& r, int code) {
    return r.status == code && r.headers.count("content-type") && r.headers.at("content-type") == "application/json" &&
           r.body.find("\"code\":" + std::to_string(code)) != std::string::npos;
  };
  HttpResult get = Fetch(port_, "GET", "/validate/ingress");
  EXPECT_TRUE(is_json_error(get, 405)) << get.status << get.body;
  EXPECT_EQ(get.headers["allow"], "POST");
  EXPECT_TRUE(is_json_error(Post(Review("x", kBenign), "text/plain"), 415));
  EXPECT_TRUE(is_json_error(Post(std::string(5000, ' ') + Review("x", kBenign)), 413));
  {
    TestClient c;
    std::string err;
    ASSERT_TRUE(c.Connect(port_, ClientOptions{}, &err)) << err;
    HttpResult chunked = c.Request("POST", "/validate/ingress", std::string(20000, ' '), "application/json", true);
    EXPECT_TRUE(is_json_error(chunked, 413)) << chunked.status << " " << chunked.error << " " << chunked.body;
  }
  EXPECT_TRUE(is_json_error(Post("{\"apiVersion\":"), 400));
  HttpResult no_uid = Post(R"({"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"operation":"CREATE"}})");
  EXPECT_TRUE(is_json_error(no_uid, 400));
  EXPECT_NE(no_uid.body.find("missing request.uid"), std::string::npos);
  EXPECT_TRUE(is_json_error(Fetch(port_, "GET", "/nope"), 404));
  // A wrongly typed object still gets a review with its uid (denied, code 400).
  Verdict bad_obj = Judge(Review("t1", R"({"nginx.ingress.kubernetes.io/auth-url":42})"));
  EXPECT_EQ(bad_obj.uid, "t1");
  EXPECT_FALSE(bad_obj.allowed);
  EXPECT_EQ(bad_obj.code, 400);
  // After all of that the server still answers.
  EXPECT_TRUE(Judge(Review("after", kBenign)).allowed);
  EXPECT_NE(Metrics().find("riposte_admission_requests_total{result=\"bad_request\"} 2"), std::string::npos);
}

TEST_F(WebhookProcessTest, SlowClientDoesNotBlockOthersAndConcurrentClientsAllAnswered) {
  // A long header timeout: the assertion at the end is that nobody waited on the slow client,
  // not that it was cut off (HttpServerTest and WebhookDos cover the timeouts).
  Start({"--threads", "2", "--header-timeout-ms", "120000"});
  TestClient slow;
  std::string err;
  ASSERT_TRUE(slow.Connect(port_, ClientOptions{}, &err)) << err;
  ASSERT_TRUE(slow.WriteRaw("POST /validate/ingress HTTP/1.1\r\nHost: x\r\nContent-Typ"));
  std::atomic<int> correct{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 16; ++t) {
    threads.emplace_back([&, t] {
      TestClient c;
      std::string e;
      if (!c.Connect(port_, ClientOptions{}, &e)) return;
      for (int i = 0; i < 50; ++i) {
        std::string uid = "c-" + std::to_string(t) + "-" + std::to_string(i);
        bool attack = (i % 3) == 0;
        HttpResult r = c.Request("POST", "/validate/ingress", Review(uid, attack ? kAttack : kBenign));
        Verdict v = ParseVerdict(r.body);
        if (r.status == 200 && v.ok && v.uid == uid && v.allowed == !attack) ++correct;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(correct.load(), 16 * 50);
  EXPECT_FALSE(slow.ClosedByPeer(0));  // still within its read timeout; nobody waited on it
}

TEST_F(WebhookProcessTest, ClientCaRequiresTheApiServersCertificate) {
  auto ca = riposte::testing::MakeCert("apiserver-ca", 30, nullptr, true);
  auto apiserver = riposte::testing::MakeCert("kube-apiserver", 30, &ca);
  auto stranger_ca = riposte::testing::MakeCert("other-ca", 30, nullptr, true);
  auto stranger = riposte::testing::MakeCert("someone", 30, &stranger_ca);
  riposte::testing::WriteFile(Path("client-ca.crt"), ca.cert_pem);
  Start({"--client-ca", Path("client-ca.crt")});
  std::string err;
  TestClient anonymous;
  if (anonymous.Connect(port_, ClientOptions{}, &err)) {
    EXPECT_NE(anonymous.Request("POST", "/validate/ingress", Review("m-0", kBenign)).status, 200);
  }
  TestClient wrong;
  if (wrong.Connect(port_, ClientOptions{true, 0, 0, &stranger}, &err)) {
    EXPECT_NE(wrong.Request("POST", "/validate/ingress", Review("m-1", kBenign)).status, 200);
  }
  TestClient api;
  ASSERT_TRUE(api.Connect(port_, ClientOptions{true, 0, 0, &apiserver}, &err)) << err;
  HttpResult r = api.Request("POST", "/validate/ingress", Review("m-2", kBenign));
  EXPECT_EQ(r.status, 200);
  EXPECT_TRUE(ParseVerdict(r.body).allowed);
  // A verified certificate makes the connection trusted (reserved slots, long idle timeout).
  EXPECT_NE(Metrics().find("riposte_http_connections_open{server=\"webhook\",trust=\"trusted\"} 1\n"), std::string::npos)
      << Metrics();
  EXPECT_NE(Metrics().find("riposte_http_connections_closed_total{server=\"webhook\",reason=\"handshake_failed\"}"),
            std::string::npos);
}

TEST_F(WebhookProcessTest, ListenerLimitFlagsAreValidated) {
  for (const std::vector<std::string>& bad : std::vector<std::vector<std::string>>{
           {"--max-connections", "8"},
           {"--reserved-connections", "1024"},
           {"--max-connections-per-peer", "0"},
           {"--header-timeout-ms", "10"},
           {"--trusted-network", "10.0.0.0/40"}}) {
    std::vector<std::string> args = {"webhook", "--tls-cert", Path("tls.crt"), "--tls-key", Path("tls.key"),
                                     "--listen", "127.0.0.1:0", "--metrics-listen", ""};
    args.insert(args.end(), bad.begin(), bad.end());
    ChildProcess p(RIPOSTE_BINARY, args, Path("flags.log"));
    int status = p.Signal(0, 10000ms);
    ASSERT_NE(status, -1) << bad[0];
    EXPECT_NE(WEXITSTATUS(status), 0) << bad[0] << ": " << p.Output();
  }
}

TEST_F(WebhookProcessTest, RefusesTls11) {
  Start();
  TestClient c;
  std::string err;
  EXPECT_FALSE(c.Connect(port_, ClientOptions{true, TLS1_1_VERSION, 0, nullptr}, &err));
  TestClient ok;
  EXPECT_TRUE(ok.Connect(port_, ClientOptions{true, TLS1_2_VERSION, TLS1_2_VERSION, nullptr}, &err)) << err;
}

TEST_F(WebhookProcessTest, CertificateRotationPickedUpWithoutRestart) {
  Start();
  auto served = [&] {
    TestClient c;
    std::string err;
    return c.Connect(port_, ClientOptions{}, &err) ? c.PeerCommonName() : "error: " + err;
  };
  EXPECT_EQ(served(), "webhook-one");
  pid_t pid = child_->pid();
  WriteCert("webhook-two");
  EXPECT_TRUE(Eventually([&] { return served() == "webhook-two"; }));
  EXPECT_EQ(child_->pid(), pid);
  EXPECT_TRUE(child_->Running());
  std::string m = Metrics();
  EXPECT_NE(m.find("riposte_tls_cert_not_after_seconds "), std::string::npos);
  EXPECT_EQ(m.find("riposte_tls_cert_not_after_seconds 0\n"), std::string::npos) << m;
}

TEST_F(WebhookProcessTest, HealthReadyAndMetricsContents) {
  Start();
  for (uint16_t p : {port_, metrics_port_}) {
    bool tls = p == port_;
    EXPECT_EQ(Fetch(p, "GET", "/healthz", "", tls).status, 200);
    HttpResult ready = Fetch(p, "GET", "/readyz", "", tls);
    EXPECT_EQ(ready.status, 200);
    EXPECT_EQ(ready.body, "{\"status\":\"ready\"}");
  }
  Judge(Review("m1", kBenign));
  Judge(Review("m2", kAttack));
  HttpResult m = Fetch(metrics_port_, "GET", "/metrics", "", false);
  ASSERT_EQ(m.status, 200);
  EXPECT_EQ(m.headers["content-type"], "text/plain; version=0.0.4; charset=utf-8");
  for (const char* needle : {
           "# TYPE riposte_admission_requests_total counter",
           "riposte_admission_requests_total{result=\"allowed\"} 1\n",
           "riposte_admission_requests_total{result=\"denied\"} 1\n",
           "riposte_admission_rule_findings_total{rule=\"",
           "# TYPE riposte_admission_duration_seconds histogram",
           "riposte_admission_duration_seconds_count 2\n",
           "riposte_policy_reload_success 1\n",
           "riposte_policy_last_reload_success_timestamp_seconds ",
           "riposte_tls_cert_not_after_seconds ",
           "riposte_webhook_ready 1\n",
       }) {
    EXPECT_NE(m.body.find(needle), std::string::npos) << needle << "\n" << m.body;
  }
  EXPECT_EQ(Fetch(metrics_port_, "POST", "/metrics", "", false).status, 405);
}

TEST_F(WebhookProcessTest, SigtermStopsGracefully) {
  Start();
  EXPECT_TRUE(Judge(Review("s1", kBenign)).allowed);
  int status = child_->Signal(SIGTERM, 10000ms);
  ASSERT_NE(status, -1);
  EXPECT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  EXPECT_NE(child_->Output().find("\"msg\":\"stopped\""), std::string::npos);
}

TEST_F(WebhookProcessTest, StartupErrorsAreClear) {
  {
    ChildProcess p(RIPOSTE_BINARY, {"webhook", "--listen", "127.0.0.1:0"}, Path("a.log"));
    ASSERT_TRUE(p.started());
    EXPECT_TRUE(p.WaitForOutput("--tls-cert and --tls-key are required", 10000ms)) << p.Output();
    EXPECT_EQ(WEXITSTATUS(p.Signal(0, 10000ms)), 2);
  }
  {
    riposte::testing::WriteFile(Path("bad.crt"), "nope");
    ChildProcess p(RIPOSTE_BINARY,
                   {"webhook", "--tls-cert", Path("bad.crt"), "--tls-key", Path("tls.key"), "--listen", "127.0.0.1:0",
                    "--metrics-listen", ""},
                   Path("b.log"));
    EXPECT_TRUE(p.WaitForOutput("webhook failed to start", 10000ms)) << p.Output();
    EXPECT_EQ(WEXITSTATUS(p.Signal(0, 10000ms)), 1);
  }
  {
    WritePolicy("mode: sideways\n");
    ChildProcess p(RIPOSTE_BINARY,
                   {"webhook", "--tls-cert", Path("tls.crt"), "--tls-key", Path("tls.key"), "--listen", "127.0.0.1:0",
                    "--metrics-listen", "", "--policy", Path("policy.yaml")},
                   Path("c.log"));
    EXPECT_TRUE(p.WaitForOutput(Path("policy.yaml") + ":1:", 10000ms)) << p.Output();
    EXPECT_EQ(WEXITSTATUS(p.Signal(0, 10000ms)), 1);
  }
}

}  // namespace
}  // namespace riposte::webhook
