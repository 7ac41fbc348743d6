// The monitoring contract between the binaries and the chart:
// - the real `riposte webhook` and `riposte controller` (the latter against the API test server,
//   with a completed exposure-audit pass) are scraped, and their /metrics output passes
//   `promtool check metrics` and the project's own naming checks;
// - every metric name in the PrometheusRule and the Grafana dashboard exists in that output, and
//   every exported metric is documented in docs/monitoring.md;
// - the rules pass `promtool check rules` and the unit tests in testdata/prometheus-rules-test.yaml;
//   every alert links to its runbook section; the dashboard is valid JSON for the Grafana sidecar.
// gtest before cpprest: cpprest defines a macro U that breaks gtest templates.
#include <gtest/gtest.h>
// clang-format off
#include <cpprest/json.h>
// clang-format on
#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <fstream>
#include <regex>
#include <sstream>

#include "tests/apiserver/test_apiserver_process.h"
#include "tests/controller/controller_process.h"
#include "tests/deploy/chart_tools.h"
#include "tests/support/process.h"
#include "tests/support/certs.h"
#include "tests/support/eventually.h"
#include "tests/support/files.h"
#include "tests/support/https_client.h"

namespace riposte::deploy_test {
namespace {

using namespace std::chrono_literals;
using web::json::value;

struct Scrape {
  std::string webhook;
  std::string controller;
  std::string error;  // why a scrape is missing
};

std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string ScrapeWebhook() {
  const std::string dir = riposte::testing::MakeTempDir();
  const auto pair = riposte::testing::MakeCert("riposte-webhook");
  riposte::testing::WriteFile(dir + "/tls.crt", pair.cert_pem);
  riposte::testing::WriteFile(dir + "/tls.key", pair.key_pem);
  std::string text;
  {
    riposte::testing::ChildProcess child(
        RIPOSTE_BINARY,
        {"webhook", "--tls-cert", dir + "/tls.crt", "--tls-key", dir + "/tls.key", "--listen", "127.0.0.1:0",
         "--metrics-listen", "127.0.0.1:0", "--log-format", "json"},
        dir + "/out.log");
    if (!child.WaitForOutput("\"msg\":\"webhook ready\"", 20000ms)) {
      ADD_FAILURE() << "webhook did not start:\n" << child.Output();
      return "";
    }
    std::smatch m;
    const std::string out = child.Output();
    if (!std::regex_search(out, m, std::regex("\"metrics_port\":\"(\\d+)\""))) {
      ADD_FAILURE() << "no metrics port in the webhook log:\n" << out;
      return "";
    }
    const auto r = riposte::testing::Fetch(static_cast<uint16_t>(std::stoi(m[1])), "GET", "/metrics", "", false);
    EXPECT_EQ(r.status, 200) << r.error;
    text = r.body;
  }
  riposte::testing::RemoveTree(dir);
  return text;
}

// The controller exports the audit families only after a pass, and the leader gauge once it
// runs: it is scraped after one complete pass over the seeded vulnerable cluster.
std::string ScrapeController() {
  testapi::TestApiServerProcess server;
  controller::testing::InstallCrds(server, RIPOSTE_SOURCE_DIR);
  server.Seed(value::parse(Slurp(std::string(RIPOSTE_TEST_DATA_DIR) + "/audit/cluster_vulnerable.json")));
  server.Seed(value::parse(R"({"items":[{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"riposte-system"}}]})"));
  const std::string dir = server.dir() + "/controller";
  std::filesystem::create_directories(dir);
  controller::testing::ControllerProcessOptions o;
  o.kubeconfig = server.WriteKubeconfig(dir + "/kubeconfig");
  o.extra_args = {"--audit-interval", "1m"};
  controller::testing::ControllerProcess c(dir, o);
  c.Start();
  std::string text;
  const bool audited = riposte::testing::Eventually([&] {
    text = c.GetOps("/metrics").second;
    return text.find("riposte_audit_runs_total{result=\"complete\"} 1") != std::string::npos &&
           text.find("riposte_leader 1") != std::string::npos;
  }, 60s);
  EXPECT_TRUE(audited) << "no complete audit pass / leadership within 60 s:\n" << text << "\n" << c.log();
  c.Stop();
  return text;
}

const Scrape& RealMetrics() {
  static const Scrape scrape = [] {
    Scrape s;
    s.webhook = ScrapeWebhook();
    s.controller = ScrapeController();
    return s;
  }();
  return scrape;
}

std::string PromtoolLint(const std::string& promtool, const std::string& text) {
  // promtool reads the exposition from stdin; a file descriptor redirect needs no shell.
  const std::string file = WriteTemp("metrics.txt", text);
  std::vector<std::string> argv = {promtool, "check", "metrics"};
  int in = open(file.c_str(), O_RDONLY);
  int saved = dup(STDIN_FILENO);
  dup2(in, STDIN_FILENO);
  const auto r = RunProcess(argv, /*merge_stderr=*/true);
  dup2(saved, STDIN_FILENO);
  close(saved);
  close(in);
  return r.exit_code == 0 ? "" : "exit " + std::to_string(r.exit_code) + ":\n" + r.out;
}

TEST(MetricsContract, RealOutputPassesPromtoolCheckMetrics) {
  RIPOSTE_REQUIRE_TOOL(promtool, "promtool");
  const auto& m = RealMetrics();
  ASSERT_FALSE(m.webhook.empty());
  ASSERT_FALSE(m.controller.empty());
  EXPECT_EQ(PromtoolLint(promtool, m.webhook), "") << "webhook /metrics:\n" << m.webhook;
  EXPECT_EQ(PromtoolLint(promtool, m.controller), "") << "controller /metrics:\n" << m.controller;
  // The lint is real: a counter without _total fails it.
  EXPECT_NE(PromtoolLint(promtool, "# HELP riposte_x Things.\n# TYPE riposte_x counter\nriposte_x 1\n"), "");
}

// Prometheus naming conventions, checked without promtool: counters end in _total and nothing
// else does; histograms name their unit; no abbreviated or non-base units; snake_case; a HELP
// text and a riposte_ prefix on every family; each family once.
std::vector<std::string> ConventionProblems(const std::string& text) {
  std::vector<std::string> problems;
  const auto e = ParseExposition(text);
  std::map<std::string, int> type_lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (line.rfind("# TYPE ", 0) == 0) ++type_lines[line.substr(7, line.find(' ', 7) - 7)];
  static const std::regex kSnake(R"(^[a-z][a-z0-9_]*$)");
  static const std::vector<std::string> kBadUnits = {"_ms", "_milliseconds", "_microseconds", "_us", "_ns", "_nanoseconds",
                                                     "_minutes", "_hours", "_days", "_kb", "_mb", "_kilobytes",
                                                     "_megabytes", "_percent", "_sec", "_secs"};
  auto ends = [](const std::string& s, const std::string& suffix) {
    return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  for (const auto& [name, type] : e.families) {
    if (type_lines[name] != 1) problems.push_back(name + ": TYPE given " + std::to_string(type_lines[name]) + " times");
    if (name.rfind("riposte_", 0) != 0) problems.push_back(name + ": not under the riposte_ prefix");
    if (!std::regex_match(name, kSnake)) problems.push_back(name + ": not snake_case");
    if (!e.help.count(name) || e.help.at(name).empty()) problems.push_back(name + ": no HELP text");
    if (type == "counter" && !ends(name, "_total")) problems.push_back(name + ": counter without _total");
    if (type != "counter" && ends(name, "_total")) problems.push_back(name + ": " + type + " ending in _total");
    if (type == "histogram" && !ends(name, "_seconds") && !ends(name, "_bytes"))
      problems.push_back(name + ": histogram without a base unit (_seconds, _bytes)");
    for (const auto& u : kBadUnits) {
      if (ends(name, u) || name.find(u + "_") != std::string::npos)
        problems.push_back(name + ": non-base or abbreviated unit " + u.substr(1));
    }
    for (const char* reserved : {"_bucket", "_count", "_sum"})
      if (type != "histogram" && type != "summary" && ends(name, reserved))
        problems.push_back(name + ": " + type + " with the reserved suffix " + reserved);
  }
  for (const auto& s : e.sample_names) {
    bool declared = e.families.count(s) > 0;
    for (const char* suffix : {"_bucket", "_sum", "_count"})
      declared = declared || (ends(s, suffix) && e.families.count(s.substr(0, s.size() - std::strlen(suffix))));
    if (!declared) problems.push_back(s + ": sample without a TYPE line");
  }
  return problems;
}

TEST(MetricsContract, RealOutputFollowsPrometheusNamingConventions) {
  const auto& m = RealMetrics();
  ASSERT_FALSE(m.webhook.empty());
  ASSERT_FALSE(m.controller.empty());
  EXPECT_TRUE(ConventionProblems(m.webhook).empty()) << Join(ConventionProblems(m.webhook));
  EXPECT_TRUE(ConventionProblems(m.controller).empty()) << Join(ConventionProblems(m.controller));
  // The checks are real: each bad family below is reported.
  const std::string bad =
      "# HELP riposte_reloads Reloads.\n# TYPE riposte_reloads counter\nriposte_reloads 1\n"
      "# HELP riposte_depth_total Depth.\n# TYPE riposte_depth_total gauge\nriposte_depth_total 1\n"
      "# HELP riposte_latency Latency.\n# TYPE riposte_latency histogram\nriposte_latency_bucket{le=\"+Inf\"} 0\n"
      "riposte_latency_sum 0\nriposte_latency_count 0\n"
      "# HELP riposte_wait_milliseconds Wait.\n# TYPE riposte_wait_milliseconds gauge\nriposte_wait_milliseconds 1\n"
      "# TYPE riposte_undocumented gauge\nriposte_undocumented 1\n"
      "riposte_untyped 1\n";
  const auto problems = ConventionProblems(bad);
  for (const char* want : {"riposte_reloads: counter without _total", "riposte_depth_total: gauge ending in _total",
                           "riposte_latency: histogram without a base unit", "riposte_wait_milliseconds: non-base",
                           "riposte_undocumented: no HELP text", "riposte_untyped: sample without a TYPE line"}) {
    bool found = false;
    for (const auto& p : problems) found = found || p.rfind(want, 0) == 0;
    EXPECT_TRUE(found) << "not reported: " << want << "\n" << Join(problems);
  }
}

// --- rules and dashboard -----------------------------------------------------------------------

// The chart's PrometheusRule with every alert group rendered.
YAML::Node RenderedRules(const std::string& helm) {
  const auto r = HelmTemplate(helm, {"--set", "prometheusRule.enabled=true,controller.auditInterval=10m"});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  const auto rules = OfKind(r.docs, "PrometheusRule");
  return rules.size() == 1 ? rules[0] : YAML::Node();
}

value Dashboard() { return value::parse(Slurp(Repo("helm/riposte/files/dashboards/riposte.json").string())); }

// Every PromQL expression of the dashboard, by panel title (template variables included).
std::map<std::string, std::set<std::string>> DashboardMetricNames(const value& d) {
  std::map<std::string, std::set<std::string>> out;
  for (const auto& p : d.at("panels").as_array()) {
    if (!p.has_field("targets")) continue;
    for (const auto& t : p.at("targets").as_array()) {
      for (const auto& n : PromqlMetricNames(t.at("expr").as_string()))
        out["dashboard panel '" + p.at("title").as_string() + "'"].insert(n);
    }
  }
  for (const auto& v : d.at("templating").at("list").as_array()) {
    if (v.at("type").as_string() != "query") continue;
    // Grafana's label_values(SELECTOR, LABEL): the selector is PromQL, the label is not.
    std::string query = v.at("query").at("query").as_string();
    if (query.rfind("label_values(", 0) == 0) query = query.substr(13, query.rfind(',') - 13);
    for (const auto& n : PromqlMetricNames(query))
      out["dashboard variable $" + v.at("name").as_string()].insert(n);
  }
  return out;
}

std::map<std::string, std::set<std::string>> RuleMetricNames(const YAML::Node& rule) {
  std::map<std::string, std::set<std::string>> out;
  for (const auto& g : rule["spec"]["groups"])
    for (const auto& r : g["rules"])
      out["alert " + r["alert"].as<std::string>()] = PromqlMetricNames(r["expr"].as<std::string>());
  return out;
}

TEST(MetricsContract, PromqlMetricNameExtraction) {
  EXPECT_EQ(PromqlMetricNames(R"(histogram_quantile(0.99, sum by (le) (rate(a_seconds_bucket{namespace="x",le!="1"}[5m]))) > 4)"),
            (std::set<std::string>{"a_seconds_bucket"}));
  EXPECT_EQ(PromqlMetricNames(R"((max(b{n="x"}) < 1) or absent(b{n="x"}) unless on (pod) c offset 15m)"),
            (std::set<std::string>{"b", "c"}));
  EXPECT_EQ(PromqlMetricNames(R"(time() - max(d{namespace="$namespace"} > 0) > 3 * e[$__rate_interval] and bool f)"),
            (std::set<std::string>{"d", "e", "f"}));
  EXPECT_EQ(PromqlMetricNames(R"({__name__=~"g|h_total", namespace="x"})"), (std::set<std::string>{"g", "h_total"}));
  EXPECT_EQ(PromqlMetricNames(R"q(sum without (pod) (i * on (x) group_left (y) j) / count(k{a="by (z)"}))q"),
            (std::set<std::string>{"i", "j", "k"}));
}

TEST(MetricsContract, RuleAndDashboardQueriesUseOnlyExportedMetrics) {
  RIPOSTE_REQUIRE_TOOL(helm, "helm");
  const auto& m = RealMetrics();
  ASSERT_FALSE(m.webhook.empty());
  ASSERT_FALSE(m.controller.empty());
  const auto exported = ParseExposition(m.webhook + m.controller);
  const auto rule = RenderedRules(helm);
  ASSERT_TRUE(rule);
  auto names = RuleMetricNames(rule);
  const auto dashboard = DashboardMetricNames(Dashboard());
  names.insert(dashboard.begin(), dashboard.end());
  size_t total = 0;
  for (const auto& [place, n] : names) {
    EXPECT_FALSE(n.empty()) << place << " reads no metric";
    total += n.size();
  }
  EXPECT_GT(total, 40u);
  const auto unknown = UnknownMetrics(names, exported);
  EXPECT_TRUE(unknown.empty()) << "queries use metrics the binaries do not export:\n" << Join(unknown);
  // The check catches drift: a renamed metric in an alert is reported.
  auto drifted = names;
  drifted["alert RiposteControllerNoLeader (renamed metric)"] = PromqlMetricNames("max(riposte_is_leader) < 1");
  const auto caught = UnknownMetrics(drifted, exported);
  ASSERT_EQ(caught.size(), unknown.size() + 1);
  EXPECT_NE(Join(caught).find("riposte_is_leader (in alert RiposteControllerNoLeader (renamed metric))"), std::string::npos);
}

// The label values the rules filter on exist: the webhook registers every result up front.
TEST(MetricsContract, RuleResultLabelsAreOnesTheWebhookExports) {
  RIPOSTE_REQUIRE_TOOL(helm, "helm");
  const auto& m = RealMetrics();
  std::set<std::string> results;
  static const std::regex kResult(R"re(riposte_admission_requests_total\{result="([a-z_]+)"\})re");
  for (std::sregex_iterator it(m.webhook.begin(), m.webhook.end(), kResult), end; it != end; ++it) results.insert((*it)[1]);
  ASSERT_GE(results.size(), 7u) << m.webhook;
  static const std::regex kMatcher(R"re(result=~?"([^"]+)")re");
  const auto rule = RenderedRules(helm);
  for (const auto& g : rule["spec"]["groups"]) {
    for (const auto& r : g["rules"]) {
      const std::string expr = r["expr"].as<std::string>();
      if (expr.find("riposte_admission_requests_total") == std::string::npos) continue;
      for (std::sregex_iterator it(expr.begin(), expr.end(), kMatcher), end; it != end; ++it) {
        std::stringstream ss((*it)[1].str());
        for (std::string v; std::getline(ss, v, '|');)
          EXPECT_TRUE(results.count(v)) << r["alert"].as<std::string>() << ": result \"" << v << "\" is never exported";
      }
    }
  }
}

TEST(MetricsContract, EveryExportedMetricIsDocumented) {
  const auto& m = RealMetrics();
  ASSERT_FALSE(m.webhook.empty());
  ASSERT_FALSE(m.controller.empty());
  const std::string doc = ReadFile(Repo("docs/monitoring.md"));
  const auto e = ParseExposition(m.webhook + m.controller);
  ASSERT_GT(e.families.size(), 30u);
  for (const auto& [name, type] : e.families) {
    EXPECT_NE(doc.find("`" + name), std::string::npos) << name << " (" << type << ") is exported but not in docs/monitoring.md";
  }
}

// --- the PrometheusRule ----------------------------------------------------------------------

// The alert names the chart renders, the schema's disabledAlerts enum and the runbooks agree.
TEST(ChartAlerts, EveryAlertHasARunbookSectionSeverityAndSchemaEntry) {
  RIPOSTE_REQUIRE_TOOL(helm, "helm");
  const auto rule = RenderedRules(helm);
  ASSERT_TRUE(rule);
  const std::string doc = ReadFile(Repo("docs/monitoring.md"));
  std::set<std::string> alerts;
  for (const auto& g : rule["spec"]["groups"]) {
    for (const auto& r : g["rules"]) {
      const std::string name = r["alert"].as<std::string>();
      alerts.insert(name);
      std::string anchor = name;
      for (auto& c : anchor) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      EXPECT_EQ(r["annotations"]["runbook_url"].as<std::string>(""),
                "https://github.com/riposte/riposte/blob/main/docs/monitoring.md#" + anchor)
          << name;
      EXPECT_NE(doc.find("\n### " + name + "\n"), std::string::npos) << name << ": no runbook section in docs/monitoring.md";
      const std::string severity = r["labels"]["severity"].as<std::string>("");
      EXPECT_TRUE(severity == "warning" || severity == "critical") << name << ": severity " << severity;
      EXPECT_FALSE(r["annotations"]["summary"].as<std::string>("").empty()) << name;
      EXPECT_FALSE(r["annotations"]["description"].as<std::string>("").empty()) << name;
    }
  }
  // The seven alerts operators asked for, among the rest.
  for (const char* required : {"RiposteWebhookErrors", "RiposteWebhookLatencyNearTimeout", "RiposteDenialsSpike",
                               "RiposteAlertEndpointUnavailable", "RiposteControllerNoLeader",
                               "RiposteResponseActionsFailed", "RiposteAuditAtRiskController"})
    EXPECT_TRUE(alerts.count(required)) << required;
  std::set<std::string> in_schema;
  const auto schema = LoadDocs(Repo("helm/riposte/values.schema.json"))[0];
  for (const auto& n : schema["properties"]["prometheusRule"]["properties"]["disabledAlerts"]["items"]["enum"])
    in_schema.insert(n.as<std::string>());
  EXPECT_EQ(alerts, in_schema) << "prometheusRule.disabledAlerts enum in values.schema.json and the rendered alerts differ";
}

TEST(ChartAlerts, DisabledAlertsAndThresholdsApply) {
  RIPOSTE_REQUIRE_TOOL(helm, "helm");
  const auto r = HelmTemplate(helm, {"--set", "prometheusRule.enabled=true,webhook.timeoutSeconds=10",
                                     "--set", "prometheusRule.disabledAlerts={RiposteDenialsSpike,RiposteControllerNoLeader}",
                                     "--set", "prometheusRule.thresholds.webhookLatencyTimeoutRatio=0.5"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto rule = OfKind(r.docs, "PrometheusRule").at(0);
  bool latency = false;
  for (const auto& g : rule["spec"]["groups"]) {
    for (const auto& x : g["rules"]) {
      const std::string name = x["alert"].as<std::string>();
      EXPECT_NE(name, "RiposteDenialsSpike");
      EXPECT_NE(name, "RiposteControllerNoLeader");
      if (name == "RiposteWebhookLatencyNearTimeout") {
        latency = true;
        EXPECT_NE(x["expr"].as<std::string>().find("> 5"), std::string::npos)
            << "p99 threshold must be 0.5 x 10 s:\n" << x["expr"].as<std::string>();
      }
    }
  }
  EXPECT_TRUE(latency);
}

// promtool parses every expression and annotation template, and the unit tests exercise each
// alert firing and staying silent.
TEST(ChartAlerts, RulesPassPromtoolCheckAndUnitTests) {
  RIPOSTE_REQUIRE_TOOL(helm, "helm");
  RIPOSTE_REQUIRE_TOOL(promtool, "promtool");
  const auto rule = RenderedRules(helm);
  ASSERT_TRUE(rule);
  YAML::Emitter full;
  full << rule["spec"];
  const std::string full_file = WriteTemp("riposte-rules.yaml", full.c_str());
  const auto check = RunProcess({promtool, "check", "rules", full_file}, true);
  EXPECT_EQ(check.exit_code, 0) << check.out;
  EXPECT_NE(check.out.find("SUCCESS: 13 rules found"), std::string::npos) << check.out;

  // Unit tests compare annotations exactly; they test the firing logic, so annotations go.
  YAML::Node spec = YAML::Clone(rule["spec"]);
  for (auto g : spec["groups"])
    for (auto r : g["rules"]) r.remove("annotations");
  YAML::Emitter bare;
  bare << spec;
  const std::string rules_file = WriteTemp("rules.yaml", bare.c_str());
  const fs::path test_file = fs::path(rules_file).parent_path() / "prometheus-rules-test.yaml";
  fs::copy_file(Repo("tests/deploy/testdata/prometheus-rules-test.yaml"), test_file);
  const auto unit = RunProcess({promtool, "test", "rules", test_file.string()}, true);
  EXPECT_EQ(unit.exit_code, 0) << unit.out;
  EXPECT_NE(unit.out.find("SUCCESS"), std::string::npos) << unit.out;

  // The unit tests are real: with a threshold moved, the cases around it fail.
  const auto loose = HelmTemplate(helm, {"--set", "prometheusRule.enabled=true,controller.auditInterval=10m",
                                         "--set", "prometheusRule.thresholds.webhookErrorRatio=0.5"});
  ASSERT_EQ(loose.exit_code, 0) << loose.output;
  YAML::Node loose_spec = YAML::Clone(OfKind(loose.docs, "PrometheusRule").at(0)["spec"]);
  for (auto g : loose_spec["groups"])
    for (auto r : g["rules"]) r.remove("annotations");
  YAML::Emitter loose_out;
  loose_out << loose_spec;
  std::ofstream(rules_file, std::ios::trunc) << loose_out.c_str();
  const auto failing = RunProcess({promtool, "test", "rules", test_file.string()}, true);
  EXPECT_NE(failing.exit_code, 0) << failing.out;
  EXPECT_NE(failing.out.find("internal errors above 5% of reviews fire after 10 minutes"), std::string::npos) << failing.out;
}

// --- the Grafana dashboard -------------------------------------------------------------------

TEST(ChartDashboard, IsValidGrafanaJsonForTheSidecar) {
  value d;
  ASSERT_NO_THROW(d = Dashboard()) << "helm/riposte/files/dashboards/riposte.json is not valid JSON";
  EXPECT_EQ(d.at("uid").as_string(), "riposte-overview");
  EXPECT_FALSE(d.at("title").as_string().empty());
  EXPECT_GE(d.at("schemaVersion").as_integer(), 30);
  // The data source is chosen by a variable, so the dashboard works in any Grafana.
  bool has_ds_var = false;
  for (const auto& v : d.at("templating").at("list").as_array())
    has_ds_var = has_ds_var || (v.at("name").as_string() == "datasource" && v.at("type").as_string() == "datasource");
  EXPECT_TRUE(has_ds_var);
  std::set<int> ids;
  int queries = 0;
  for (const auto& p : d.at("panels").as_array()) {
    const int id = p.at("id").as_integer();
    EXPECT_TRUE(ids.insert(id).second) << "duplicate panel id " << id;
    const auto& pos = p.at("gridPos");
    EXPECT_LE(pos.at("x").as_integer() + pos.at("w").as_integer(), 24) << p.at("title").as_string();
    if (p.at("type").as_string() == "row") continue;
    EXPECT_FALSE(p.at("description").as_string().empty()) << p.at("title").as_string();
    EXPECT_EQ(p.at("datasource").at("uid").as_string(), "${datasource}") << p.at("title").as_string();
    for (const auto& t : p.at("targets").as_array()) {
      ++queries;
      EXPECT_EQ(t.at("datasource").at("uid").as_string(), "${datasource}") << p.at("title").as_string();
      const std::string expr = t.at("expr").as_string();
      EXPECT_NE(expr.find("namespace=\"$namespace\""), std::string::npos)
          << p.at("title").as_string() << ": query not scoped to $namespace: " << expr;
    }
  }
  EXPECT_GE(queries, 30);
}

TEST(ChartDashboard, ConfigMapCarriesTheSidecarLabelAndTheJson) {
  RIPOSTE_REQUIRE_TOOL(helm, "helm");
  const auto r = HelmTemplate(helm, {"--set", "grafanaDashboard.enabled=true"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto cms = OfKind(r.docs, "ConfigMap", "riposte-dashboard");
  ASSERT_EQ(cms.size(), 1u);
  EXPECT_EQ(cms[0]["metadata"]["labels"]["grafana_dashboard"].as<std::string>(""), "1");
  EXPECT_EQ(cms[0]["metadata"]["namespace"].as<std::string>(""), kNamespace);
  const std::string json = cms[0]["data"]["riposte.json"].as<std::string>("");
  EXPECT_EQ(value::parse(json).serialize(), Dashboard().serialize()) << "the ConfigMap does not carry the dashboard unchanged";
  // Another sidecar label (grafana chart: sidecar.dashboards.label); null drops the default one.
  const auto custom = HelmTemplate(helm, {"--set", "grafanaDashboard.enabled=true", "--set-json",
                                          R"(grafanaDashboard.labels={"grafana_dashboard":null,"my_dashboards":"yes"})"});
  ASSERT_EQ(custom.exit_code, 0) << custom.output;
  const auto labels = OfKind(custom.docs, "ConfigMap", "riposte-dashboard").at(0)["metadata"]["labels"];
  EXPECT_EQ(labels["my_dashboards"].as<std::string>(""), "yes");
  EXPECT_FALSE(labels["grafana_dashboard"]) << "a null value removes the default label";
}

}  // namespace
}  // namespace riposte::deploy_test
