#include "webhook/handler.h"

#include <algorithm>
#include <chrono>
#include <exception>

#include "common/log.h"
#include "webhook/admission.h"
#include "webhook/decision.h"

namespace riposte::webhook {

namespace {

std::string Join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ",") + s;
  return out;
}

}  // namespace

namespace {

enum ConfigMapReview { kUnreferenced, kReferenced, kController, kUnsynced };

}  // namespace

AdmissionHandler::AdmissionHandler(PolicyWatcher* policy, metrics::Registry* registry,
                                   const ConfigMapSource* configmaps)
    : policy_(policy),
      configmaps_(configmaps),
      configmap_reviews_(registry->AddCounter(
          "riposte_admission_configmap_reviews_total",
          "ConfigMap reviews by what they were judged as: unreferenced (admitted without judging), referenced (by an "
          "Ingress), controller (the policy's controller ConfigMap), unsynced (the cache had not synced yet)",
          {"kind"})),
      requests_(registry->AddCounter("riposte_admission_requests_total",
                                     "Admission reviews by result (allowed, denied, warned, audited, invalid, error, bad_request)",
                                     {"result"})),
      bad_requests_(requests_.With({"bad_request"})),
      rules_(registry->AddCounter("riposte_admission_rule_findings_total",
                                  "Reviews in which a rule found something, by rule id and result", {"rule", "result"})),
      latency_(registry
                   ->AddHistogram("riposte_admission_duration_seconds", "Time to parse, judge and answer one review",
                                  metrics::LatencyBuckets())
                   .With()) {
  for (Outcome o : {Outcome::kAllowed, Outcome::kDenied, Outcome::kWarned, Outcome::kAudited, Outcome::kInvalid,
                    Outcome::kError}) {
    by_outcome_[static_cast<size_t>(o)] = &requests_.With({OutcomeName(o)});
  }
  configmap_by_kind_[kUnreferenced] = &configmap_reviews_.With({"unreferenced"});
  configmap_by_kind_[kReferenced] = &configmap_reviews_.With({"referenced"});
  configmap_by_kind_[kController] = &configmap_reviews_.With({"controller"});
  configmap_by_kind_[kUnsynced] = &configmap_reviews_.With({"unsynced"});
}

// A ConfigMap is judged for what reads it: as the controller's own ConfigMap when the policy
// names it, and as each referencing Ingress's annotation reads it. One nobody reads is
// admitted after one index lookup.
Decision AdmissionHandler::JudgeConfigMap(const core::Engine& engine, const AdmissionRequest& req) {
  const core::Policy& policy = engine.policy();
  const bool controller = policy.IsControllerConfigMap(req.ns, req.name, req.labels);
  std::vector<ConfigMapReferrer> referrers;
  bool unsynced = false;
  if (configmaps_ != nullptr) {
    unsynced = !configmaps_->Synced();
    referrers = configmaps_->Referrers(req.ns, req.name);
  }
  if (!controller && referrers.empty()) {
    configmap_by_kind_[unsynced ? kUnsynced : kUnreferenced]->Inc();
    Decision d;
    if (unsynced) {
      d.warnings.push_back(
          "riposte: the ConfigMap cache has not synced yet; this ConfigMap was not checked against the Ingresses "
          "that may reference it");
    }
    return d;
  }
  std::vector<core::Finding> findings;
  if (controller) {
    configmap_by_kind_[kController]->Inc();
    findings = engine.CheckControllerConfigMap(req.configmap);
  }
  if (!referrers.empty()) {
    configmap_by_kind_[kReferenced]->Inc();
    // The same ConfigMap content read the same way (namespace of the reader, annotation) is
    // judged once, however many Ingresses share it.
    std::vector<std::pair<std::string, std::string>> judged;
    for (const auto& r : referrers) {
      const std::string ns = r.ingress.substr(0, r.ingress.find('/'));
      std::pair<std::string, std::string> how{ns, r.annotation};
      if (std::find(judged.begin(), judged.end(), how) != judged.end()) continue;
      judged.push_back(how);
      for (auto& f : engine.CheckReferencedConfigMap(req.configmap, ns, r.annotation)) {
        const bool seen = std::any_of(findings.begin(), findings.end(), [&](const core::Finding& g) {
          return g.rule_id == f.rule_id && g.field == f.field && g.message == f.message;
        });
        if (seen) continue;
        f.message += " (read by Ingress " + r.ingress + " through " + r.annotation + ")";
        findings.push_back(std::move(f));
      }
    }
  }
  return Decide(policy.mode, findings, "ConfigMap");
}

http::Response AdmissionHandler::Handle(const http::Request& http_req) {
  auto start = std::chrono::steady_clock::now();
  http::Response res;
  ParseResult parsed = ParseAdmissionReview(http_req.body, http_req.body.capacity() - http_req.body.size());
  const AdmissionRequest& req = parsed.request;
  ReviewResponse review;
  review.api_version = req.api_version.empty() ? "admission.k8s.io/v1" : req.api_version;
  review.uid = req.uid;
  Decision decision;

  if (parsed.status == ParseStatus::kBadRequest) {
    bad_requests_.Inc();
    log::Warn("bad admission request", {{"remote", http_req.remote}, {"error", parsed.error}});
    return http::JsonError(400, parsed.error);
  }
  if (parsed.status == ParseStatus::kInvalidObject) {
    decision.outcome = Outcome::kInvalid;
    decision.allowed = false;
    decision.code = 400;
    decision.message = "riposte cannot read this object: " + parsed.error;
  } else if (req.NeedsJudgement()) {
    try {
      core::EnginePtr engine = policy_->Engine();
      if (!engine) throw std::runtime_error("no policy loaded");
      const core::Policy& policy = engine->policy();
      if (req.IsConfigMap()) {
        // Not subject to exemptNamespaces: the referencing Ingresses' namespaces are, and the
        // controller's ConfigMap is named by the policy on purpose.
        decision = JudgeConfigMap(*engine, req);
      } else if (!policy.IsExempt(req.ns)) {
        std::unique_ptr<core::ConfigMapLookup> lookup;
        if (req.IsIngress() && configmaps_ != nullptr) lookup = configmaps_->Lookup();
        decision = Decide(policy.mode,
                          req.IsIngress() ? engine->Check(req.ingress, lookup.get()) : engine->Check(req.resource),
                          req.kind.kind);
      }
    } catch (const std::exception& e) {
      decision = Decision{};
      decision.outcome = Outcome::kError;
      decision.allowed = false;
      decision.code = 500;
      decision.message = "riposte internal error; denied because the webhook fails closed";
      log::Error("admission internal error", {{"uid", req.uid}, {"error", e.what()}});
    }
  }

  review.allowed = decision.allowed;
  review.code = decision.code;
  review.message = decision.message;
  review.warnings = decision.warnings;
  res.body = BuildResponse(review);

  const char* outcome = OutcomeName(decision.outcome);
  by_outcome_[static_cast<size_t>(decision.outcome)]->Inc();
  for (const auto& rule : decision.rule_ids) rules_.With({rule, outcome}).Inc();
  if (decision.outcome != Outcome::kAllowed && decision.outcome != Outcome::kError) {
    // Dry runs are judged and answered the same way, but they are not incidents.
    log::Level level = req.dry_run ? log::Level::kDebug
                       : (decision.outcome == Outcome::kDenied || decision.outcome == Outcome::kInvalid)
                           ? log::Level::kWarn
                           : log::Level::kInfo;
    if (log::Enabled(level)) {
      std::string rules = Join(decision.rule_ids);
      log::Write(level,
                 req.dry_run                    ? "admission dry run judged"
                 : level == log::Level::kWarn ? "admission denied"
                                                : "admission finding allowed by policy mode",
                 {{"outcome", outcome},
                  {"namespace", req.ns},
                  {"name", req.name},
                  {"user", req.username},
                  {"operation", req.operation},
                  {"uid", req.uid},
                  {"rules", rules},
                  {"dry_run", req.dry_run ? "true" : "false"},
                  {"error", parsed.error}});
    }
  }
  latency_.Observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  return res;
}

}  // namespace riposte::webhook
