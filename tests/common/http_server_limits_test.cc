// The listener hardening of common/http_server, over real loopback sockets: what is read before
// authentication, framing per RFC 9112, Expect, closing after errors, timeouts by phase,
// per-peer and global caps with eviction and reserved slots, and the metrics that show each.
// Also keeps the behaviours an outside probe found correct (smuggling, bad chunk sizes, TLS
// versions, ciphers and renegotiation) as regression tests.

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <thread>

#include "common/http_server.h"
#include "common/metrics.h"
#include "tests/support/certs.h"
#include "tests/support/files.h"
#include "tests/support/https_client.h"
#include "tests/support/eventually.h"

namespace riposte::http {
namespace {

using riposte::testing::ClientOptions;
using riposte::testing::Fetch;
using riposte::testing::HttpResult;
using riposte::testing::TestClient;
using namespace std::chrono_literals;
using riposte::testing::Eventually;
// Every wait in this file had this deadline before it used the shared helper.
constexpr std::chrono::milliseconds kWait = 15s;

constexpr const char* kToken = "Bearer good-token-0123456789";

ClientOptions Plain() { return ClientOptions{false, 0, 0, nullptr}; }

// Plain HTTP from another loopback address: to the server, another peer.
bool ConnectFrom(TestClient& c, uint16_t port, const std::string& from, std::string* err) {
  c.SetSourceAddress(from);
  return c.Connect(port, Plain(), err);
}

class Limits : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = riposte::testing::MakeTempDir(); }
  void TearDown() override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      held_.clear();
    }
    if (server_) server_->Stop(1000ms);
    riposte::testing::RemoveTree(dir_);
  }

  // A server with an authenticated alert-like route, anonymous routes, a failing route and a
  // route whose requests are held until the test answers them.
  void Start(ServerOptions o = {}, bool tls = false) {
    o.name = "t";
    o.listen = "127.0.0.1:0";
    if (tls) {
      auto pair = riposte::testing::MakeCert("limits");
      riposte::testing::WriteFile(dir_ + "/tls.crt", pair.cert_pem);
      riposte::testing::WriteFile(dir_ + "/tls.key", pair.key_pem);
      o.tls = TlsOptions{dir_ + "/tls.crt", dir_ + "/tls.key", "", 1000ms};
    }
    o.authenticate = [](const Request& head) -> std::optional<Response> {
      if (head.Header("Authorization") == kToken) return std::nullopt;
      Response r = JsonError(401, "missing or wrong bearer token");
      r.headers.emplace_back("WWW-Authenticate", "Bearer");
      return r;
    };
    o.metrics = &registry_;
    server_ = NewServer(o);
    Route alerts{"/alerts", {"POST"}, [this](const Request& r) {
                   ++calls_;
                   std::string injected(r.Header("X-Injected"));
                   return Response{200, "application/json",
                                   "{\"len\":" + std::to_string(r.body.size()) + ",\"injected\":" + JsonQuote(injected) +
                                       ",\"ct\":" + JsonQuote(r.Header("Content-Type")) + "}",
                                   {}};
                 },
                 {}};
    server_->AddRoute(alerts);
    Route hello{"/hello", {"GET", "HEAD"}, [](const Request&) { return Response{200, "text/plain", "hello", {}}; }, {}};
    hello.require_auth = false;
    server_->AddRoute(hello);
    Route fail{"/fail", {"POST"}, [](const Request&) { return JsonError(422, "no"); }, {}};
    fail.require_auth = false;
    server_->AddRoute(fail);
    Route echo{"/echo", {"POST"}, [](const Request& r) { return Response{200, "text/plain", r.body, {}}; },
               {"application/json"}};
    echo.require_auth = false;
    server_->AddRoute(echo);
    Route hold{"/hold", {"GET"}, nullptr, {}};
    hold.require_auth = false;
    hold.async_handler = [this](Request&&, Responder r) {
      std::lock_guard<std::mutex> lock(mu_);
      held_.push_back(std::move(r));
      cv_.notify_all();
    };
    server_->AddRoute(hold);
    std::string err;
    ASSERT_TRUE(server_->Start(&err)) << err;
  }

  bool WaitHeld(size_t n) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, 15s, [&] { return held_.size() >= n; });
  }

  uint16_t port() const { return server_->Port(); }
  ServerStats stats() const { return server_->Stats(); }

  std::string dir_;
  metrics::Registry registry_;
  ServerPtr server_;
  std::atomic<int> calls_{0};
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Responder> held_;
};

// Status of the first response in `raw`, 0 when there is none.
int StatusOf(const std::string& raw) {
  if (raw.rfind("HTTP/1.", 0) != 0 || raw.size() < 12) return 0;
  return std::stoi(raw.substr(9, 3));
}

// ----- Authentication on the head ------------------------------------------------------------

TEST_F(Limits, AuthenticationIsDecidedOnTheHeadBeforeAnyBodyByte) {
  Start();
  TestClient c;
  std::string err;
  ASSERT_TRUE(c.Connect(port(), Plain(), &err)) << err;
  // A head announcing a 1 MB body, and no body at all: the answer must not wait for it.
  ASSERT_TRUE(c.WriteRaw("POST /alerts HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\n"));
  HttpResult r = c.ReadResponse();
  EXPECT_EQ(r.status, 401) << r.error;
  EXPECT_EQ(r.headers["www-authenticate"], "Bearer");
  EXPECT_EQ(r.headers["connection"], "close");
  EXPECT_NE(r.body.find("\"code\":401"), std::string::npos) << r.body;
  EXPECT_TRUE(c.ClosedByPeer(5000));
  EXPECT_EQ(calls_.load(), 0);
  EXPECT_TRUE(Eventually([&] { return stats().Closed(CloseReason::kUnauthenticated) == 1u; }, kWait));
  // A wrong token is the same.
  TestClient w;
  ASSERT_TRUE(w.Connect(port(), Plain(), &err)) << err;
  EXPECT_EQ(w.Request("POST", "/alerts", "{}", "application/json", false, {{"Authorization", "Bearer wrong"}}).status, 401);
  EXPECT_TRUE(w.ClosedByPeer(5000));
}

TEST_F(Limits, AuthenticatedConnectionsStayOpenAndBecomeTrusted) {
  Start();
  TestClient c;
  std::string err;
  ASSERT_TRUE(c.Connect(port(), Plain(), &err)) << err;
  for (int i = 0; i < 3; ++i) {
    HttpResult r = c.Request("POST", "/alerts", "{\"a\":1}", "application/json", false, {{"Authorization", kToken}});
    ASSERT_EQ(r.status, 200) << r.error;
    EXPECT_EQ(r.body, "{\"len\":7,\"injected\":\"\",\"ct\":\"application/json\"}");
  }
  EXPECT_EQ(stats().connections_total, 1u);
  EXPECT_EQ(stats().trusted_connections, 1u);
  EXPECT_FALSE(c.ClosedByPeer(0));
}

TEST_F(Limits, UnauthenticatedChunkExtensionIsRefusedAtTheHead) {
  Start();
  TestClient c;
  std::string err;
  ASSERT_TRUE(c.Connect(port(), Plain(), &err)) << err;
  ASSERT_TRUE(c.WriteRaw("POST /alerts HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n1;ext="));
  std::string raw = c.ReadAvailable(5000);
  EXPECT_EQ(StatusOf(raw), 401) << raw;
  // Whatever the client goes on sending is never read into memory; the connection ends.
  std::string more(64 * 1024, 'e');
  for (int i = 0; i < 64 && c.WriteRaw(more); ++i) {
  }
  EXPECT_TRUE(c.ClosedByPeer(5000));
  EXPECT_EQ(calls_.load(), 0);
}

// ----- Framing budgets -------------------------------------------------------------------------

struct FramingCase {
  const char* name;
  std::string body;  // after the head
};

TEST_F(Limits, ChunkExtensionsTrailersAndChunkLinesHaveABudget) {
  ServerOptions o;
  o.max_framing_bytes = 4096;
  Start(o);
  std::string many_small;
  for (int i = 0; i < 300; ++i) many_small += "1;x=yyyyyyyyyyyyyyyyyyyy\r\na\r\n";
  std::vector<FramingCase> cases = {
      {"one large extension", "1;" + std::string(5000, 'e') + "\r\na\r\n0\r\n\r\n"},
      {"extension larger than the read buffer", "1;" + std::string(64 * 1024, 'e') + "\r\na\r\n0\r\n\r\n"},
      {"many small extensions", many_small + "0\r\n\r\n"},
      {"leading zeros in a chunk size", std::string(6000, '0') + "1\r\na\r\n0\r\n\r\n"},
      {"large trailer", "1\r\na\r\n0\r\nX-Big: " + std::string(5000, 't') + "\r\n\r\n"},
      {"many trailers", [] {
         std::string t = "1\r\na\r\n0\r\n";
         for (int i = 0; i < 300; ++i) t += "X-T" + std::to_string(i) + ": vvvvvvvvvv\r\n";
         return t + "\r\n";
       }()},
  };
  uint64_t before = 0;
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    TestClient cl;
    std::string err;
    ASSERT_TRUE(cl.Connect(port(), Plain(), &err)) << err;
    cl.WriteRaw(std::string("POST /alerts HTTP/1.1\r\nHost: x\r\nAuthorization: ") + kToken +
                "\r\nTransfer-Encoding: chunked\r\n\r\n" + c.body);
    HttpResult r = cl.ReadResponse();
    EXPECT_EQ(r.status, 400) << r.error << r.body;
    EXPECT_TRUE(cl.ClosedByPeer(5000));
    EXPECT_TRUE(Eventually([&] { return stats().Closed(CloseReason::kFramingLimit) == before + 1; }, kWait))
        << stats().Closed(CloseReason::kFramingLimit);
    before = stats().Closed(CloseReason::kFramingLimit);
  }
  EXPECT_EQ(calls_.load(), 0);
  // Within the budget: extensions and trailers are accepted (and ignored).
  TestClient ok;
  std::string err;
  ASSERT_TRUE(ok.Connect(port(), Plain(), &err)) << err;
  ok.WriteRaw(std::string("POST /alerts HTTP/1.1\r\nHost: x\r\nAuthorization: ") + kToken +
              "\r\nTransfer-Encoding: chunked\r\n\r\n3;name=value\r\nabc\r\n2\r\nde\r\n0\r\nX-Checksum: 1\r\n\r\n");
  HttpResult r = ok.ReadResponse();
  EXPECT_EQ(r.status, 200) << r.error;
  EXPECT_EQ(r.body, "{\"len\":5,\"injected\":\"\",\"ct\":\"\"}");
}

TEST_F(Limits, TrailersAreNeverMergedIntoTheAuthenticatedHead) {
  Start();
  TestClient c;
  std::string err;
  ASSERT_TRUE(c.Connect(port(), Plain(), &err)) << err;
  c.WriteRaw(std::string("POST /alerts HTTP/1.1\r\nHost: x\r\nAuthorization: ") + kToken +
             "\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n"
             "X-Injected: yes\r\nContent-Type: text/evil\r\n\r\n");
  HttpResult r = c.ReadResponse();
  ASSERT_EQ(r.status, 200) << r.error;
  EXPECT_EQ(r.body, "{\"len\":2,\"injected\":\"\",\"ct\":\"application/json\"}");
}

TEST_F(Limits, HeadBudgetCoversTheRequestLineAndTheHeadersTogether) {
  ServerOptions o;
  o.max_header_bytes = 1024;
  Start(o);
  // Each part is under the budget, together they are over it.
  std::string line = "GET /hello?" + std::string(600, 'q') + " HTTP/1.1\r\n";
  std::string headers = "Host: x\r\nX-Pad: " + std::string(500, 'p') + "\r\n\r\n";
  TestClient c;
  std::string err;
  ASSERT_TRUE(c.Connect(port(), Plain(), &err)) << err;
  c.WriteRaw(line + headers);
  EXPECT_EQ(c.ReadResponse().status, 431);
  EXPECT_TRUE(c.ClosedByPeer(5000));
  EXPECT_TRUE(Eventually([&] { return stats().Closed(CloseReason::kHeaderLimit) == 1u; }, kWait));
  TestClient ok;
  ASSERT_TRUE(ok.Connect(port(), Plain(), &err)) << err;
  ok.WriteRaw("GET /hello?" + std::string(400, 'q') + " HTTP/1.1\r\nHost: x\r\nX-Pad: " + std::string(400, 'p') + "\r\n\r\n");
  EXPECT_EQ(ok.ReadResponse().status, 200);
  // A head that never ends is cut at the budget, not at the timeout.
  TestClient endless;
  ASSERT_TRUE(endless.Connect(port(), Plain(), &err)) << err;
  endless.WriteRaw("GET /hello HTTP/1.1\r\nX-Endless: " + std::string(4000, 'z'));
  EXPECT_EQ(endless.ReadResponse().status, 431);
}

// ----- Transfer-Encoding (RFC 9112) and smuggling ----------------------------------------------

TEST_F(Limits, TransferEncodingFollowsRfc9112AndThePipelinedRestIsNeverParsed) {
  Start();
  struct Case {
    const char* name;
    std::string head;
    int status;
  };
  const std::string auth = std::string("Authorization: ") + kToken + "\r\n";
  std::vector<Case> cases = {
      {"final coding not chunked", "POST /alerts HTTP/1.1\r\nHost: x\r\n" + auth + "Transfer-Encoding: gzip\r\n\r\n", 400},
      {"chunked then gzip", "POST /alerts HTTP/1.1\r\nHost: x\r\n" + auth + "Transfer-Encoding: chunked, gzip\r\n\r\n", 400},
      {"chunked twice", "POST /alerts HTTP/1.1\r\nHost: x\r\n" + auth + "Transfer-Encoding: chunked, chunked\r\n\r\n", 400},
      {"chunked in two header lines",
       "POST /alerts HTTP/1.1\r\nHost: x\r\n" + auth + "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", 400},
      {"empty", "POST /alerts HTTP/1.1\r\nHost: x\r\n" + auth + "Transfer-Encoding: \r\n\r\n", 400},
      {"HTTP/1.0", "POST /alerts HTTP/1.0\r\nHost: x\r\n" + auth + "Transfer-Encoding: chunked\r\n\r\n", 400},
      {"with Content-Length (smuggling)",
       "POST /alerts HTTP/1.1\r\nHost: x\r\n" + auth + "Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n", 400},
      {"Content-Length after it (smuggling)",
       "POST /alerts HTTP/1.1\r\nHost: x\r\n" + auth + "Transfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n", 400},
      {"two different Content-Lengths", "POST /alerts HTTP/1.1\r\nHost: x\r\n" + auth + "Content-Length: 4\r\nContent-Length: 5\r\n\r\n", 400},
      {"unsupported coding before chunked",
       "POST /alerts HTTP/1.1\r\nHost: x\r\n" + auth + "Transfer-Encoding: gzip, chunked\r\n\r\n", 501},
      {"unsupported coding in a second line",
       "POST /alerts HTTP/1.1\r\nHost: x\r\n" + auth + "Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n", 501},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    TestClient cl;
    std::string err;
    ASSERT_TRUE(cl.Connect(port(), Plain(), &err)) << err;
    // What follows the head would be read as a second request if the body were taken as empty.
    cl.WriteRaw(c.head + "0\r\n\r\nGET /hello HTTP/1.1\r\nHost: x\r\n\r\n");
    std::string raw = cl.ReadAvailable(5000);
    EXPECT_EQ(StatusOf(raw), c.status) << raw;
    EXPECT_NE(raw.find("Connection: close"), std::string::npos) << raw;
    EXPECT_EQ(raw.find("hello"), std::string::npos) << raw;
    EXPECT_TRUE(cl.ClosedByPeer(5000));
  }
  EXPECT_EQ(calls_.load(), 0);
  // The coding name is case-insensitive, and a proper chunked body is served.
  TestClient ok;
  std::string err;
  ASSERT_TRUE(ok.Connect(port(), Plain(), &err)) << err;
  ok.WriteRaw("POST /alerts HTTP/1.1\r\nHost: x\r\n" + auth + "Transfer-Encoding: Chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n");
  EXPECT_EQ(ok.ReadResponse().status, 200);
}

TEST_F(Limits, BadChunkSizesAre400) {
  Start();
  const std::string head = std::string("POST /alerts HTTP/1.1\r\nHost: x\r\nAuthorization: ") + kToken +
                           "\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (const std::string& body : {std::string("zz\r\nab\r\n0\r\n\r\n"), std::string("fffffffffffffffffffff\r\nab\r\n"),
                                  std::string("-1\r\nab\r\n"), std::string("2\r\nabc\r\n0\r\n\r\n")}) {
    SCOPED_TRACE(body);
    TestClient c;
    std::string err;
    ASSERT_TRUE(c.Connect(port(), Plain(), &err)) << err;
    c.WriteRaw(head + body);
    int status = c.ReadResponse().status;
    EXPECT_TRUE(status == 400 || status == 413) << status;
    EXPECT_TRUE(c.ClosedByPeer(5000));
  }
  EXPECT_EQ(calls_.load(), 0);
}

// ----- Expect -----------------------------------------------------------------------------------

TEST_F(Limits, ExpectContinueIsAnsweredOnlyOnceTheHeadIsAccepted) {
  ServerOptions o;
  o.max_body_bytes = 1000;
  Start(o);
  std::string err;
  {
    SCOPED_TRACE("authenticated: 100 Continue, then the answer");
    TestClient c;
    ASSERT_TRUE(c.Connect(port(), Plain(), &err)) << err;
    c.WriteRaw(std::string("POST /alerts HTTP/1.1\r\nHost: x\r\nAuthorization: ") + kToken +
               "\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n");
    EXPECT_EQ(c.ReadAvailable(5000), "HTTP/1.1 100 Continue\r\n\r\n");
    c.WriteRaw("{}");
    HttpResult r = c.ReadResponse();
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, "{\"len\":2,\"injected\":\"\",\"ct\":\"\"}");
  }
  for (const auto& [name, head, status] : std::vector<std::tuple<std::string, std::string, int>>{
           {"no token", "POST /alerts HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n", 401},
           {"too large", std::string("POST /alerts HTTP/1.1\r\nHost: x\r\nAuthorization: ") + kToken +
                             "\r\nContent-Length: 5000\r\nExpect: 100-continue\r\n\r\n",
            413},
           {"unknown path", "POST /nope HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n", 404},
           {"other expectation", std::string("POST /alerts HTTP/1.1\r\nHost: x\r\nAuthorization: ") + kToken +
                                     "\r\nContent-Length: 2\r\nExpect: something-else\r\n\r\n",
            417},
       }) {
    SCOPED_TRACE(name);
    TestClient c;
    ASSERT_TRUE(c.Connect(port(), Plain(), &err)) << err;
    c.WriteRaw(head);
    std::string raw = c.ReadAvailable(5000);
    EXPECT_EQ(StatusOf(raw), status) << raw;
    EXPECT_EQ(raw.find("100 Continue"), std::string::npos) << raw;
    EXPECT_TRUE(c.ClosedByPeer(5000));
  }
  {
    SCOPED_TRACE("HTTP/1.0 ignores the expectation");
    TestClient c;
    ASSERT_TRUE(c.Connect(port(), Plain(), &err)) << err;
    c.WriteRaw(std::string("POST /alerts HTTP/1.0\r\nHost: x\r\nAuthorization: ") + kToken +
               "\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n{}");
    std::string raw = c.ReadAvailable(5000);
    EXPECT_EQ(raw.rfind("HTTP/1.0 200", 0), 0u) << raw;
    EXPECT_EQ(raw.find("100 Continue"), std::string::npos) << raw;
  }
  EXPECT_EQ(calls_.load(), 2);
}

// ----- Closing after errors; keep-alive after success -----------------------------------------

TEST_F(Limits, EveryErrorAnswerClosesTheConnection) {
  Start();
  struct Case {
    const char* name;
    std::string request;
    int status;
    CloseReason reason;
  };
  std::vector<Case> cases = {
      {"unknown path", "GET /nope HTTP/1.1\r\nHost: x\r\n\r\n", 404, CloseReason::kBadRequest},
      {"wrong method", "DELETE /hello HTTP/1.1\r\nHost: x\r\n\r\n", 405, CloseReason::kBadRequest},
      {"wrong type", "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\n{}", 415,
       CloseReason::kBadRequest},
      {"not HTTP", "HELLO\r\n\r\n", 400, CloseReason::kBadRequest},
      {"handler error", "POST /fail HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}", 422, CloseReason::kErrorResponse},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    uint64_t before = stats().Closed(c.reason);
    TestClient cl;
    std::string err;
    ASSERT_TRUE(cl.Connect(port(), Plain(), &err)) << err;
    cl.WriteRaw(c.request);
    HttpResult r = cl.ReadResponse();
    EXPECT_EQ(r.status, c.status) << r.error;
    EXPECT_EQ(r.headers["connection"], "close");
    EXPECT_TRUE(cl.ClosedByPeer(5000));
    EXPECT_TRUE(Eventually([&] { return stats().Closed(c.reason) == before + 1; }, kWait));
  }
  // Success keeps the connection, also for anonymous routes.
  TestClient ok;
  std::string err;
  ASSERT_TRUE(ok.Connect(port(), Plain(), &err)) << err;
  EXPECT_EQ(ok.Request("GET", "/hello").status, 200);
  EXPECT_EQ(ok.Request("GET", "/hello").status, 200);
  EXPECT_FALSE(ok.ClosedByPeer(0));
}

TEST_F(Limits, PipelinedRequestsAreAnsweredInOrderAndHeadHasNoBody) {
  Start();
  TestClient c;
  std::string err;
  ASSERT_TRUE(c.Connect(port(), Plain(), &err)) << err;
  c.WriteRaw("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 3\r\n\r\n\"a\""
             "HEAD /hello HTTP/1.1\r\nHost: x\r\n\r\n"
             "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 3\r\n\r\n\"b\"");
  std::string raw;
  ASSERT_TRUE(Eventually([&] {
    raw += c.ReadAvailable(200);
    return raw.find("\"b\"") != std::string::npos;
  }, kWait)) << raw;
  size_t a = raw.find("\"a\""), head = raw.find("Content-Length: 5\r\n"), b = raw.find("\"b\"");
  ASSERT_NE(a, std::string::npos);
  ASSERT_NE(head, std::string::npos) << raw;
  EXPECT_LT(a, head);
  EXPECT_LT(head, b);
  EXPECT_EQ(raw.find("hello"), std::string::npos) << "HEAD answered with a body: " << raw;
}

// ----- Timeouts by phase and trust -------------------------------------------------------------

TEST_F(Limits, UntrustedConnectionsGetTheShortIdleTimeoutTrustedOnesTheLongOne) {
  ServerOptions o;
  o.untrusted_idle_timeout = 300ms;
  o.idle_timeout = 60s;
  Start(o);
  std::string err;
  TestClient trusted, anonymous, silent;
  ASSERT_TRUE(trusted.Connect(port(), Plain(), &err)) << err;
  ASSERT_EQ(trusted.Request("POST", "/alerts", "{}", "application/json", false, {{"Authorization", kToken}}).status, 200);
  ASSERT_TRUE(anonymous.Connect(port(), Plain(), &err)) << err;
  ASSERT_EQ(anonymous.Request("GET", "/hello").status, 200);
  ASSERT_TRUE(silent.Connect(port(), Plain(), &err)) << err;
  EXPECT_TRUE(Eventually([&] { return anonymous.ClosedByPeer(50); }, kWait));
  EXPECT_TRUE(Eventually([&] { return silent.ClosedByPeer(50); }, kWait));
  EXPECT_TRUE(Eventually([&] { return stats().Closed(CloseReason::kIdleTimeout) == 2u; }, kWait));
  // Both untrusted connections went idle after the trusted one; it is still open.
  EXPECT_FALSE(trusted.ClosedByPeer(0));
  EXPECT_EQ(trusted.Request("POST", "/alerts", "{}", "application/json", false, {{"Authorization", kToken}}).status, 200);
}

TEST_F(Limits, HandshakeHeaderAndBodyTimeoutsAreCountedByPhase) {
  ServerOptions o;
  o.handshake_timeout = 300ms;
  o.header_timeout = 300ms;
  o.read_timeout = 300ms;
  Start(o, /*tls=*/true);
  std::string err;
  TestClient no_hello, slow_head, slow_body;
  ASSERT_TRUE(no_hello.Connect(port(), Plain(), &err)) << err;  // TCP only: never starts TLS
  ASSERT_TRUE(slow_head.Connect(port(), ClientOptions{}, &err)) << err;
  ASSERT_TRUE(slow_head.WriteRaw("GET /hello HTTP/1.1\r\nHo"));
  ASSERT_TRUE(slow_body.Connect(port(), ClientOptions{}, &err)) << err;
  ASSERT_TRUE(slow_body.WriteRaw(std::string("POST /alerts HTTP/1.1\r\nAuthorization: ") + kToken +
                                 "\r\nContent-Length: 10\r\n\r\n{"));
  EXPECT_TRUE(Eventually([&] { return no_hello.ClosedByPeer(50); }, kWait));
  EXPECT_TRUE(Eventually([&] { return slow_head.ClosedByPeer(50); }, kWait));
  EXPECT_TRUE(Eventually([&] { return slow_body.ClosedByPeer(50); }, kWait));
  EXPECT_TRUE(Eventually([&] {
    auto s = stats();
    return s.Closed(CloseReason::kHandshakeTimeout) == 1u && s.Closed(CloseReason::kHeaderTimeout) == 1u &&
           s.Closed(CloseReason::kBodyTimeout) == 1u;
  }, kWait));
}

// ----- Caps, eviction, reserved slots ----------------------------------------------------------

TEST_F(Limits, PerPeerCapRefusesAtAcceptAndOtherPeersAreServed) {
  ServerOptions o;
  o.max_connections_per_peer = 3;
  Start(o);
  std::string err;
  std::vector<std::unique_ptr<TestClient>> mine;
  for (int i = 0; i < 3; ++i) {
    mine.push_back(std::make_unique<TestClient>());
    ASSERT_TRUE(ConnectFrom(*mine.back(), port(), "127.0.0.2", &err)) << err;
    ASSERT_TRUE(Eventually([&] { return stats().connections_total == static_cast<uint64_t>(i + 1); }, kWait));
  }
  TestClient fourth;
  ASSERT_TRUE(ConnectFrom(fourth, port(), "127.0.0.2", &err)) << err;
  EXPECT_TRUE(fourth.ClosedByPeer(5000));
  EXPECT_EQ(stats().Refused(RefuseReason::kPerPeer), 1u);
  TestClient other;
  ASSERT_TRUE(ConnectFrom(other, port(), "127.0.0.3", &err)) << err;
  EXPECT_EQ(other.Request("GET", "/hello").status, 200);
  // A peer that authenticates no longer counts against its address's share.
  ASSERT_EQ(mine[0]->Request("POST", "/alerts", "{}", "application/json", false, {{"Authorization", kToken}}).status, 200);
  TestClient again;
  ASSERT_TRUE(ConnectFrom(again, port(), "127.0.0.2", &err)) << err;
  EXPECT_EQ(again.Request("GET", "/hello").status, 200);
}

TEST_F(Limits, AFullUntrustedShareEvictsItsOldestIdleConnection) {
  ServerOptions o;
  o.max_connections = 6;
  o.reserved_connections = 2;  // 4 for untrusted connections
  o.max_connections_per_peer = 100;
  Start(o);
  std::string err;
  std::vector<std::unique_ptr<TestClient>> idle;
  for (int i = 0; i < 4; ++i) {
    idle.push_back(std::make_unique<TestClient>());
    ASSERT_TRUE(ConnectFrom(*idle.back(), port(), "127.0.1." + std::to_string(i + 1), &err)) << err;
    ASSERT_TRUE(Eventually([&] { return stats().connections_total == static_cast<uint64_t>(i + 1); }, kWait));
  }
  TestClient newcomer;
  ASSERT_TRUE(ConnectFrom(newcomer, port(), "127.0.2.1", &err)) << err;
  EXPECT_EQ(newcomer.Request("GET", "/hello").status, 200);
  EXPECT_TRUE(idle[0]->ClosedByPeer(5000));
  TestClient second;
  ASSERT_TRUE(ConnectFrom(second, port(), "127.0.2.2", &err)) << err;
  EXPECT_EQ(second.Request("GET", "/hello").status, 200);
  EXPECT_TRUE(idle[1]->ClosedByPeer(5000));
  EXPECT_FALSE(idle[2]->ClosedByPeer(0));
  EXPECT_FALSE(idle[3]->ClosedByPeer(0));
  EXPECT_TRUE(Eventually([&] { return stats().Closed(CloseReason::kEvicted) == 2u; }, kWait));
  EXPECT_EQ(stats().connections_rejected, 0u);
}

TEST_F(Limits, TrustedNetworksAndAuthenticatedSendersUseTheReservedSlots) {
  ServerOptions o;
  o.max_connections = 4;
  o.reserved_connections = 2;  // 2 for untrusted connections
  o.max_connections_per_peer = 100;
  o.trusted_networks = {"127.0.0.9/32"};
  Start(o);
  std::string err;
  // Two untrusted connections busy in a handler: not evictable.
  TestClient a, b;
  ASSERT_TRUE(ConnectFrom(a, port(), "127.0.1.1", &err)) << err;
  ASSERT_TRUE(ConnectFrom(b, port(), "127.0.1.2", &err)) << err;
  a.WriteRaw("GET /hold HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_TRUE(WaitHeld(1));  // held_[0] is a's
  b.WriteRaw("GET /hold HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_TRUE(WaitHeld(2));
  TestClient refused;
  ASSERT_TRUE(ConnectFrom(refused, port(), "127.0.1.3", &err)) << err;
  EXPECT_TRUE(refused.ClosedByPeer(5000));
  EXPECT_EQ(stats().Refused(RefuseReason::kUntrustedFull), 1u);
  // The API server (a trusted network) still gets in, and stays trusted.
  TestClient apiserver;
  ASSERT_TRUE(ConnectFrom(apiserver, port(), "127.0.0.9", &err)) << err;
  EXPECT_EQ(apiserver.Request("GET", "/hello").status, 200);
  EXPECT_EQ(stats().trusted_connections, 1u);
  {
    std::lock_guard<std::mutex> lock(mu_);
    held_[0](Response{200, "text/plain", "done", {}});
  }
  EXPECT_EQ(a.ReadResponse().body, "done");
  // The client may read the answer before the server has finished writing it; only then is a
  // between requests and evictable.
  ASSERT_TRUE(Eventually([&] { return stats().idle_untrusted_connections == 1u; }, kWait));
  // a is idle and untrusted again: an authenticated sender may evict it and then holds a
  // reserved slot.
  TestClient sender;
  ASSERT_TRUE(ConnectFrom(sender, port(), "127.0.1.4", &err)) << err;
  EXPECT_EQ(sender.Request("POST", "/alerts", "{}", "application/json", false, {{"Authorization", kToken}}).status, 200);
  EXPECT_TRUE(a.ClosedByPeer(5000));
  EXPECT_EQ(stats().trusted_connections, 2u);
}

TEST_F(Limits, BodiesBeingReadShareABudgetWithAQuarterKeptForTrustedConnections) {
  ServerOptions o;
  o.max_inflight_body_bytes = 10000;  // 7,500 for untrusted connections
  o.max_connections_per_peer = 100;
  o.trusted_networks = {"127.0.0.9/32"};
  Start(o);
  std::string err;
  TestClient first, second, trusted;
  ASSERT_TRUE(ConnectFrom(first, port(), "127.0.1.1", &err)) << err;
  first.WriteRaw("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 5000\r\n\r\n\"");
  ASSERT_TRUE(Eventually([&] { return stats().active_connections == 1u; }, kWait));
  ASSERT_TRUE(ConnectFrom(second, port(), "127.0.1.2", &err)) << err;
  second.WriteRaw("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 5000\r\n\r\n");
  HttpResult busy = second.ReadResponse();
  EXPECT_EQ(busy.status, 503);
  EXPECT_EQ(busy.headers["retry-after"], "1");
  EXPECT_NE(busy.body.find("\"reason\":\"busy\""), std::string::npos) << busy.body;
  EXPECT_TRUE(second.ClosedByPeer(5000));
  EXPECT_TRUE(Eventually([&] { return stats().Closed(CloseReason::kBusy) == 1u; }, kWait));
  // A trusted connection may use the last quarter.
  ASSERT_TRUE(ConnectFrom(trusted, port(), "127.0.0.9", &err)) << err;
  EXPECT_EQ(trusted.Request("POST", "/echo", "\"" + std::string(3998, 't') + "\"").status, 200);
  // Once the first body is complete and answered its reservation is returned.
  first.WriteRaw(std::string(4998, 'f') + "\"");
  EXPECT_EQ(first.ReadResponse().status, 200);
  TestClient third;
  ASSERT_TRUE(ConnectFrom(third, port(), "127.0.1.3", &err)) << err;
  EXPECT_EQ(third.Request("POST", "/echo", "\"" + std::string(4998, 'x') + "\"").status, 200);
}

// ----- Async handlers ----------------------------------------------------------------------------

TEST_F(Limits, AsyncHandlersAnswerFromAnyThreadAndADroppedResponderAnswers500) {
  Start();
  std::string err;
  TestClient a, b;
  ASSERT_TRUE(a.Connect(port(), Plain(), &err)) << err;
  ASSERT_TRUE(b.Connect(port(), Plain(), &err)) << err;
  a.WriteRaw("GET /hold HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_TRUE(WaitHeld(1));
  b.WriteRaw("GET /hold HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_TRUE(WaitHeld(2));
  Responder first, second;
  {
    std::lock_guard<std::mutex> lock(mu_);
    first = std::move(held_[0]);
    second = std::move(held_[1]);
    held_.clear();
  }
  std::thread([r = std::move(first)]() mutable { r(Response{202, "text/plain", "later", {}}); }).join();
  HttpResult ra = a.ReadResponse();
  EXPECT_EQ(ra.status, 202);
  EXPECT_EQ(ra.body, "later");
  EXPECT_EQ(a.Request("GET", "/hello").status, 200);  // still kept alive
  second = Responder();  // dropped unanswered
  HttpResult rb = b.ReadResponse();
  EXPECT_EQ(rb.status, 500);
  EXPECT_NE(rb.body.find("dropped"), std::string::npos) << rb.body;
}

// ----- Metrics and options ------------------------------------------------------------------------

TEST_F(Limits, ConnectionMetricsAreExportedByReason) {
  ServerOptions o;
  o.max_connections_per_peer = 1;
  Start(o);
  std::string err;
  TestClient held;
  ASSERT_TRUE(ConnectFrom(held, port(), "127.0.0.5", &err)) << err;
  ASSERT_TRUE(Eventually([&] { return stats().connections_total == 1u; }, kWait));
  TestClient refused;
  ASSERT_TRUE(ConnectFrom(refused, port(), "127.0.0.5", &err)) << err;
  EXPECT_TRUE(refused.ClosedByPeer(5000));
  TestClient unauth;
  ASSERT_TRUE(ConnectFrom(unauth, port(), "127.0.0.6", &err)) << err;
  EXPECT_EQ(unauth.Request("POST", "/alerts", "{}").status, 401);
  EXPECT_TRUE(Eventually([&] { return stats().Closed(CloseReason::kUnauthenticated) == 1u; }, kWait));
  std::string m = registry_.Render();
  for (const char* needle : {
           "riposte_http_connections_refused_total{server=\"t\",reason=\"per_peer\"} 1\n",
           "riposte_http_connections_refused_total{server=\"t\",reason=\"untrusted_full\"} 0\n",
           "riposte_http_connections_closed_total{server=\"t\",reason=\"unauthenticated\"} 1\n",
           "riposte_http_connections_closed_total{server=\"t\",reason=\"evicted\"} 0\n",
           "riposte_http_connections_accepted_total{server=\"t\"} 2\n",
           "riposte_http_connections_open{server=\"t\",trust=\"untrusted\"} 1\n",
           "riposte_http_connections_open{server=\"t\",trust=\"trusted\"} 0\n",
       }) {
    EXPECT_NE(m.find(needle), std::string::npos) << needle << "\n" << m;
  }
}

TEST(LimitsOptions, BadCapsAndNetworksAreRefusedAtStart) {
  ServerOptions o;
  o.listen = "127.0.0.1:0";
  EXPECT_EQ(ValidateOptions(o), "");
  o.reserved_connections = o.max_connections;
  EXPECT_NE(ValidateOptions(o).find("reserved"), std::string::npos);
  o.reserved_connections = 0;
  o.max_connections_per_peer = 0;
  EXPECT_NE(ValidateOptions(o), "");
  o.max_connections_per_peer = 1;
  for (const char* bad : {"10.0.0.0/33", "fd00::/129", "not-an-ip", "10.0.0.0/", "10.0.0.0/x"}) {
    o.trusted_networks = {bad};
    EXPECT_NE(ValidateOptions(o).find("trusted network"), std::string::npos) << bad;
  }
  o.trusted_networks = {"10.0.0.0/8", "192.0.2.7", "fd00::/8", "::1"};
  EXPECT_EQ(ValidateOptions(o), "");
  auto s = NewServer(o);
  o.trusted_networks = {"nope"};
  auto bad = NewServer(o);
  std::string err;
  EXPECT_FALSE(bad->Start(&err));
  EXPECT_NE(err.find("trusted network"), std::string::npos) << err;
}

// ----- TLS regressions: ciphers and renegotiation ---------------------------------------------

// A raw OpenSSL client, for what the test client cannot express.
struct RawTls {
  int fd = -1;
  SSL_CTX* ctx = nullptr;
  SSL* ssl = nullptr;
  ~RawTls() {
    if (ssl) SSL_free(ssl);
    if (ctx) SSL_CTX_free(ctx);
    if (fd >= 0) ::close(fd);
  }
  bool Connect(uint16_t port, const char* ciphers) {
    fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) return false;
    ctx = SSL_CTX_new(TLS_client_method());
    SSL_CTX_set_max_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_security_level(ctx, 0);
    if (ciphers) SSL_CTX_set_cipher_list(ctx, ciphers);
    ssl = SSL_new(ctx);
    SSL_set_fd(ssl, fd);
    bool ok = SSL_connect(ssl) == 1;
    ERR_clear_error();
    return ok;
  }
};

TEST_F(Limits, TlsRefusesWeakCiphersAndRenegotiation) {
  Start(ServerOptions{}, /*tls=*/true);
  {
    RawTls weak;
    EXPECT_FALSE(weak.Connect(port(), "AES128-SHA:DES-CBC3-SHA:RC4-SHA"));
  }
  RawTls c;
  ASSERT_TRUE(c.Connect(port(), nullptr));
  // Client-initiated renegotiation: the server refuses (SSL_OP_NO_RENEGOTIATION), so the
  // handshake cannot complete and the connection is not usable for it.
  ASSERT_EQ(SSL_renegotiate(c.ssl), 1);
  int rc = SSL_do_handshake(c.ssl);
  char buf[64];
  const std::string req = "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n";
  bool completed = rc == 1 && SSL_renegotiate_pending(c.ssl) == 0;
  if (rc == 1) {
    SSL_write(c.ssl, req.data(), static_cast<int>(req.size()));
    int n = SSL_read(c.ssl, buf, sizeof buf);
    completed = completed && n > 0 && SSL_renegotiate_pending(c.ssl) == 0;
  }
  ERR_clear_error();
  EXPECT_FALSE(completed);
}

}  // namespace
}  // namespace riposte::http
