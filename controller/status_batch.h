#pragma once
// Batched status writes shared by the ResponsePolicy counters (policy_status.h) and the
// ResponseAction incident summaries (incidents.h): alerts only add to in-memory deltas keyed
// by object; a flush swaps the deltas out, writes each object once as a merge patch on its
// status subresource carrying the stored resourceVersion, re-reads and retries on 409, keeps
// what could not be written for the next flush and drops what belongs to a deleted object.
//
// A Delta type has `std::string uid` ("" = not known; the stored uid is then not checked)
// and `void Merge(const Delta&)`.

#include <cstddef>
#include <functional>
#include <map>
#include <mutex>
#include <string>

#include <cpprest/json.h>

#include "kube/informer.h"
#include "kube/kube_client.h"

namespace riposte::controller {

struct StatusFlushStats {
  size_t written = 0;    // objects whose status was patched
  size_t conflicts = 0;  // 409s retried (within this flush)
  size_t failed = 0;     // objects whose deltas are kept for the next flush
  size_t dropped = 0;    // objects gone: deltas discarded
};

enum class StatusWriteResult { kWritten, kKeep, kDrop };

struct StatusTarget {
  const kube::Resource* resource = nullptr;
  std::string ns;  // "" for cluster-scoped
  std::string name;
  std::string uid;  // "" = any
};

// Reads the object (first from `cached` when given, then live), builds the patch from it and
// patches the status subresource, up to `max_attempts` times while the write conflicts.
// `make_patch` gets the stored object and must put its resourceVersion into the patch.
StatusWriteResult PatchStatusWithRetry(kube::KubeClient& client, const StatusTarget& target,
                                       const std::function<kube::ObjectPtr()>& cached,
                                       const std::function<web::json::value(const web::json::value&)>& make_patch,
                                       int max_attempts, StatusFlushStats* stats, std::string* last_error);

// The pending deltas and the flush loop around a per-object write.
template <class Delta>
class PendingStatusDeltas {
 public:
  using WriteFn = std::function<StatusWriteResult(const std::string& key, const Delta&, StatusFlushStats*)>;

  // Runs `fn(delta)` on the delta of `key` (created when missing) under the lock. With
  // `max_keys` > 0 a new key beyond that many pending keys is refused: returns false.
  template <class Fn>
  bool Update(const std::string& key, size_t max_keys, Fn&& fn) {
    std::lock_guard lock(mu_);
    auto it = pending_.find(key);
    if (it == pending_.end()) {
      if (max_keys > 0 && pending_.size() >= max_keys) return false;
      it = pending_.emplace(key, Delta{}).first;
    }
    fn(it->second);
    return true;
  }

  StatusFlushStats Flush(const WriteFn& write) {
    std::map<std::string, Delta> work;
    {
      std::lock_guard lock(mu_);
      work.swap(pending_);  // alerts keep counting into a fresh map while we write
    }
    StatusFlushStats stats;
    for (const auto& [key, delta] : work) {
      switch (write(key, delta, &stats)) {
        case StatusWriteResult::kWritten:
          ++stats.written;
          break;
        case StatusWriteResult::kDrop:
          ++stats.dropped;
          break;
        case StatusWriteResult::kKeep: {
          ++stats.failed;
          std::lock_guard lock(mu_);
          auto [it, inserted] = pending_.try_emplace(key, delta);
          if (!inserted) {
            // The object was re-created meanwhile when the uids differ: the old deltas are
            // not its counts. Delta::Merge keeps what was counted since the swap.
            if (it->second.uid == delta.uid) {
              Delta merged = delta;
              merged.Merge(it->second);
              it->second = std::move(merged);
            }
          }
          break;
        }
      }
    }
    return stats;
  }

  size_t size() const {
    std::lock_guard lock(mu_);
    return pending_.size();
  }

 private:
  mutable std::mutex mu_;
  std::map<std::string, Delta> pending_;
};

}  // namespace riposte::controller
