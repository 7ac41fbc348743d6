#pragma once
// Checks Riposte's own admission webhook: installed, covering Ingresses, failing closed, with
// ready endpoints.

#include "audit/analysis_state.h"

namespace riposte::audit::analysis {

// Fills st.report.riposte and adds a finding when the webhook is missing or not enforcing.
void CheckRiposteWebhook(AnalysisState& st);

}  // namespace riposte::audit::analysis
