#include "audit/metrics.h"

#include <gtest/gtest.h>

#include "tests/audit/audit_test_util.h"

namespace riposte::audit {
namespace {

TEST(Metrics, AtRiskWorkloadsByCve) {
  Report r = testing::AnalyzeWithFake(testing::LoadCluster("mirror"));
  auto by_cve = AtRiskWorkloadsByCve(r);
  EXPECT_EQ(by_cve.at("CVE-2026-24512"), 1u);  // the DaemonSet; the digest-only pod is unknown
  EXPECT_EQ(by_cve.at("CVE-2025-1974"), 0u);    // listed even when zero
  std::string text = RenderPrometheus(r);
  EXPECT_NE(text.find("# TYPE riposte_audit_at_risk_workloads gauge\n"), std::string::npos);
  EXPECT_NE(text.find("riposte_audit_at_risk_workloads{cve=\"CVE-2026-24512\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("riposte_audit_riposte_webhook_enforcing 0\n"), std::string::npos);
}

TEST(Metrics, ExportIntoSharedRegistryOverwritesEachPass) {
  metrics::Registry registry;
  ExportMetrics(testing::AnalyzeWithFake(testing::LoadCluster("vulnerable")), registry);
  std::string first = registry.Render();
  EXPECT_NE(first.find("riposte_audit_at_risk_workloads{cve=\"CVE-2025-1974\"} 1"), std::string::npos) << first;
  EXPECT_NE(first.find("riposte_audit_complete 1"), std::string::npos) << first;
  ExportMetrics(testing::AnalyzeWithFake(testing::LoadCluster("fixed")), registry);
  std::string second = registry.Render();
  EXPECT_NE(second.find("riposte_audit_at_risk_workloads{cve=\"CVE-2025-1974\"} 0"), std::string::npos) << second;
  EXPECT_NE(second.find("riposte_audit_riposte_webhook_enforcing 1"), std::string::npos) << second;
}

}  // namespace
}  // namespace riposte::audit
