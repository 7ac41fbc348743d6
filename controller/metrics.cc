#include "controller/metrics.h"

#include <sstream>

namespace riposte::controller {

void ControllerMetrics::Suppressed(const std::string& reason) {
  std::lock_guard lock(mu_);
  ++suppressed_[reason];
}

void ControllerMetrics::Action(const std::string& type, const std::string& result) {
  std::lock_guard lock(mu_);
  ++actions_[{type, result}];
}

void ControllerMetrics::Latency(double seconds) {
  std::lock_guard lock(mu_);
  for (size_t i = 0; i < kBuckets.size(); ++i)
    if (seconds <= kBuckets[i]) ++bucket_counts_[i];
  ++latency_count_;
  latency_sum_ += seconds;
}

std::string ControllerMetrics::Render() const {
  std::ostringstream o;
  auto counter = [&](const char* name, const char* help, uint64_t v) {
    o << "# HELP " << name << " " << help << "\n# TYPE " << name << " counter\n" << name << " " << v << "\n";
  };
  static const IngestCounters kZero;
  const IngestCounters& c = ingest_ ? *ingest_ : kZero;
  counter("riposte_alerts_received_total", "Alert requests received.", c.received.load());
  counter("riposte_alerts_rejected_total", "Alert bodies refused with a 4xx.", c.rejected.load());
  counter("riposte_alerts_matched_total", "Alerts that matched at least one ResponsePolicy.", c.matched.load());
  counter("riposte_alerts_unmatched_total", "Alerts that matched no ResponsePolicy.", c.unmatched.load());
  counter("riposte_alerts_no_target_total", "Alerts that matched but named no pod.", c.no_target.load());
  counter("riposte_responses_recorded_total", "ResponseActions recorded for alerts.", c.recorded.load());
  counter("riposte_alerts_unavailable_total", "Alerts answered 503 (no leader, API unreachable).", c.unavailable.load());
  std::lock_guard lock(mu_);
  o << "# HELP riposte_alerts_suppressed_total Responses suppressed by a guard.\n"
       "# TYPE riposte_alerts_suppressed_total counter\n";
  for (const auto& [reason, v] : suppressed_)
    o << "riposte_alerts_suppressed_total{reason=\"" << reason << "\"} " << v << "\n";
  o << "# HELP riposte_actions_total Response actions by type and result.\n"
       "# TYPE riposte_actions_total counter\n";
  for (const auto& [key, v] : actions_)
    o << "riposte_actions_total{type=\"" << key.first << "\",result=\"" << key.second << "\"} " << v << "\n";
  o << "# HELP riposte_alert_to_action_seconds Time from alert receipt to the first action done.\n"
       "# TYPE riposte_alert_to_action_seconds histogram\n";
  for (size_t i = 0; i < kBuckets.size(); ++i)
    o << "riposte_alert_to_action_seconds_bucket{le=\"" << kBuckets[i] << "\"} " << bucket_counts_[i] << "\n";
  o << "riposte_alert_to_action_seconds_bucket{le=\"+Inf\"} " << latency_count_ << "\n"
    << "riposte_alert_to_action_seconds_sum " << latency_sum_ << "\n"
    << "riposte_alert_to_action_seconds_count " << latency_count_ << "\n";
  o << "# HELP riposte_workqueue_depth ResponseActions waiting to be reconciled.\n"
       "# TYPE riposte_workqueue_depth gauge\nriposte_workqueue_depth "
    << (queue_depth_ ? queue_depth_() : 0) << "\n";
  o << "# HELP riposte_leader 1 when this replica holds the Lease.\n# TYPE riposte_leader gauge\nriposte_leader "
    << (leader_ && leader_() ? 1 : 0) << "\n";
  o << registry_.Render();
  for (const auto& section : sections_) o << section();
  return o.str();
}

}  // namespace riposte::controller
