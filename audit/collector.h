#pragma once
// Fills a ClusterSnapshot from the API server. A resource that cannot be listed (RBAC denied,
// server error) is recorded in snapshot.errors and the rest is still collected, so the report
// can say exactly what is missing instead of aborting.

#include <cstdint>
#include <functional>
#include <string>

#include "audit/snapshot.h"
#include "kube/kube_client.h"

namespace riposte::audit {

struct CollectOptions {
  std::string ns;           // "" = all namespaces (cluster-scoped kinds are always listed)
  // A page is held whole while it is filtered (about 100 KB per pod as parsed JSON), so the
  // page size, not the cluster, sets the audit's peak memory: 100 pods is about 10 MiB.
  int64_t page_size = 100;
  // Asked before each resource; once true the remaining resources are recorded as unreadable
  // ("Cancelled") and Collect returns, so a long audit stops promptly (controller shutdown,
  // loss of leadership) and the partial snapshot never passes for a complete one.
  std::function<bool()> cancelled = nullptr;
};

ClusterSnapshot Collect(kube::KubeClient& client, const CollectOptions& options);

// The API resource behind a snapshot key (see res::). nullptr when unknown.
const kube::Resource* ResourceForKey(const std::string& key);

}  // namespace riposte::audit
