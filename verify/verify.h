#pragma once
// `riposte verify`: is this cluster protected by Riposte right now? It asks the cluster the way
// an attacker's write would travel: a known IngressNightmare Ingress and a benign one are
// created with server-side dry run (dryRun=All: admission runs, nothing is stored), and the
// answers must be Riposte's denial (with its rule ids) and an admission. Then the parts that
// keep that true are checked: the ValidatingWebhookConfiguration and its caBundle against the
// serving certificate, ready webhook endpoints, the controller's Lease and readiness.
// Every failed check says why and how to fix it (docs/verify.md).

#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "kube/api_error.h"
#include "kube/kube_client.h"
#include "verify/probe.h"

namespace riposte::verify {

inline constexpr const char* kRiposteWebhookName = "ingress.validate.riposte.io";

struct Options {
  // The ValidatingWebhookConfiguration; also the prefix of the other objects' names (the Helm
  // release's full name, "riposte" for release riposte and for the plain manifests).
  std::string name = "riposte";
  // Riposte's namespace (Lease, Services). "" = the namespace of the webhook's Service, else
  // "riposte".
  std::string ns;
  // Where the dry-run Ingresses are submitted: a namespace whose Ingresses must be protected.
  std::string test_namespace = "default";
  std::string ingress_class = "nginx";        // spec.ingressClassName of the test Ingresses ("" = none)
  std::map<std::string, std::string> labels;  // extra labels (to match a webhook objectSelector)
  std::string lease_name = "riposte-controller";
  bool controller = true;  // false: the controller is not installed; its checks are skipped
  // Connect to Services by their cluster IP (verify runs inside the cluster, e.g. as the chart's
  // `helm test`). Outside, only URL-form webhooks are reached directly; Service-form readiness
  // comes from EndpointSlices and the caBundle is proven by the API server's own call.
  bool in_cluster = false;
  std::string webhook_address;     // "host:port": reach the webhook here instead (certificate still checked for the Service's name)
  std::string controller_address;  // "host:port" of the controller's metrics listener (/readyz)
  // Lease renewals older than leaseDurationSeconds plus this are stale (clocks differ a little).
  std::chrono::seconds clock_skew{5};
  // RBAC denials are retried this long: the authorizer sees new (Cluster)RoleBindings a moment
  // after they are created, and `helm test` creates the test's RBAC right before its pod.
  std::chrono::milliseconds rbac_settle{10000};
  std::function<std::chrono::system_clock::time_point()> now = [] { return std::chrono::system_clock::now(); };
};

enum class Status { kOk, kFail, kSkip };
const char* StatusName(Status s);  // "ok", "FAIL", "skip"

struct Check {
  std::string name;    // "webhook-configuration", "attack-denied", ...
  Status status = Status::kSkip;
  std::string detail;  // what was found
  std::string fix;     // what to do (failures only)
};

struct Report {
  std::string configuration;   // ValidatingWebhookConfiguration name
  std::string ns;              // Riposte's namespace
  std::string test_namespace;
  std::vector<Check> checks;
  std::string error;           // verify itself could not run (exit 2)

  bool Protected() const;
  int ExitCode() const;  // 0 protected, 1 not protected, 2 could not run
};

Report Run(kube::KubeClient& client, Prober& prober, const Options& options);

std::string RenderText(const Report& report);
std::string RenderJson(const Report& report);

// How the API server answered a dry-run create of an Ingress.
struct Answer {
  enum class Kind {
    kAdmitted,
    kDeniedByRiposte,      // admission webhook "ingress.validate.riposte.io" denied the request
    kDeniedByOther,        // another webhook, or a ValidatingAdmissionPolicy
    kWebhookCallFailed,    // failed calling webhook "<riposte>" (failurePolicy Fail)
    kOtherWebhookFailed,   // failed calling some other webhook
    kNoDryRunSupport,      // a webhook with side effects refuses dry runs
    kRefused,              // anything else: RBAC, validation, missing namespace, transport
  } kind = Kind::kAdmitted;
  std::string origin;                  // the webhook or policy named in the message
  std::vector<std::string> rule_ids;   // RIP-... ids in the message, in order, unique
  std::string message;                 // the API server's message
  bool tls_error = false;              // the call failed on the certificate (x509)
};
Answer Classify(const kube::ApiError& error, const std::string& riposte_webhook = kRiposteWebhookName);

// The objects submitted (JSON), exposed for tests and docs: generateName riposte-verify-*.
web::json::value AttackIngress(const Options& options);
web::json::value BenignIngress(const Options& options);
// Rule ids the engine itself reports for AttackIngress with the default policy.
std::vector<std::string> ExpectedAttackRules();

}  // namespace riposte::verify
