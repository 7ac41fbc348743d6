#pragma once
// Waiting on a condition instead of sleeping: every wait in the tests has a condition and a
// deadline, and the only sleep is the polling interval.

#include <algorithm>
#include <chrono>
#include <thread>

namespace riposte::testing {

// Polls `pred` until it holds or `timeout` passes; returns the final value of `pred`. The
// polling interval starts at 1 ms and doubles up to `max_poll`, so a condition that holds
// soon is seen soon and one that takes seconds (an API server, a process) is not hammered.
template <typename Pred>
bool Eventually(Pred&& pred, std::chrono::milliseconds timeout = std::chrono::seconds(10),
                std::chrono::milliseconds max_poll = std::chrono::milliseconds(20)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::chrono::milliseconds poll(1);
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(poll);  // polling interval, not a race fix
    poll = std::min(poll * 2, max_poll);
  }
  return pred();
}

}  // namespace riposte::testing
