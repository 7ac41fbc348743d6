// riposte_e2e_tests: the end-to-end suite against a real kube-apiserver and etcd. Run it with
// scripts/e2e.sh (which finds or unpacks the binaries); it shares one cluster between all tests.

#include <gtest/gtest.h>

#include <cstdio>

#include "tests/e2e/suite.h"

namespace {

class SuiteEnvironment : public ::testing::Environment {
 public:
  void SetUp() override {
    try {
      riposte::e2e::Suite::Get().SetUp();
    } catch (const std::exception& e) {
      GTEST_FAIL() << "end-to-end suite setup failed: " << e.what();
    }
  }
  void TearDown() override { riposte::e2e::Suite::Get().TearDown(); }
};

}  // namespace

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  auto missing = riposte::e2e::EnvtestBinaries::Find().MissingControlPlane();
  if (!missing.empty()) {
    std::fprintf(stderr,
                 "\n################################################################\n"
                 "#  END-TO-END TESTS SKIPPED: %s not found.\n"
                 "#  Set KUBEBUILDER_ASSETS to a directory holding kube-apiserver and etcd\n"
                 "#  (or RIPOSTE_KUBE_APISERVER / RIPOSTE_ETCD); scripts/e2e.sh does it.\n"
                 "################################################################\n\n",
                 missing.c_str());
    return 0;
  }
  ::testing::AddGlobalTestEnvironment(new SuiteEnvironment);
  return RUN_ALL_TESTS();
}
