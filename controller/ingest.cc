#include "controller/ingest.h"

#include "common/log.h"
#include "controller/response_action.h"

namespace riposte::controller {

using web::json::value;

namespace {

constexpr int kRetryAfterSeconds = 5;

IngestReply Error(int status, const std::string& code, const std::string& message, int retry_after = 0) {
  IngestReply r;
  r.status = status;
  r.body = value::object();
  r.body["error"] = value::string(code);
  r.body["message"] = value::string(message);
  r.retry_after_seconds = retry_after;
  return r;
}

}  // namespace

AlertIngestor::AlertIngestor(IngestDeps deps, AlertLimits limits) : deps_(std::move(deps)), limits_(limits) {}

IngestReply AlertIngestor::Handle(std::string_view body) {
  ++counters_.received;
  const auto received = deps_.now();
  Alert alert;
  AlertError perr;
  if (!ParseAlert(body, &alert, &perr, limits_)) {
    ++counters_.rejected;
    log::Warn("alert rejected", {{"reason", perr.code}, {"error", perr.message}});
    return Error(perr.status, perr.code, perr.message);
  }
  const std::string alert_id = AlertId(alert);
  // Before matching: with no leader or no API we cannot record anything durably, and an
  // answer of 200 for "no match" would be a guess made on a stale policy cache.
  if (deps_.ready && !deps_.ready()) {
    ++counters_.unavailable;
    log::Warn("alert deferred: controller not ready", {{"alert", alert_id}, {"rule", alert.rule}});
    return Error(503, "not_ready", "no leader or Kubernetes API unreachable; retry later", kRetryAfterSeconds);
  }
  auto reply_body = value::object();
  reply_body["alert"] = value::string(alert_id);
  auto responses = value::array();
  auto suppressed = value::array();
  bool any_match = false, no_target = false, unavailable = false;
  std::string unavailable_msg;
  for (const auto& policy : deps_.policies()) {
    auto m = Match(*policy, alert, deps_.namespace_labels);
    if (m == MatchResult::kNoMatch) continue;
    if (m == MatchResult::kNoTarget) {
      no_target = true;
      continue;
    }
    any_match = true;
    auto ticket = deps_.guards->Admit(*policy, *alert.target);
    if (ticket.reason != Suppression::kNone) {
      if (ticket.reason == Suppression::kBusy) {
        unavailable = true;
        unavailable_msg = ticket.message;
        continue;
      }
      auto s = value::object();
      s["policy"] = value::string(policy->name);
      s["reason"] = value::string(std::string(SuppressionName(ticket.reason)));
      s["message"] = value::string(ticket.message);
      if (!ticket.incident.empty() && deps_.attach_to_incident) {
        s["responseAction"] = value::string(ticket.incident);
        s["attached"] = value::boolean(deps_.attach_to_incident(alert, alert.target->ns, ticket.incident));
      }
      suppressed[suppressed.size()] = s;
      if (deps_.on_decision) deps_.on_decision(*policy, ticket.reason, "");
      log::Info("response suppressed", {{"alert", alert_id}, {"policy", policy->name},
                                        {"reason", SuppressionName(ticket.reason)}, {"pod", alert.target->pod},
                                        {"namespace", alert.target->ns}});
      continue;
    }
    ResponseRequest req;
    req.name = Guards::ResponseName(*policy, *alert.target, ticket.at, alert_id);
    req.policy = policy.get();
    req.alert = &alert;
    req.global_dry_run = deps_.global_dry_run;
    req.received = received;
    std::string msg;
    auto outcome = deps_.recorder->Create(alert.target->ns, BuildResponseAction(req), &msg);
    if (outcome == RecordOutcome::kCreated || outcome == RecordOutcome::kAlreadyExists) {
      deps_.guards->Commit(ticket, req.name);
      ++counters_.recorded;
      auto r = value::object();
      r["policy"] = value::string(policy->name);
      r["namespace"] = value::string(alert.target->ns);
      r["responseAction"] = value::string(req.name);
      r["outcome"] = value::string(outcome == RecordOutcome::kCreated ? "created" : "exists");
      r["dryRun"] = value::boolean(policy->dry_run || deps_.global_dry_run);
      responses[responses.size()] = r;
      if (deps_.on_decision) deps_.on_decision(*policy, Suppression::kNone, req.name);
      log::Info("response recorded", {{"alert", alert_id}, {"policy", policy->name}, {"responseAction", req.name},
                                      {"namespace", alert.target->ns}, {"pod", alert.target->pod},
                                      {"outcome", outcome == RecordOutcome::kCreated ? "created" : "exists"}});
    } else {
      deps_.guards->Abort(ticket);
      unavailable = true;
      unavailable_msg = msg;
      log::Error("recording response failed", {{"alert", alert_id}, {"policy", policy->name},
                                               {"responseAction", req.name}, {"error", msg}});
    }
  }
  if (unavailable) {
    ++counters_.unavailable;
    // Responses recorded so far stay; the retry finds them through the cooldown / name.
    return Error(503, "unavailable", "could not record every response: " + unavailable_msg, kRetryAfterSeconds);
  }
  if (any_match) ++counters_.matched;
  else ++counters_.unmatched;
  if (no_target && !any_match) ++counters_.no_target;
  reply_body["matched"] = value::boolean(any_match);
  reply_body["responses"] = responses;
  reply_body["suppressed"] = suppressed;
  if (no_target && !any_match) reply_body["note"] = value::string("alert names no pod; nothing to respond to");
  IngestReply reply;
  reply.status = responses.size() > 0 ? 201 : 200;
  reply.body = reply_body;
  return reply;
}

}  // namespace riposte::controller
