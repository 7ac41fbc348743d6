#include "kube/config.h"

#include <gtest/gtest.h>

#include <map>

#include "tests/support/certs.h"
#include "tests/support/files.h"

namespace riposte::kube {
namespace {
using riposte::testing::Base64;
using riposte::testing::Pki;
using riposte::testing::WriteTempFile;

std::string Kubeconfig(const std::string& cluster_extra, const std::string& user_body,
                       const std::string& current = "dev") {
  return "apiVersion: v1\nkind: Config\ncurrent-context: " + current +
         "\nclusters:\n- name: c1\n  cluster:\n    server: https://127.0.0.1:6443\n" + cluster_extra +
         "contexts:\n- name: dev\n  context:\n    cluster: c1\n    user: u1\n    namespace: shop\n"
         "- name: other\n  context:\n    cluster: c1\n    user: u1\n"
         "users:\n- name: u1\n  user:\n" +
         user_body;
}

Result<ClientConfig, ConfigError> Parse(const std::string& text, KubeconfigOptions opts = {}) {
  return ParseKubeconfig(text, "/x/config", opts);
}

TEST(KubeconfigTest, InlineDataAndToken) {
  const auto& pki = Pki();
  auto cfg = Parse(Kubeconfig("    certificate-authority-data: " + Base64(pki.ca.cert_pem) + "\n",
                              "    client-certificate-data: " + Base64(pki.client.cert_pem) +
                                  "\n    client-key-data: " + Base64(pki.client.key_pem) + "\n    token: abc\n"));
  ASSERT_TRUE(cfg.ok()) << cfg.error().message;
  EXPECT_EQ(cfg->server, "https://127.0.0.1:6443");
  EXPECT_EQ(cfg->ca_pem, pki.ca.cert_pem);
  EXPECT_EQ(cfg->client_cert_pem, pki.client.cert_pem);
  EXPECT_EQ(cfg->client_key_pem, pki.client.key_pem);
  EXPECT_EQ(cfg->token, "abc");
  EXPECT_EQ(cfg->default_namespace, "shop");
  EXPECT_NE(cfg->source.find("context dev"), std::string::npos);
}

TEST(KubeconfigTest, FilesRelativeToTheKubeconfigAndExplicitContext) {
  const auto& pki = Pki();
  WriteTempFile("kc1/ca.crt", pki.ca.cert_pem);
  WriteTempFile("kc1/token", "file-token\n");
  const std::string path = WriteTempFile(
      "kc1/config", Kubeconfig("    certificate-authority: ca.crt\n", "    tokenFile: token\n"));
  KubeconfigOptions opts;
  opts.path = path;
  opts.context = "other";
  auto cfg = LoadKubeconfig(opts);
  ASSERT_TRUE(cfg.ok()) << cfg.error().message;
  EXPECT_EQ(cfg->ca_pem, pki.ca.cert_pem);
  EXPECT_NE(cfg->token_file.find("kc1/token"), std::string::npos);
  EXPECT_EQ(cfg->default_namespace, "default");
}

struct BadCase {
  const char* name;
  std::string text;
  std::string expect;  // substring of the error
  KubeconfigOptions opts;
};

TEST(KubeconfigTest, MalformedConfigsNameFileAndField) {
  const auto& pki = Pki();
  std::vector<BadCase> cases = {
      {"yaml", "clusters: [", "kubeconfig /x/config:", {}},
      {"not a map", "- a\n- b\n", "top level must be a mapping", {}},
      {"no current context", "clusters: []\n", "current-context: not set", {}},
      {"missing context", Kubeconfig("", "    token: t\n", "nope"), "no context named \"nope\"", {}},
      {"bad base64", Kubeconfig("", "    client-key-data: '%%%'\n"), "users[0].user.client-key-data: invalid base64", {}},
      {"not pem", Kubeconfig("    certificate-authority-data: " + Base64("hello") + "\n", ""),
       "clusters[0].cluster.certificate-authority-data: not PEM", {}},
      {"missing file", Kubeconfig("    certificate-authority: /nonexistent/ca.crt\n", ""),
       "clusters[0].cluster.certificate-authority: cannot read /nonexistent/ca.crt", {}},
      {"exec plugin", Kubeconfig("", "    exec:\n      command: aws\n"), "users[0].user.exec: credential plugins are not supported", {}},
      {"auth provider", Kubeconfig("", "    auth-provider:\n      name: gcp\n"), "users[0].user.auth-provider", {}},
      {"insecure", Kubeconfig("    insecure-skip-tls-verify: true\n", ""), "insecure-skip-tls-verify: refused", {}},
      {"http server",
       "current-context: a\nclusters:\n- name: c\n  cluster:\n    server: http://10.0.0.1\ncontexts:\n- name: a\n  context: {cluster: c}\n",
       "clusters[0].cluster.server: must be an https:// URL", {}},
      {"cert without key", Kubeconfig("", "    client-certificate-data: " + Base64(pki.client.cert_pem) + "\n"),
       "must be given together", {}},
      {"key mismatch",
       Kubeconfig("", "    client-certificate-data: " + Base64(pki.client.cert_pem) + "\n    client-key-data: " +
                          Base64(pki.other.key_pem) + "\n"),
       "does not match", {}},
      {"data and file", Kubeconfig("    certificate-authority: /a\n    certificate-authority-data: " + Base64(pki.ca.cert_pem) + "\n", ""),
       "set together with certificate-authority", {}},
      {"wrong type", Kubeconfig("    server2: x\n", "    token: [a, b]\n"), "users[0].user.token: must be a string", {}},
      {"basic auth", Kubeconfig("", "    username: admin\n"), "users[0].user.username: not supported", {}},
  };
  for (auto& c : cases) {
    auto r = Parse(c.text, c.opts);
    ASSERT_FALSE(r.ok()) << c.name;
    EXPECT_NE(r.error().message.find(c.expect), std::string::npos) << c.name << ": " << r.error().message;
    EXPECT_EQ(r.error().message.rfind("kubeconfig /x/config", 0), 0u) << c.name << ": " << r.error().message;
  }
}

TEST(KubeconfigTest, ErrorsCarryLineAndColumn) {
  auto r = Parse(Kubeconfig("", "    client-key-data: '%%%'\n"));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("/x/config:21:"), std::string::npos) << r.error().message;
}

TEST(KubeconfigTest, InsecureAcceptedOnlyWithExplicitAllow) {
  KubeconfigOptions opts;
  opts.allow_insecure_skip_tls_verify = true;
  auto r = Parse(Kubeconfig("    insecure-skip-tls-verify: true\n", "    token: t\n"), opts);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_TRUE(r->insecure_skip_tls_verify);
}

TEST(KubeconfigTest, MissingFileIsNamed) {
  KubeconfigOptions opts;
  opts.path = "/nonexistent/kubeconfig";
  auto r = LoadKubeconfig(opts);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("/nonexistent/kubeconfig"), std::string::npos);
}

class InClusterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = WriteTempFile("sa/token", "sa-token\n");
    dir_ = dir_.substr(0, dir_.rfind('/'));
    WriteTempFile("sa/ca.crt", Pki().ca.cert_pem);
    WriteTempFile("sa/namespace", "riposte-system");
  }
  InClusterOptions Opts(std::map<std::string, std::string> env) {
    InClusterOptions o;
    o.secrets_dir = dir_;
    o.getenv = [env](const std::string& k) {
      auto it = env.find(k);
      return it == env.end() ? std::string() : it->second;
    };
    return o;
  }
  std::string dir_;
};

TEST_F(InClusterTest, ReadsMountAndEnvironment) {
  auto r = LoadInCluster(Opts({{"KUBERNETES_SERVICE_HOST", "10.96.0.1"}, {"KUBERNETES_SERVICE_PORT", "443"}}));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->server, "https://10.96.0.1:443");
  EXPECT_EQ(r->default_namespace, "riposte-system");
  EXPECT_EQ(r->token_file, dir_ + "/token");
  EXPECT_EQ(r->ca_pem, Pki().ca.cert_pem);
}

TEST_F(InClusterTest, Ipv6HostIsBracketed) {
  auto r = LoadInCluster(Opts({{"KUBERNETES_SERVICE_HOST", "fd00::1"}, {"KUBERNETES_SERVICE_PORT", "443"}}));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->server, "https://[fd00::1]:443");
}

TEST_F(InClusterTest, Failures) {
  EXPECT_FALSE(LoadInCluster(Opts({})).ok());
  auto bad_port = LoadInCluster(Opts({{"KUBERNETES_SERVICE_HOST", "h"}, {"KUBERNETES_SERVICE_PORT", "http"}}));
  ASSERT_FALSE(bad_port.ok());
  EXPECT_NE(bad_port.error().message.find("KUBERNETES_SERVICE_PORT"), std::string::npos);
  InClusterOptions o = Opts({{"KUBERNETES_SERVICE_HOST", "h"}, {"KUBERNETES_SERVICE_PORT", "443"}});
  o.secrets_dir = "/nonexistent";
  auto missing = LoadInCluster(o);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("/nonexistent/token"), std::string::npos);
}

TEST(NewKubeClientTest, RejectsUnusableConfigs) {
  ClientConfig c;
  c.server = "http://127.0.0.1:1";
  EXPECT_FALSE(NewKubeClient(c).ok());
  c.server = "https://127.0.0.1:1";
  c.ca_pem = "garbage";
  EXPECT_FALSE(NewKubeClient(c).ok());
  c.ca_pem = Pki().ca.cert_pem;
  c.client_cert_pem = Pki().client.cert_pem;
  EXPECT_FALSE(NewKubeClient(c).ok());
  c.client_key_pem = Pki().client.key_pem;
  EXPECT_TRUE(NewKubeClient(c).ok());
}

}  // namespace
}  // namespace riposte::kube
