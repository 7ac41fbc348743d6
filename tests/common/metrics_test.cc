#include "common/metrics.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace riposte::metrics {
namespace {

TEST(MetricsTest, CounterWithLabelsRendersHelpTypeAndEscapedValues) {
  Registry r;
  auto& c = r.AddCounter("riposte_test_total", "Help with \\ backslash\nand newline", {"result"});
  c.With({"denied"}).Inc();
  c.With({"denied"}).Inc(2);
  c.With({"we\"ird\\va\nl"}).Inc();
  std::string out = r.Render();
  EXPECT_NE(out.find("# HELP riposte_test_total Help with \\\\ backslash\\nand newline\n"), std::string::npos) << out;
  EXPECT_NE(out.find("# TYPE riposte_test_total counter\n"), std::string::npos);
  EXPECT_NE(out.find("riposte_test_total{result=\"denied\"} 3\n"), std::string::npos) << out;
  EXPECT_NE(out.find("riposte_test_total{result=\"we\\\"ird\\\\va\\nl\"} 1\n"), std::string::npos) << out;
}

TEST(MetricsTest, CountersIgnoreNegativeIncrements) {
  Counter c;
  c.Inc(5);
  c.Inc(-3);
  EXPECT_EQ(c.Value(), 5);
}

TEST(MetricsTest, UnlabelledFamiliesAreExposedBeforeFirstEvent) {
  Registry r;
  r.AddGauge("g", "a gauge");
  r.AddHistogram("h_seconds", "a histogram", {0.1, 1});
  std::string out = r.Render();
  EXPECT_NE(out.find("\ng 0\n"), std::string::npos) << out;
  EXPECT_NE(out.find("h_seconds_bucket{le=\"+Inf\"} 0\n"), std::string::npos) << out;
  EXPECT_NE(out.find("h_seconds_count 0\n"), std::string::npos) << out;
}

TEST(MetricsTest, HistogramBucketsAreCumulativeWithInfSumAndCount) {
  Registry r;
  auto& h = r.AddHistogram("lat_seconds", "latency", {0.001, 0.01, 0.1}).With();
  h.Observe(0.0005);
  h.Observe(0.001);  // le is inclusive
  h.Observe(0.05);
  h.Observe(5);
  std::string out = r.Render();
  EXPECT_NE(out.find("lat_seconds_bucket{le=\"0.001\"} 2\n"), std::string::npos) << out;
  EXPECT_NE(out.find("lat_seconds_bucket{le=\"0.01\"} 2\n"), std::string::npos) << out;
  EXPECT_NE(out.find("lat_seconds_bucket{le=\"0.1\"} 3\n"), std::string::npos) << out;
  EXPECT_NE(out.find("lat_seconds_bucket{le=\"+Inf\"} 4\n"), std::string::npos) << out;
  EXPECT_NE(out.find("lat_seconds_count 4\n"), std::string::npos) << out;
  EXPECT_NE(out.find("lat_seconds_sum 5.0515\n"), std::string::npos) << out;
}

TEST(MetricsTest, HistogramWithLabelsPutsLeLast) {
  Registry r;
  r.AddHistogram("x_seconds", "x", {1}, {"route"}).With({"/a"}).Observe(0.5);
  std::string out = r.Render();
  EXPECT_NE(out.find("x_seconds_bucket{route=\"/a\",le=\"1\"} 1\n"), std::string::npos) << out;
  EXPECT_NE(out.find("x_seconds_sum{route=\"/a\"} 0.5\n"), std::string::npos) << out;
}

TEST(MetricsTest, RejectsBadNamesAndTypeConflicts) {
  Registry r;
  EXPECT_THROW(r.AddCounter("1bad", "x"), std::invalid_argument);
  EXPECT_THROW(r.AddCounter("ok_total", "x", {"__reserved"}), std::invalid_argument);
  EXPECT_THROW(r.AddHistogram("h", "x", {1}, {"le"}), std::invalid_argument);
  auto& a = r.AddCounter("same_total", "x");
  EXPECT_EQ(&a, &r.AddCounter("same_total", "x"));
  EXPECT_THROW(r.AddGauge("same_total", "x"), std::invalid_argument);
}

TEST(MetricsTest, FormatsSpecialValues) {
  EXPECT_EQ(FormatValue(1.0 / 0.0), "+Inf");
  EXPECT_EQ(FormatValue(-1.0 / 0.0), "-Inf");
  EXPECT_EQ(FormatValue(0.0 / 0.0), "NaN");
  EXPECT_EQ(FormatValue(1764000000), "1764000000");
  EXPECT_EQ(FormatValue(0.25), "0.25");
}

TEST(MetricsTest, ConcurrentIncrementsAreNotLost) {
  Registry r;
  auto& fam = r.AddCounter("c_total", "c", {"k"});
  auto& h = r.AddHistogram("d_seconds", "d", {0.5}).With();
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 10000; ++i) {
        fam.With({t % 2 ? "odd" : "even"}).Inc();
        h.Observe(0.25);
        if (i % 1000 == 0) (void)r.Render();
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(fam.With({"odd"}).Value() + fam.With({"even"}).Value(), 80000);
  EXPECT_EQ(h.Snap().count, 80000u);
}

}  // namespace
}  // namespace riposte::metrics
