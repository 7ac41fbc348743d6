// The HTML report in a real headless browser (Debian's chromium): scripts run, every finding
// is in the DOM, the hash filters work, and the page makes no network request.

#include <gtest/gtest.h>

#include <filesystem>
#include <regex>

#include "audit/render.h"
#include "tests/audit/audit_test_util.h"
#include "tests/audit/process_util.h"

namespace riposte::audit {
namespace {

constexpr const char* kChromium = "/usr/bin/chromium";

class BrowserTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!std::filesystem::exists(kChromium)) GTEST_SKIP() << "chromium not installed (scripts/bootstrap.sh installs it)";
    dir_ = testing::MakeTempDir("riposte-audit-browser");
    ASSERT_FALSE(dir_.empty());
    ClusterSnapshot snap = testing::LoadCluster("vulnerable");
    // Attacker-controlled name: must render as text, never as markup.
    for (auto& ing : snap.objects[res::kIngresses]) {
      if (ing["metadata"]["name"].as_string() == "evil-auth") {
        ing["metadata"]["name"] = web::json::value::string("evil</script><img src=x onerror=\"document.title='pwned'\">");
      }
    }
    report_ = testing::AnalyzeWithFake(snap);
    page_ = dir_ + "/report.html";
    std::ofstream(page_) << RenderHtml(report_);
  }
  void TearDown() override {
    if (!dir_.empty() && !HasFailure()) std::filesystem::remove_all(dir_);
  }

  // Headless chromium with every background service off and a dead proxy, so any request the
  // page tried would fail and show up in the net log.
  testing::ProcessResult Chromium(const std::string& mode, const std::string& url) {
    std::vector<std::string> argv = {kChromium,
                                     "--headless",
                                     "--no-sandbox",
                                     "--disable-gpu",
                                     "--disable-dev-shm-usage",
                                     "--disable-background-networking",
                                     "--disable-component-update",
                                     "--disable-sync",
                                     "--disable-default-apps",
                                     "--disable-extensions",
                                     "--no-first-run",
                                     "--no-default-browser-check",
                                     "--proxy-server=http://127.0.0.1:9",
                                     "--window-size=1400,2200",
                                     "--virtual-time-budget=3000",
                                     "--user-data-dir=" + dir_ + "/profile",
                                     "--log-net-log=" + dir_ + "/netlog.json",
                                     mode,
                                     url};
    return testing::RunProcess(argv, std::chrono::seconds(120), dir_);
  }

  std::string Dump(const std::string& hash) {
    auto r = Chromium("--dump-dom", "file://" + page_ + hash);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.out;
  }

  static size_t VisibleCount(const std::string& dom) {
    std::smatch m;
    if (!std::regex_search(dom, m, std::regex("data-visible=\"([0-9]+)\""))) return SIZE_MAX;
    return std::stoul(m[1]);
  }

  size_t Count(core::Severity s) const { return report_.CountsBySeverity()[static_cast<size_t>(s)]; }

  std::string dir_, page_;
  Report report_;
};

TEST_F(BrowserTest, AllFindingsRenderAfterScriptsRan) {
  std::string dom = Dump("");
  ASSERT_NE(dom.find("data-ready=\"true\""), std::string::npos) << "page script did not run";
  EXPECT_EQ(VisibleCount(dom), report_.findings.size());
  for (const auto& f : report_.findings) {
    EXPECT_NE(dom.find("data-id=\"" + f.id + "\""), std::string::npos) << f.id;
  }
  // The injected markup stayed text: no <img> element exists and the title is intact.
  EXPECT_EQ(dom.find("<img"), std::string::npos);
  EXPECT_EQ(dom.find("pwned</title>"), std::string::npos);
  EXPECT_NE(dom.find("<title>Riposte audit</title>"), std::string::npos);
  EXPECT_NE(dom.find("evil&lt;/script&gt;&lt;img"), std::string::npos);
}

TEST_F(BrowserTest, HashFiltersBySeverity) {
  ASSERT_GT(Count(core::Severity::kCritical), 0u);
  std::string dom = Dump("#filter=critical");
  EXPECT_EQ(VisibleCount(dom), Count(core::Severity::kCritical));
  dom = Dump("#severity=medium");
  EXPECT_EQ(VisibleCount(dom), Count(core::Severity::kMedium));
}

TEST_F(BrowserTest, HashFiltersByKindNamespaceAndText) {
  size_t ingress = 0, shop = 0, cve15566 = 0;
  for (const auto& f : report_.findings) {
    ingress += f.object.kind == "Ingress";
    shop += f.object.ns == "shop";
    std::string row = f.id + f.title + f.detail + f.remediation + f.field;
    cve15566 += row.find("CVE-2025-15566") != std::string::npos || f.object.name.find("CVE-2025-15566") != std::string::npos;
  }
  ASSERT_GT(ingress, 0u);
  EXPECT_EQ(VisibleCount(Dump("#kind=Ingress")), ingress);
  EXPECT_EQ(VisibleCount(Dump("#ns=shop")), shop);
  EXPECT_EQ(VisibleCount(Dump("#kind=Ingress&severity=low")), 0u);
  EXPECT_GE(VisibleCount(Dump("#q=cve-2025-15566")), 1u);
}

TEST_F(BrowserTest, NoNetworkRequestsAndAScreenshot) {
  std::string shot = dir_ + "/report.png";
  auto r = Chromium("--screenshot=" + shot, "file://" + page_);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::string png = testing::Slurp(shot);
  ASSERT_GT(png.size(), 1000u);
  EXPECT_EQ(png.substr(1, 3), "PNG");
  if (const char* keep = std::getenv("RIPOSTE_AUDIT_SCREENSHOT")) std::filesystem::copy_file(shot, keep, std::filesystem::copy_options::overwrite_existing);
  std::string netlog = testing::Slurp(dir_ + "/netlog.json");
  ASSERT_FALSE(netlog.empty()) << "chromium wrote no net log";
  std::smatch m;
  std::regex remote("\"(https?|wss?|ftp)://[^\"]*\"");
  EXPECT_FALSE(std::regex_search(netlog, m, remote)) << "network request: " << m.str();
}

}  // namespace
}  // namespace riposte::audit
