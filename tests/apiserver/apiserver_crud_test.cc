// CRUD semantics of riposte-test-apiserver against the kube-apiserver's: Status bodies,
// optimistic concurrency, generation, status subresource, finalizers, GC, namespaces, CRDs,
// eviction, selectors, pagination, patches, auth.

#include <gtest/gtest.h>

#include "tests/apiserver/apiserver_test_util.h"

namespace riposte::testapi {
namespace {

using web::json::value;

class ApiServerCrudTest : public ApiServerSuite {};

void ExpectStatus(const RawResponse& r, int code, const std::string& reason, const std::string& message) {
  ASSERT_EQ(r.status, code) << r.body;
  value s = r.Json();
  EXPECT_EQ(s.at("kind").as_string(), "Status");
  EXPECT_EQ(s.at("apiVersion").as_string(), "v1");
  EXPECT_TRUE(s.at("metadata").is_object());
  EXPECT_EQ(s.at("status").as_string(), "Failure");
  EXPECT_EQ(s.at("code").as_integer(), code);
  if (!reason.empty()) {
    EXPECT_EQ(s.at("reason").as_string(), reason);
  }
  if (!message.empty()) {
    EXPECT_EQ(s.at("message").as_string(), message);
  }
}

TEST_F(ApiServerCrudTest, MissingOrWrongTokenIs401) {
  auto r = S().client().Request("GET", "/api/v1/pods");
  ExpectStatus(r, 401, "Unauthorized", "Unauthorized");
  r = S().client().Request("GET", "/api/v1/pods", "", "", "wrong");
  ExpectStatus(r, 401, "Unauthorized", "Unauthorized");
  r = S().client().Request("GET", "/_test/stats", "", "", S().token());  // API token is not admin
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(S().client().Request("GET", "/healthz").status, 200);
}

TEST_F(ApiServerCrudTest, RestrictedUserGetsForbiddenWithRealMessage) {
  S().AddUsers(J(R"({"users":[{"token":"limited","name":"x","rules":[
      {"verbs":["get","list"],"apiGroups":[""],"resources":["pods"],"namespaces":["allowed"]}]}]})"));
  auto r = S().client().Request("GET", "/api/v1/namespaces/y/pods", "", "", "limited");
  ExpectStatus(r, 403, "Forbidden",
               "pods is forbidden: User \"x\" cannot list resource \"pods\" in API group \"\" in the namespace \"y\"");
  EXPECT_EQ(r.Json().at("details").at("kind").as_string(), "pods");
  r = S().client().Request("GET", "/api/v1/nodes", "", "", "limited");
  ExpectStatus(r, 403, "Forbidden",
               "nodes is forbidden: User \"x\" cannot list resource \"nodes\" in API group \"\" at the cluster scope");
  r = S().client().Request("DELETE", "/api/v1/namespaces/allowed/pods/p", "", "", "limited");
  ExpectStatus(r, 403, "Forbidden",
               "pods \"p\" is forbidden: User \"x\" cannot delete resource \"pods\" in API group \"\" in the namespace \"allowed\"");
  r = S().client().Request("GET", "/api/v1/namespaces/allowed/pods", "", "", "limited");
  EXPECT_EQ(r.status, 200) << r.body;
}

TEST_F(ApiServerCrudTest, CreateStampsMetadataAndRejectsDuplicates) {
  auto ns = NewNamespace("crud");
  auto r = CreatePod(ns, "p1");
  ASSERT_EQ(r.status, 201) << r.body;
  value pod = r.Json();
  const auto& md = pod.at("metadata");
  EXPECT_FALSE(md.at("uid").as_string().empty());
  EXPECT_FALSE(md.at("creationTimestamp").as_string().empty());
  EXPECT_EQ(md.at("namespace").as_string(), ns);
  EXPECT_EQ(pod.at("status").at("phase").as_string(), "Pending");
  r = CreatePod(ns, "p1");
  ExpectStatus(r, 409, "AlreadyExists", "pods \"p1\" already exists");
  EXPECT_EQ(r.Json().at("details").at("name").as_string(), "p1");
  EXPECT_EQ(r.Json().at("details").at("kind").as_string(), "pods");
  r = Call("GET", "/api/v1/namespaces/" + ns + "/pods/nope");
  ExpectStatus(r, 404, "NotFound", "pods \"nope\" not found");
  r = CreatePod("no-such-ns", "p1");
  ExpectStatus(r, 404, "NotFound", "namespaces \"no-such-ns\" not found");
  r = Call("POST", "/apis/apps/v1/namespaces/" + ns + "/deployments", R"({"metadata":{"name":"d"}})");
  ExpectStatus(r, 422, "Invalid", "Deployment.apps \"d\" is invalid: spec.selector: Required value");
  r = Call("GET", "/apis/apps/v1/namespaces/" + ns + "/deployments/nope");
  ExpectStatus(r, 404, "NotFound", "deployments.apps \"nope\" not found");
  EXPECT_EQ(r.Json().at("details").at("group").as_string(), "apps");
}

TEST_F(ApiServerCrudTest, GenerateNameAndResourceVersionsIncrease) {
  auto ns = NewNamespace("gen");
  auto r = Call("POST", "/api/v1/namespaces/" + ns + "/configmaps",
                R"({"metadata":{"generateName":"cm-"},"data":{"a":"1"}})");
  ASSERT_EQ(r.status, 201) << r.body;
  std::string name = r.Json().at("metadata").at("name").as_string();
  EXPECT_EQ(name.rfind("cm-", 0), 0u);
  EXPECT_EQ(name.size(), 8u);
  auto rv1 = std::stoull(r.Json().at("metadata").at("resourceVersion").as_string());
  auto r2 = Call("POST", "/api/v1/namespaces/" + ns + "/configmaps", R"({"metadata":{"name":"b"}})");
  EXPECT_GT(std::stoull(r2.Json().at("metadata").at("resourceVersion").as_string()), rv1);
}

TEST_F(ApiServerCrudTest, InvalidObjectsGet422WithCauses) {
  auto ns = NewNamespace("inv");
  auto r = Call("POST", "/api/v1/namespaces/" + ns + "/pods", R"({"metadata":{"name":"Bad_Name"},"spec":{}})");
  ASSERT_EQ(r.status, 422) << r.body;
  value s = r.Json();
  EXPECT_EQ(s.at("reason").as_string(), "Invalid");
  EXPECT_EQ(s.at("details").at("kind").as_string(), "Pod");
  auto causes = s.at("details").at("causes");
  ASSERT_EQ(causes.size(), 2u);
  EXPECT_EQ(causes.at(0).at("field").as_string(), "metadata.name");
  EXPECT_EQ(causes.at(0).at("reason").as_string(), "FieldValueInvalid");
  EXPECT_EQ(causes.at(1).at("field").as_string(), "spec.containers");
  EXPECT_EQ(causes.at(1).at("reason").as_string(), "FieldValueRequired");
  r = Call("POST", "/api/v1/namespaces/" + ns + "/configmaps", R"({"metadata":{}})");
  ExpectStatus(r, 422, "Invalid", "ConfigMap \"\" is invalid: metadata.name: Required value: name or generateName is required");
}

TEST_F(ApiServerCrudTest, BadBodiesAndMethods) {
  auto ns = NewNamespace("bad");
  auto r = Call("POST", "/api/v1/namespaces/" + ns + "/configmaps", "{not json");
  ExpectStatus(r, 400, "BadRequest", "");
  r = Call("POST", "/api/v1/namespaces/" + ns + "/configmaps", R"({"metadata":{"name":"x","labels":{"a":1}}})");
  ExpectStatus(r, 400, "BadRequest", "");
  EXPECT_NE(r.Json().at("message").as_string().find("ConfigMap in version \"v1\" cannot be handled as a ConfigMap"),
            std::string::npos);
  r = Call("POST", "/api/v1/namespaces/" + ns + "/configmaps", R"({"apiVersion":"apps/v1","metadata":{"name":"x"}})");
  ExpectStatus(r, 400, "BadRequest",
               "the API version in the data (apps/v1) does not match the expected API version (v1)");
  r = Call("POST", "/api/v1/namespaces/" + ns + "/configmaps", std::string(100000, '['));
  ExpectStatus(r, 400, "BadRequest", "");  // depth-limited, not a stack overflow
  r = Call("PATCH", "/api/v1/namespaces/" + ns + "/configmaps/x", std::string(100000, '{'),
           "application/merge-patch+json");
  EXPECT_EQ(r.status, 400);
  r = Call("POST", "/api/v1/namespaces/" + ns + "/configmaps", "x", "text/plain");
  ExpectStatus(r, 415, "UnsupportedMediaType", "");
  r = Call("PUT", "/api/v1/namespaces/" + ns + "/configmaps", "{}");
  ExpectStatus(r, 405, "MethodNotAllowed", "");
  r = Call("POST", "/api/v1/namespaces/" + ns + "/configmaps",
           R"({"metadata":{"name":"big"},"data":{"a":")" + std::string(3 * 1024 * 1024 + 10, 'x') + "\"}}");
  ExpectStatus(r, 413, "RequestEntityTooLarge", "");
  r = Call("GET", "/api/v1/widgets");
  ExpectStatus(r, 404, "NotFound", "the server could not find the requested resource");
  r = Call("POST", "/api/v1/namespaces/" + ns + "/configmaps", R"({"metadata":{"name":"x","resourceVersion":"5"}})");
  EXPECT_EQ(r.status, 500);
  EXPECT_EQ(r.Json().at("message").as_string(), "resourceVersion should not be set on objects to be created");
}

TEST_F(ApiServerCrudTest, OptimisticConcurrencyAndNoOpUpdates) {
  auto ns = NewNamespace("occ");
  auto r = Call("POST", "/api/v1/namespaces/" + ns + "/configmaps", R"({"metadata":{"name":"c"},"data":{"k":"1"}})");
  value cm = r.Json();
  std::string rv = cm.at("metadata").at("resourceVersion").as_string();
  cm["data"]["k"] = value::string("2");
  auto u1 = Call("PUT", "/api/v1/namespaces/" + ns + "/configmaps/c", cm.serialize());
  ASSERT_EQ(u1.status, 200) << u1.body;
  EXPECT_NE(u1.Json().at("metadata").at("resourceVersion").as_string(), rv);
  auto u2 = Call("PUT", "/api/v1/namespaces/" + ns + "/configmaps/c", cm.serialize());  // stale rv
  ExpectStatus(u2, 409, "Conflict",
               "Operation cannot be fulfilled on configmaps \"c\": the object has been modified; please "
               "apply your changes to the latest version and try again");
  value latest = u1.Json();
  auto u3 = Call("PUT", "/api/v1/namespaces/" + ns + "/configmaps/c", latest.serialize());
  ASSERT_EQ(u3.status, 200);
  EXPECT_EQ(u3.Json().at("metadata").at("resourceVersion").as_string(),
            latest.at("metadata").at("resourceVersion").as_string());  // unchanged: no write
  latest["metadata"]["name"] = value::string("other");
  auto u4 = Call("PUT", "/api/v1/namespaces/" + ns + "/configmaps/c", latest.serialize());
  ExpectStatus(u4, 400, "BadRequest", "the name of the object (other) does not match the name on the URL (c)");
  auto u5 = Call("PUT", "/api/v1/namespaces/" + ns + "/configmaps/missing", R"({"metadata":{"name":"missing"}})");
  EXPECT_EQ(u5.status, 404);
}

TEST_F(ApiServerCrudTest, GenerationTracksSpecOnlyAndStatusIsASubresource) {
  auto ns = NewNamespace("genr");
  std::string base = "/apis/apps/v1/namespaces/" + ns + "/deployments";
  auto r = Call("POST", base, R"({"metadata":{"name":"d"},"spec":{"replicas":1,"selector":{"matchLabels":{"a":"b"}},
      "template":{"metadata":{"labels":{"a":"b"}},"spec":{"containers":[{"name":"c","image":"i"}]}}},
      "status":{"replicas":7}})");
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(r.Json().at("metadata").at("generation").as_integer(), 1);
  EXPECT_FALSE(r.Json().at("status").has_field("replicas"));  // status is reset on create
  auto p = Call("PATCH", base + "/d", R"({"spec":{"replicas":3},"status":{"replicas":9}})", "application/merge-patch+json");
  ASSERT_EQ(p.status, 200) << p.body;
  EXPECT_EQ(p.Json().at("metadata").at("generation").as_integer(), 2);
  EXPECT_FALSE(p.Json().at("status").has_field("replicas"));  // main endpoint ignores status
  p = Call("PATCH", base + "/d", R"({"metadata":{"labels":{"x":"y"}}})", "application/merge-patch+json");
  EXPECT_EQ(p.Json().at("metadata").at("generation").as_integer(), 2);
  p = Call("PATCH", base + "/d/status", R"({"spec":{"replicas":5},"status":{"replicas":3}})", "application/merge-patch+json");
  ASSERT_EQ(p.status, 200) << p.body;
  EXPECT_EQ(p.Json().at("status").at("replicas").as_integer(), 3);
  EXPECT_EQ(p.Json().at("spec").at("replicas").as_integer(), 3);  // /status ignores spec
  EXPECT_EQ(p.Json().at("metadata").at("generation").as_integer(), 2);
}

TEST_F(ApiServerCrudTest, FinalizersKeepObjectUntilRemoved) {
  auto ns = NewNamespace("fin");
  std::string path = "/api/v1/namespaces/" + ns + "/configmaps";
  ASSERT_EQ(Call("POST", path, R"({"metadata":{"name":"f","finalizers":["example.com/hold"]}})").status, 201);
  auto d = Call("DELETE", path + "/f");
  ASSERT_EQ(d.status, 200) << d.body;
  EXPECT_TRUE(d.Json().at("metadata").has_field("deletionTimestamp"));
  auto g = Call("GET", path + "/f");
  ASSERT_EQ(g.status, 200);
  EXPECT_EQ(g.Json().at("metadata").at("deletionGracePeriodSeconds").as_integer(), 0);
  auto add = Call("PATCH", path + "/f", R"({"metadata":{"finalizers":["example.com/hold","new"]}})",
                  "application/merge-patch+json");
  EXPECT_EQ(add.status, 422) << add.body;  // no new finalizers while deleting
  auto p = Call("PATCH", path + "/f", R"([{"op":"remove","path":"/metadata/finalizers"}])",
                "application/json-patch+json");
  ASSERT_EQ(p.status, 200) << p.body;
  EXPECT_EQ(Call("GET", path + "/f").status, 404);
}

TEST_F(ApiServerCrudTest, DeletePreconditionsDryRunAndStatusResult) {
  auto ns = NewNamespace("del");
  std::string path = "/api/v1/namespaces/" + ns + "/configmaps";
  auto c = Call("POST", path, R"({"metadata":{"name":"x"}})");
  std::string uid = c.Json().at("metadata").at("uid").as_string();
  auto d = Call("DELETE", path + "/x", R"({"preconditions":{"uid":"other"}})");
  ExpectStatus(d, 409, "Conflict",
               "Operation cannot be fulfilled on configmaps \"x\": Precondition failed: UID in precondition: other, UID in object meta: " + uid);
  d = Call("DELETE", path + "/x", R"({"preconditions":{"resourceVersion":"1"}})");
  EXPECT_EQ(d.status, 409);
  d = Call("DELETE", path + "/x?dryRun=All");
  EXPECT_EQ(d.status, 200);
  EXPECT_EQ(Call("GET", path + "/x").status, 200);
  d = Call("DELETE", path + "/x", R"({"propagationPolicy":"Sideways"})");
  EXPECT_EQ(d.status, 422);
  d = Call("DELETE", path + "/x");
  ASSERT_EQ(d.status, 200);
  value s = d.Json();
  EXPECT_EQ(s.at("kind").as_string(), "Status");
  EXPECT_EQ(s.at("status").as_string(), "Success");
  EXPECT_EQ(s.at("details").at("uid").as_string(), uid);
  EXPECT_EQ(Call("DELETE", path + "/x").status, 404);
  auto dry = Call("POST", path + "?dryRun=All", R"({"metadata":{"name":"dry"}})");
  EXPECT_EQ(dry.status, 201);
  EXPECT_EQ(Call("GET", path + "/dry").status, 404);
}

TEST_F(ApiServerCrudTest, GarbageCollectorDeletesDependentsOfDeletedOwners) {
  auto ns = NewNamespace("gc");
  std::string path = "/api/v1/namespaces/" + ns + "/configmaps";
  auto owner = Call("POST", path, R"({"metadata":{"name":"owner"}})").Json();
  std::string uid = owner.at("metadata").at("uid").as_string();
  std::string ref = R"({"apiVersion":"v1","kind":"ConfigMap","name":"owner","uid":")" + uid + R"("})";
  ASSERT_EQ(Call("POST", path, R"({"metadata":{"name":"dep","ownerReferences":[)" + ref + "]}}").status, 201);
  ASSERT_EQ(Call("POST", "/apis/networking.k8s.io/v1/namespaces/" + ns + "/networkpolicies",
                 R"({"metadata":{"name":"np","ownerReferences":[)" + ref + R"(]},"spec":{"podSelector":{}}})").status, 201);
  ASSERT_EQ(Call("DELETE", path + "/owner").status, 200);
  EXPECT_TRUE(riposte::testing::Eventually([&] { return Call("GET", path + "/dep").status == 404; }));
  EXPECT_TRUE(riposte::testing::Eventually([&] {
    return Call("GET", "/apis/networking.k8s.io/v1/namespaces/" + ns + "/networkpolicies/np").status == 404;
  }));
  // Orphan propagation keeps dependents and strips the reference.
  owner = Call("POST", path, R"({"metadata":{"name":"owner2"}})").Json();
  uid = owner.at("metadata").at("uid").as_string();
  ref = R"({"apiVersion":"v1","kind":"ConfigMap","name":"owner2","uid":")" + uid + R"("})";
  ASSERT_EQ(Call("POST", path, R"({"metadata":{"name":"kept","ownerReferences":[)" + ref + "]}}").status, 201);
  ASSERT_EQ(Call("DELETE", path + "/owner2", R"({"propagationPolicy":"Orphan"})").status, 200);
  EXPECT_TRUE(riposte::testing::Eventually([&] { return Call("GET", path + "/owner2").status == 404; }));
  auto kept = Call("GET", path + "/kept");
  ASSERT_EQ(kept.status, 200);
  EXPECT_FALSE(kept.Json().at("metadata").has_field("ownerReferences"));
}

TEST_F(ApiServerCrudTest, NamespaceDeletionTerminatesThenRemovesContent) {
  auto ns = NewNamespace("term");
  ASSERT_EQ(CreatePod(ns, "p").status, 201);
  auto d = Call("DELETE", "/api/v1/namespaces/" + ns);
  ASSERT_EQ(d.status, 200);
  EXPECT_EQ(d.Json().at("status").at("phase").as_string(), "Terminating");
  EXPECT_TRUE(riposte::testing::Eventually([&] { return Call("GET", "/api/v1/namespaces/" + ns).status == 404; }));
  EXPECT_EQ(Call("GET", "/api/v1/namespaces/" + ns + "/pods/p").status, 404);
}

TEST_F(ApiServerCrudTest, EvictionRespectsPodDisruptionBudget) {
  auto ns = NewNamespace("evict");
  for (const char* name : {"a", "b"}) {
    ASSERT_EQ(CreatePod(ns, name, R"({"app":"web"})").status, 201);
    S().SetPodReady(ns, name, true);
  }
  ASSERT_EQ(Call("POST", "/apis/policy/v1/namespaces/" + ns + "/poddisruptionbudgets",
                 R"({"metadata":{"name":"pdb"},"spec":{"minAvailable":2,"selector":{"matchLabels":{"app":"web"}}}})").status, 201);
  // The disruption controller fills in status within about a second.
  EXPECT_TRUE(riposte::testing::Eventually([&] {
    auto st = Call("GET", "/apis/policy/v1/namespaces/" + ns + "/poddisruptionbudgets/pdb").Json().at("status");
    return st.has_field("currentHealthy") && st.at("currentHealthy").as_integer() == 2 &&
           st.at("desiredHealthy").as_integer() == 2 && st.at("disruptionsAllowed").as_integer() == 0 &&
           st.at("expectedPods").as_integer() == 2;
  }));
  std::string eviction = R"({"apiVersion":"policy/v1","kind":"Eviction","metadata":{"name":"a","namespace":")" + ns + R"("}})";
  auto r = Call("POST", "/api/v1/namespaces/" + ns + "/pods/a/eviction", eviction);
  ExpectStatus(r, 429, "TooManyRequests", "Cannot evict pod as it would violate the pod's disruption budget.");
  auto causes = r.Json().at("details").at("causes");
  ASSERT_EQ(causes.size(), 1u);
  EXPECT_EQ(causes.at(0).at("reason").as_string(), "DisruptionBudget");
  EXPECT_EQ(causes.at(0).at("message").as_string(), "The disruption budget pdb needs 2 healthy pods and has 2 currently");
  ASSERT_EQ(Call("PATCH", "/apis/policy/v1/namespaces/" + ns + "/poddisruptionbudgets/pdb",
                 R"({"spec":{"minAvailable":1}})", "application/merge-patch+json").status, 200);
  r = Call("POST", "/api/v1/namespaces/" + ns + "/pods/a/eviction", eviction);
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(r.Json().at("status").as_string(), "Success");
  EXPECT_EQ(Call("GET", "/api/v1/namespaces/" + ns + "/pods/a").status, 404);
  r = Call("POST", "/api/v1/namespaces/" + ns + "/pods/b/eviction",
           R"({"apiVersion":"policy/v1","kind":"Eviction","metadata":{"name":"b"}})");
  EXPECT_EQ(r.status, 429);  // b is the last healthy pod
  r = Call("POST", "/api/v1/namespaces/" + ns + "/pods/zz/eviction", R"({"metadata":{"name":"zz"}})");
  EXPECT_EQ(r.status, 404);
}

const char* kCrd = R"({"apiVersion":"apiextensions.k8s.io/v1","kind":"CustomResourceDefinition",
  "metadata":{"name":"widgets.example.com"},
  "spec":{"group":"example.com","scope":"Namespaced",
    "names":{"plural":"widgets","singular":"widget","kind":"Widget","listKind":"WidgetList"},
    "versions":[{"name":"v1","served":true,"storage":true,"subresources":{"status":{}},
                 "schema":{"openAPIV3Schema":{"type":"object","x-kubernetes-preserve-unknown-fields":true}}}]}})";

TEST_F(ApiServerCrudTest, CrdRegistrationServesCustomResourcesWithStatusSplit) {
  auto ns = NewNamespace("crd");
  auto bad = Call("POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions",
                  R"({"metadata":{"name":"wrong"},"spec":{"group":"example.com","scope":"Namespaced",
                     "names":{"plural":"things","kind":"Thing"},"versions":[{"name":"v1","served":true,"storage":true}]}})");
  EXPECT_EQ(bad.status, 422) << bad.body;
  auto c = Call("POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", kCrd);
  ASSERT_EQ(c.status, 201) << c.body;
  auto disc = Call("GET", "/apis/example.com/v1");
  ASSERT_EQ(disc.status, 200);
  EXPECT_NE(disc.body.find("\"widgets/status\""), std::string::npos);
  EXPECT_NE(Call("GET", "/apis").body.find("example.com"), std::string::npos);
  std::string base = "/apis/example.com/v1/namespaces/" + ns + "/widgets";
  auto w = Call("POST", base, R"({"apiVersion":"example.com/v1","kind":"Widget","metadata":{"name":"w"},
                                  "spec":{"size":1},"status":{"ready":true}})");
  ASSERT_EQ(w.status, 201) << w.body;
  EXPECT_FALSE(w.Json().has_field("status"));
  EXPECT_EQ(w.Json().at("metadata").at("generation").as_integer(), 1);
  auto s = Call("PUT", base + "/w/status", [&] {
    value v = w.Json();
    v["status"] = J(R"({"ready":true})");
    v["spec"]["size"] = value::number(99);
    return v.serialize();
  }());
  ASSERT_EQ(s.status, 200) << s.body;
  EXPECT_TRUE(s.Json().at("status").at("ready").as_bool());
  EXPECT_EQ(s.Json().at("spec").at("size").as_integer(), 1);
  auto smp = Call("PATCH", base + "/w", R"({"spec":{"size":2}})", "application/strategic-merge-patch+json");
  ExpectStatus(smp, 415, "UnsupportedMediaType",
               "the body of the request was in an unknown format - accepted media types include: "
               "application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml");
  auto mp = Call("PATCH", base + "/w", R"({"spec":{"size":2},"status":{"ready":false}})", "application/merge-patch+json");
  ASSERT_EQ(mp.status, 200);
  EXPECT_EQ(mp.Json().at("metadata").at("generation").as_integer(), 2);
  EXPECT_TRUE(mp.Json().at("status").at("ready").as_bool());
  auto noRv = Call("PUT", base + "/w", R"({"apiVersion":"example.com/v1","kind":"Widget","metadata":{"name":"w"}})");
  EXPECT_EQ(noRv.status, 422);  // custom resources need resourceVersion on update
  auto fs = Call("GET", base + "?fieldSelector=spec.size%3D2");
  ExpectStatus(fs, 400, "BadRequest", "\"spec.size\" is not a known field selector: only \"metadata.name\", \"metadata.namespace\"");
  ASSERT_EQ(Call("DELETE", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.example.com").status, 200);
  EXPECT_TRUE(riposte::testing::Eventually([&] { return Call("GET", base).status == 404; }));
  EXPECT_EQ(Call("GET", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.example.com").status, 404);
}

TEST_F(ApiServerCrudTest, ListSelectorsAndConsistentPagination) {
  auto ns = NewNamespace("list");
  for (int i = 0; i < 5; ++i)
    ASSERT_EQ(CreatePod(ns, "p" + std::to_string(i), i % 2 ? R"({"odd":"yes"})" : R"({"odd":"no"})").status, 201);
  std::string base = "/api/v1/namespaces/" + ns + "/pods";
  auto l = Call("GET", base + "?labelSelector=odd%3Dyes");
  EXPECT_EQ(l.Json().at("items").size(), 2u);
  l = Call("GET", base + "?labelSelector=odd%20notin%20(yes)");
  EXPECT_EQ(l.Json().at("items").size(), 3u);
  l = Call("GET", base + "?labelSelector=odd%20in%20yes");
  EXPECT_EQ(l.status, 400);
  l = Call("GET", base + "?fieldSelector=metadata.name%3Dp3");
  EXPECT_EQ(l.Json().at("items").size(), 1u);
  l = Call("GET", base + "?fieldSelector=spec.bogus%3Dx");
  ExpectStatus(l, 400, "BadRequest", "field label not supported: spec.bogus");

  auto page1 = Call("GET", base + "?limit=2").Json();
  ASSERT_EQ(page1.at("items").size(), 2u);
  EXPECT_EQ(page1.at("metadata").at("remainingItemCount").as_integer(), 3);
  std::string cont = page1.at("metadata").at("continue").as_string();
  ASSERT_EQ(CreatePod(ns, "p9").status, 201);  // not visible in the snapshot
  ASSERT_EQ(Call("DELETE", base + "/p4").status, 200);  // still visible in the snapshot
  std::vector<std::string> names;
  for (const auto& i : page1.at("items").as_array()) names.push_back(i.at("metadata").at("name").as_string());
  while (!cont.empty()) {
    auto page = Call("GET", base + "?limit=2&continue=" + cont).Json();
    EXPECT_EQ(page.at("metadata").at("resourceVersion"), page1.at("metadata").at("resourceVersion"));
    for (const auto& i : page.at("items").as_array()) names.push_back(i.at("metadata").at("name").as_string());
    cont = page.at("metadata").has_field("continue") ? page.at("metadata").at("continue").as_string() : "";
  }
  EXPECT_EQ(names, (std::vector<std::string>{"p0", "p1", "p2", "p3", "p4"}));

  // After compaction the old snapshot is gone: 410 with a fresh continue token.
  auto p = Call("GET", base + "?limit=2").Json();
  cont = p.at("metadata").at("continue").as_string();
  ASSERT_EQ(CreatePod(ns, "p10").status, 201);
  S().ExpireHistory();
  ASSERT_EQ(CreatePod(ns, "p11").status, 201);
  auto expired = Call("GET", base + "?limit=2&continue=" + cont);
  ExpectStatus(expired, 410, "Expired", "");
  EXPECT_NE(expired.Json().at("message").as_string().find("The provided continue parameter is too old"), std::string::npos);
  EXPECT_FALSE(expired.Json().at("metadata").at("continue").as_string().empty());
  EXPECT_EQ(Call("GET", base + "?continue=garbage").status, 400);
}

TEST_F(ApiServerCrudTest, PatchTypesOnPods) {
  auto ns = NewNamespace("patch");
  ASSERT_EQ(Call("POST", "/api/v1/namespaces/" + ns + "/pods",
                 R"({"metadata":{"name":"p","labels":{"a":"1","b":"2"}},"spec":{"containers":[
                    {"name":"one","image":"one:1"},{"name":"two","image":"two:1"}]}})").status, 201);
  std::string path = "/api/v1/namespaces/" + ns + "/pods/p";
  auto r = Call("PATCH", path, R"({"metadata":{"labels":{"a":null}},"spec":{"containers":[{"name":"two","image":"two:2"}]}})",
                "application/strategic-merge-patch+json");
  ASSERT_EQ(r.status, 200) << r.body;
  value pod = r.Json();
  EXPECT_FALSE(pod.at("metadata").at("labels").has_field("a"));
  ASSERT_EQ(pod.at("spec").at("containers").size(), 2u);
  EXPECT_EQ(pod.at("spec").at("containers").at(0).at("image").as_string(), "one:1");
  EXPECT_EQ(pod.at("spec").at("containers").at(1).at("image").as_string(), "two:2");
  r = Call("PATCH", path, R"([{"op":"test","path":"/metadata/labels/b","value":"nope"}])", "application/json-patch+json");
  ExpectStatus(r, 422, "Invalid", "the server rejected our request due to an error in our request");
  r = Call("PATCH", path, R"({"spec":{"nodeName":"elsewhere"}})", "application/merge-patch+json");
  EXPECT_EQ(r.status, 422);  // pod spec is immutable but for images
  r = Call("PATCH", path, R"({"metadata":{"resourceVersion":"1"}})", "application/merge-patch+json");
  EXPECT_EQ(r.status, 409);
  r = Call("PATCH", path, "{}", "application/xml");
  ExpectStatus(r, 415, "UnsupportedMediaType",
               "the body of the request was in an unknown format - accepted media types include: "
               "application/json-patch+json, application/merge-patch+json, "
               "application/strategic-merge-patch+json, application/apply-patch+yaml");
  r = Call("PATCH", "/api/v1/namespaces/" + ns + "/pods/missing", "{}", "application/merge-patch+json");
  EXPECT_EQ(r.status, 404);
}

TEST_F(ApiServerCrudTest, ServerSideApplyCreatesThenMerges) {
  auto ns = NewNamespace("apply");
  std::string path = "/api/v1/namespaces/" + ns + "/configmaps/cfg";
  std::string yaml = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\ndata:\n  a: \"1\"\n";
  auto r = Call("PATCH", path, yaml, "application/apply-patch+yaml");
  ExpectStatus(r, 422, "Invalid", "PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value: is required for apply patch");
  r = Call("PATCH", path + "?fieldManager=test", yaml, "application/apply-patch+yaml");
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(r.Json().at("data").at("a").as_string(), "1");
  r = Call("PATCH", path + "?fieldManager=test", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\ndata:\n  b: \"2\"\n",
           "application/apply-patch+yaml");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.Json().at("data").at("b").as_string(), "2");
}

TEST_F(ApiServerCrudTest, DiscoveryAndHealth) {
  auto r = Call("GET", "/api");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.Json().at("kind").as_string(), "APIVersions");
  r = Call("GET", "/api/v1");
  EXPECT_NE(r.body.find("\"pods/eviction\""), std::string::npos);
  EXPECT_NE(r.body.find("\"pods/status\""), std::string::npos);
  r = Call("GET", "/apis/coordination.k8s.io/v1");
  EXPECT_NE(r.body.find("\"leases\""), std::string::npos);
  r = Call("GET", "/apis/apps");
  EXPECT_EQ(r.Json().at("kind").as_string(), "APIGroup");
  EXPECT_EQ(Call("GET", "/apis/nothing.example.com/v1").status, 404);
  EXPECT_EQ(S().client().Request("GET", "/readyz").body, "ok");
  EXPECT_EQ(S().client().Request("GET", "/version").Json().at("major").as_string(), "1");
}

}  // namespace
}  // namespace riposte::testapi
