#pragma once
// A fixed pool of worker threads with a bounded queue, for work that blocks (an API round
// trip) and must not run on an I/O thread. Submitting never blocks: when every worker is busy
// and the queue is full, TrySubmit refuses at once and the caller answers "busy" (for the
// alert endpoint: 503 with Retry-After). Queued tasks that have not started when Stop() is
// called are cancelled, not run, so shutdown never waits for a backlog.

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace riposte {

class BoundedExecutor {
 public:
  struct Task {
    std::function<void()> run;
    std::function<void()> cancel;  // instead of run, when the executor stops first; may be null
    size_t bytes = 0;              // counted against max_queued_bytes while queued
  };

  struct Options {
    std::string name = "executor";
    int workers = 4;
    size_t max_queued = 256;               // tasks waiting for a worker
    size_t max_queued_bytes = 16u << 20;   // their total `bytes`
  };

  explicit BoundedExecutor(Options options);
  ~BoundedExecutor();  // Stop()
  BoundedExecutor(const BoundedExecutor&) = delete;
  BoundedExecutor& operator=(const BoundedExecutor&) = delete;

  void Start();
  // False (the task is dropped, neither run nor cancelled) when the queue is full, the bytes
  // would exceed the budget, or the executor is not running.
  bool TrySubmit(Task task);
  // Refuses new tasks, cancels the queued ones, waits for running ones to finish.
  void Stop();

  struct Stats {
    size_t queued = 0;
    size_t queued_bytes = 0;
    size_t running = 0;
    uint64_t completed = 0;
    uint64_t rejected = 0;
    uint64_t cancelled = 0;
  };
  Stats GetStats() const;
  const Options& options() const { return opts_; }

 private:
  void Worker();

  Options opts_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Task> queue_;
  std::vector<std::thread> threads_;
  size_t queued_bytes_ = 0;
  size_t running_ = 0;
  uint64_t completed_ = 0;
  uint64_t rejected_ = 0;
  uint64_t cancelled_ = 0;
  bool accepting_ = false;
  bool stopping_ = false;
};

}  // namespace riposte
