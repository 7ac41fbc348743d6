#include "webhook/policy_watcher.h"

#include <fstream>
#include <sstream>

#include "common/log.h"
#include "core/policy.h"

namespace riposte::webhook {

namespace {
double NowSeconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}
bool ReadFile(const std::string& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream ss;
  ss << in.rdbuf();
  *out = ss.str();
  return !in.bad();
}
}  // namespace

PolicyWatcher::PolicyWatcher(std::string path, metrics::Registry* registry)
    : path_(std::move(path)),
      success_(registry->AddGauge("riposte_policy_reload_success",
                                  "1 when the last policy load succeeded, 0 when the file is invalid (the last good policy stays active)")
                   .With()),
      last_success_(registry->AddGauge("riposte_policy_last_reload_success_timestamp_seconds",
                                       "Unix time of the last successful policy load")
                        .With()),
      reloads_(registry->AddCounter("riposte_policy_reloads_total", "Policy loads by result", {"result"})) {}

PolicyWatcher::~PolicyWatcher() { StopWatching(); }

bool PolicyWatcher::Install(core::PolicyPtr policy, const std::string& content) {
  auto engine = std::make_shared<const core::Engine>(std::move(policy));
  {
    std::lock_guard<std::mutex> lock(mu_);
    engine_ = std::move(engine);
    good_content_ = content;
    bad_content_.clear();
  }
  success_.Set(1);
  last_success_.Set(NowSeconds());
  reloads_.With({"success"}).Inc();
  return true;
}

bool PolicyWatcher::LoadInitial(std::string* error) {
  if (path_.empty()) return Install(core::DefaultPolicy(), "");
  std::string content;
  if (!ReadFile(path_, &content)) {
    *error = path_ + ": cannot read policy file";
    return false;
  }
  core::PolicyError perr;
  auto policy = core::ParsePolicy(content, path_, &perr);
  if (!policy) {
    *error = perr.ToString();
    success_.Set(0);
    reloads_.With({"failure"}).Inc();
    return false;
  }
  return Install(std::move(policy), content);
}

bool PolicyWatcher::Poll() {
  if (path_.empty()) return false;
  std::string content;
  std::string error;
  core::PolicyPtr policy;
  if (!ReadFile(path_, &content)) {
    error = path_ + ": cannot read policy file";
    content.assign("\0unreadable", 11);  // remembered like bad content so it is logged once
  } else {
    std::lock_guard<std::mutex> lock(mu_);
    if (content == good_content_ || content == bad_content_) return false;
  }
  if (error.empty()) {
    core::PolicyError perr;
    policy = core::ParsePolicy(content, path_, &perr);
    if (policy) return Install(std::move(policy), content);
    error = perr.ToString();
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!bad_content_.empty() && bad_content_ == content) return false;
    bad_content_ = content;
  }
  success_.Set(0);
  reloads_.With({"failure"}).Inc();
  log::Error("policy reload failed, keeping the last good policy", {{"file", path_}, {"error", error}});
  return false;
}

void PolicyWatcher::StartWatching(std::chrono::milliseconds interval) {
  if (path_.empty() || watcher_.joinable()) return;
  watch_stop_ = false;
  watcher_ = std::thread([this, interval] {
    std::unique_lock<std::mutex> lock(watch_mu_);
    while (!watch_cv_.wait_for(lock, interval, [this] { return watch_stop_; })) {
      lock.unlock();
      if (Poll()) log::Info("policy reloaded", {{"file", path_}});
      lock.lock();
    }
  });
}

void PolicyWatcher::StopWatching() {
  {
    std::lock_guard<std::mutex> lock(watch_mu_);
    watch_stop_ = true;
  }
  watch_cv_.notify_all();
  if (watcher_.joinable()) watcher_.join();
}

core::EnginePtr PolicyWatcher::Engine() const {
  std::lock_guard<std::mutex> lock(mu_);
  return engine_;
}

}  // namespace riposte::webhook
