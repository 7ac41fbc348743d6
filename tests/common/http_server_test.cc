// In-process tests of common/http_server over real loopback sockets.

#include "common/http_server.h"

#include <gtest/gtest.h>
#include <openssl/ssl.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <thread>

#include "tests/support/certs.h"
#include "tests/support/eventually.h"
#include "tests/support/files.h"
#include "tests/support/https_client.h"

namespace riposte::http {
namespace {

using riposte::testing::CertPair;
using riposte::testing::ClientOptions;
using riposte::testing::Fetch;
using riposte::testing::HttpResult;
using riposte::testing::TestClient;

using riposte::testing::Eventually;

class HttpServerTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = riposte::testing::MakeTempDir(); }
  void TearDown() override {
    if (server_) server_->Stop();
    riposte::testing::RemoveTree(dir_);
  }

  std::string Path(const std::string& name) const { return dir_ + "/" + name; }

  void WriteCert(const CertPair& p) {
    riposte::testing::ReplaceFile(Path("tls.crt"), p.cert_pem);
    riposte::testing::ReplaceFile(Path("tls.key"), p.key_pem);
  }

  void StartServer(bool tls, ServerOptions o = {}) {
    o.listen = "127.0.0.1:0";
    if (tls) {
      if (!o.tls) o.tls = TlsOptions{};
      o.tls->cert_file = Path("tls.crt");
      o.tls->key_file = Path("tls.key");
      o.tls->reload_interval = std::chrono::milliseconds(100);
      if (!std::filesystem::exists(Path("tls.crt"))) WriteCert(riposte::testing::MakeCert("one"));
    }
    server_ = NewServer(o);
    server_->AddRoute({"/echo", {"POST", "PUT"}, [](const Request& r) {
                         Response res;
                         res.body = "{\"len\":" + std::to_string(r.body.size()) + ",\"subject\":" + JsonQuote(r.client_subject) + "}";
                         return res;
                       }, {"application/json"}});
    server_->AddRoute({"/hello", {"GET"}, [](const Request& r) {
                         return Response{200, "text/plain", "hello " + std::string(r.Header("x-name")), {}};
                       }, {}});
    server_->AddRoute({"/throw", {"GET"}, [](const Request&) -> Response { throw std::runtime_error("boom"); }, {}});
    std::string err;
    ASSERT_TRUE(server_->Start(&err)) << err;
    ASSERT_NE(server_->Port(), 0);
  }

  std::string dir_;
  ServerPtr server_;
};

TEST_F(HttpServerTest, RoutesAndKeepAlive) {
  StartServer(false);
  TestClient c;
  std::string err;
  ASSERT_TRUE(c.Connect(server_->Port(), ClientOptions{false, 0, 0, nullptr}, &err)) << err;
  for (int i = 0; i < 3; ++i) {
    HttpResult r = c.Request("GET", "/hello?x=1", "", "", false, {{"X-Name", "n" + std::to_string(i)}});
    ASSERT_EQ(r.status, 200) << r.error;
    EXPECT_EQ(r.body, "hello n" + std::to_string(i));
  }
  EXPECT_EQ(server_->Stats().connections_total, 1u);  // all three on one connection
}

TEST_F(HttpServerTest, UnknownPathIs404Json) {
  StartServer(false);
  HttpResult r = Fetch(server_->Port(), "GET", "/nope", "", false);
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.headers["content-type"], "application/json");
  EXPECT_EQ(r.body, "{\"error\":{\"code\":404,\"message\":\"no such path\"}}");
}

TEST_F(HttpServerTest, WrongMethodIs405WithAllow) {
  StartServer(false);
  HttpResult r = Fetch(server_->Port(), "GET", "/echo", "", false);
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.headers["allow"], "POST, PUT");
  EXPECT_NE(r.body.find("\"code\":405"), std::string::npos);
}

TEST_F(HttpServerTest, WrongContentTypeIs415) {
  StartServer(false);
  EXPECT_EQ(Fetch(server_->Port(), "POST", "/echo", "{}", false, "text/plain").status, 415);
  EXPECT_EQ(Fetch(server_->Port(), "POST", "/echo", "{}", false, "").status, 415);
  // Parameters and case do not matter.
  EXPECT_EQ(Fetch(server_->Port(), "POST", "/echo", "{}", false, "Application/JSON; charset=utf-8").status, 200);
}

TEST_F(HttpServerTest, OversizedBodyIs413ByContentLengthAndChunked) {
  ServerOptions o;
  o.max_body_bytes = 1000;
  StartServer(false, o);
  EXPECT_EQ(Fetch(server_->Port(), "POST", "/echo", std::string(1000, 'a'), false).status, 200);
  HttpResult r = Fetch(server_->Port(), "POST", "/echo", std::string(1001, 'a'), false);
  EXPECT_EQ(r.status, 413);
  EXPECT_NE(r.body.find("\"code\":413"), std::string::npos);
  TestClient c;
  std::string err;
  ASSERT_TRUE(c.Connect(server_->Port(), ClientOptions{false, 0, 0, nullptr}, &err)) << err;
  HttpResult chunked = c.Request("POST", "/echo", std::string(5000, 'b'), "application/json", true);
  EXPECT_EQ(chunked.status, 413) << chunked.error;
  TestClient ok;
  ASSERT_TRUE(ok.Connect(server_->Port(), ClientOptions{false, 0, 0, nullptr}, &err)) << err;
  HttpResult small = ok.Request("POST", "/echo", std::string(10, 'b'), "application/json", true);
  EXPECT_EQ(small.status, 200);
  EXPECT_EQ(small.body, "{\"len\":10,\"subject\":\"\"}");
}

TEST_F(HttpServerTest, OversizedHeadersAre431AndGarbageIs400) {
  ServerOptions o;
  o.max_header_bytes = 2048;
  StartServer(false, o);
  TestClient c;
  std::string err;
  ASSERT_TRUE(c.Connect(server_->Port(), ClientOptions{false, 0, 0, nullptr}, &err)) << err;
  HttpResult r = c.Request("GET", "/hello", "", "", false, {{"X-Big", std::string(4096, 'x')}});
  EXPECT_EQ(r.status, 431);
  TestClient g;
  ASSERT_TRUE(g.Connect(server_->Port(), ClientOptions{false, 0, 0, nullptr}, &err)) << err;
  ASSERT_TRUE(g.WriteRaw("THIS IS NOT HTTP\r\n\r\n"));
  EXPECT_EQ(g.ReadResponse().status, 400);
}

TEST_F(HttpServerTest, HandlerExceptionIs500Json) {
  StartServer(false);
  HttpResult r = Fetch(server_->Port(), "GET", "/throw", "", false);
  EXPECT_EQ(r.status, 500);
  EXPECT_EQ(r.body, "{\"error\":{\"code\":500,\"message\":\"internal error\"}}");
}

TEST_F(HttpServerTest, SlowClientIsClosedAndDoesNotBlockOthers) {
  ServerOptions o;
  o.read_timeout = std::chrono::milliseconds(500);
  o.header_timeout = std::chrono::milliseconds(500);
  o.handshake_timeout = std::chrono::milliseconds(500);
  o.threads = 1;  // even with a single I/O thread
  StartServer(true, o);
  TestClient slow;
  std::string err;
  ASSERT_TRUE(slow.Connect(server_->Port(), ClientOptions{}, &err)) << err;
  ASSERT_TRUE(slow.WriteRaw("POST /echo HTTP/1.1\r\nHost: x\r\nContent-"));
  for (int i = 0; i < 5; ++i) EXPECT_EQ(Fetch(server_->Port(), "GET", "/hello").status, 200);
  EXPECT_TRUE(Eventually([&] { return slow.ClosedByPeer(100); }));
  // Beast closes the socket when the timer fires and only then runs the handler that counts
  // the timeout, so the client can see the close first.
  EXPECT_TRUE(Eventually([&] { return server_->Stats().timeouts >= 1u; })) << server_->Stats().timeouts;
  EXPECT_EQ(server_->Stats().Closed(CloseReason::kHeaderTimeout), 1u);
  // A client that connects and never starts the TLS handshake is dropped too.
  TestClient silent;
  ASSERT_TRUE(silent.Connect(server_->Port(), ClientOptions{false, 0, 0, nullptr}, &err)) << err;
  EXPECT_TRUE(Eventually([&] { return silent.ClosedByPeer(100); }));
  EXPECT_TRUE(Eventually([&] { return server_->Stats().Closed(CloseReason::kHandshakeTimeout) == 1u; }));
}

TEST_F(HttpServerTest, SlowBodyIsCutOffByReadTimeout) {
  ServerOptions o;
  o.read_timeout = std::chrono::milliseconds(500);
  StartServer(false, o);
  TestClient c;
  std::string err;
  ASSERT_TRUE(c.Connect(server_->Port(), ClientOptions{false, 0, 0, nullptr}, &err)) << err;
  ASSERT_TRUE(c.WriteRaw("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"));
  EXPECT_TRUE(Eventually([&] { return c.ClosedByPeer(100); }));
  EXPECT_TRUE(Eventually([&] { return server_->Stats().Closed(CloseReason::kBodyTimeout) == 1u; }));
}

TEST_F(HttpServerTest, ConcurrentTlsClients) {
  StartServer(true);
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 16; ++t) {
    threads.emplace_back([&, t] {
      TestClient c;
      std::string err;
      if (!c.Connect(server_->Port(), ClientOptions{}, &err)) return;
      for (int i = 0; i < 50; ++i) {
        std::string body(static_cast<size_t>(t * 50 + i), 'z');
        HttpResult r = c.Request("POST", "/echo", body);
        if (r.status == 200 && r.body == "{\"len\":" + std::to_string(body.size()) + ",\"subject\":\"\"}") ++ok;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(ok.load(), 16 * 50);
}

TEST_F(HttpServerTest, RefusesTls11AndAcceptsTls12And13) {
  StartServer(true);
  TestClient old;
  std::string err;
  EXPECT_FALSE(old.Connect(server_->Port(), ClientOptions{true, TLS1_1_VERSION, 0, nullptr}, &err));
  EXPECT_GE(server_->Stats().tls_handshake_failures, 0u);
  for (int v : {TLS1_2_VERSION, TLS1_3_VERSION}) {
    TestClient c;
    ASSERT_TRUE(c.Connect(server_->Port(), ClientOptions{true, v, v, nullptr}, &err)) << err;
    EXPECT_EQ(c.Request("GET", "/hello").status, 200);
  }
}

TEST_F(HttpServerTest, CertificateRotationWithoutRestartAndBadFilesKeepLastGood) {
  WriteCert(riposte::testing::MakeCert("one", 10));
  StartServer(true);
  auto served_cn = [&] {
    TestClient c;
    std::string err;
    if (!c.Connect(server_->Port(), ClientOptions{}, &err)) return std::string("connect failed: ") + err;
    return c.PeerCommonName();
  };
  EXPECT_EQ(served_cn(), "one");
  int64_t first_not_after = server_->CertNotAfter();
  EXPECT_GT(first_not_after, 0);

  WriteCert(riposte::testing::MakeCert("two", 20));
  EXPECT_TRUE(Eventually([&] { return served_cn() == "two"; }));
  EXPECT_GT(server_->CertNotAfter(), first_not_after);
  EXPECT_EQ(server_->CertReloads(), 1u);

  // A broken pair (key of another cert) is rejected; the server keeps serving "two".
  CertPair three = riposte::testing::MakeCert("three");
  CertPair other = riposte::testing::MakeCert("other");
  riposte::testing::ReplaceFile(Path("tls.crt"), three.cert_pem);
  riposte::testing::ReplaceFile(Path("tls.key"), other.key_pem);
  EXPECT_TRUE(Eventually([&] { return server_->CertReloadFailures() >= 1; }));
  EXPECT_EQ(served_cn(), "two");
  riposte::testing::ReplaceFile(Path("tls.crt"), "garbage");
  EXPECT_TRUE(Eventually([&] { return server_->CertReloadFailures() >= 2; }));
  EXPECT_EQ(served_cn(), "two");
  EXPECT_TRUE(server_->CertLoaded());
}

TEST_F(HttpServerTest, MutualTlsExposesVerifiedSubject) {
  CertPair ca = riposte::testing::MakeCert("test-ca", 30, nullptr, true);
  CertPair client = riposte::testing::MakeCert("falco-client", 30, &ca);
  CertPair stranger_ca = riposte::testing::MakeCert("other-ca", 30, nullptr, true);
  CertPair stranger = riposte::testing::MakeCert("stranger", 30, &stranger_ca);
  riposte::testing::WriteFile(Path("ca.crt"), ca.cert_pem);
  ServerOptions o;
  o.tls = TlsOptions{};
  o.tls->client_ca_file = Path("ca.crt");
  StartServer(true, o);
  std::string err;
  TestClient anon;
  bool anon_ok = anon.Connect(server_->Port(), ClientOptions{}, &err);
  // With TLS 1.3 the client learns of the rejection on its first read.
  if (anon_ok) {
    EXPECT_NE(anon.Request("POST", "/echo", "{}").status, 200);
  }
  TestClient bad;
  if (bad.Connect(server_->Port(), ClientOptions{true, 0, 0, &stranger}, &err)) {
    EXPECT_NE(bad.Request("POST", "/echo", "{}").status, 200);
  }
  TestClient good;
  ASSERT_TRUE(good.Connect(server_->Port(), ClientOptions{true, 0, 0, &client}, &err)) << err;
  HttpResult r = good.Request("POST", "/echo", "{}");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "{\"len\":2,\"subject\":\"CN=falco-client,O=riposte-test\"}");
}

TEST_F(HttpServerTest, MaxConnectionsClosesExtraConnections) {
  // Connections that are busy (their request is with a handler) cannot be evicted, so a
  // connection beyond the cap is closed at accept.
  ServerOptions o;
  o.max_connections = 2;
  o.reserved_connections = 0;
  std::mutex mu;
  std::vector<Responder> held;
  std::condition_variable cv;
  server_ = NewServer([&] {
    o.listen = "127.0.0.1:0";
    return o;
  }());
  Route hold{"/hold", {"GET"}, nullptr, {}};
  hold.async_handler = [&](Request&&, Responder r) {
    std::lock_guard<std::mutex> lock(mu);
    held.push_back(std::move(r));
    cv.notify_all();
  };
  server_->AddRoute(hold);
  server_->AddRoute({"/hello", {"GET"}, [](const Request&) { return Response{200, "text/plain", "hello", {}}; }, {}});
  std::string err;
  ASSERT_TRUE(server_->Start(&err)) << err;
  TestClient a, b, c;
  ASSERT_TRUE(a.Connect(server_->Port(), ClientOptions{false, 0, 0, nullptr}, &err));
  ASSERT_TRUE(b.Connect(server_->Port(), ClientOptions{false, 0, 0, nullptr}, &err));
  // One after the other, so that held[0] is a's.
  ASSERT_TRUE(a.WriteRaw("GET /hold HTTP/1.1\r\nHost: x\r\n\r\n"));
  {
    std::unique_lock<std::mutex> lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(10), [&] { return held.size() == 1; }));
  }
  ASSERT_TRUE(b.WriteRaw("GET /hold HTTP/1.1\r\nHost: x\r\n\r\n"));
  {
    std::unique_lock<std::mutex> lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(10), [&] { return held.size() == 2; }));
  }
  ASSERT_TRUE(c.Connect(server_->Port(), ClientOptions{false, 0, 0, nullptr}, &err));
  EXPECT_TRUE(c.ClosedByPeer(5000));
  EXPECT_EQ(server_->Stats().connections_rejected, 1u);
  EXPECT_EQ(server_->Stats().Refused(RefuseReason::kUntrustedFull), 1u);
  {
    std::lock_guard<std::mutex> lock(mu);
    held[0](Response{200, "text/plain", "done", {}});
  }
  EXPECT_EQ(a.ReadResponse().body, "done");
  a.Close();
  EXPECT_TRUE(Eventually([&] { return Fetch(server_->Port(), "GET", "/hello", "", false).status == 200; }));
  std::lock_guard<std::mutex> lock(mu);
  held.clear();  // answers 500 to b
}

TEST_F(HttpServerTest, StopClosesIdleKeepAliveConnectionsPromptly) {
  StartServer(false);
  TestClient c;
  std::string err;
  ASSERT_TRUE(c.Connect(server_->Port(), ClientOptions{false, 0, 0, nullptr}, &err));
  ASSERT_EQ(c.Request("GET", "/hello").status, 200);
  auto t0 = std::chrono::steady_clock::now();
  server_->Stop(std::chrono::milliseconds(5000));
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(4));
  EXPECT_TRUE(c.ClosedByPeer(1000));
}

TEST_F(HttpServerTest, StartFailsClearlyOnBadCertificate) {
  riposte::testing::WriteFile(Path("tls.crt"), "not a cert");
  riposte::testing::WriteFile(Path("tls.key"), "not a key");
  ServerOptions o;
  o.listen = "127.0.0.1:0";
  o.tls = TlsOptions{Path("tls.crt"), Path("tls.key"), "", std::chrono::milliseconds(100)};
  auto s = NewServer(o);
  std::string err;
  EXPECT_FALSE(s->Start(&err));
  EXPECT_NE(err.find("certificate"), std::string::npos) << err;
}

TEST(ListenAddressTest, Forms) {
  std::string a, err;
  uint16_t p = 1;
  ASSERT_TRUE(ParseListenAddress(":8443", &a, &p, &err));
  EXPECT_EQ(a, "0.0.0.0");
  EXPECT_EQ(p, 8443);
  ASSERT_TRUE(ParseListenAddress("127.0.0.1:0", &a, &p, &err));
  EXPECT_EQ(a, "127.0.0.1");
  EXPECT_EQ(p, 0);
  ASSERT_TRUE(ParseListenAddress("[::1]:9090", &a, &p, &err));
  EXPECT_EQ(a, "::1");
  EXPECT_EQ(p, 9090);
  EXPECT_FALSE(ParseListenAddress("8443", &a, &p, &err));
  EXPECT_FALSE(ParseListenAddress("::1:80", &a, &p, &err));
  EXPECT_FALSE(ParseListenAddress(":99999", &a, &p, &err));
  EXPECT_FALSE(ParseListenAddress("host.example:80", &a, &p, &err));
  EXPECT_FALSE(ParseListenAddress(":", &a, &p, &err));
  EXPECT_FALSE(ParseListenAddress("[::1]", &a, &p, &err));
}

TEST(ListenAddressTest, BindsIpv6Loopback) {
  ServerOptions o;
  o.listen = "[::1]:0";
  auto s = NewServer(o);
  std::string err;
  if (!s->Start(&err)) GTEST_SKIP() << "no IPv6 loopback here: " << err;
  EXPECT_NE(s->Port(), 0);
  s->Stop();
}

}  // namespace
}  // namespace riposte::http
