#pragma once
// What the alert endpoint does with one request body, independent of the HTTP server:
// parse -> match every policy -> guards -> record one ResponseAction per admitted match in
// the API -> answer. 2xx only once every triggered response is durably recorded.

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <cpprest/json.h>

#include "controller/alert.h"
#include "controller/guards.h"
#include "controller/policy.h"

namespace riposte::controller {

enum class RecordOutcome { kCreated, kAlreadyExists, kUnavailable, kRejected };

// Writes a ResponseAction to the API (kube client in production, a fake in tests).
class ResponseRecorder {
 public:
  virtual ~ResponseRecorder() = default;
  virtual RecordOutcome Create(const std::string& ns, const web::json::value& response_action,
                               std::string* message) = 0;
};
using ResponseRecorderPtr = std::shared_ptr<ResponseRecorder>;

struct IngestReply {
  int status = 200;
  web::json::value body;
  int retry_after_seconds = 0;  // > 0: send Retry-After
};

struct IngestCounters {
  std::atomic<uint64_t> received{0};
  std::atomic<uint64_t> rejected{0};  // 4xx bodies
  std::atomic<uint64_t> matched{0};
  std::atomic<uint64_t> unmatched{0};
  std::atomic<uint64_t> no_target{0};
  std::atomic<uint64_t> recorded{0};
  std::atomic<uint64_t> unavailable{0};  // 503 answers
};

struct IngestDeps {
  // Current compiled, valid policies (snapshot; cheap to copy).
  std::function<std::vector<PolicyPtr>()> policies;
  NamespaceLabelsFn namespace_labels;
  // False while no leader is known or the API is unreachable: answer 503 so Falco retries.
  std::function<bool()> ready;
  ResponseRecorderPtr recorder;
  Guards* guards = nullptr;
  bool global_dry_run = false;
  WallClock now = [] { return std::chrono::system_clock::now(); };
  // Called for every suppression and recorded response (status counters, metrics).
  std::function<void(const Policy&, Suppression, const std::string& name)> on_decision;
  // An alert suppressed by the cooldown of a known ResponseAction is attached to its incident
  // record (controller/incidents.h); false when the record had to drop it (flood cap).
  std::function<bool(const Alert&, const std::string& ns, const std::string& response_action)> attach_to_incident;
};

class AlertIngestor {
 public:
  explicit AlertIngestor(IngestDeps deps, AlertLimits limits = {});
  IngestReply Handle(std::string_view body);
  const IngestCounters& counters() const { return counters_; }

 private:
  IngestDeps deps_;
  AlertLimits limits_;
  IngestCounters counters_;
};

}  // namespace riposte::controller
