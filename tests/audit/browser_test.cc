// The HTML report in a real headless browser (Debian's chromium): scripts run, every finding
// is in the DOM, the hash filters work, and the page makes no network request.

#include <gtest/gtest.h>

#include <filesystem>
#include <regex>

#include "audit/render.h"
#include "tests/audit/audit_test_util.h"
#include "tests/support/files.h"
#include "tests/support/process.h"

namespace riposte::audit {
namespace {

constexpr const char* kChromium = "/usr/bin/chromium";

class BrowserTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!std::filesystem::exists(kChromium)) GTEST_SKIP() << "chromium not installed (scripts/bootstrap.sh installs it)";
    dir_ = riposte::testing::MakeTempDir("riposte-audit-browser");
    ASSERT_FALSE(dir_.empty());
    ClusterSnapshot snap = testing::LoadCluster("vulnerable");
    // Attacker-controlled name: must render as text, never as markup.
    for (auto& ing : snap.objects[res::kIngresses]) {
      if (ing["metadata"]["name"].as_string() == "evil-auth") {
        ing["metadata"]["name"] = web::json::value::string("evil</script><img src=x onerror=\"document.title='pwned'\">");
      }
    }
    // With the migration inventory: every section of the page is exercised.
    report_ = Analyze(snap, {.checker = std::make_shared<testing::FakeChecker>(), .generated_at = "", .migration = true});
    page_ = dir_ + "/report.html";
    std::ofstream(page_) << RenderHtml(report_);
  }
  void TearDown() override {
    if (!dir_.empty() && !HasFailure()) std::filesystem::remove_all(dir_);
  }

  // Headless chromium with every background service off and a dead proxy, so any request the
  // page tried would fail and show up in the net log.
  riposte::testing::ProcessResult Chromium(const std::string& mode, const std::string& url) {
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
                                     "--no-pings",
                                     "--disable-domain-reliability",
                                     "--disable-client-side-phishing-detection",
                                     "--disable-features=NetworkTimeServiceQuerying,OptimizationHints,Translate,"
                                     "MediaRouter,AutofillServerCommunication,CertificateTransparencyComponentUpdater",
                                     "--proxy-server=http://127.0.0.1:9",
                                     "--window-size=1400,2200",
                                     "--virtual-time-budget=3000",
                                     "--user-data-dir=" + dir_ + "/profile",
                                     "--log-net-log=" + dir_ + "/netlog.json",
                                     mode,
                                     url};
    return riposte::testing::RunProcess(argv, std::chrono::seconds(120), dir_);
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

  // How chromium serializes an attribute value: & " < > escaped.
  static std::string DomAttr(const std::string& v) {
    std::string out;
    for (char c : v) {
      switch (c) {
        case '&': out += "&amp;"; break;
        case '"': out += "&quot;"; break;
        case '<': out += "&lt;"; break;
        case '>': out += "&gt;"; break;
        default: out += c;
      }
    }
    return out;
  }

  static size_t CountOf(const std::string& hay, const std::string& needle) {
    size_t n = 0;
    for (size_t p = hay.find(needle); p != std::string::npos; p = hay.find(needle, p + 1)) ++n;
    return n;
  }

  size_t Count(core::Severity s) const { return report_.CountsBySeverity()[static_cast<size_t>(s)]; }

  std::string dir_, page_;
  Report report_;
};

TEST_F(BrowserTest, AllFindingsRenderAfterScriptsRan) {
  std::string dom = Dump("");
  ASSERT_NE(dom.find("data-ready=\"true\""), std::string::npos) << "page script did not run";
  EXPECT_EQ(VisibleCount(dom), report_.findings.size());
  EXPECT_EQ(CountOf(dom, "<tr data-id="), report_.findings.size());
  for (const auto& f : report_.findings) {
    EXPECT_NE(dom.find("data-id=\"" + DomAttr(f.id) + "\""), std::string::npos) << f.id;
  }
  // The injected markup stayed text: no <img> element exists and the title is intact.
  EXPECT_EQ(dom.find("<img"), std::string::npos);
  EXPECT_EQ(dom.find("pwned</title>"), std::string::npos);
  EXPECT_NE(dom.find("<title>Riposte audit</title>"), std::string::npos);
  EXPECT_NE(dom.find("evil&lt;/script&gt;&lt;img"), std::string::npos);
}

TEST_F(BrowserTest, EndOfLifeVirtualPatchAndMigrationSections) {
  std::string dom = Dump("");
  ASSERT_NE(dom.find("data-ready=\"true\""), std::string::npos);
  EXPECT_NE(dom.find("id=\"end-of-life\""), std::string::npos);
  EXPECT_NE(dom.find("id=\"virtual-patch\""), std::string::npos);
  const Controller& c = report_.controllers.at(0);
  EXPECT_EQ(CountOf(dom, "<tr data-cve="), c.mitigations.size());
  EXPECT_NE(dom.find("<tr data-cve=\"CVE-2025-1974\" data-state=\"unmitigated\">"), std::string::npos);
  ASSERT_TRUE(report_.migration.has_value());
  EXPECT_NE(dom.find("id=\"migration\""), std::string::npos);
  EXPECT_EQ(CountOf(dom, "data-hardest="), report_.migration->ingresses.size());
  // The hostile Ingress name is text in the migration tables too.
  EXPECT_EQ(dom.find("<img"), std::string::npos);
  // The findings filters still count findings only, not the new tables' rows.
  EXPECT_EQ(VisibleCount(dom), report_.findings.size());
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

// URLs of requests the page itself started, from chromium's net log. Chromium's own
// background services (component updater, network time) also show up there; they carry no
// initiator ("not an origin"), while anything a file:// page loads has the opaque origin "null".
std::vector<std::string> PageRequests(const std::string& netlog_path) {
  std::vector<std::string> urls;
  web::json::value log = web::json::value::parse(riposte::testing::ReadFile(netlog_path));
  int start_job = -1;
  for (const auto& [name, id] : log.at("constants").at("logEventTypes").as_object()) {
    if (name == "URL_REQUEST_START_JOB") start_job = id.as_integer();
  }
  EXPECT_NE(start_job, -1);
  for (const auto& e : log.at("events").as_array()) {
    if (!e.has_integer_field("type") || e.at("type").as_integer() != start_job || !e.has_object_field("params")) continue;
    const auto& p = e.at("params");
    std::string initiator = p.has_string_field("initiator") ? p.at("initiator").as_string() : "not an origin";
    if (initiator != "not an origin" && p.has_string_field("url")) urls.push_back(p.at("url").as_string());
  }
  return urls;
}

TEST_F(BrowserTest, NetLogCatchesARequestingPage) {
  // Proves the check below can fail: a page with an external image is caught.
  std::string canary = dir_ + "/canary.html";
  std::ofstream(canary) << "<html><body><img src=\"http://127.0.0.1:9/canary.png\"></body></html>";
  auto r = Chromium("--dump-dom", "file://" + canary);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto urls = PageRequests(dir_ + "/netlog.json");
  ASSERT_EQ(urls.size(), 1u);
  EXPECT_EQ(urls[0], "http://127.0.0.1:9/canary.png");
}

TEST_F(BrowserTest, NoNetworkRequestsAndAScreenshot) {
  std::string shot = dir_ + "/report.png";
  auto r = Chromium("--screenshot=" + shot, "file://" + page_);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::string png = riposte::testing::ReadFile(shot);
  ASSERT_GT(png.size(), 1000u);
  EXPECT_EQ(png.substr(1, 3), "PNG");
  if (const char* keep = std::getenv("RIPOSTE_AUDIT_SCREENSHOT")) {
    std::filesystem::copy_file(shot, keep, std::filesystem::copy_options::overwrite_existing);
  }
  EXPECT_EQ(PageRequests(dir_ + "/netlog.json"), std::vector<std::string>{});
}

}  // namespace
}  // namespace riposte::audit
