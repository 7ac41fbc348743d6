// The prober against real listeners on loopback (the project's own HTTP server, TLS and plain):
// the answer, the presented chain, and each transport failure named; CheckServingChain as the
// API server checks a webhook's certificate.
#include <gtest/gtest.h>

#include "common/http_server.h"
#include "tests/support/certs.h"
#include "tests/support/files.h"
#include "verify/probe.h"

namespace riposte::verify {
namespace {

using riposte::testing::Pki;

std::unique_ptr<http::Server> Serve(bool tls, int status, const std::string& body) {
  http::ServerOptions o;
  o.listen = "127.0.0.1:0";
  if (tls) {
    o.tls = http::TlsOptions{riposte::testing::WriteTempFile("probe.crt", Pki().server.cert_pem),
                             riposte::testing::WriteTempFile("probe.key", Pki().server.key_pem), "",
                             std::chrono::milliseconds(1000)};
  }
  auto s = http::NewServer(o);
  s->AddRoute({"/readyz", {"GET"}, [status, body](const http::Request&) {
                 http::Response r;
                 r.status = status;
                 r.content_type = "text/plain";
                 r.body = body;
                 return r;
               }, {}});
  std::string error;
  EXPECT_TRUE(s->Start(&error)) << error;
  return s;
}

TEST(Prober, TlsAnswerAndChain) {
  auto server = Serve(true, 200, "ok\n");
  auto prober = NewProber(std::chrono::seconds(5));
  auto r = prober->Get(Endpoint{"127.0.0.1", server->Port(), true, "localhost"}, "/readyz");
  ASSERT_EQ(r.error, "");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "ok\n");
  ASSERT_EQ(r.chain_pem.size(), 1u);
  EXPECT_EQ(CheckServingChain(Pki().ca.cert_pem, r.chain_pem, "localhost"), "");
  EXPECT_EQ(CheckServingChain(Pki().ca.cert_pem, r.chain_pem, "127.0.0.1"), "");
  EXPECT_EQ(CheckServingChain(Pki().other.cert_pem, r.chain_pem, "localhost"), "unable to get local issuer certificate");
  EXPECT_EQ(CheckServingChain(Pki().ca.cert_pem, r.chain_pem, "riposte-webhook.riposte.svc"),
            "hostname mismatch: the certificate names localhost, 127.0.0.1, ::1, not riposte-webhook.riposte.svc");
  EXPECT_EQ(CheckServingChain("", r.chain_pem, "localhost"), "caBundle holds no PEM certificate");
  EXPECT_EQ(CheckServingChain(Pki().ca.cert_pem, {}, "localhost"), "the server presented no certificate");
  server->Stop();
}

TEST(Prober, PlainHttpStatusAndBody) {
  auto server = Serve(false, 503, "not ready: no leader known\n");
  auto r = NewProber(std::chrono::seconds(5))->Get(Endpoint{"127.0.0.1", server->Port(), false, ""}, "/readyz");
  ASSERT_EQ(r.error, "");
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(r.body, "not ready: no leader known\n");
  EXPECT_TRUE(r.chain_pem.empty());
  server->Stop();
}

TEST(Prober, FailuresAreNamed) {
  auto prober = NewProber(std::chrono::seconds(2));
  // Nothing listens: the port of a server that was stopped.
  auto gone = Serve(false, 200, "");
  int port = gone->Port();
  gone->Stop();
  gone.reset();
  auto r = prober->Get(Endpoint{"127.0.0.1", port, true, "x"}, "/readyz");
  EXPECT_EQ(r.error, "cannot connect to 127.0.0.1:" + std::to_string(port) + ": Connection refused");
  r = prober->Get(Endpoint{"no-such-host.invalid", 443, true, ""}, "/readyz");
  EXPECT_EQ(r.error.rfind("cannot resolve no-such-host.invalid: ", 0), 0u) << r.error;
  // TLS spoken to a plain-HTTP listener.
  auto plain = Serve(false, 200, "ok\n");
  r = prober->Get(Endpoint{"127.0.0.1", plain->Port(), true, "localhost"}, "/readyz");
  EXPECT_EQ(r.error.rfind("TLS handshake with 127.0.0.1:" + std::to_string(plain->Port()) + " failed: ", 0), 0u) << r.error;
  plain->Stop();
}

TEST(Prober, DescribesCertificates) {
  EXPECT_EQ(DescribeCertificate("junk"), "unreadable certificate");
  EXPECT_EQ(DescribeCertificate(Pki().server.cert_pem).rfind("CN=", 0), 0u);
  EXPECT_NE(DescribeCertificate(Pki().server.cert_pem).find(", expires 20"), std::string::npos);
}

}  // namespace
}  // namespace riposte::verify
