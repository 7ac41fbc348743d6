#pragma once
// Work that only the Lease holder does besides reconciling (the periodic exposure audit), given
// to the controller from outside (cli/) so that controller/ does not depend on what the task
// is. The controller starts and stops it with itself and tells it when leadership changes.

#include <functional>
#include <string>

namespace riposte::controller {

struct LeaderTask {
  std::string name;
  // Called once when the controller starts, with a function telling whether this replica
  // holds the Lease right now.
  std::function<void(std::function<bool()> is_leader)> start;
  // Called once when the controller stops; must abandon work in progress promptly.
  std::function<void()> stop;
  // From the leader-election callbacks: must not block.
  std::function<void(bool leading)> leadership_changed;
  // Prometheus text appended to /metrics at scrape time; may be empty.
  std::function<std::string()> render_metrics;
};

}  // namespace riposte::controller
