#pragma once
// Judges the existing Ingresses with the engine, from the snapshot or from the live audit's feed.

#include "audit/analysis_state.h"

namespace riposte::audit::analysis {

// Ingresses from st.snap.
void JudgeIngresses(AnalysisState& st);
// Ingresses from st.feed, which must be set; keeps what the migration inventory needs in st.fed.
void JudgeFeed(AnalysisState& st);

}  // namespace riposte::audit::analysis
