#pragma once

#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "audit/analyze.h"
#include "audit/snapshot.h"
#include "tests/audit/fake_checker.h"

namespace riposte::audit::testing {

inline std::string DataPath(const std::string& name) { return std::string(RIPOSTE_TEST_DATA_DIR) + "/audit/" + name; }

inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

inline ClusterSnapshot LoadCluster(const std::string& scenario) {
  ClusterSnapshot snap;
  std::string error;
  EXPECT_TRUE(LoadSnapshotFile(DataPath("cluster_" + scenario + ".json"), &snap, &error)) << error;
  snap.source = "cluster_" + scenario;  // independent of the checkout path
  return snap;
}

inline Report AnalyzeWithFake(const ClusterSnapshot& snap) {
  return Analyze(snap, {.checker = std::make_shared<FakeChecker>(), .generated_at = ""});
}

// The RBAC-limited identity of the integration tests: cannot list these resources (messages
// as the API server words them, so offline and live runs share one golden file).
inline void DenyLikeLimitedIdentity(ClusterSnapshot* snap) {
  const std::pair<const char*, const char*> denied[] = {
      {res::kConfigMaps, ""},
      {res::kNetworkPolicies, "networking.k8s.io"},
      {res::kValidatingWebhookConfigurations, "admissionregistration.k8s.io"}};
  for (const auto& [r, group] : denied) {
    snap->objects.erase(r);
    std::string gr = std::string(r) + (*group ? std::string(".") + group : std::string());
    snap->errors[r] = {"Forbidden", 403,
                       gr + " is forbidden: User \"auditor\" cannot list resource \"" + r + "\" in API group \"" +
                           group + "\" at the cluster scope"};
  }
}

// Compares with tests/data/audit/golden/<name>; RIPOSTE_UPDATE_GOLDEN=1 rewrites the file.
inline void ExpectGolden(const std::string& name, const std::string& actual) {
  const std::string path = DataPath("golden/" + name);
  if (const char* update = std::getenv("RIPOSTE_UPDATE_GOLDEN"); update != nullptr && std::string(update) == "1") {
    std::ofstream(path, std::ios::binary) << actual;
  }
  std::string expected = ReadFile(path);
  ASSERT_FALSE(expected.empty()) << "missing golden file " << path << " (run with RIPOSTE_UPDATE_GOLDEN=1)";
  EXPECT_EQ(expected, actual) << "golden " << path << " differs; review and rerun with RIPOSTE_UPDATE_GOLDEN=1";
}

}  // namespace riposte::audit::testing
