// scripts/image-rootfs.sh, which completes the image's root filesystem in the Dockerfile's build
// stage, run here on the built binary without a container engine: the root it makes must run
// `riposte` on its own (chroot, as the build stage's self-test does), trust the CA bundle by
// default, and carry the Debian package record of every copied library.
#include <gtest/gtest.h>
#include <openssl/x509.h>
#include <stdlib.h>
#include <unistd.h>

#include <map>
#include <regex>
#include <set>

#include "tests/deploy/deploy_util.h"

namespace riposte::deploy_test {
namespace {

class ImageRootfs : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "riposte-rootfs-XXXXXX").string();
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    root_ = dir_ / "rootfs";
    // The binary as `cmake --install` would place it (a hard link: no copy of a debug build).
    fs::create_directories(root_ / "usr/local/bin");
    const fs::path binary = root_ / "usr/local/bin/riposte";
    std::error_code ec;
    fs::create_hard_link(RIPOSTE_BINARY, binary, ec);
    if (ec) fs::copy_file(RIPOSTE_BINARY, binary);
    ASSERT_TRUE(fs::exists(binary));
  }
  void TearDown() override { fs::remove_all(dir_); }

  ProcessResult Assemble() {
    return RunProcess({"/bin/bash", Repo("scripts/image-rootfs.sh").string(), root_.string()});
  }
  // Runs the image's binary inside the root, with no CA variables from this environment.
  ProcessResult InRoot(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {"/usr/bin/env", "-i", "/usr/sbin/chroot", root_.string(),
                                     "/usr/local/bin/riposte"};
    argv.insert(argv.end(), args.begin(), args.end());
    return RunProcess(argv, /*merge_stderr=*/true);
  }
  static bool CanChroot() {
#if defined(RIPOSTE_SANITIZED)
    return false;  // sanitizer runtimes need /proc, which the bare root does not have
#else
    return geteuid() == 0 && fs::exists("/usr/sbin/chroot");
#endif
  }

  fs::path dir_;
  fs::path root_;
};

std::string DpkgVersion(const std::string& package) {
  const auto r = RunProcess({"/usr/bin/dpkg-query", "-W", "-f=${Version}", package});
  return r.exit_code == 0 ? r.out : "";
}

int CountCertificates(const std::string& pem) {
  int n = 0;
  for (size_t pos = 0; (pos = pem.find("-----BEGIN CERTIFICATE-----", pos)) != std::string::npos; ++pos) ++n;
  return n;
}

// Every file ldd resolves is copied, and each one's package is printed and recorded.
TEST_F(ImageRootfs, CopiesTheLibrariesAndRecordsTheirPackages) {
  const auto result = Assemble();
  ASSERT_EQ(result.exit_code, 0) << result.out;

  const auto ldd = RunProcess({"/usr/bin/ldd", (root_ / "usr/local/bin/riposte").string()});
  ASSERT_EQ(ldd.exit_code, 0);
  static const std::regex kResolved(R"((?:=> )?(/\S+) \(0x)");
  std::set<std::string> resolved;
  for (std::sregex_iterator it(ldd.out.begin(), ldd.out.end(), kResolved), end; it != end; ++it) {
    resolved.insert((*it)[1].str());
  }
  ASSERT_FALSE(resolved.empty()) << ldd.out;
  for (const auto& lib : resolved) {
    EXPECT_TRUE(fs::is_regular_file(root_ / lib.substr(1))) << lib << " was not copied as a file";
    EXPECT_NE(result.out.find(" " + lib + "\n"), std::string::npos) << lib << " has no package line:\n"
                                                                    << result.out;
  }

  // The libraries a CVE would most likely name, with the versions this system has installed.
  const std::map<std::string, std::string> expected = {
      {"libssl3", "openssl"}, {"libcpprest2.10", "cpprest"}, {"libc6", "glibc"}, {"ca-certificates", "ca-certificates"}};
  for (const auto& [package, source] : expected) {
    const std::string version = DpkgVersion(package);
    ASSERT_FALSE(version.empty()) << package << " is not installed here";
    static const std::regex kSpaces(" +");
    const std::string printed = std::regex_replace(result.out, kSpaces, " ");
    EXPECT_NE(printed.find(" " + package + " " + version + " " + source + " /"), std::string::npos)
        << "no line for " << package << " " << version << " (source " << source << "):\n"
        << result.out;
    const fs::path record = root_ / "var/lib/dpkg/status.d" / package;
    ASSERT_TRUE(fs::exists(record)) << record;
    const std::string text = ReadFile(record);
    EXPECT_EQ(text.rfind("Package: " + package + "\n", 0), 0u) << text.substr(0, 200);
    EXPECT_NE(text.find("\nVersion: " + version + "\n"), std::string::npos) << text.substr(0, 400);
  }
  EXPECT_NE(ReadFile(root_ / "etc/os-release").find("ID=debian"), std::string::npos)
      << "scanners identify the distribution from /etc/os-release";
}

// The CA file libcrypto loads by default resolves, inside the root, to the copied bundle.
TEST_F(ImageRootfs, CaBundleIsWhereLibcryptoLooks) {
  ASSERT_EQ(Assemble().exit_code, 0);
  const std::string default_file = X509_get_default_cert_file();  // $OPENSSLDIR/cert.pem
  const fs::path link = root_ / default_file.substr(1);
  ASSERT_TRUE(fs::is_symlink(link)) << default_file << " is not in the root";
  EXPECT_EQ(fs::read_symlink(link), "/etc/ssl/certs/ca-certificates.crt");
  EXPECT_TRUE(fs::is_regular_file(root_ / "etc/ssl/certs/ca-certificates.crt"));
  const fs::path dir_link = root_ / std::string(X509_get_default_cert_dir()).substr(1);
  ASSERT_TRUE(fs::is_symlink(dir_link));
  EXPECT_EQ(fs::read_symlink(dir_link), "/etc/ssl/certs");
  EXPECT_EQ(ReadFile(root_ / "etc/passwd"), "nonroot:x:65532:65532:nonroot:/nonexistent:/sbin/nologin\n");
  EXPECT_EQ(fs::status(root_ / "tmp").permissions() & fs::perms::all, fs::perms::all);
}

// The build stage's self-test: the binary runs with the root's libraries only and finds the
// bundle without SSL_CERT_FILE; the engine works (an attack is found).
TEST_F(ImageRootfs, BinaryRunsInsideTheRoot) {
  if (!CanChroot()) GTEST_SKIP() << "needs root and an uninstrumented build for chroot";
  ASSERT_EQ(Assemble().exit_code, 0);
  const auto version = InRoot({"version"});
  ASSERT_EQ(version.exit_code, 0) << version.out;
  const int bundled = CountCertificates(ReadFile(root_ / "etc/ssl/certs/ca-certificates.crt"));
  ASSERT_GT(bundled, 0);
  EXPECT_NE(version.out.find(std::string("  ca file:  ") + X509_get_default_cert_file() + ": " +
                             std::to_string(bundled) + " certificates\n"),
            std::string::npos)
      << version.out;

  fs::copy_file(Repo("examples/attacks.yaml"), root_ / "tmp/attacks.yaml");
  const auto scan = InRoot({"scan", "/tmp/attacks.yaml"});
  EXPECT_EQ(scan.exit_code, 1) << scan.out;
  EXPECT_NE(scan.out.find("RIP-ANN-"), std::string::npos) << scan.out;
}

// What the self-test exists for: a library missing from the root fails the run, instead of
// being found in the build stage's own /usr/lib.
TEST_F(ImageRootfs, MissingLibraryFailsInsideTheRoot) {
  if (!CanChroot()) GTEST_SKIP() << "needs root and an uninstrumented build for chroot";
  ASSERT_EQ(Assemble().exit_code, 0);
  bool removed = false;
  for (const auto& entry : fs::recursive_directory_iterator(root_)) {
    if (entry.path().filename() == "libcpprest.so.2.10") {
      fs::remove(entry.path());
      removed = true;
      break;
    }
  }
  ASSERT_TRUE(removed) << "libcpprest.so.2.10 was not copied";
  const auto version = InRoot({"version"});
  EXPECT_NE(version.exit_code, 0) << version.out;
  EXPECT_NE(version.out.find("libcpprest.so.2.10"), std::string::npos) << version.out;
}

// And a root without the bundle reports no trusted certificates, which the build rejects.
TEST_F(ImageRootfs, MissingBundleIsReportedInsideTheRoot) {
  if (!CanChroot()) GTEST_SKIP() << "needs root and an uninstrumented build for chroot";
  ASSERT_EQ(Assemble().exit_code, 0);
  fs::remove(root_ / "etc/ssl/certs/ca-certificates.crt");
  const auto version = InRoot({"version"});
  ASSERT_EQ(version.exit_code, 0) << version.out;
  EXPECT_NE(version.out.find(": 0 certificates (servers are verified only against a CA given explicitly)"),
            std::string::npos)
      << version.out;
}

TEST_F(ImageRootfs, RefusesARootWithoutTheBinary) {
  fs::remove(root_ / "usr/local/bin/riposte");
  const auto result = RunProcess({"/bin/bash", Repo("scripts/image-rootfs.sh").string(), root_.string()},
                                 /*merge_stderr=*/true);
  EXPECT_NE(result.exit_code, 0);
  EXPECT_NE(result.out.find("is not an executable (run cmake --install first)"), std::string::npos) << result.out;
}

}  // namespace
}  // namespace riposte::deploy_test
