// `riposte verify`'s decisions over the fake API client and a scripted prober: each way an
// install can leave Ingresses unprotected gives its own failed check with the reason and the
// fix; the real kube-apiserver side is tests/e2e/verify_test.cc.
#include <gtest/gtest.h>

#include <chrono>

#include "tests/fakes/fake_kube_client.h"
#include "tests/support/certs.h"
#include "tests/support/files.h"
#include "common/json_value.h"
#include "kube/api_time.h"
#include "kube/resource.h"
#include "verify/verify.h"

namespace riposte::verify {
namespace {

using web::json::value;
namespace res = kube::resources;

const kube::Resource kSlices{{"discovery.k8s.io", "v1", "endpointslices"}, "EndpointSlice", true};
constexpr const char* kDenial =
    "admission webhook \"ingress.validate.riposte.io\" denied the request: riposte denied this Ingress (2 findings): "
    "[1] RIP-ANN-CONTROL (CVE-2025-24514) at nginx.ingress.kubernetes.io/auth-url: a newline ... Fix: ... "
    "[2] RIP-ANN-DIRECTIVE (CVE-2025-1974) at nginx.ingress.kubernetes.io/auth-url: ssl_engine ... Fix: ...";

kube::ApiError Error(int code, const std::string& reason, const std::string& message) {
  kube::ApiError e;
  e.code = code;
  e.reason = reason;
  e.message = message;
  e.kind = kube::KindForHttpStatus(code);
  return e;
}

class ScriptedProber : public Prober {
 public:
  ProbeResult Get(const Endpoint& ep, const std::string& path) override {
    calls.push_back(ep.Describe() + path + (ep.tls ? " tls " + ep.server_name : ""));
    auto it = answers.find(ep.Describe());
    if (it == answers.end()) return ProbeResult{"cannot connect to " + ep.Describe() + ": Connection refused", {}, 0, ""};
    return it->second;
  }
  std::map<std::string, ProbeResult> answers;
  std::vector<std::string> calls;
};

// A healthy install as the chart makes it (release riposte, namespace riposte), seen from
// outside the cluster.
class VerifyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    now_ = std::chrono::system_clock::now();
    opts_.now = [this] { return now_; };
    opts_.rbac_settle = std::chrono::milliseconds(0);
    fake_.Seed(res::kNamespaces, value::parse(R"({"metadata":{"name":"default","labels":{"kubernetes.io/metadata.name":"default"}}})"));
    fake_.Seed(res::kNamespaces, value::parse(R"({"metadata":{"name":"riposte","labels":{"kubernetes.io/metadata.name":"riposte"}}})"));
    SeedWebhookConfiguration("Fail", {"riposte", "kube-system"});
    SeedService("riposte-webhook", "10.96.0.10", 443, "https");
    SeedService("riposte-alerts", "10.96.0.11", 2803, "alerts");
    SeedService("riposte-controller-metrics", "10.96.0.12", 9090, "metrics");
    SeedSlice("riposte-webhook", "https", {true, true});
    SeedSlice("riposte-alerts", "alerts", {true, false});
    SeedLease("riposte-controller-abc", now_ - std::chrono::seconds(2));
    DenyAttacksAs(kDenial);
  }

  void SeedWebhookConfiguration(const std::string& failure_policy, const std::vector<std::string>& excluded,
                                const std::string& url = "") {
    value vwc = value::parse(R"({"apiVersion":"admissionregistration.k8s.io/v1","kind":"ValidatingWebhookConfiguration",
      "metadata":{"name":"riposte"},"webhooks":[{"name":"ingress.validate.riposte.io","admissionReviewVersions":["v1"],
      "clientConfig":{},"rules":[{"apiGroups":["networking.k8s.io"],"apiVersions":["v1"],"operations":["CREATE","UPDATE"],
      "resources":["ingresses"]}],"sideEffects":"None","namespaceSelector":{"matchExpressions":[
      {"key":"kubernetes.io/metadata.name","operator":"NotIn","values":[]}]}}]})");
    auto& hook = vwc["webhooks"][0];
    hook["failurePolicy"] = value::string(failure_policy);
    if (url.empty()) {
      hook["clientConfig"]["service"] = value::parse(R"({"name":"riposte-webhook","namespace":"riposte","port":443,"path":"/validate/ingress"})");
    } else {
      hook["clientConfig"]["url"] = value::string(url);
    }
    hook["clientConfig"]["caBundle"] = value::string(riposte::testing::Base64(riposte::testing::Pki().ca.cert_pem));
    for (size_t i = 0; i < excluded.size(); ++i)
      hook["namespaceSelector"]["matchExpressions"][0]["values"][i] = value::string(excluded[i]);
    if (fake_.Peek(res::kValidatingWebhookConfigurations, "", "riposte")) {
      fake_.Delete(res::kValidatingWebhookConfigurations, "", "riposte");
    }
    fake_.Seed(res::kValidatingWebhookConfigurations, vwc);
  }

  void SeedService(const std::string& name, const std::string& ip, int port, const std::string& port_name) {
    value svc = value::object();
    svc["metadata"]["name"] = value::string(name);
    svc["metadata"]["namespace"] = value::string("riposte");
    svc["spec"]["clusterIP"] = value::string(ip);
    svc["spec"]["ports"][0]["name"] = value::string(port_name);
    svc["spec"]["ports"][0]["port"] = value::number(port);
    fake_.Seed(res::kServices, svc);
  }

  void SeedSlice(const std::string& service, const std::string& port_name, const std::vector<bool>& ready) {
    value slice = value::object();
    slice["metadata"]["name"] = value::string(service + "-x1");
    slice["metadata"]["namespace"] = value::string("riposte");
    slice["metadata"]["labels"]["kubernetes.io/service-name"] = value::string(service);
    slice["addressType"] = value::string("IPv4");
    slice["ports"][0]["name"] = value::string(port_name);
    slice["endpoints"] = value::array();
    for (size_t i = 0; i < ready.size(); ++i) {
      slice["endpoints"][i]["addresses"][0] = value::string("10.244.0." + std::to_string(i + 1));
      slice["endpoints"][i]["conditions"]["ready"] = value::boolean(ready[i]);
    }
    if (fake_.Peek(kSlices, "riposte", service + "-x1")) fake_.Delete(kSlices, "riposte", service + "-x1");
    fake_.Seed(kSlices, slice);
  }

  void SeedLease(const std::string& holder, std::chrono::system_clock::time_point renewed) {
    value lease = value::object();
    lease["metadata"]["name"] = value::string("riposte-controller");
    lease["metadata"]["namespace"] = value::string("riposte");
    lease["spec"]["holderIdentity"] = value::string(holder);
    lease["spec"]["leaseDurationSeconds"] = value::number(15);
    lease["spec"]["renewTime"] = value::string(kube::FormatMicroTime(renewed));
    if (fake_.Peek(res::kLeases, "riposte", "riposte-controller")) fake_.Delete(res::kLeases, "riposte", "riposte-controller");
    fake_.Seed(res::kLeases, lease);
  }

  // The API server's answer to the dry-run creates: attacks get `attack_error`, benign ones
  // `benign_error` (nullopt = admitted).
  void DenyAttacksAs(const std::string& message, int code = 403) {
    attack_error_ = Error(code, code == 403 ? "Forbidden" : "InternalError", message);
    InstallReactor();
  }
  void AnswerAll(std::optional<kube::ApiError> attack, std::optional<kube::ApiError> benign) {
    attack_error_ = std::move(attack);
    benign_error_ = std::move(benign);
    InstallReactor();
  }
  void InstallReactor() {
    if (reactor_installed_) return;
    reactor_installed_ = true;
    fake_.AddReactor([this](const fakes::Action& a) -> std::optional<kube::Result<value>> {
      if (a.verb != "create" || a.resource != "ingresses.networking.k8s.io") return std::nullopt;
      bool attack = json::GetString(a.body, {"metadata", "generateName"}).value_or("").find("attack") != std::string::npos;
      const auto& err = attack ? attack_error_ : benign_error_;
      if (err) return kube::Result<value>(*err);
      return std::nullopt;
    });
  }

  Report Verify() { return verify::Run(fake_, prober_, opts_); }
  static const Check& Get(const Report& r, const std::string& name) {
    for (const auto& c : r.checks)
      if (c.name == name) return c;
    static Check none{"missing", Status::kSkip, "no such check", ""};
    return none;
  }

  fakes::FakeKubeClient fake_;
  ScriptedProber prober_;
  Options opts_;
  std::chrono::system_clock::time_point now_;
  std::optional<kube::ApiError> attack_error_, benign_error_;
  bool reactor_installed_ = false;
};

TEST_F(VerifyTest, HealthyInstallIsProtected) {
  Report r = Verify();
  EXPECT_TRUE(r.Protected()) << RenderText(r);
  EXPECT_EQ(r.ExitCode(), 0);
  EXPECT_EQ(r.ns, "riposte") << "taken from the webhook's Service";
  EXPECT_EQ(Get(r, "attack-denied").detail, "denied by ingress.validate.riposte.io: RIP-ANN-CONTROL, RIP-ANN-DIRECTIVE");
  EXPECT_EQ(Get(r, "ca-bundle").status, Status::kOk);
  EXPECT_NE(Get(r, "ca-bundle").detail.find("the API server verified"), std::string::npos);
  EXPECT_EQ(Get(r, "webhook-ready").detail, "Service riposte/riposte-webhook: 2 ready endpoints");
  EXPECT_EQ(Get(r, "controller-ready").detail, "Service riposte/riposte-alerts: 1 ready endpoint (readiness probe /readyz)");
  EXPECT_NE(Get(r, "controller-lease").detail.find("held by riposte-controller-abc, renewed 2s ago"), std::string::npos);
  EXPECT_TRUE(prober_.calls.empty()) << "outside the cluster nothing is dialled for a Service-form webhook";
  // Both Ingresses were dry runs: nothing can have been stored.
  auto creates = fake_.ActionsFor("create", "ingresses.networking.k8s.io");
  ASSERT_EQ(creates.size(), 2u);
  EXPECT_EQ(fake_.Count(res::kIngresses), 0u);
  std::string text = RenderText(r);
  EXPECT_NE(text.find("PROTECTED: Riposte denies Ingress injection in namespace default"), std::string::npos) << text;
  auto json = value::parse(RenderJson(r));
  EXPECT_TRUE(json.at("protected").as_bool());
  EXPECT_EQ(json.at("checks").size(), 8u);
  EXPECT_EQ(json.at("checks").at(2).at("status").as_string(), "ok");
}

TEST_F(VerifyTest, WebhookAbsent) {
  fake_.Delete(res::kValidatingWebhookConfigurations, "", "riposte");
  AnswerAll(std::nullopt, std::nullopt);  // nothing judges the Ingresses
  Report r = Verify();
  EXPECT_EQ(r.ExitCode(), 1);
  EXPECT_EQ(Get(r, "webhook-configuration").status, Status::kFail);
  EXPECT_NE(Get(r, "webhook-configuration").detail.find("ValidatingWebhookConfiguration riposte not found"), std::string::npos);
  const Check& a = Get(r, "attack-denied");
  EXPECT_EQ(a.status, Status::kFail);
  EXPECT_EQ(a.detail, "the attack Ingress was admitted: there is no Riposte webhook configuration riposte");
  EXPECT_NE(a.fix.find("helm upgrade --install"), std::string::npos);
  EXPECT_NE(RenderText(r).find("NOT PROTECTED: 2 checks failed"), std::string::npos) << RenderText(r);
}

TEST_F(VerifyTest, FailurePolicyIgnoreWithTheWebhookDown) {
  SeedWebhookConfiguration("Ignore", {"riposte", "kube-system"});
  SeedSlice("riposte-webhook", "https", {false, false});
  AnswerAll(std::nullopt, std::nullopt);  // the API server admits unchecked
  Report r = Verify();
  EXPECT_EQ(r.ExitCode(), 1);
  EXPECT_EQ(Get(r, "webhook-ready").status, Status::kFail);
  EXPECT_EQ(Get(r, "webhook-ready").detail,
            "Service riposte/riposte-webhook has no ready endpoints (2 endpoints in its EndpointSlices)");
  const Check& a = Get(r, "attack-denied");
  EXPECT_EQ(a.status, Status::kFail);
  EXPECT_NE(a.detail.find("cannot be called (webhook-ready) and failurePolicy is Ignore"), std::string::npos) << a.detail;
  EXPECT_NE(a.fix.find("webhook.failurePolicy=Fail"), std::string::npos) << a.fix;
  EXPECT_EQ(Get(r, "ca-bundle").status, Status::kSkip) << "nothing proves or disproves it";
}

TEST_F(VerifyTest, FailurePolicyFailWithTheWebhookDownRefusesEveryIngress) {
  SeedSlice("riposte-webhook", "https", {});
  const std::string failed = "Internal error occurred: failed calling webhook \"ingress.validate.riposte.io\": failed to "
                             "call webhook: Post \"https://riposte-webhook.riposte.svc:443/validate/ingress?timeout=5s\": "
                             "no endpoints available for service \"riposte-webhook\"";
  AnswerAll(Error(500, "InternalError", failed), Error(500, "InternalError", failed));
  Report r = Verify();
  EXPECT_EQ(Get(r, "attack-denied").status, Status::kFail);
  EXPECT_NE(Get(r, "attack-denied").detail.find("refused only because the API server could not call Riposte's webhook"),
            std::string::npos);
  EXPECT_NE(Get(r, "benign-admitted").detail.find("every Ingress write in default is refused"), std::string::npos);
  EXPECT_NE(Get(r, "benign-admitted").fix.find("rollout status deployment/riposte-webhook"), std::string::npos);
}

TEST_F(VerifyTest, NamespaceExcludedByTheNamespaceSelector) {
  SeedWebhookConfiguration("Fail", {"riposte", "kube-system", "default"});
  AnswerAll(std::nullopt, std::nullopt);
  Report r = Verify();
  const Check& n = Get(r, "namespace-selected");
  EXPECT_EQ(n.status, Status::kFail);
  EXPECT_EQ(n.detail, "namespace default is excluded by the webhook's namespaceSelector (kubernetes.io/metadata.name "
                      "notin (default,kube-system,riposte)): its Ingresses are never sent to Riposte");
  EXPECT_EQ(Get(r, "attack-denied").detail,
            "the attack Ingress was admitted: namespace default is excluded by the namespaceSelector");
}

TEST_F(VerifyTest, ObjectSelectorThatSkipsTheTestIngresses) {
  value vwc = *fake_.Peek(res::kValidatingWebhookConfigurations, "", "riposte");
  vwc["webhooks"][0]["objectSelector"] = value::parse(R"({"matchLabels":{"riposte.io/enforce":"true"}})");
  fake_.Update(res::kValidatingWebhookConfigurations, "", vwc);
  AnswerAll(std::nullopt, std::nullopt);
  Report r = Verify();
  EXPECT_EQ(Get(r, "namespace-selected").status, Status::kFail);
  EXPECT_NE(Get(r, "namespace-selected").fix.find("--label"), std::string::npos);
  opts_.labels = {{"riposte.io/enforce", "true"}};
  DenyAttacksAs(kDenial);
  AnswerAll(attack_error_, std::nullopt);
  r = Verify();
  EXPECT_TRUE(r.Protected()) << RenderText(r);
  auto creates = fake_.ActionsFor("create", "ingresses.networking.k8s.io");
  EXPECT_EQ(json::GetString(creates.back().body, {"metadata", "labels", "riposte.io/enforce"}).value_or(""), "true");
}

TEST_F(VerifyTest, ADifferentWebhookDenying) {
  SeedWebhookConfiguration("Ignore", {"riposte", "kube-system"});
  SeedSlice("riposte-webhook", "https", {});
  const std::string other = "admission webhook \"deny-all.policy.example.com\" denied the request: Ingresses are frozen";
  AnswerAll(Error(403, "Forbidden", other), Error(403, "Forbidden", other));
  Report r = Verify();
  const Check& a = Get(r, "attack-denied");
  EXPECT_EQ(a.status, Status::kFail);
  EXPECT_EQ(a.detail.rfind("denied by deny-all.policy.example.com, not by Riposte (Riposte's webhook cannot be called", 0), 0u)
      << a.detail;
  EXPECT_NE(a.detail.find("Ingresses are frozen"), std::string::npos);
  EXPECT_EQ(Get(r, "benign-admitted").detail,
            "a benign Ingress was denied by deny-all.policy.example.com (not Riposte): " + other);
  EXPECT_EQ(Get(r, "ca-bundle").status, Status::kSkip) << "another webhook's denial proves nothing about Riposte's TLS";
}

TEST_F(VerifyTest, RiposteDenialWithoutRuleIdsIsNotTrusted) {
  DenyAttacksAs("admission webhook \"ingress.validate.riposte.io\" denied the request: no");
  Report r = Verify();
  EXPECT_EQ(Get(r, "attack-denied").status, Status::kFail);
  EXPECT_NE(Get(r, "attack-denied").detail.find("without the rule ids RIP-ANN-CONTROL"), std::string::npos);
}

TEST_F(VerifyTest, PolicyThatAdmitsTheAttack) {
  AnswerAll(std::nullopt, std::nullopt);  // the webhook is up, selected, Fail: its policy let it through
  Report r = Verify();
  EXPECT_NE(Get(r, "attack-denied").detail.find("admitted by Riposte's policy: mode warn or audit"), std::string::npos);
  EXPECT_NE(Get(r, "attack-denied").fix.find("webhook.policy.mode=enforce"), std::string::npos);
}

TEST_F(VerifyTest, DryRunRefusedByRbacSaysWhichGrantIsMissing) {
  const std::string forbidden = "ingresses.networking.k8s.io is forbidden: User \"system:serviceaccount:riposte:t\" cannot "
                                "create resource \"ingresses\" in API group \"networking.k8s.io\" in the namespace \"default\"";
  AnswerAll(Error(403, "Forbidden", forbidden), Error(403, "Forbidden", forbidden));
  Report r = Verify();
  EXPECT_NE(Get(r, "attack-denied").detail.find("refused before Riposte could judge it"), std::string::npos);
  EXPECT_NE(Get(r, "attack-denied").fix.find("grant create on ingresses in namespace default"), std::string::npos);
}

TEST_F(VerifyTest, RbacDenialsAreRetriedWhileBindingsSettle) {
  // helm test creates the RoleBindings right before the pod: the first reads may be refused.
  opts_.rbac_settle = std::chrono::seconds(30);
  fake_.FailNext("get", "validatingwebhookconfigurations.admissionregistration.k8s.io",
                 Error(403, "Forbidden", "validatingwebhookconfigurations.admissionregistration.k8s.io \"riposte\" is "
                                         "forbidden: User \"system:serviceaccount:riposte:riposte-verify\" cannot get resource"),
                 2);
  Report r = Verify();
  EXPECT_TRUE(r.Protected()) << RenderText(r);
  EXPECT_EQ(fake_.ActionsFor("get", "validatingwebhookconfigurations.admissionregistration.k8s.io").size(), 3u);
}

TEST_F(VerifyTest, MissingTestNamespace) {
  opts_.test_namespace = "nowhere";
  Report r = Verify();
  EXPECT_EQ(Get(r, "namespace-selected").detail, "namespace nowhere does not exist");
  EXPECT_TRUE(fake_.ActionsFor("create").empty()) << "nothing submitted into a namespace that is not there";
}

TEST_F(VerifyTest, UrlFormWebhookIsReachedAndItsCertificateChecked) {
  SeedWebhookConfiguration("Fail", {"riposte", "kube-system"}, "https://127.0.0.1:8443/validate/ingress");
  prober_.answers["127.0.0.1:8443"] = ProbeResult{"", {riposte::testing::Pki().server.cert_pem}, 200, "ok\n"};
  Report r = Verify();
  EXPECT_TRUE(r.Protected()) << RenderText(r);
  ASSERT_EQ(prober_.calls.size(), 1u);
  EXPECT_EQ(prober_.calls[0], "127.0.0.1:8443/readyz tls 127.0.0.1");
  EXPECT_NE(Get(r, "ca-bundle").detail.find("verifies against caBundle for 127.0.0.1"), std::string::npos)
      << Get(r, "ca-bundle").detail;
  EXPECT_EQ(Get(r, "webhook-ready").detail, "/readyz 200 at 127.0.0.1:8443");
}

TEST_F(VerifyTest, CaBundleThatDoesNotSignTheServingCertificate) {
  SeedWebhookConfiguration("Fail", {"riposte", "kube-system"}, "https://127.0.0.1:8443/validate/ingress");
  prober_.answers["127.0.0.1:8443"] = ProbeResult{"", {riposte::testing::Pki().other.cert_pem}, 200, "ok\n"};
  const std::string x509 = "Internal error occurred: failed calling webhook \"ingress.validate.riposte.io\": failed to call "
                           "webhook: Post \"https://127.0.0.1:8443/validate/ingress?timeout=5s\": x509: certificate signed "
                           "by unknown authority";
  AnswerAll(Error(500, "InternalError", x509), Error(500, "InternalError", x509));
  Report r = Verify();
  const Check& ca = Get(r, "ca-bundle");
  EXPECT_EQ(ca.status, Status::kFail);
  EXPECT_NE(ca.detail.find("does not verify against caBundle for 127.0.0.1"), std::string::npos) << ca.detail;
  EXPECT_NE(Get(r, "attack-denied").fix.find("caBundle"), std::string::npos);
}

TEST_F(VerifyTest, InClusterReachesServicesByClusterIpAndNamesTheCertificate) {
  opts_.in_cluster = true;
  prober_.answers["10.96.0.10:443"] = ProbeResult{"", {riposte::testing::Pki().server.cert_pem}, 200, "ok\n"};
  prober_.answers["10.96.0.12:9090"] = ProbeResult{"", {}, 503, "not ready: Lease riposte/riposte-controller: forbidden\n"};
  Report r = Verify();
  // The test PKI's server certificate names localhost/127.0.0.1, not the Service.
  const Check& ca = Get(r, "ca-bundle");
  EXPECT_EQ(ca.status, Status::kFail);
  EXPECT_NE(ca.detail.find("names localhost, 127.0.0.1, ::1, not riposte-webhook.riposte.svc"), std::string::npos) << ca.detail;
  const Check& c = Get(r, "controller-ready");
  EXPECT_EQ(c.status, Status::kFail);
  EXPECT_EQ(c.detail, "GET http://10.96.0.12:9090/readyz answered 503: not ready: Lease riposte/riposte-controller: forbidden");
  EXPECT_EQ(prober_.calls, (std::vector<std::string>{"10.96.0.10:443/readyz tls riposte-webhook.riposte.svc",
                                                      "10.96.0.12:9090/readyz"}));
}

TEST_F(VerifyTest, AddressOverridesAreDialledInstead) {
  opts_.webhook_address = "127.0.0.1:18443";
  opts_.controller_address = "127.0.0.1:19090";
  prober_.answers["127.0.0.1:19090"] = ProbeResult{"", {}, 200, "ok\n"};
  Report r = Verify();
  EXPECT_EQ(Get(r, "webhook-ready").status, Status::kFail);
  EXPECT_NE(Get(r, "webhook-ready").detail.find("cannot connect to 127.0.0.1:18443"), std::string::npos);
  EXPECT_EQ(Get(r, "controller-ready").detail, "/readyz 200 at 127.0.0.1:19090");
}

TEST_F(VerifyTest, StaleOrMissingLease) {
  SeedLease("riposte-controller-abc", now_ - std::chrono::seconds(60));
  Report r = Verify();
  const Check& l = Get(r, "controller-lease");
  EXPECT_EQ(l.status, Status::kFail);
  EXPECT_NE(l.detail.find("renewed 60s ago (leaseDurationSeconds 15): the holder stopped renewing"), std::string::npos) << l.detail;
  fake_.Delete(res::kLeases, "riposte", "riposte-controller");
  r = Verify();
  EXPECT_EQ(Get(r, "controller-lease").detail, "no Lease riposte/riposte-controller: no controller replica has run leader election");
  opts_.controller = false;
  r = Verify();
  EXPECT_TRUE(r.Protected()) << "a webhook-only install skips the controller: " << RenderText(r);
  EXPECT_EQ(Get(r, "controller-lease").status, Status::kSkip);
}

TEST_F(VerifyTest, ControllerWithoutReadyEndpoints) {
  SeedSlice("riposte-alerts", "alerts", {false});
  Report r = Verify();
  EXPECT_EQ(Get(r, "controller-ready").detail,
            "Service riposte/riposte-alerts has no ready endpoints: no replica answers /readyz (1 endpoint in its EndpointSlices)");
}

TEST_F(VerifyTest, UnreachableApiServerCannotBeJudged) {
  fake_.FailNext("get", "", kube::MakeError(kube::ErrorKind::kTransport, "connection refused"));
  Report r = Verify();
  EXPECT_EQ(r.ExitCode(), 2);
  EXPECT_NE(RenderText(r).find("cannot talk to the API server"), std::string::npos);
  EXPECT_FALSE(value::parse(RenderJson(r)).at("protected").as_bool());
}

TEST(VerifyClassify, NamesWhoAnswered) {
  auto a = Classify(Error(403, "Forbidden", kDenial));
  EXPECT_EQ(a.kind, Answer::Kind::kDeniedByRiposte);
  EXPECT_EQ(a.rule_ids, (std::vector<std::string>{"RIP-ANN-CONTROL", "RIP-ANN-DIRECTIVE"}));
  a = Classify(Error(403, "Forbidden", "admission webhook \"validate.kyverno.svc-fail\" denied the request: policy x"));
  EXPECT_EQ(a.kind, Answer::Kind::kDeniedByOther);
  EXPECT_EQ(a.origin, "validate.kyverno.svc-fail");
  a = Classify(Error(403, "Forbidden", "ValidatingAdmissionPolicy 'no-snippets' with binding 'b' denied request: x"));
  EXPECT_EQ(a.kind, Answer::Kind::kDeniedByOther);
  EXPECT_EQ(a.origin, "ValidatingAdmissionPolicy no-snippets");
  a = Classify(Error(500, "InternalError", "failed calling webhook \"ingress.validate.riposte.io\": x509: certificate has expired"));
  EXPECT_EQ(a.kind, Answer::Kind::kWebhookCallFailed);
  EXPECT_TRUE(a.tls_error);
  a = Classify(Error(500, "InternalError", "failed calling webhook \"other.example.com\": context deadline exceeded"));
  EXPECT_EQ(a.kind, Answer::Kind::kOtherWebhookFailed);
  a = Classify(Error(400, "BadRequest", "admission webhook \"sidefx.example.com\" does not support dry run"));
  EXPECT_EQ(a.kind, Answer::Kind::kNoDryRunSupport);
  EXPECT_EQ(a.origin, "sidefx.example.com");
  a = Classify(Error(422, "Invalid", "Ingress.networking.k8s.io \"x\" is invalid: spec: Invalid value"));
  EXPECT_EQ(a.kind, Answer::Kind::kRefused);
}

TEST(VerifyAttack, TheEngineCatchesTheSubmittedAttackAndPassesTheBenignIngress) {
  auto ids = ExpectedAttackRules();
  EXPECT_NE(std::find(ids.begin(), ids.end(), "RIP-ANN-CONTROL"), ids.end());
  Options o;
  auto attack = AttackIngress(o);
  EXPECT_EQ(json::GetString(attack, {"metadata", "generateName"}).value_or(""), "riposte-verify-attack-");
  EXPECT_EQ(json::GetString(attack, {"spec", "ingressClassName"}).value_or(""), "nginx");
  EXPECT_EQ(json::Find(attack, {"metadata", "namespace"}), nullptr) << "the namespace comes from the request path";
}

}  // namespace
}  // namespace riposte::verify
