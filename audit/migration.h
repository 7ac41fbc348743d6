#pragma once
// The Gateway API migration inventory (`riposte audit --migration`): every Ingress served by
// ingress-nginx, the ingress-nginx annotations it uses and how each carries over (core /
// extended HTTPRoute features, an implementation-specific policy, or nothing: a blocker), with
// per-namespace counts and the list of blockers. Works on the analysed report plus the
// snapshot's Ingress objects (the report keeps no annotations).

#include "audit/migration_report.h"
#include "audit/report.h"
#include "audit/snapshot.h"

namespace riposte::audit {

// An Ingress counts as served by ingress-nginx when the analysis attached it to a controller
// (its class is the controller's --ingress-class, or it has none). When the audit saw no
// controller at all (e.g. --namespace of an application namespace), Ingresses of class "nginx",
// or without a class and with annotations under the default prefix, are taken, marked
// "controller not seen".
MigrationInventory BuildMigrationInventory(const ClusterSnapshot& snapshot, const Report& report);

}  // namespace riposte::audit
