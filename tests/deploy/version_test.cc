// `riposte version`: the revision the build was configured with (the image labels and the image
// smoke test rely on it), and the CA store HTTPS clients without a configured CA load, which
// the image build checks to catch a bundle that is shipped but never read.
#include <gtest/gtest.h>
#include <openssl/x509.h>

#include <unistd.h>

#include <fstream>
#include <regex>

#include "tests/deploy/deploy_util.h"

namespace riposte::deploy_test {
namespace {

// `riposte version` with SSL_CERT_FILE / SSL_CERT_DIR removed from the environment, then the
// given NAME=VALUE pairs added.
ProcessResult Version(const std::vector<std::string>& env = {}) {
  std::vector<std::string> argv = {"/usr/bin/env", "-u", "SSL_CERT_FILE", "-u", "SSL_CERT_DIR"};
  argv.insert(argv.end(), env.begin(), env.end());
  argv.push_back(RIPOSTE_BINARY);
  argv.push_back("version");
  return RunProcess(argv, /*merge_stderr=*/true);
}

std::string Line(const std::string& out, const std::string& prefix) {
  size_t pos = 0;
  while (pos < out.size()) {
    size_t nl = out.find('\n', pos);
    if (nl == std::string::npos) nl = out.size();
    const std::string line = out.substr(pos, nl - pos);
    if (line.rfind(prefix, 0) == 0) return line;
    pos = nl + 1;
  }
  return "";
}

int CountCertificates(const std::string& pem) {
  int n = 0;
  for (size_t pos = 0; (pos = pem.find("-----BEGIN CERTIFICATE-----", pos)) != std::string::npos; ++pos) ++n;
  return n;
}

// The first `n` certificates of the system bundle, each PEM block intact.
std::string FirstCertificates(int n) {
  const std::string bundle = ReadFile("/etc/ssl/certs/ca-certificates.crt");
  const std::string end = "-----END CERTIFICATE-----\n";
  size_t pos = 0;
  for (int i = 0; i < n; ++i) {
    pos = bundle.find(end, pos);
    if (pos == std::string::npos) return "";
    pos += end.size();
  }
  return bundle.substr(0, pos);
}

fs::path TempFile(const std::string& name, const std::string& content) {
  const fs::path path = fs::temp_directory_path() / (name + "-" + std::to_string(getpid()));
  std::ofstream(path) << content;
  return path;
}

TEST(Version, PrintsTheConfiguredRevision) {
  const auto result = Version();
  ASSERT_EQ(result.exit_code, 0) << result.out;
  EXPECT_EQ(Line(result.out, "riposte "), std::string("riposte ") + RIPOSTE_PROJECT_VERSION);
  EXPECT_EQ(Line(result.out, "  git:"), std::string("  git:      ") + RIPOSTE_CONFIGURED_REVISION);
}

// Without SSL_CERT_FILE: the file libcrypto's OPENSSLDIR names, with as many certificates as
// that file holds (0 when it is missing, and then the line says so).
TEST(Version, ReportsTheDefaultCaFile) {
  const auto result = Version();
  ASSERT_EQ(result.exit_code, 0) << result.out;
  const std::string file = X509_get_default_cert_file();
  std::string content;
  if (fs::exists(file)) content = ReadFile(file);
  const int expected = CountCertificates(content);
  const std::string line = Line(result.out, "  ca file:");
  EXPECT_EQ(line.rfind("  ca file:  " + file + ": " + std::to_string(expected) + " certificate", 0), 0u)
      << line;
  EXPECT_EQ(line.find("SSL_CERT_FILE"), std::string::npos) << line;
  EXPECT_EQ(Line(result.out, "  ca dir:"), std::string("  ca dir:   ") + X509_get_default_cert_dir());
  EXPECT_NE(Line(result.out, "  openssl:").find("OPENSSLDIR"), std::string::npos) << result.out;
}

TEST(Version, CountsTheCertificatesOfSslCertFile) {
  const std::string three = FirstCertificates(3);
  if (three.empty()) GTEST_SKIP() << "no system CA bundle to take certificates from";
  const fs::path path = TempFile("riposte-ca-three", three);
  const auto result = Version({"SSL_CERT_FILE=" + path.string(), "SSL_CERT_DIR=/nonexistent-dir"});
  fs::remove(path);
  ASSERT_EQ(result.exit_code, 0) << result.out;
  EXPECT_EQ(Line(result.out, "  ca file:"),
            "  ca file:  " + path.string() + " (from SSL_CERT_FILE): 3 certificates");
  EXPECT_EQ(Line(result.out, "  ca dir:"), "  ca dir:   /nonexistent-dir (from SSL_CERT_DIR)");
}

TEST(Version, OneCertificateIsSingular) {
  const std::string one = FirstCertificates(1);
  if (one.empty()) GTEST_SKIP() << "no system CA bundle to take certificates from";
  const fs::path path = TempFile("riposte-ca-one", one);
  const auto result = Version({"SSL_CERT_FILE=" + path.string()});
  fs::remove(path);
  EXPECT_EQ(Line(result.out, "  ca file:"), "  ca file:  " + path.string() + " (from SSL_CERT_FILE): 1 certificate");
}

// The failure the image once had: the file is not there, so nothing is trusted by default.
TEST(Version, MissingCaFileIsReportedAsEmpty) {
  const auto result = Version({"SSL_CERT_FILE=/nonexistent/ca.pem"});
  ASSERT_EQ(result.exit_code, 0) << result.out;
  EXPECT_EQ(Line(result.out, "  ca file:"),
            "  ca file:  /nonexistent/ca.pem (from SSL_CERT_FILE): 0 certificates "
            "(servers are verified only against a CA given explicitly)");
}

TEST(Version, FileWithoutCertificatesIsReportedAsEmpty) {
  const fs::path path = TempFile("riposte-ca-garbage", "not a certificate\n-----BEGIN CERTIFICATE-----\nAAAA\n");
  const auto result = Version({"SSL_CERT_FILE=" + path.string()});
  fs::remove(path);
  ASSERT_EQ(result.exit_code, 0) << result.out;
  EXPECT_NE(Line(result.out, "  ca file:").find(": 0 certificates"), std::string::npos) << result.out;
}

}  // namespace
}  // namespace riposte::deploy_test
