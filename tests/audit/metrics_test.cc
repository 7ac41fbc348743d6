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

TEST(Metrics, CveMitigationAndEndOfLife) {
  Report r = testing::AnalyzeWithFake(testing::LoadCluster("fixed"));
  auto by_state = ExposedWorkloadsByMitigation(r);
  EXPECT_EQ(by_state.at({"CVE-2026-24512", "mitigated"}), 1u);
  EXPECT_EQ(by_state.at({"CVE-2026-24512", "unmitigated"}), 0u);  // every state is present
  EXPECT_EQ(by_state.at({"CVE-2025-15566", "unmitigated"}), 1u);
  EXPECT_EQ(by_state.at({"CVE-2025-1974", "partly-mitigated"}), 0u);  // every CVE too
  std::string text = RenderPrometheus(r);
  EXPECT_NE(text.find("# TYPE riposte_audit_cve_mitigation_workloads gauge\n"), std::string::npos);
  EXPECT_NE(text.find("riposte_audit_cve_mitigation_workloads{cve=\"CVE-2026-24514\",state=\"partly-mitigated\"} 1\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("riposte_audit_end_of_life_workloads 1\n"), std::string::npos);

  // Each pass overwrites every series: a CVE that became mitigated drops to 0 as unmitigated.
  metrics::Registry registry;
  ExportMetrics(testing::AnalyzeWithFake(testing::LoadCluster("vulnerable")), registry);
  EXPECT_NE(registry.Render().find("riposte_audit_cve_mitigation_workloads{cve=\"CVE-2026-24512\",state=\"unmitigated\"} 1"),
            std::string::npos);
  ExportMetrics(r, registry);
  std::string second = registry.Render();
  EXPECT_NE(second.find("riposte_audit_cve_mitigation_workloads{cve=\"CVE-2026-24512\",state=\"unmitigated\"} 0"),
            std::string::npos)
      << second;
  EXPECT_NE(second.find("riposte_audit_cve_mitigation_workloads{cve=\"CVE-2026-24512\",state=\"mitigated\"} 1"),
            std::string::npos);
}

}  // namespace
}  // namespace riposte::audit
