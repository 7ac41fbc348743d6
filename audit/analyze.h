#pragma once
// Snapshot -> Report: finds ingress-nginx controllers, their versions, CVEs, settings,
// exposure and admission reachability; judges existing Ingresses with the engine; checks
// Riposte's own webhook. Pure: no I/O, deterministic output for a given snapshot.

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

}  // namespace riposte::audit
