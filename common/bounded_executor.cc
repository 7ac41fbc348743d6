#include "common/bounded_executor.h"

#include "common/log.h"

namespace riposte {

BoundedExecutor::BoundedExecutor(Options options) : opts_(std::move(options)) {
  if (opts_.workers < 1) opts_.workers = 1;
}

BoundedExecutor::~BoundedExecutor() { Stop(); }

void BoundedExecutor::Start() {
  std::lock_guard<std::mutex> lock(mu_);
  if (accepting_ || stopping_) return;
  accepting_ = true;
  for (int i = 0; i < opts_.workers; ++i) threads_.emplace_back([this] { Worker(); });
}

bool BoundedExecutor::TrySubmit(Task task) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    // A task goes straight to an idle worker even when the byte budget is small; the queue
    // bounds only what waits.
    bool idle_worker = running_ + queue_.size() < static_cast<size_t>(opts_.workers);
    if (!accepting_ ||
        (!idle_worker && (queue_.size() >= opts_.max_queued || queued_bytes_ + task.bytes > opts_.max_queued_bytes))) {
      ++rejected_;
      return false;
    }
    queued_bytes_ += task.bytes;
    queue_.push_back(std::move(task));
  }
  cv_.notify_one();
  return true;
}

void BoundedExecutor::Stop() {
  std::deque<Task> dropped;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return;
    stopping_ = true;
    accepting_ = false;
    dropped.swap(queue_);
    queued_bytes_ = 0;
    cancelled_ += dropped.size();
  }
  cv_.notify_all();
  for (auto& t : dropped) {
    if (!t.cancel) continue;
    try {
      t.cancel();
    } catch (const std::exception& e) {
      log::Error("task cancel threw", {{"executor", opts_.name}, {"error", e.what()}});
    }
  }
  for (auto& th : threads_) th.join();
  threads_.clear();
}

BoundedExecutor::Stats BoundedExecutor::GetStats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return Stats{queue_.size(), queued_bytes_, running_, completed_, rejected_, cancelled_};
}

void BoundedExecutor::Worker() {
  for (;;) {
    Task task;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping
      task = std::move(queue_.front());
      queue_.pop_front();
      queued_bytes_ -= task.bytes;
      ++running_;
    }
    try {
      task.run();
    } catch (const std::exception& e) {
      log::Error("task threw", {{"executor", opts_.name}, {"error", e.what()}});
    } catch (...) {
      log::Error("task threw", {{"executor", opts_.name}});
    }
    std::lock_guard<std::mutex> lock(mu_);
    --running_;
    ++completed_;
  }
}

}  // namespace riposte
