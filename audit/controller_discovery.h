#pragma once
// Finds the ingress-nginx controllers in a snapshot (their pods, settings, Services,
// NetworkPolicies and admission webhook) and reports their CVEs, settings and reachability.

#include "audit/analysis_state.h"

namespace riposte::audit::analysis {

// Adds a candidate to st.candidates for every controller container found.
void FindControllers(AnalysisState& st);
// Resolves the candidate and adds its Controller and findings to st.report.
void AnalyzeController(AnalysisState& st, ControllerCandidate& c);

}  // namespace riposte::audit::analysis
