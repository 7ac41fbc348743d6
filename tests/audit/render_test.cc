#include "audit/render.h"

#include <regex>

#include <gtest/gtest.h>

#include "tests/audit/audit_test_util.h"

namespace riposte::audit {
namespace {

using testing::AnalyzeWithFake;
using testing::LoadCluster;

constexpr const char* kXss = "</script><img src=x onerror=alert(1)>";

// The vulnerable cluster with attacker-controlled strings in every place a cluster user can
// put them: Ingress name, annotation value (quoted back by the finding), backend name.
ClusterSnapshot HostileCluster() {
  ClusterSnapshot snap = LoadCluster("vulnerable");
  for (auto& ing : snap.objects[res::kIngresses]) {
    if (ing["metadata"]["name"].as_string() == "evil-auth") {
      ing["metadata"]["name"] = web::json::value::string(std::string("evil") + kXss);
      ing["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]["name"] =
          web::json::value::string(std::string("svc\"'><svg onload=alert(2)>"));
    }
  }
  return snap;
}

size_t Count(const std::string& hay, const std::string& needle) {
  size_t n = 0;
  for (size_t p = hay.find(needle); p != std::string::npos; p = hay.find(needle, p + 1)) ++n;
  return n;
}

TEST(HtmlEscape, EscapesMarkupAndQuotes) {
  EXPECT_EQ(HtmlEscape("<a href=\"x\" o='y'>&</a>"), "&lt;a href=&quot;x&quot; o=&#39;y&#39;&gt;&amp;&lt;&#47;a&gt;");
}

TEST(RenderHtml, EscapesEverythingFromTheCluster) {
  std::string html = RenderHtml(AnalyzeWithFake(HostileCluster()));
  EXPECT_EQ(html.find("<img"), std::string::npos);
  EXPECT_EQ(html.find("<svg"), std::string::npos);
  EXPECT_EQ(html.find("onerror=alert(1)>"), std::string::npos);
  EXPECT_EQ(Count(html, "<script"), 1u);   // only the page's own script
  EXPECT_EQ(Count(html, "</script>"), 1u);
  EXPECT_NE(html.find("evil&lt;&#47;script&gt;&lt;img src=x onerror=alert(1)&gt;"), std::string::npos);
}

TEST(RenderHtml, SelfContainedWithStrictCsp) {
  std::string html = RenderHtml(AnalyzeWithFake(LoadCluster("vulnerable")));
  EXPECT_NE(html.find("Content-Security-Policy\" content=\"default-src 'none'"), std::string::npos);
  std::regex external(R"((src|href|action)\s*=\s*["']?\s*(https?:)?//)", std::regex::icase);
  EXPECT_FALSE(std::regex_search(html, external));
  EXPECT_EQ(html.find("<link"), std::string::npos);
  EXPECT_EQ(html.find("@import"), std::string::npos);
  EXPECT_EQ(html.find("url("), std::string::npos);
}

TEST(RenderHtml, EveryFindingIsARowWithFilterAttributes) {
  Report r = AnalyzeWithFake(LoadCluster("vulnerable"));
  std::string html = RenderHtml(r);
  EXPECT_EQ(Count(html, "<tr data-id="), r.findings.size());
  for (const auto& f : r.findings) EXPECT_NE(html.find("data-id=\"" + HtmlEscape(f.id) + "\""), std::string::npos) << f.id;
  EXPECT_NE(html.find("id=\"relationships\""), std::string::npos);
  EXPECT_NE(html.find("data-controller=\"Deployment ingress-nginx&#47;ingress-nginx-controller\""), std::string::npos);
}

TEST(RenderText, SummaryFirstThenPerWorkload) {
  std::string text = RenderText(AnalyzeWithFake(LoadCluster("vulnerable")));
  size_t risk = text.find("AT RISK: YES");
  size_t counts = text.find("findings: 2 critical, 15 high, ");  // 15: the end-of-life finding is high here
  size_t workload = text.find("== Deployment ingress-nginx/ingress-nginx-controller ==");
  ASSERT_NE(risk, std::string::npos);
  ASSERT_NE(counts, std::string::npos);
  ASSERT_NE(workload, std::string::npos);
  EXPECT_LT(risk, counts);
  EXPECT_LT(counts, workload);
  EXPECT_NE(text.find("upgrade to v1.15.1, the last release there will be, to fix every CVE below"), std::string::npos);
  EXPECT_NE(text.find("fix: set allow-snippet-annotations: \"false\""), std::string::npos);
  EXPECT_NE(text.find("== Ingress shop/evil-auth =="), std::string::npos);
  EXPECT_NE(text.find("exit code 1"), std::string::npos);
}

TEST(RenderText, ControlCharactersCannotForgeLines) {
  ClusterSnapshot snap = LoadCluster("vulnerable");
  snap.objects[res::kIngresses][0]["metadata"]["annotations"]["x"] =
      web::json::value::string("a\n[CRITICAL] fake\x1b[2J\r");
  std::string text = RenderText(AnalyzeWithFake(snap));
  EXPECT_EQ(text.find('\x1b'), std::string::npos);
  EXPECT_EQ(text.find('\r'), std::string::npos);
  EXPECT_NE(text.find("a\\n[CRITICAL] fake\\x1b[2J\\r"), std::string::npos);
}

TEST(RenderText, CleanClusterSaysNotAtRisk) {
  ClusterSnapshot snap;
  snap.source = "empty";
  snap.objects[res::kValidatingWebhookConfigurations] = LoadCluster("fixed").objects[res::kValidatingWebhookConfigurations];
  snap.objects[res::kEndpoints] = LoadCluster("fixed").objects[res::kEndpoints];
  Report r = AnalyzeWithFake(snap);
  EXPECT_EQ(r.ExitCode(), 0);
  EXPECT_NE(RenderText(r).find("AT RISK: no"), std::string::npos);
}

TEST(PrettyJson, ParsesBackToTheSameValue) {
  web::json::value v = ReportToJson(AnalyzeWithFake(LoadCluster("mirror")));
  // cpprest's parser re-sorts keys, so compare both in its canonical form.
  EXPECT_EQ(web::json::value::parse(PrettyJson(v)), web::json::value::parse(v.serialize()));
}

}  // namespace
}  // namespace riposte::audit
