#pragma once
// In-memory KubeClient for unit tests of code built on kube/ (the response controller, the
// informer). It keeps objects per resource with resourceVersion/uid/generation, optimistic
// concurrency (Conflict on a stale resourceVersion), AlreadyExists/NotFound, label and simple
// field selectors, paging, merge patches, and watches fed from an event log with
// bookmarks-free history that can be expired (410) or dropped. Every call is recorded as an
// Action, and errors can be injected per verb and resource.
//
// Not a server: no validation or defaulting happens. Use tests/apiserver for server semantics.

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "kube/kube_client.h"

namespace riposte::fakes {

struct Action {
  std::string verb;         // get list create update update-status delete patch evict watch
  std::string resource;     // GroupResource(), e.g. "pods", "leases.coordination.k8s.io"
  std::string ns;
  std::string name;
  std::string subresource;  // "status", "eviction" or ""
  web::json::value body;    // request body (object, merge patch, delete options)
};

class FakeKubeClient : public kube::KubeClient {
 public:
  FakeKubeClient();
  ~FakeKubeClient() override;

  // Stores an object as if created (assigns uid/resourceVersion/creationTimestamp), without
  // recording an action. Returns the stored object.
  web::json::value Seed(const kube::Resource& res, web::json::value obj);
  // Current stored object or nullopt (no action recorded).
  std::optional<web::json::value> Peek(const kube::Resource& res, const std::string& ns, const std::string& name) const;
  size_t Count(const kube::Resource& res) const;

  std::vector<Action> Actions() const;
  // Actions with the given verb (and resource GroupResource, when not empty).
  std::vector<Action> ActionsFor(const std::string& verb, const std::string& resource = "") const;
  void ClearActions();

  // The next `times` calls of `verb` on `resource` ("" = any) fail with `error` (recorded,
  // no side effect).
  void FailNext(const std::string& verb, const std::string& resource, kube::ApiError error, int times = 1);
  // Arbitrary reactor run before the default behaviour; return a value to short-circuit.
  using Reactor = std::function<std::optional<kube::Result<web::json::value>>(const Action&)>;
  void AddReactor(Reactor r);

  // Watch control: end every open watch (as a dropped connection would, returning a
  // Transport error), and forget history up to now so older resourceVersions get 410.
  void DropWatches();
  void ExpireHistory();
  int OpenWatches() const;
  // Blocks until at least `n` watches are open or the timeout passes.
  bool WaitForWatches(int n, std::chrono::milliseconds timeout) const;
  std::string CurrentResourceVersion() const;

  // KubeClient
  kube::Result<web::json::value> Get(const kube::Resource& res, const std::string& ns, const std::string& name,
                                     const kube::GetOptions& opts = {}) override;
  kube::Result<kube::ObjectList> List(const kube::Resource& res, const std::string& ns,
                                      const kube::ListOptions& opts = {}) override;
  kube::Result<web::json::value> Create(const kube::Resource& res, const std::string& ns, const web::json::value& obj,
                                        const kube::CreateOptions& opts = {}) override;
  kube::Result<web::json::value> Update(const kube::Resource& res, const std::string& ns, const web::json::value& obj,
                                        const kube::UpdateOptions& opts = {}) override;
  kube::Result<web::json::value> UpdateStatus(const kube::Resource& res, const std::string& ns,
                                              const web::json::value& obj, const kube::UpdateOptions& opts = {}) override;
  kube::Result<web::json::value> Delete(const kube::Resource& res, const std::string& ns, const std::string& name,
                                        const kube::DeleteOptions& opts = {}) override;
  kube::Result<web::json::value> Patch(const kube::Resource& res, const std::string& ns, const std::string& name,
                                       const web::json::value& patch, const kube::PatchOptions& opts = {},
                                       const std::string& subresource = "") override;
  kube::Status Evict(const std::string& ns, const std::string& pod_name, const kube::DeleteOptions& opts = {}) override;
  kube::Result<kube::WatchEnd> Watch(const kube::Resource& res, const std::string& ns, const kube::WatchOptions& opts,
                                     const kube::WatchHandler& handler, std::stop_token stop = {}) override;
  std::string DefaultNamespace() const override { return "default"; }

 private:
  struct Event {
    uint64_t rv;
    std::string resource;
    std::string ns;
    kube::WatchEventType type;
    web::json::value object;
  };
  static std::string Key(const std::string& gr, const std::string& ns, const std::string& name);
  std::optional<kube::Result<web::json::value>> Intercept(const Action& a);  // records + injected errors
  web::json::value StoreLocked(const kube::Resource& res, const std::string& ns, web::json::value obj, bool create);
  void EmitLocked(const kube::Resource& res, const std::string& ns, kube::WatchEventType type, const web::json::value& obj);
  kube::Result<web::json::value> DeleteLocked(const kube::Resource& res, const std::string& ns, const std::string& name,
                                              const kube::DeleteOptions& opts);
  kube::Result<web::json::value> WriteLocked(const kube::Resource& res, const std::string& ns, web::json::value obj,
                                             bool status_only);

  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  std::map<std::string, web::json::value> objects_;  // Key() -> object
  uint64_t rv_ = 100;
  uint64_t uid_ = 0;
  std::deque<Event> history_;
  uint64_t compacted_rv_ = 0;  // watches from an rv below this get 410
  uint64_t drop_generation_ = 0;
  int open_watches_ = 0;
  std::vector<Action> actions_;
  struct Failure {
    std::string verb, resource;
    kube::ApiError error;
    int times;
  };
  std::vector<Failure> failures_;
  std::vector<Reactor> reactors_;
};

}  // namespace riposte::fakes
