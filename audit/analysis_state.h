#pragma once
// What the analysis passes (controller discovery, Ingress judging, Riposte's webhook check)
// share while one Analyze call builds its Report. Internal to audit/: not a stable interface.

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "audit/analyze.h"
#include "audit/report.h"
#include "audit/snapshot.h"
#include "audit/version.h"

namespace riposte::audit::analysis {

struct ControllerCandidate {
  Controller ctrl;
  std::map<std::string, std::string> pod_labels;
  std::vector<std::string> args;
  std::optional<Version> version;
  std::vector<std::string> container_port_names_for_admission;
};

struct AnalysisState {
  AnalysisState(const ClusterSnapshot& snapshot, const AnalyzeOptions& options, const IngressFeed* ingress_feed)
      : snap(snapshot), opts(options), feed(ingress_feed) {}

  void AddFinding(AuditFinding f) { report.findings.push_back(std::move(f)); }

  void AddUnreadable(const std::string& resource, const ReadError& err) {
    report.unreadable.push_back({resource, err.reason, err.code, err.message});
    AddFinding({.id = "unreadable/" + resource,
                .category = Category::kUnreadable,
                .severity = core::Severity::kMedium,
                .object = {"Resource", "", resource},
                .cves = {},
                .rule_id = "AUD-UNREADABLE",
                .field = resource,
                .title = "could not read " + resource,
                .detail = (err.reason.empty() ? std::string("error") : err.reason) +
                          (err.code != 0 ? " (" + std::to_string(err.code) + ")" : std::string()) +
                          (err.message.empty() ? std::string() : ": " + err.message) +
                          ". Checks that need " + resource + " are incomplete.",
                .remediation = "grant the audit identity list on " + resource +
                               " (see docs/audit.md for the ClusterRole) and run again"});
  }

  const ClusterSnapshot& snap;
  const AnalyzeOptions& opts;
  const IngressFeed* feed;
  ClusterSnapshot fed;  // with a feed: the Ingress fields the migration inventory reads
  std::vector<ControllerCandidate> candidates;
  Report report;
};

inline std::string Join(const std::vector<std::string>& parts) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) out += (i ? ", " : "") + parts[i];
  return out;
}

}  // namespace riposte::audit::analysis
