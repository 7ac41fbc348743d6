#include "webhook/admission.h"

#include <gtest/gtest.h>
#include <simdjson.h>

#include "webhook/decision.h"

namespace riposte::webhook {
namespace {

std::string Review(const std::string& request, const std::string& api = "admission.k8s.io/v1") {
  return R"({"apiVersion":")" + api + R"(","kind":"AdmissionReview","request":)" + request + "}";
}

const char* kIngressRequest = R"({
  "uid":"705ab4f5-6393-11e8-b7cc-42010a800002",
  "kind":{"group":"networking.k8s.io","version":"v1","kind":"Ingress"},
  "resource":{"group":"networking.k8s.io","version":"v1","resource":"ingresses"},
  "operation":"CREATE","namespace":"shop","name":"web",
  "userInfo":{"username":"alice","groups":["dev"]},
  "dryRun":false,
  "unknownTopLevel":{"ignored":[1,2,3]},
  "object":{"apiVersion":"networking.k8s.io/v1","kind":"Ingress",
    "metadata":{"name":"web","namespace":"shop","uid":"0f3c2a8e-1111-4a4a-8b8b-123456789abc",
      "annotations":{"nginx.ingress.kubernetes.io/auth-url":"http://auth.example/x","other":"v"}},
    "spec":{"ingressClassName":"nginx",
      "rules":[{"host":"a.example","http":{"paths":[{"path":"/","pathType":"Prefix","backend":{}},{"path":"/api","pathType":"Exact"}]}},{"host":"b.example"}],
      "tls":[{"hosts":["a.example","b.example"],"secretName":"web-tls"}]}},
  "oldObject":null})";

TEST(AdmissionParseTest, FullIngressRequest) {
  ParseResult r = ParseAdmissionReview(Review(kIngressRequest));
  ASSERT_EQ(r.status, ParseStatus::kOk) << r.error;
  const auto& q = r.request;
  EXPECT_EQ(q.api_version, "admission.k8s.io/v1");
  EXPECT_EQ(q.uid, "705ab4f5-6393-11e8-b7cc-42010a800002");
  EXPECT_TRUE(q.IsIngress());
  EXPECT_TRUE(q.NeedsJudgement());
  EXPECT_EQ(q.operation, "CREATE");
  EXPECT_EQ(q.ns, "shop");
  EXPECT_EQ(q.name, "web");
  EXPECT_EQ(q.username, "alice");
  EXPECT_FALSE(q.dry_run);
  const auto& ing = q.ingress;
  EXPECT_EQ(ing.name, "web");
  EXPECT_EQ(ing.ns, "shop");
  EXPECT_EQ(ing.uid, "0f3c2a8e-1111-4a4a-8b8b-123456789abc");
  EXPECT_EQ(ing.ingress_class, "nginx");
  ASSERT_EQ(ing.annotations.size(), 2u);
  EXPECT_EQ(ing.annotations[0].first, "nginx.ingress.kubernetes.io/auth-url");
  EXPECT_EQ(ing.annotations[0].second, "http://auth.example/x");
  ASSERT_EQ(ing.rules.size(), 2u);
  EXPECT_EQ(ing.rules[0].host, "a.example");
  ASSERT_EQ(ing.rules[0].paths.size(), 2u);
  EXPECT_EQ(ing.rules[0].paths[1].path, "/api");
  EXPECT_EQ(ing.rules[0].paths[1].path_type, "Exact");
  EXPECT_TRUE(ing.rules[1].paths.empty());
  ASSERT_EQ(ing.tls.size(), 1u);
  EXPECT_EQ(ing.tls[0].hosts, (std::vector<std::string>{"a.example", "b.example"}));
  EXPECT_EQ(ing.tls[0].secret_name, "web-tls");
}

TEST(AdmissionParseTest, EnvelopeErrorsAreBadRequests) {
  struct Case {
    const char* name;
    std::string body;
  } cases[] = {
      {"empty", ""},
      {"not json", "{nope"},
      {"truncated", Review(kIngressRequest).substr(0, 100)},
      {"array", "[]"},
      {"string", "\"AdmissionReview\""},
      {"wrong kind", R"({"apiVersion":"admission.k8s.io/v1","kind":"Pod","request":{"uid":"u"}})"},
      {"wrong apiVersion", R"({"apiVersion":"v1","kind":"AdmissionReview","request":{"uid":"u"}})"},
      {"no request", R"({"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview"})"},
      {"null request", R"({"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":null})"},
      {"request not object", Review("[1]")},
      {"missing uid", Review(R"({"operation":"CREATE"})")},
      {"null uid", Review(R"({"uid":null})")},
      {"empty uid", Review(R"({"uid":""})")},
      {"uid number", Review(R"({"uid":42})")},
      {"apiVersion number", R"({"apiVersion":1,"kind":"AdmissionReview","request":{"uid":"u"}})"},
  };
  for (const auto& c : cases) {
    ParseResult r = ParseAdmissionReview(c.body);
    EXPECT_EQ(r.status, ParseStatus::kBadRequest) << c.name;
    EXPECT_FALSE(r.error.empty()) << c.name;
  }
  EXPECT_EQ(ParseAdmissionReview(Review(R"({"operation":"CREATE"})")).error, "missing request.uid");
}

TEST(AdmissionParseTest, WrongTypesInsideObjectAreInvalidWithUidAndFieldPath) {
  auto with_object = [](const std::string& obj) {
    return Review(R"({"uid":"u1","kind":{"group":"networking.k8s.io","version":"v1","kind":"Ingress"},"operation":"CREATE","object":)" +
                  obj + "}");
  };
  struct Case {
    std::string object;
    std::string error_contains;
  } cases[] = {
      {R"("str")", "request.object must be an object"},
      {R"({"metadata":[]})", "metadata must be an object"},
      {R"({"metadata":{"annotations":{"a":1}}})", "metadata.annotations[\"a\"] must be a string"},
      {R"({"metadata":{"annotations":"x"}})", "metadata.annotations must be an object"},
      {R"({"metadata":{"name":{}}})", "metadata.name must be a string"},
      {R"({"spec":{"rules":{}}})", "spec.rules must be an array"},
      {R"({"spec":{"rules":[1]}})", "spec.rules[0] must be an object"},
      {R"({"spec":{"rules":[{"http":{"paths":[{"path":7}]}}]}})", "spec.rules[0].http.paths[0].path must be a string"},
      {R"({"spec":{"tls":[{"hosts":[true]}]}})", "spec.tls[0].hosts[0] must be a string"},
      {R"({"spec":{"ingressClassName":false}})", "spec.ingressClassName must be a string"},
  };
  for (const auto& c : cases) {
    ParseResult r = ParseAdmissionReview(with_object(c.object));
    EXPECT_EQ(r.status, ParseStatus::kInvalidObject) << c.object;
    EXPECT_EQ(r.request.uid, "u1");
    EXPECT_NE(r.error.find(c.error_contains), std::string::npos) << c.object << " -> " << r.error;
  }
  ParseResult missing = ParseAdmissionReview(
      Review(R"({"uid":"u2","kind":{"group":"networking.k8s.io","kind":"Ingress"},"operation":"UPDATE"})"));
  EXPECT_EQ(missing.status, ParseStatus::kInvalidObject);
  EXPECT_EQ(missing.request.uid, "u2");
  ParseResult bad_dry = ParseAdmissionReview(Review(R"({"uid":"u3","dryRun":"yes"})"));
  EXPECT_EQ(bad_dry.status, ParseStatus::kInvalidObject);
}

TEST(AdmissionParseTest, NullsAreAbsentAndUnknownFieldsIgnored) {
  ParseResult r = ParseAdmissionReview(Review(
      R"({"uid":"u","kind":{"group":"networking.k8s.io","version":"v1","kind":"Ingress"},"operation":"CREATE",
          "namespace":null,"name":null,"userInfo":null,"dryRun":null,"future":{"x":1},
          "object":{"metadata":{"name":"n","namespace":"ns","annotations":null,"labels":{"a":"b"}},
                    "spec":{"rules":[null,{"host":null,"http":{"paths":[null,{"path":"/p","pathType":null}]}}],"tls":null,"defaultBackend":{}},
                    "status":{"loadBalancer":{}}}})"));
  ASSERT_EQ(r.status, ParseStatus::kOk) << r.error;
  EXPECT_EQ(r.request.ns, "ns");  // falls back to the object's namespace
  EXPECT_EQ(r.request.name, "n");
  EXPECT_TRUE(r.request.ingress.annotations.empty());
  ASSERT_EQ(r.request.ingress.rules.size(), 1u);
  ASSERT_EQ(r.request.ingress.rules[0].paths.size(), 1u);
  EXPECT_EQ(r.request.ingress.rules[0].paths[0].path, "/p");
  EXPECT_EQ(r.request.ingress.rules[0].paths[0].path_type, "");
}

TEST(AdmissionParseTest, DeleteConnectAndOtherKindsAreNotJudged) {
  for (const char* req : {
           R"({"uid":"u","kind":{"group":"networking.k8s.io","version":"v1","kind":"Ingress"},"operation":"DELETE","oldObject":{"metadata":{"annotations":{"a":1}}}})",
           R"({"uid":"u","kind":{"group":"networking.k8s.io","version":"v1","kind":"Ingress"},"operation":"CONNECT"})",
           R"({"uid":"u","kind":{"group":"","version":"v1","kind":"ConfigMap"},"operation":"DELETE","object":"whatever"})",
           R"({"uid":"u","kind":{"group":"","version":"v1","kind":"Secret"},"operation":"CREATE","object":"whatever"})",
           R"({"uid":"u","kind":{"group":"apps","version":"v1","kind":"Ingress"},"operation":"CREATE","object":5})",
       }) {
    ParseResult r = ParseAdmissionReview(Review(req));
    EXPECT_EQ(r.status, ParseStatus::kOk) << req << r.error;
    EXPECT_FALSE(r.request.NeedsJudgement()) << req;
  }
  ParseResult legacy = ParseAdmissionReview(Review(
      R"({"uid":"u","kind":{"group":"extensions","version":"v1beta1","kind":"Ingress"},"operation":"UPDATE","object":{}})",
      "admission.k8s.io/v1beta1"));
  ASSERT_EQ(legacy.status, ParseStatus::kOk);
  EXPECT_TRUE(legacy.request.NeedsJudgement());
  EXPECT_EQ(legacy.request.api_version, "admission.k8s.io/v1beta1");
}

// ConfigMaps (core/v1) are judged on CREATE/UPDATE: name, labels and string data are read;
// binaryData never reaches nginx and is ignored.
TEST(AdmissionParseTest, ConfigMapDataAndLabels) {
  ParseResult r = ParseAdmissionReview(Review(R"({"uid":"u-cm",
      "kind":{"group":"","version":"v1","kind":"ConfigMap"},"operation":"UPDATE","namespace":"team","name":"hdrs",
      "object":{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"hdrs","namespace":"team",
        "labels":{"app":"web"}},"data":{"X-User":"$remote_user","X-B":"b"},"binaryData":{"bin":"AAEC"}}})"));
  ASSERT_EQ(r.status, ParseStatus::kOk) << r.error;
  EXPECT_TRUE(r.request.IsConfigMap());
  EXPECT_TRUE(r.request.NeedsJudgement());
  EXPECT_EQ(r.request.configmap.ns, "team");
  EXPECT_EQ(r.request.configmap.name, "hdrs");
  EXPECT_EQ(r.request.configmap.data, (core::KeyValues{{"X-User", "$remote_user"}, {"X-B", "b"}}));
  EXPECT_EQ(r.request.labels, (core::KeyValues{{"app", "web"}}));

  // generateName: no name in the object yet, the request's namespace is used.
  ParseResult gen = ParseAdmissionReview(Review(R"({"uid":"u","kind":{"group":"","version":"v1","kind":"ConfigMap"},
      "operation":"CREATE","namespace":"team","object":{"metadata":{"generateName":"x-"}}})"));
  ASSERT_EQ(gen.status, ParseStatus::kOk) << gen.error;
  EXPECT_EQ(gen.request.configmap.ns, "team");
  EXPECT_TRUE(gen.request.configmap.data.empty());
}

TEST(AdmissionParseTest, ConfigMapWrongTypesAreInvalidWithTheField) {
  ParseResult r = ParseAdmissionReview(Review(R"({"uid":"u-cm","kind":{"group":"","version":"v1","kind":"ConfigMap"},
      "operation":"CREATE","namespace":"team","object":{"metadata":{"name":"x"},"data":{"k":5}}})"));
  EXPECT_EQ(r.status, ParseStatus::kInvalidObject);
  EXPECT_EQ(r.request.uid, "u-cm");
  EXPECT_EQ(r.error, "request.object.data must be a string");
  r = ParseAdmissionReview(Review(R"({"uid":"u-cm","kind":{"group":"","version":"v1","kind":"ConfigMap"},
      "operation":"CREATE","namespace":"team","object":{"metadata":{"labels":[1]}}})"));
  EXPECT_EQ(r.status, ParseStatus::kInvalidObject);
  EXPECT_EQ(r.error, "request.object.metadata.labels must be an object");
}

// The successor controllers' resources are routed by group and kind to their own decoder.
TEST(AdmissionParseTest, ProfileResourcesAreRoutedByKind) {
  ParseResult vs = ParseAdmissionReview(Review(R"({"uid":"u-vs",
      "kind":{"group":"k8s.nginx.org","version":"v1","kind":"VirtualServer"},"operation":"CREATE","namespace":"shop",
      "object":{"apiVersion":"k8s.nginx.org/v1","kind":"VirtualServer","metadata":{"name":"cafe"},
        "spec":{"host":"cafe.example.com","server-snippets":"gzip on;"}}})"));
  ASSERT_EQ(vs.status, ParseStatus::kOk) << vs.error;
  EXPECT_FALSE(vs.request.IsIngress());
  EXPECT_TRUE(vs.request.IsNginxResource());
  EXPECT_TRUE(vs.request.NeedsJudgement());
  ASSERT_NE(vs.request.resource.kind, nullptr);
  EXPECT_EQ(vs.request.resource.kind->kind, "VirtualServer");
  EXPECT_EQ(vs.request.resource.ns, "shop");  // from the request when the object has none
  EXPECT_EQ(vs.request.name, "cafe");
  ASSERT_NE(vs.request.resource.Field("spec.server-snippets"), nullptr);
  EXPECT_TRUE(vs.request.ingress.annotations.empty());

  ParseResult sf = ParseAdmissionReview(Review(R"({"uid":"u-sf",
      "kind":{"group":"gateway.nginx.org","version":"v1alpha1","kind":"SnippetsFilter"},"operation":"UPDATE",
      "object":{"apiVersion":"gateway.nginx.org/v1alpha1","kind":"SnippetsFilter","metadata":{"name":"f","namespace":"team"},
        "spec":{"snippets":[{"context":"http","value":"gzip on;"}]}},"oldObject":{"spec":{}}})"));
  ASSERT_EQ(sf.status, ParseStatus::kOk) << sf.error;
  EXPECT_EQ(sf.request.ns, "team");
  EXPECT_EQ(sf.request.resource.fields.size(), 2u);
}

TEST(AdmissionParseTest, ProfileResourceErrorsAndUnjudgedOnes) {
  ParseResult bad = ParseAdmissionReview(Review(R"({"uid":"u-bad",
      "kind":{"group":"k8s.nginx.org","version":"v1","kind":"VirtualServer"},"operation":"CREATE",
      "object":{"apiVersion":"k8s.nginx.org/v1","kind":"VirtualServer","metadata":{"name":"x","annotations":{"a":[]}}}})"));
  EXPECT_EQ(bad.status, ParseStatus::kInvalidObject);
  EXPECT_EQ(bad.request.uid, "u-bad");
  EXPECT_EQ(bad.error, "request.object.metadata.annotations[\"a\"] must be a string");
  ParseResult spec = ParseAdmissionReview(Review(R"({"uid":"u-spec",
      "kind":{"group":"gateway.nginx.org","version":"v1alpha1","kind":"SnippetsPolicy"},"operation":"CREATE",
      "object":{"apiVersion":"gateway.nginx.org/v1alpha1","kind":"SnippetsPolicy","spec":[]}})"));
  EXPECT_EQ(spec.status, ParseStatus::kInvalidObject);
  EXPECT_EQ(spec.error, "request.object.spec must be an object");
  // The object's own apiVersion/kind must agree with what the API server says it is.
  ParseResult mismatch = ParseAdmissionReview(Review(R"({"uid":"u-mm",
      "kind":{"group":"k8s.nginx.org","version":"v1","kind":"Policy"},"operation":"CREATE",
      "object":{"apiVersion":"kyverno.io/v1","kind":"Policy","spec":{}}})"));
  EXPECT_EQ(mismatch.status, ParseStatus::kInvalidObject);
  for (const char* req : {
           // Another group's Policy, a DELETE, and a kind no profile judges.
           R"({"uid":"u","kind":{"group":"kyverno.io","version":"v1","kind":"Policy"},"operation":"CREATE","object":5})",
           R"({"uid":"u","kind":{"group":"k8s.nginx.org","version":"v1","kind":"VirtualServer"},"operation":"DELETE"})",
           R"({"uid":"u","kind":{"group":"k8s.nginx.org","version":"v1","kind":"GlobalConfiguration"},"operation":"CREATE","object":{}})",
       }) {
    ParseResult r = ParseAdmissionReview(Review(req));
    EXPECT_EQ(r.status, ParseStatus::kOk) << req << r.error;
    EXPECT_FALSE(r.request.NeedsJudgement()) << req;
  }
}

TEST(AdmissionParseTest, HugeValuesAndEscapesArePreserved) {
  std::string big(200000, 'A');
  ParseResult r = ParseAdmissionReview(Review(
      R"({"uid":"u","kind":{"group":"networking.k8s.io","version":"v1","kind":"Ingress"},"operation":"CREATE","object":{"metadata":{"annotations":{"big":")" +
      big + R"(","nl":"a\nb\u0000c\"d"}}}})"));
  ASSERT_EQ(r.status, ParseStatus::kOk) << r.error;
  EXPECT_EQ(r.request.ingress.annotations[0].second.size(), big.size());
  EXPECT_EQ(r.request.ingress.annotations[1].second, std::string("a\nb\0c\"d", 7));
}

TEST(AdmissionParseTest, DryRunFlag) {
  ParseResult r = ParseAdmissionReview(Review(
      R"({"uid":"u","dryRun":true,"kind":{"group":"networking.k8s.io","kind":"Ingress"},"operation":"CREATE","object":{}})"));
  ASSERT_EQ(r.status, ParseStatus::kOk);
  EXPECT_TRUE(r.request.dry_run);
}

// Responses must be valid JSON with the expected shape: checked with a real parser.
simdjson::dom::element ParseJson(simdjson::dom::parser& p, const std::string& s) {
  simdjson::dom::element e;
  EXPECT_EQ(p.parse(s).get(e), simdjson::SUCCESS) << s;
  return e;
}

TEST(AdmissionResponseTest, AllowShape) {
  ReviewResponse r;
  r.uid = "u-\"1";
  std::string body = BuildResponse(r);
  simdjson::dom::parser p;
  auto e = ParseJson(p, body);
  EXPECT_EQ(std::string_view(e["apiVersion"].get_string().value()), "admission.k8s.io/v1");
  EXPECT_EQ(std::string_view(e["kind"].get_string().value()), "AdmissionReview");
  EXPECT_EQ(std::string_view(e["response"]["uid"].get_string().value()), "u-\"1");
  EXPECT_TRUE(e["response"]["allowed"].get_bool().value());
  EXPECT_TRUE(e["response"]["status"].error());
  EXPECT_TRUE(e["response"]["warnings"].error());
}

core::Finding MakeFinding(const std::string& id, const std::string& msg) {
  core::Finding f;
  f.rule_id = id;
  f.cves = {"CVE-2025-24514"};
  f.field = "nginx.ingress.kubernetes.io/auth-url";
  f.message = msg;
  f.remediation = "use a plain http(s) URL";
  return f;
}

TEST(AdmissionResponseTest, DenyShapeListsFindingsAndIsBounded) {
  std::vector<core::Finding> findings;
  for (int i = 0; i < 200; ++i) findings.push_back(MakeFinding("RIP-" + std::to_string(i % 3), std::string(100, 'x') + "\"\n"));
  Decision d = Decide(core::Mode::kEnforce, findings);
  EXPECT_EQ(d.outcome, Outcome::kDenied);
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.code, 403);
  EXPECT_EQ(d.rule_ids, (std::vector<std::string>{"RIP-0", "RIP-1", "RIP-2"}));
  EXPECT_LE(d.message.size(), kMaxMessageBytes);
  EXPECT_NE(d.message.find("200 findings"), std::string::npos);
  EXPECT_NE(d.message.find("more"), std::string::npos);
  EXPECT_NE(d.message.find("RIP-0 (CVE-2025-24514) at nginx.ingress.kubernetes.io/auth-url"), std::string::npos);
  EXPECT_NE(d.message.find("Fix: use a plain http(s) URL"), std::string::npos);

  ReviewResponse r{"admission.k8s.io/v1", "uid-9", d.allowed, d.code, d.message, d.warnings};
  simdjson::dom::parser p;
  auto e = ParseJson(p, BuildResponse(r));
  EXPECT_FALSE(e["response"]["allowed"].get_bool().value());
  EXPECT_EQ(e["response"]["uid"].get_string().value(), "uid-9");
  EXPECT_EQ(e["response"]["status"]["code"].get_int64().value(), 403);
  EXPECT_EQ(e["response"]["status"]["reason"].get_string().value(), "Forbidden");
  std::string_view msg = e["response"]["status"]["message"].get_string().value();
  EXPECT_EQ(msg, d.message);  // newlines/quotes in messages survive JSON escaping
}

TEST(AdmissionResponseTest, DenialNamesTheKind) {
  EXPECT_EQ(Decide(core::Mode::kEnforce, {MakeFinding("RIP-X", "m")}).message.rfind("riposte denied this Ingress (1 finding)", 0), 0u);
  EXPECT_EQ(Decide(core::Mode::kEnforce, {MakeFinding("RIP-X", "m")}, "VirtualServer").message.rfind(
                "riposte denied this VirtualServer (1 finding)", 0),
            0u);
}

TEST(AdmissionResponseTest, WarnModeAllowsWithBoundedWarnings) {
  std::vector<core::Finding> findings;
  for (int i = 0; i < 40; ++i) findings.push_back(MakeFinding("RIP-W", std::string(1000, 'y')));
  Decision d = Decide(core::Mode::kWarn, findings);
  EXPECT_EQ(d.outcome, Outcome::kWarned);
  EXPECT_TRUE(d.allowed);
  ReviewResponse r{"admission.k8s.io/v1", "u", d.allowed, d.code, d.message, d.warnings};
  simdjson::dom::parser p;
  auto e = ParseJson(p, BuildResponse(r));
  EXPECT_TRUE(e["response"]["allowed"].get_bool().value());
  EXPECT_TRUE(e["response"]["status"].error());
  simdjson::dom::array w = e["response"]["warnings"].get_array().value();
  EXPECT_EQ(w.size(), kMaxWarnings);
  for (auto item : w) EXPECT_LE(std::string_view(item.get_string().value()).size(), kMaxWarningBytes);
  EXPECT_EQ(std::string_view(w.at(kMaxWarnings - 1).get_string().value()), "... and 25 more findings");
}

TEST(AdmissionResponseTest, AuditModeAllowsSilentlyAndCleanIsAllowed) {
  Decision audit = Decide(core::Mode::kAudit, {MakeFinding("RIP-A", "m")});
  EXPECT_EQ(audit.outcome, Outcome::kAudited);
  EXPECT_TRUE(audit.allowed);
  EXPECT_TRUE(audit.warnings.empty());
  EXPECT_EQ(audit.rule_ids, std::vector<std::string>{"RIP-A"});
  Decision clean = Decide(core::Mode::kEnforce, {});
  EXPECT_EQ(clean.outcome, Outcome::kAllowed);
  EXPECT_TRUE(clean.allowed);
}

TEST(AdmissionResponseTest, TruncateKeepsUtf8Whole) {
  EXPECT_EQ(Truncate("abc", 3), "abc");
  EXPECT_EQ(Truncate("abcdef", 5), "ab...");
  std::string s = "ab\xe6\xbc\xa2\xe6\xbc\xa2";  // two 3-byte characters
  std::string t = Truncate(s, 7);
  EXPECT_EQ(t, "ab...");
}

TEST(AdmissionResponseTest, InternalErrorShape) {
  ReviewResponse r{"admission.k8s.io/v1", "u", false, 500, "boom", {}};
  simdjson::dom::parser p;
  auto e = ParseJson(p, BuildResponse(r));
  EXPECT_EQ(e["response"]["status"]["code"].get_int64().value(), 500);
  EXPECT_EQ(e["response"]["status"]["reason"].get_string().value(), "InternalError");
}

}  // namespace
}  // namespace riposte::webhook
