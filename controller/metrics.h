#pragma once
// Controller metrics in Prometheus text format: alerts received/matched/suppressed by
// reason, actions by type and result, alert-to-action latency histogram, queue depth.

#include <array>
#include <atomic>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "common/metrics.h"
#include "controller/ingest.h"

namespace riposte::controller {

class ControllerMetrics {
 public:
  // Alert counters are kept by the ingestor; Render reads them.
  void SetIngestCounters(const IngestCounters* c) { ingest_ = c; }
  void Suppressed(const std::string& reason);
  void Action(const std::string& type, const std::string& result);
  void Latency(double seconds);
  // Gauges read at scrape time.
  void SetQueueDepth(std::function<size_t()> fn) { queue_depth_ = std::move(fn); }
  void SetLeader(std::function<bool()> fn) { leader_ = std::move(fn); }
  // Families kept in a common/metrics.h registry (policy status writes, ...), rendered after
  // the ones above.
  metrics::Registry& registry() { return registry_; }
  // Exposition text of a component with its own registry (the periodic audit), appended at
  // scrape time. Register before the metrics listener starts.
  void AddSection(std::function<std::string()> fn) { sections_.push_back(std::move(fn)); }

  std::string Render() const;

 private:
  static constexpr std::array<double, 12> kBuckets = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                                      0.5,   1,    2.5,   5,    10,  30};
  const IngestCounters* ingest_ = nullptr;
  mutable std::mutex mu_;
  std::map<std::string, uint64_t> suppressed_;
  std::map<std::pair<std::string, std::string>, uint64_t> actions_;
  std::array<uint64_t, kBuckets.size()> bucket_counts_{};
  uint64_t latency_count_ = 0;
  double latency_sum_ = 0;
  std::function<size_t()> queue_depth_;
  std::function<bool()> leader_;
  metrics::Registry registry_;
  std::vector<std::function<std::string()>> sections_;
};

}  // namespace riposte::controller
