// The HTTPS client against a scripted server that misbehaves: malformed or non-Status bodies,
// HTML from a proxy, garbage and oversized watch events, ERROR events, silence. Each failure
// mode must come back as the right typed error, retried only where that is safe.
#include <gtest/gtest.h>

#include <thread>

#include "kube/config.h"
#include "tests/kube/scripted_server.h"
#include "tests/support/certs.h"
#include "tests/support/files.h"

namespace riposte::kube {
namespace {
using riposte::testing::Pki;
using testing::ScriptedServer;

KubeClientPtr ClientFor(const ScriptedServer& s, int attempts = 3, std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
  ClientConfig c;
  c.server = "https://127.0.0.1:" + std::to_string(s.port());
  c.ca_pem = Pki().ca.cert_pem;
  c.token = "t";
  c.qps = 0;
  c.retry.max_attempts = attempts;
  c.retry.base_backoff = std::chrono::milliseconds(1);
  c.retry.max_backoff = std::chrono::milliseconds(5);
  c.request_timeout = timeout;
  auto r = NewKubeClient(c);
  EXPECT_TRUE(r.ok());
  return r.value();
}

TEST(KubeClientHttpTest, MalformedJsonIsADecodeErrorAndNotRetried) {
  ScriptedServer s([](const testing::ScriptedRequest&) { return ScriptedServer::Response(200, "{\"kind\":\"Pod\","); });
  auto r = ClientFor(s)->Get(resources::kPods, "default", "x");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kDecode);
  EXPECT_EQ(s.requests(), 1);
}

TEST(KubeClientHttpTest, ListWithoutItemsIsADecodeError) {
  ScriptedServer s([](const testing::ScriptedRequest&) { return ScriptedServer::Response(200, R"({"kind":"PodList"})"); });
  auto r = ClientFor(s)->List(resources::kPods, "default");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kDecode);
}

TEST(KubeClientHttpTest, ProxyHtml502IsRetriedThenReported) {
  ScriptedServer s([](const testing::ScriptedRequest&) {
    return ScriptedServer::Response(502, "<html><body><h1>502 Bad Gateway</h1></body></html>", "");
  });
  auto r = ClientFor(s, 3)->Get(resources::kPods, "default", "x");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kServerError);
  EXPECT_NE(r.error().message.find("502 Bad Gateway"), std::string::npos);
  EXPECT_EQ(s.requests(), 3);
}

TEST(KubeClientHttpTest, RequestPathsAndQueriesAreEscaped) {
  std::string seen;
  ScriptedServer s([&seen](const testing::ScriptedRequest& req) {
    seen = req.target;
    return ScriptedServer::Response(200, R"({"kind":"PodList","metadata":{"resourceVersion":"1"},"items":[]})");
  });
  ListOptions lo;
  lo.label_selector = "app in (a,b),tier!=db";
  lo.field_selector = "spec.nodeName=n&x=1";
  ASSERT_TRUE(ClientFor(s)->List(resources::kPods, "shop", lo).ok());
  EXPECT_EQ(seen, "/api/v1/namespaces/shop/pods?labelSelector=app%20in%20%28a%2Cb%29%2Ctier%21%3Ddb&fieldSelector=spec.nodeName%3Dn%26x%3D1");
}

TEST(KubeClientHttpTest, SilentServerTimesOutAndGetIsRetried) {
  ScriptedServer s([](const testing::ScriptedRequest&) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));  // the server stalls
    return std::string();
  });
  auto r = ClientFor(s, 2, std::chrono::milliseconds(1000))->Get(resources::kPods, "default", "x");
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.error().kind == ErrorKind::kTimeout || r.error().kind == ErrorKind::kTransport) << r.error().ToString();
  EXPECT_EQ(s.requests(), 2);
}

TEST(KubeClientHttpTest, ConnectionRefusedIsTransport) {
  int port;
  {
    ScriptedServer s([](const testing::ScriptedRequest&) { return std::string(); });
    port = s.port();
  }
  ClientConfig c;
  c.server = "https://127.0.0.1:" + std::to_string(port);
  c.ca_pem = Pki().ca.cert_pem;
  c.retry.max_attempts = 1;
  auto r = NewKubeClient(c).value()->Get(resources::kPods, "default", "x");
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(IsTransport(r.error())) << r.error().ToString();
}

Result<WatchEnd> WatchOnce(const ScriptedServer& s, std::vector<WatchEvent>* out) {
  WatchOptions wo;
  wo.resource_version = "1";
  return ClientFor(s, 1)->Watch(resources::kPods, "default", wo, [out](WatchEvent&& ev) {
    out->push_back(std::move(ev));
    return true;
  });
}

TEST(KubeClientHttpTest, WatchDecodesSplitEventsAndTracksResourceVersion) {
  ScriptedServer s([](const testing::ScriptedRequest&) {
    std::string a = R"({"type":"ADDED","object":{"metadata":{"name":"a","resourceVersion":"5"}}})";
    std::string b = R"({"type":"BOOKMARK","object":{"metadata":{"resourceVersion":"9"}}})";
    // Two chunks that split an event in the middle.
    const std::string all = a + "\n" + b + "\n";
    const std::string p1 = all.substr(0, 30), p2 = all.substr(30);
    char l1[16], l2[16];
    std::snprintf(l1, sizeof l1, "%zx", p1.size());
    std::snprintf(l2, sizeof l2, "%zx", p2.size());
    return "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n" + std::string(l1) +
           "\r\n" + p1 + "\r\n" + l2 + "\r\n" + p2 + "\r\n0\r\n\r\n";
  });
  std::vector<WatchEvent> evs;
  auto r = WatchOnce(s, &evs);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  ASSERT_EQ(evs.size(), 2u);
  EXPECT_EQ(evs[0].type, WatchEventType::kAdded);
  EXPECT_EQ(evs[1].type, WatchEventType::kBookmark);
  EXPECT_EQ(r->resource_version, "9");
  EXPECT_EQ(r->events, 2u);
}

TEST(KubeClientHttpTest, WatchErrorEvent410IsGone) {
  ScriptedServer s([](const testing::ScriptedRequest&) {
    return ScriptedServer::Chunked(
        200, R"J({"type":"ERROR","object":{"kind":"Status","apiVersion":"v1","status":"Failure","message":"too old resource version: 1 (50)","reason":"Expired","code":410}})J"
             "\n");
  });
  std::vector<WatchEvent> evs;
  auto r = WatchOnce(s, &evs);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(IsGone(r.error()));
  EXPECT_TRUE(evs.empty());
}

TEST(KubeClientHttpTest, WatchGarbageAndUnknownTypesAreDecodeErrors) {
  for (const std::string& line : {std::string("not json\n"), std::string(R"({"type":"EXPLODED","object":{}})" "\n"),
                                 std::string(R"({"type":"ADDED","object":"string"})" "\n")}) {
    ScriptedServer s([line](const testing::ScriptedRequest&) { return ScriptedServer::Chunked(200, line); });
    std::vector<WatchEvent> evs;
    auto r = WatchOnce(s, &evs);
    ASSERT_FALSE(r.ok()) << line;
    EXPECT_EQ(r.error().kind, ErrorKind::kDecode) << line;
  }
}

TEST(KubeClientHttpTest, WatchEventOverTheCapIsRejectedWithoutBufferingTheStream) {
  ScriptedServer s([](const testing::ScriptedRequest&) {
    std::string huge = R"({"type":"ADDED","object":{"metadata":{"name":")" + std::string(17u * 1024 * 1024, 'a') + "\"}}}\n";
    return ScriptedServer::Chunked(200, huge);
  });
  std::vector<WatchEvent> evs;
  auto r = WatchOnce(s, &evs);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kDecode);
  EXPECT_NE(r.error().message.find("16 MiB"), std::string::npos);
}

TEST(KubeClientHttpTest, WatchHttpErrorStatusIsTyped) {
  ScriptedServer s([](const testing::ScriptedRequest&) {
    return ScriptedServer::Response(403, R"({"kind":"Status","reason":"Forbidden","message":"pods is forbidden","code":403})");
  });
  std::vector<WatchEvent> evs;
  auto r = WatchOnce(s, &evs);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(IsForbidden(r.error())) << r.error().ToString();
}

}  // namespace
}  // namespace riposte::kube
