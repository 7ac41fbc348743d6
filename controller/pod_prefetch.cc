#include "controller/pod_prefetch.h"

#include "kube/api_error.h"
#include "kube/informer.h"

namespace riposte::controller {

PodPrefetcher::PodPrefetcher(Read read, kube::ClockPtr clock, std::chrono::milliseconds max_age)
    : read_(std::move(read)), clock_(clock ? std::move(clock) : kube::DefaultClock()), max_age_(max_age) {}

PodPrefetcher::~PodPrefetcher() { Stop(); }

void PodPrefetcher::Start() {
  std::lock_guard lock(mu_);
  if (thread_.joinable()) return;
  stop_ = false;
  thread_ = std::thread([this] { Loop(); });
}

void PodPrefetcher::Stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

bool PodPrefetcher::Prefetch(const std::string& ns, const std::string& pod) {
  const std::string key = kube::ObjectKey(ns, pod);
  {
    std::lock_guard lock(mu_);
    if (stop_ || !thread_.joinable() || queued_ || busy_) return false;
    // Results nobody took are dropped once stale, so the map stays small.
    for (auto it = entries_.begin(); it != entries_.end();) {
      if (it->second.done && clock_->Now() - it->second.started > max_age_) it = entries_.erase(it);
      else ++it;
    }
    queued_ = key;
    entries_[key] = Entry{false, false, std::nullopt, clock_->Now()};
  }
  cv_.notify_all();
  return true;
}

std::optional<std::optional<web::json::value>> PodPrefetcher::Take(const std::string& ns, const std::string& pod,
                                                                   std::chrono::milliseconds wait) {
  const std::string key = kube::ObjectKey(ns, pod);
  std::unique_lock lock(mu_);
  auto it = entries_.find(key);
  if (it == entries_.end()) return std::nullopt;
  cv_.wait_for(lock, wait, [&] {
    auto e = entries_.find(key);
    return stop_ || e == entries_.end() || e->second.done;
  });
  it = entries_.find(key);
  if (it == entries_.end() || !it->second.done) return std::nullopt;
  Entry e = std::move(it->second);
  entries_.erase(it);
  if (!e.ok || clock_->Now() - e.started > max_age_) return std::nullopt;
  return std::optional<std::optional<web::json::value>>(std::move(e.pod));
}

void PodPrefetcher::Loop() {
  std::unique_lock lock(mu_);
  for (;;) {
    cv_.wait(lock, [this] { return stop_ || queued_.has_value(); });
    if (stop_) break;
    const std::string key = *queued_;
    queued_.reset();
    busy_ = true;
    lock.unlock();
    auto [ns, name] = kube::SplitObjectKey(key);
    auto r = read_(ns, name);
    lock.lock();
    busy_ = false;
    auto it = entries_.find(key);
    if (it != entries_.end()) {
      it->second.done = true;
      if (r.ok()) {
        it->second.ok = true;
        it->second.pod = std::move(r.value());
      } else {
        it->second.ok = kube::IsNotFound(r.error());  // "not there" is an answer too
      }
    }
    cv_.notify_all();
  }
}

}  // namespace riposte::controller
