#pragma once
// The live audit in bounded memory: what `riposte audit` and the controller's periodic audit
// run against a cluster. Collect (collector.h) keeps every object of every resource, which on a
// cluster of 50,000 pods is gigabytes of JSON; this reads the same resources page by page and
// keeps only the objects the analysis looks at:
//
//   ValidatingWebhookConfigurations  all (few; they name the Services the audit follows)
//   Deployments, DaemonSets          those running an ingress-nginx controller, and the
//                                    Deployments in the namespace of a webhook Service
//   Pods                             those an ingress-nginx workload selects, and standalone
//                                    controller pods (the only full list that is unavoidable)
//   Services, NetworkPolicies        in the controllers' namespaces; Services a webhook names
//   Endpoints                        those of a Service a webhook names
//   ConfigMaps                       by name only: the controllers' --configmap, the ones the
//                                    Deployments behind a webhook mount, and those Ingress
//                                    annotations reference (fetched when the engine asks)
//   Ingresses                        judged one page at a time; only results and findings stay
//
// Each page is dropped once filtered, so memory is bounded by one page plus what is kept, not
// by the size of the cluster. The report is the one Analyze(Collect(...)) gives on the same
// cluster (tests/audit/cluster_audit_test.cc, tests/e2e/audit_test.cc compare them).

#include "audit/analyze.h"
#include "audit/collector.h"
#include "kube/kube_client.h"

namespace riposte::audit {

// options.cancelled is asked after every page: a cancelled pass stops within one request.
Report AuditCluster(kube::KubeClient& client, const CollectOptions& collect, const AnalyzeOptions& analyze);

}  // namespace riposte::audit
