#pragma once
// Fills a ClusterSnapshot from the API server. A resource that cannot be listed (RBAC denied,
// server error) is recorded in snapshot.errors and the rest is still collected, so the report
// can say exactly what is missing instead of aborting.

#include <cstdint>
#include <string>

#include "audit/snapshot.h"
#include "kube/kube_client.h"

namespace riposte::audit {

struct CollectOptions {
  std::string ns;           // "" = all namespaces (cluster-scoped kinds are always listed)
  int64_t page_size = 500;
};

ClusterSnapshot Collect(kube::KubeClient& client, const CollectOptions& options);

// The API resource behind a snapshot key (see res::). nullptr when unknown.
const kube::Resource* ResourceForKey(const std::string& key);

}  // namespace riposte::audit
