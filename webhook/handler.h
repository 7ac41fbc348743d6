#pragma once
// POST /validate/ingress: AdmissionReview in, AdmissionReview out.
//
// Failure policy: an internal error (no policy loaded, the engine throwing) is answered with
// allowed:false and status.code 500 carrying the request's uid. A security webhook that fails
// open lets exactly the objects it exists to stop through whenever it can be made to fail;
// deploy it with failurePolicy: Fail for the same reason.

#include <array>
#include <string>

#include "common/http_server.h"
#include "common/metrics.h"
#include "webhook/admission.h"
#include "webhook/configmap_guard.h"
#include "webhook/decision.h"
#include "webhook/policy_watcher.h"

namespace riposte::webhook {

class AdmissionHandler {
 public:
  // `configmaps` null: ConfigMaps are judged only as the policy's controller ConfigMaps, and
  // Ingresses without their referenced ConfigMaps' content.
  AdmissionHandler(PolicyWatcher* policy, metrics::Registry* registry, const ConfigMapSource* configmaps = nullptr);

  http::Response Handle(const http::Request& req);

 private:
  Decision JudgeConfigMap(const core::Engine& engine, const AdmissionRequest& req);

  PolicyWatcher* policy_;
  const ConfigMapSource* configmaps_;
  metrics::CounterFamily& configmap_reviews_;
  std::array<metrics::Counter*, 4> configmap_by_kind_{};
  metrics::CounterFamily& requests_;
  // Children looked up once: With() takes the family's mutex, which every request would
  // otherwise contend on.
  std::array<metrics::Counter*, 6> by_outcome_{};
  metrics::Counter& bad_requests_;
  metrics::CounterFamily& rules_;
  metrics::Histogram& latency_;
};

}  // namespace riposte::webhook
