#include "audit/eol.h"

#include <gtest/gtest.h>

#include "audit/cve_table.h"
#include "audit/render.h"
#include "tests/audit/audit_test_util.h"

namespace riposte::audit {
namespace {

using testing::AnalyzeWithFake;
using testing::LoadCluster;

const AuditFinding* FindById(const Report& r, const std::string& id) {
  for (const auto& f : r.findings) {
    if (f.id == id) return &f;
  }
  return nullptr;
}

void SetImage(ClusterSnapshot* snap, const std::string& image) {
  snap->objects[res::kDeployments][0]["spec"]["template"]["spec"]["containers"][0]["image"] =
      web::json::value::string(image);
}

TEST(EndOfLifeFor, LinesThatGotTheFinalReleaseStepToItsLastRelease) {
  EndOfLife e = EndOfLifeFor(Version{1, 13, 0});
  EXPECT_EQ(e.release_line, "1.13");
  EXPECT_EQ(e.line_last_release, "v1.13.9");
  EXPECT_TRUE(e.line_got_final_release);
  EXPECT_FALSE(e.on_last_release);
  EXPECT_EQ(e.upgrade_target, "v1.13.9");
  EXPECT_EQ(EndOfLifeFor(Version{1, 14, 4}).upgrade_target, "v1.14.5");
  EXPECT_EQ(EndOfLifeFor(Version{1, 15, 0}).upgrade_target, "v1.15.1");
}

TEST(EndOfLifeFor, LastReleasesHaveNothingLeftToUpgradeTo) {
  for (Version v : {Version{1, 15, 1}, Version{1, 14, 5}, Version{1, 13, 9}}) {
    EndOfLife e = EndOfLifeFor(v);
    EXPECT_TRUE(e.on_last_release) << v.ToString();
    EXPECT_TRUE(e.upgrade_target.empty()) << v.ToString();
    EXPECT_FALSE(e.newer_than_community) << v.ToString();
  }
}

TEST(EndOfLifeFor, LinesThatEndedEarlierStepToTheNewestLine) {
  EndOfLife e = EndOfLifeFor(Version{1, 11, 4});
  EXPECT_EQ(e.line_last_release, "v1.11.8");
  EXPECT_FALSE(e.line_got_final_release);
  EXPECT_EQ(e.upgrade_target, "v1.15.1");
  // Even the last release of an ended line misses the 2026 fixes.
  EXPECT_EQ(EndOfLifeFor(Version{1, 12, 8}).upgrade_target, "v1.15.1");
  EXPECT_FALSE(EndOfLifeFor(Version{1, 12, 8}).on_last_release);
  // A line older than the table: no last release known, same target.
  EndOfLife old = EndOfLifeFor(Version{1, 9, 6});
  EXPECT_EQ(old.release_line, "1.9");
  EXPECT_TRUE(old.line_last_release.empty());
  EXPECT_EQ(old.upgrade_target, "v1.15.1");
}

TEST(EndOfLifeFor, UnknownVersionAndForks) {
  EndOfLife unknown = EndOfLifeFor(std::nullopt);
  EXPECT_TRUE(unknown.release_line.empty());
  EXPECT_EQ(unknown.upgrade_target, "v1.15.1");
  EndOfLife fork = EndOfLifeFor(Version{1, 15, 6});  // e.g. a distributor's patched build
  EXPECT_TRUE(fork.newer_than_community);
  EXPECT_TRUE(fork.upgrade_target.empty());
}

// recommendedVersion and the step advice rely on this: the last release of every line that
// got the final fixes fixes every CVE of the table.
TEST(EndOfLife, EveryFinalLastReleaseFixesEveryCveOfTheTable) {
  for (const auto& line : ReleaseLines()) {
    if (!line.final_fixes) continue;
    for (const auto& cve : CveTable()) EXPECT_FALSE(IsBelowFix(line.last, cve.fixed_in)) << line.last.ToString() << " " << cve.id;
  }
  // And the lines that ended earlier do not (else they would need no step).
  for (const auto& line : ReleaseLines()) {
    if (line.final_fixes) continue;
    bool exposed = false;
    for (const auto& cve : CveTable()) exposed = exposed || IsBelowFix(line.last, cve.fixed_in);
    EXPECT_TRUE(exposed) << line.last.ToString();
  }
}

TEST(EndOfLifeFinding, EveryControllerGetsOneHighWithoutRiposte) {
  Report r = AnalyzeWithFake(LoadCluster("vulnerable"));
  ASSERT_EQ(r.controllers.size(), 1u);
  const AuditFinding* f = FindById(r, "Deployment/ingress-nginx/ingress-nginx-controller/controller/end-of-life");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->category, Category::kEndOfLife);
  EXPECT_EQ(f->rule_id, "AUD-EOL");
  EXPECT_EQ(f->severity, core::Severity::kHigh);
  EXPECT_NE(f->detail.find("no further releases, bug fixes or security fixes"), std::string::npos);
  EXPECT_NE(f->detail.find("v1.15.1, v1.14.5, v1.13.9"), std::string::npos);
  EXPECT_NE(f->detail.find("the 1.11 line ended earlier, at v1.11.8"), std::string::npos);
  EXPECT_NE(f->detail.find(std::string(eol::kAnnouncementUrl)), std::string::npos);
  EXPECT_NE(f->detail.find("Riposte's webhook is not installed"), std::string::npos);
  EXPECT_NE(f->remediation.find(std::string(eol::kMigrationGuideUrl)), std::string::npos);
  EXPECT_NE(f->remediation.find("riposte audit --migration"), std::string::npos);
  EXPECT_NE(f->remediation.find("upgrade to v1.15.1, the last release there will be"), std::string::npos);
  EXPECT_EQ(r.controllers[0].recommended_version, "v1.15.1");
}

TEST(EndOfLifeFinding, MediumWhenRiposteCoversTheController) {
  Report r = AnalyzeWithFake(LoadCluster("fixed"));
  ASSERT_EQ(r.controllers.size(), 1u);
  EXPECT_EQ(r.controllers[0].virtual_patch, MitigationState::kMitigated);
  const AuditFinding* f = FindById(r, "Deployment/edge/edge-ingress/controller/end-of-life");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->severity, core::Severity::kMedium);
  EXPECT_NE(f->detail.find("Riposte's webhook enforces on every namespace"), std::string::npos);
}

TEST(EndOfLifeFinding, LastReleaseWithRiposteEnforcingIsNotAtRisk) {
  ClusterSnapshot snap = LoadCluster("fixed");
  SetImage(&snap, "registry.k8s.io/ingress-nginx/controller:v1.15.1");
  Report r = AnalyzeWithFake(snap);
  EXPECT_TRUE(r.controllers[0].cves.empty());
  EXPECT_TRUE(r.controllers[0].eol.on_last_release);
  const AuditFinding* f = FindById(r, "Deployment/edge/edge-ingress/controller/end-of-life");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->severity, core::Severity::kMedium);
  EXPECT_NE(f->detail.find("runs v1.15.1, the last release of the 1.15 line"), std::string::npos);
  EXPECT_EQ(f->remediation.find("upgrade to"), std::string::npos);
  EXPECT_EQ(r.ExitCode(), 0);  // retired, but nothing known is exploitable past the webhook
}

TEST(EndOfLifeFinding, LastReleaseWithoutRiposteIsAtRisk) {
  ClusterSnapshot snap = LoadCluster("fixed");
  SetImage(&snap, "registry.k8s.io/ingress-nginx/controller:v1.15.1");
  snap.objects[res::kValidatingWebhookConfigurations].clear();
  Report r = AnalyzeWithFake(snap);
  EXPECT_TRUE(r.controllers[0].cves.empty());
  const AuditFinding* f = FindById(r, "Deployment/edge/edge-ingress/controller/end-of-life");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->severity, core::Severity::kHigh);
  EXPECT_TRUE(r.controllers[0].at_risk);
  EXPECT_EQ(r.ExitCode(), 1);
}

TEST(EndOfLifeFinding, UnknownVersionsAndEveryControllerOfTheCluster) {
  Report r = AnalyzeWithFake(LoadCluster("mirror"));
  ASSERT_EQ(r.controllers.size(), 2u);
  for (const auto& c : r.controllers) {
    const std::string id = c.workload.kind + "/" + c.workload.ns + "/" + c.workload.name + "/" + c.container + "/end-of-life";
    EXPECT_NE(FindById(r, id), nullptr) << id;
  }
  // The DaemonSet on v1.13.0 steps to the last release of its own line.
  EXPECT_EQ(r.controllers[0].recommended_version, "v1.13.9");
  const AuditFinding* pod = FindById(r, "Pod/ingress-mirror/debug-controller/controller/end-of-life");
  ASSERT_NE(pod, nullptr);
  EXPECT_NE(pod->detail.find("(version unknown)"), std::string::npos);
}

TEST(EndOfLifeFinding, CveUpgradeAdviceIsAStepTowardsTheLastRelease) {
  Report r = AnalyzeWithFake(LoadCluster("mirror"));
  const AuditFinding* f = FindById(r, "DaemonSet/ingress-mirror/mirror-ingress/controller/CVE-2026-24512");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->remediation.rfind("upgrade to v1.13.7 or later", 0), 0u) << f->remediation;
  EXPECT_NE(f->remediation.find("only a step: ingress-nginx is retired, so go on to v1.13.9"), std::string::npos)
      << f->remediation;
}

TEST(EndOfLifeFinding, RenderedInEveryFormat) {
  Report r = AnalyzeWithFake(LoadCluster("vulnerable"));
  std::string text = RenderText(r);
  EXPECT_NE(text.find("end of life: ingress-nginx is retired (no releases or security fixes since March 2026); "
                      "1 controller(s) still run it"),
            std::string::npos);
  EXPECT_NE(text.find("  END OF LIFE: ingress-nginx is retired; no release will fix what is found from now on "
                      "(the 1.11 line ended at v1.11.8)"),
            std::string::npos);
  auto doc = ReportToJson(r);
  const auto& eol = doc.at("controllers").at(0).at("endOfLife");
  EXPECT_TRUE(eol.at("retired").as_bool());
  EXPECT_EQ(eol.at("upgradeTarget").as_string(), "v1.15.1");
  EXPECT_EQ(eol.at("lastReleases").size(), 3u);
  EXPECT_EQ(doc.at("summary").at("controllersEndOfLife").as_integer(), 1);
  std::string html = RenderHtml(r);
  EXPECT_NE(html.find("id=\"end-of-life\""), std::string::npos);
  EXPECT_NE(html.find("&middot; end of life"), std::string::npos);
}

}  // namespace
}  // namespace riposte::audit
