#pragma once
// Holds the webhook's current policy (and the engine compiled from it) and reloads the policy
// file when its content changes. A new file that fails to load keeps the last good policy; the
// error (file:line:column) is logged once and exposed as metrics.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "common/metrics.h"
#include "core/engine.h"

namespace riposte::webhook {

class PolicyWatcher {
 public:
  // `path` empty = the built-in default policy, never reloaded.
  PolicyWatcher(std::string path, metrics::Registry* registry);
  ~PolicyWatcher();

  bool LoadInitial(std::string* error);
  // Re-reads the file; reloads when its bytes changed. Returns true if a new policy is active.
  bool Poll();
  void StartWatching(std::chrono::milliseconds interval);
  void StopWatching();

  core::EnginePtr Engine() const;
  bool Loaded() const { return Engine() != nullptr; }
  const std::string& path() const { return path_; }

 private:
  bool Install(core::PolicyPtr policy, const std::string& content);

  std::string path_;
  mutable std::mutex mu_;
  core::EnginePtr engine_;
  std::string good_content_;
  std::string bad_content_;
  metrics::Gauge& success_;
  metrics::Gauge& last_success_;
  metrics::CounterFamily& reloads_;

  std::mutex watch_mu_;
  std::condition_variable watch_cv_;
  bool watch_stop_ = false;
  std::thread watcher_;
};

}  // namespace riposte::webhook
