#pragma once
// What `riposte incidents` shows: the ResponseActions of a namespace (or of one pod) with
// their incident records, action results and Events, merged into one timeline sorted by time.
// Read-only: lists ResponseActions and Events (and GETs the namespace to tell a missing one
// from an empty one).

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <cpprest/json.h>

#include "controller/types.h"
#include "kube/kube_client.h"

namespace riposte::controller {

struct TimelineEntry {
  std::string time;  // RFC 3339 as stored; "" sorts first
  std::string response_action;
  std::string pod;
  // created | alert | alerts | action | event
  std::string kind;
  std::string what;
  std::string detail;
};

struct Timeline {
  std::string ns;
  std::string pod;  // "" = the whole namespace
  std::vector<ResponseAction> response_actions;  // oldest first
  std::vector<TimelineEntry> entries;            // sorted by time
  std::string events_error;  // Events could not be read (RBAC): the timeline lacks them
};

struct TimelineError {
  // crd_missing | forbidden | namespace_not_found | unavailable
  std::string code;
  std::string message;
};

// Lists and merges. Errors are the reads of ResponseActions; unreadable Events only set
// events_error.
std::optional<Timeline> BuildTimeline(kube::KubeClient& client, const std::string& ns, const std::string& pod,
                                      TimelineError* error);
// Pure: the entries for `ras` and `events` (Event objects), sorted.
std::vector<TimelineEntry> TimelineEntries(const std::vector<ResponseAction>& ras,
                                           const std::vector<web::json::value>& events, const std::string& pod);

// Fixed-width table: TIME KIND RESPONSEACTION POD WHAT DETAIL (DETAIL cut to one line).
std::string RenderTimelineTable(const Timeline& t);
// JSON, documented in README.md ("riposte incidents"); `version` 1.
web::json::value TimelineJson(const Timeline& t);

}  // namespace riposte::controller
