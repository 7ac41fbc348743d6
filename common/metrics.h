#pragma once
// A small Prometheus registry (counters, gauges, fixed-bucket histograms, label sets) with
// text exposition format 0.0.4. Shared by the webhook and the controller.
//
// Hot path: Family::With() takes a mutex only to find the child; callers that use fixed label
// values keep the returned reference (children are never removed, so references stay valid)
// and then every Inc/Set/Observe is lock-free atomics.

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace riposte::metrics {

class Counter {
 public:
  void Inc(double v = 1.0);  // negative increments are ignored: counters only go up
  double Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0.0};
};

class Gauge {
 public:
  void Set(double v) { value_.store(v, std::memory_order_relaxed); }
  void Add(double v);
  double Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0.0};
};

class Histogram {
 public:
  explicit Histogram(std::vector<double> upper_bounds);  // sorted ascending, +Inf implied
  void Observe(double v);

  struct Snapshot {
    std::vector<double> upper_bounds;
    std::vector<uint64_t> cumulative;  // one per bound, then +Inf
    uint64_t count = 0;
    double sum = 0;
  };
  Snapshot Snap() const;

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> buckets_;  // non-cumulative, bounds_.size()+1
  std::atomic<uint64_t> count_{0};
  std::atomic<double> sum_{0.0};
};

// Default latency buckets in seconds, tuned for sub-millisecond admission decisions; the top
// buckets reach the API server's webhook timeout (1-30 s) so a p99 near it can be seen.
std::vector<double> LatencyBuckets();

enum class Type { kCounter, kGauge, kHistogram };

class FamilyBase {
 public:
  FamilyBase(std::string name, std::string help, Type type, std::vector<std::string> label_names);
  virtual ~FamilyBase() = default;
  const std::string& name() const { return name_; }
  virtual void Render(std::string* out) const = 0;

 protected:
  std::string Header() const;
  std::string Labels(const std::vector<std::string>& values, std::string_view extra_name = {},
                     std::string_view extra_value = {}) const;
  std::string name_;
  std::string help_;
  Type type_;
  std::vector<std::string> label_names_;
};

template <typename T>
class Family : public FamilyBase {
 public:
  Family(std::string name, std::string help, Type type, std::vector<std::string> label_names,
         std::vector<double> bounds = {})
      : FamilyBase(std::move(name), std::move(help), type, std::move(label_names)),
        bounds_(std::move(bounds)) {}

  // Child for these label values (missing values are empty, extra values are ignored).
  T& With(std::vector<std::string> values);
  T& With() { return With(std::vector<std::string>{}); }
  void Render(std::string* out) const override;

 private:
  mutable std::mutex mu_;
  std::vector<double> bounds_;
  std::map<std::vector<std::string>, std::unique_ptr<T>> children_;
};

using CounterFamily = Family<Counter>;
using GaugeFamily = Family<Gauge>;
using HistogramFamily = Family<Histogram>;

class Registry {
 public:
  // Names must match [a-zA-Z_:][a-zA-Z0-9_:]*; registering the same name twice returns the
  // existing family when the type matches and throws std::invalid_argument otherwise.
  CounterFamily& AddCounter(const std::string& name, const std::string& help,
                            std::vector<std::string> label_names = {});
  GaugeFamily& AddGauge(const std::string& name, const std::string& help,
                        std::vector<std::string> label_names = {});
  HistogramFamily& AddHistogram(const std::string& name, const std::string& help,
                                std::vector<double> bounds, std::vector<std::string> label_names = {});

  std::string Render() const;  // text format 0.0.4, families in registration order

 private:
  template <typename F>
  F& Add(const std::string& name, Type type, std::unique_ptr<F> family);
  mutable std::mutex mu_;
  std::vector<std::unique_ptr<FamilyBase>> families_;
};

using RegistryPtr = std::shared_ptr<Registry>;

inline constexpr std::string_view kContentType = "text/plain; version=0.0.4; charset=utf-8";

// Exposition helpers, exposed for tests.
std::string EscapeHelp(std::string_view s);
std::string EscapeLabelValue(std::string_view s);
std::string FormatValue(double v);
bool ValidMetricName(std::string_view s);
bool ValidLabelName(std::string_view s);

}  // namespace riposte::metrics
