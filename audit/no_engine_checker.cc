// Used when riposte_core is not built: the audit still reports controllers, settings and
// reachability, and says in the report that existing Ingresses were not judged.
#include "audit/ingress_checker.h"

namespace riposte::audit {

IngressCheckerPtr NewEngineChecker() { return nullptr; }

}  // namespace riposte::audit
