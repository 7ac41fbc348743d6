#pragma once
// How Riposte's own webhook is installed, beyond "registered and enforcing": which namespaces
// and objects its ValidatingWebhookConfiguration sends to it, and the policy it runs (mode,
// exempt namespaces, snippets, IngressClasses, disabled rules). The policy is found the way
// the kubelet would: webhook Service -> the Deployment it selects -> the container's --policy
// file -> the ConfigMap volume mounted there. Secrets are never read.

#include "audit/report.h"
#include "audit/snapshot.h"

namespace riposte::audit {

// Fills status->scope and status->policy when status->installed (CheckRiposteWebhook found the
// webhook named status->configuration / status->webhook). Never fails: what cannot be read is
// explained in status->policy.error.
void ReadRiposteInstall(const ClusterSnapshot& snapshot, RiposteWebhookStatus* status);

}  // namespace riposte::audit
