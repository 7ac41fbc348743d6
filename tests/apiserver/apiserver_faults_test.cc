// The fault-injection and control API, and the child-process helper itself.

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "tests/apiserver/apiserver_test_util.h"

namespace riposte::testapi {
namespace {

using namespace std::chrono_literals;
using web::json::value;

class ApiServerFaultsTest : public ApiServerSuite {};

TEST_F(ApiServerFaultsTest, TooManyRequestsWithRetryAfterForNextNMatching) {
  auto ns = NewNamespace("f429");
  S().InjectError("/api/v1/namespaces/" + ns + "/pods*", 429, 2, 3);
  for (int i = 0; i < 2; ++i) {
    auto r = Call("GET", "/api/v1/namespaces/" + ns + "/pods");
    ASSERT_EQ(r.status, 429) << r.body;
    EXPECT_EQ(r.headers["retry-after"], "3");
    value s = r.Json();
    EXPECT_EQ(s.at("reason").as_string(), "TooManyRequests");
    EXPECT_EQ(s.at("details").at("retryAfterSeconds").as_integer(), 3);
  }
  EXPECT_EQ(Call("GET", "/api/v1/namespaces/" + ns + "/pods").status, 200);
  EXPECT_EQ(Call("GET", "/api/v1/namespaces/" + ns + "/configmaps").status, 200);  // not matching
}

TEST_F(ApiServerFaultsTest, InternalErrorsFilteredByVerb) {
  auto ns = NewNamespace("f500");
  S().InjectError("*", 500, 1, 0, "create");
  EXPECT_EQ(Call("GET", "/api/v1/namespaces/" + ns + "/pods").status, 200);
  auto r = CreatePod(ns, "a");
  ASSERT_EQ(r.status, 500);
  EXPECT_EQ(r.Json().at("reason").as_string(), "InternalError");
  EXPECT_EQ(Call("GET", "/api/v1/namespaces/" + ns + "/pods/a").status, 404);  // nothing written
  EXPECT_EQ(CreatePod(ns, "a").status, 201);
}

TEST_F(ApiServerFaultsTest, DelayHoldsOnlyMatchingRequests) {
  auto ns = NewNamespace("fdelay");
  S().InjectDelay("/api/v1/namespaces/" + ns + "/configmaps", 400, 1);
  auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(Call("GET", "/api/v1/namespaces/" + ns + "/configmaps").status, 200);
  EXPECT_GE(std::chrono::steady_clock::now() - start, 400ms);
}

TEST_F(ApiServerFaultsTest, DropWatchesCutsStreamsMidway) {
  auto ns = NewNamespace("fdrop");
  WatchStream w("127.0.0.1", S().port(), S().ca_pem(), "/api/v1/namespaces/" + ns + "/pods?watch=true", S().token());
  ASSERT_EQ(w.WaitStatus(10s), 200);
  ASSERT_EQ(CreatePod(ns, "a").status, 201);
  ASSERT_TRUE(w.Next(10s).has_value());
  S().DropWatches();
  EXPECT_TRUE(w.WaitEnded(10s));
  EXPECT_FALSE(w.ended_cleanly());
  EXPECT_EQ(Call("GET", "/api/v1/namespaces/" + ns + "/pods/a").status, 200);  // server still serves
}

TEST_F(ApiServerFaultsTest, DropConnectionsClosesEveryStreamButAnswersFirst) {
  auto ns = NewNamespace("fconn");
  WatchStream w("127.0.0.1", S().port(), S().ca_pem(), "/api/v1/namespaces/" + ns + "/pods?watch=true", S().token());
  ASSERT_EQ(w.WaitStatus(10s), 200);
  S().DropConnections();  // throws unless the control request itself got its answer
  EXPECT_TRUE(w.WaitEnded(10s));
  EXPECT_FALSE(w.ended_cleanly());
  EXPECT_EQ(Call("GET", "/api/v1/namespaces/" + ns).status, 200);
}

TEST_F(ApiServerFaultsTest, RestartInPlaceKeepsOrWipesData) {
  auto ns = NewNamespace("frestart");
  ASSERT_EQ(CreatePod(ns, "a").status, 201);
  WatchStream w("127.0.0.1", S().port(), S().ca_pem(), "/api/v1/namespaces/" + ns + "/pods?watch=true", S().token());
  ASSERT_EQ(w.WaitStatus(10s), 200);
  S().RestartInPlace(true, 200);
  EXPECT_TRUE(w.WaitEnded(10s));
  auto ok = [&] {
    try {
      return Call("GET", "/api/v1/namespaces/" + ns + "/pods/a").status == 200;
    } catch (const std::exception&) {
      return false;  // listener down for downMs
    }
  };
  EXPECT_TRUE(riposte::testing::Eventually(ok));
  S().RestartInPlace(false, 0);
  EXPECT_TRUE(riposte::testing::Eventually([&] {
    try {
      return Call("GET", "/api/v1/namespaces/" + ns).status == 404;
    } catch (const std::exception&) {
      return false;
    }
  }));
  EXPECT_EQ(Call("GET", "/api/v1/namespaces/default").status, 200);  // defaults come back
}

TEST_F(ApiServerFaultsTest, StatsCountRequestsPerVerbResourceAndObject) {
  auto ns = NewNamespace("fstats");
  ASSERT_EQ(CreatePod(ns, "x").status, 201);
  S().ResetStats();
  ASSERT_EQ(Call("DELETE", "/api/v1/namespaces/" + ns + "/pods/x").status, 200);
  Call("GET", "/api/v1/namespaces/" + ns + "/pods");
  EXPECT_EQ(S().StatCount("delete pods " + ns + "/x"), 1);
  EXPECT_EQ(S().StatCount("delete pods"), 1);
  EXPECT_EQ(S().StatCount("list pods"), 1);
  EXPECT_EQ(S().StatCount("create pods"), 0);
}

TEST_F(ApiServerFaultsTest, SeedCreatesObjectsWithStatusAndPodsCanBeMarkedReady) {
  auto ns = NewNamespace("fseed");
  value list = J(R"({"kind":"List","items":[
    {"apiVersion":"v1","kind":"Pod","metadata":{"name":"s1","namespace":"NS"},
     "spec":{"nodeName":"n1","containers":[{"name":"c","image":"i"}]},"status":{"phase":"Running"}},
    {"apiVersion":"v1","kind":"Node","metadata":{"name":"seed-node"},"status":{"conditions":[{"type":"Ready","status":"True"}]}}]})");
  list["items"][0]["metadata"]["namespace"] = value::string(ns);
  auto created = S().Seed(list);
  ASSERT_EQ(created.at("items").size(), 2u);
  auto pod = Call("GET", "/api/v1/namespaces/" + ns + "/pods/s1").Json();
  EXPECT_EQ(pod.at("status").at("phase").as_string(), "Running");
  auto l = Call("GET", "/api/v1/pods?fieldSelector=spec.nodeName%3Dn1").Json();
  EXPECT_GE(l.at("items").size(), 1u);
  S().SetPodReady(ns, "s1", true);
  pod = Call("GET", "/api/v1/namespaces/" + ns + "/pods/s1").Json();
  bool ready = false;
  for (const auto& c : pod.at("status").at("conditions").as_array())
    if (c.at("type").as_string() == "Ready") ready = c.at("status").as_string() == "True";
  EXPECT_TRUE(ready);
  EXPECT_THROW(S().Seed(J(R"({"items":[{"apiVersion":"v9","kind":"Nope","metadata":{"name":"x"}}]})")),
               std::runtime_error);
}

TEST_F(ApiServerFaultsTest, UnknownFaultTypeIsRejected) {
  EXPECT_THROW(S().Control("POST", "faults", J(R"({"type":"meteor"})")), std::runtime_error);
}

TEST(TestApiServerProcessTest, KubeconfigAndProcessRestartOnSamePortWithSameCa) {
  TestApiServerProcess server;
  int port = server.port();
  std::string ca = server.ca_pem();
  std::ifstream in(server.WriteKubeconfig());
  std::stringstream ss;
  ss << in.rdbuf();
  EXPECT_NE(ss.str().find("server: https://127.0.0.1:" + std::to_string(port)), std::string::npos);
  EXPECT_NE(ss.str().find("token: " + server.token()), std::string::npos);
  EXPECT_NE(ss.str().find("certificate-authority-data: "), std::string::npos);
  ASSERT_EQ(server.Api("POST", "/api/v1/namespaces/default/configmaps", R"({"metadata":{"name":"c"}})").status, 201);
  server.Restart();
  EXPECT_EQ(server.port(), port);
  EXPECT_EQ(server.ca_pem(), ca);
  EXPECT_EQ(server.Api("GET", "/api/v1/namespaces/default/configmaps/c").status, 404);  // fresh data
  server.Kill();
  EXPECT_THROW(server.Api("GET", "/api/v1/namespaces"), std::runtime_error);
}

}  // namespace
}  // namespace riposte::testapi
