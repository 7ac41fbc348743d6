#include "webhook/handler.h"

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

AdmissionHandler::AdmissionHandler(PolicyWatcher* policy, metrics::Registry* registry)
    : policy_(policy),
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
      if (!policy.IsExempt(req.ns)) {
        decision = Decide(policy.mode, req.IsIngress() ? engine->Check(req.ingress) : engine->Check(req.resource),
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
