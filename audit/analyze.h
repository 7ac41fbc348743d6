#pragma once
// Snapshot -> Report: finds ingress-nginx controllers, their versions, CVEs, settings,
// exposure and admission reachability; judges existing Ingresses with the engine; checks
// Riposte's own webhook. Pure: no I/O, deterministic output for a given snapshot.

#include <functional>
#include <map>
#include <optional>
#include <string>

#include "audit/ingress_checker.h"
#include "audit/report.h"
#include "audit/snapshot.h"

namespace riposte::audit {

struct AnalyzeOptions {
  IngressCheckerPtr checker;  // nullptr: Ingresses are listed but not judged (report says so)
  std::string generated_at;   // copied into the report; "" omits it
  bool migration = false;     // also build the Gateway API migration inventory (Report::migration)
};

Report Analyze(const ClusterSnapshot& snapshot, const AnalyzeOptions& options);

// The live audit's Ingresses (audit/cluster_audit.h), handed over one at a time so that only
// each one's result and findings are kept, never the objects.
struct IngressFeed {
  // Calls `judge` for every Ingress in scope; returns the error that stopped the listing, if
  // any. The Ingresses judged before it are then dropped and ingresses reported unreadable,
  // exactly as when a whole list fails. `restart` is called when the listing starts over
  // (an expired continue token): what was judged so far is dropped.
  std::function<std::optional<ReadError>(const std::function<void(const web::json::value&)>& judge,
                                         const std::function<void()>& restart)>
      for_each;
  const core::ConfigMapLookup* configmaps = nullptr;  // ConfigMaps named by Ingress annotations
  // Resources found unreadable while the feed ran (a ConfigMap read failed), by key.
  std::function<std::map<std::string, ReadError>()> late_errors;
};

// `snapshot` holds everything but the Ingresses, which come from `ingresses`.
Report Analyze(const ClusterSnapshot& snapshot, const AnalyzeOptions& options, const IngressFeed& ingresses);

}  // namespace riposte::audit
