#pragma once
// The Kubernetes API client interface. Synchronous and thread-safe: every call blocks the
// calling thread until a result is available and returns Result<...> (never throws).
// The implementation (kube_client_impl.cc) speaks HTTPS via cpprestsdk; tests use
// tests/fakes/fake_kube_client.h.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

#include <cpprest/json.h>

#include "kube/api_error.h"
#include "kube/resource.h"
#include "kube/result.h"

namespace riposte::kube {

struct GetOptions {
  std::string resource_version;  // "" = most recent (quorum read)
};

struct ListOptions {
  std::string label_selector;   // see kube/selector.h for builders
  std::string field_selector;   // e.g. "spec.nodeName=node-1"
  int64_t limit = 0;            // 0 = no paging
  std::string continue_token;
  std::string resource_version;
  std::string resource_version_match;  // "", "NotOlderThan", "Exact"
  int timeout_seconds = 0;      // server-side timeout, 0 = default
};

struct ObjectList {
  std::string api_version;
  std::string kind;             // e.g. "PodList"
  std::string resource_version; // list's metadata.resourceVersion
  std::string continue_token;   // "" on the last page
  std::optional<int64_t> remaining_item_count;
  std::vector<web::json::value> items;
};

struct CreateOptions {
  bool dry_run = false;
  std::string field_manager;
};

struct UpdateOptions {
  bool dry_run = false;
  std::string field_manager;
};

enum class PropagationPolicy { kDefault, kOrphan, kBackground, kForeground };

struct DeleteOptions {
  std::optional<int64_t> grace_period_seconds;
  std::string precondition_uid;              // delete only this incarnation
  std::string precondition_resource_version; // delete only if unchanged
  PropagationPolicy propagation = PropagationPolicy::kDefault;
  bool dry_run = false;
};

struct PatchOptions {
  std::string field_manager;
  bool dry_run = false;
};

enum class WatchEventType { kAdded, kModified, kDeleted, kBookmark, kError };
std::string_view WatchEventTypeName(WatchEventType t);

struct WatchEvent {
  WatchEventType type = WatchEventType::kAdded;
  web::json::value object;  // the object (a Status for kError)
};

struct WatchOptions {
  std::string label_selector;
  std::string field_selector;
  std::string resource_version;   // start after this version ("" = from now with initial ADDED events)
  bool allow_bookmarks = true;
  int timeout_seconds = 300;      // server ends the watch after this; 0 = server default
};

struct WatchEnd {
  // Last resourceVersion seen (from objects or bookmarks); resume the next watch from it.
  std::string resource_version;
  enum class Reason { kServerClosed, kHandlerStopped } reason = Reason::kServerClosed;
  uint64_t events = 0;
};

// Called for each decoded event on the calling thread; return false to end the watch.
// ERROR events are not delivered: they end the watch with the carried Status as the error
// (410 Gone -> ErrorKind::kGone, meaning relist).
using WatchHandler = std::function<bool(WatchEvent&& event)>;

class KubeClient {
 public:
  virtual ~KubeClient() = default;

  virtual Result<web::json::value> Get(const Resource& res, const std::string& ns, const std::string& name,
                                       const GetOptions& opts = {}) = 0;
  // One page (or the whole list when opts.limit == 0).
  virtual Result<ObjectList> List(const Resource& res, const std::string& ns, const ListOptions& opts = {}) = 0;
  // The object's metadata.namespace, when set, must match `ns`.
  virtual Result<web::json::value> Create(const Resource& res, const std::string& ns, const web::json::value& obj,
                                          const CreateOptions& opts = {}) = 0;
  // PUT of the whole object; metadata.resourceVersion (when set) is the optimistic-concurrency
  // precondition, so a stale write fails with Conflict.
  virtual Result<web::json::value> Update(const Resource& res, const std::string& ns, const web::json::value& obj,
                                          const UpdateOptions& opts = {}) = 0;
  // PUT to the status subresource (spec changes are ignored by the server).
  virtual Result<web::json::value> UpdateStatus(const Resource& res, const std::string& ns,
                                                const web::json::value& obj, const UpdateOptions& opts = {}) = 0;
  // Returns the server's response body: the deleted object, the object with
  // deletionTimestamp set (finalizers pending / graceful deletion), or a Success Status.
  virtual Result<web::json::value> Delete(const Resource& res, const std::string& ns, const std::string& name,
                                          const DeleteOptions& opts = {}) = 0;
  // RFC 7386 merge patch (application/merge-patch+json); `subresource` is "" or e.g.
  // "status". A metadata.resourceVersion in the patch is a precondition (Conflict when the
  // object has moved on).
  virtual Result<web::json::value> Patch(const Resource& res, const std::string& ns, const std::string& name,
                                         const web::json::value& merge_patch, const PatchOptions& opts = {},
                                         const std::string& subresource = "") = 0;
  // policy/v1 Eviction of a pod (POST pods/<name>/eviction). A PodDisruptionBudget that
  // forbids it yields TooManyRequests; never retried by the client.
  virtual Status Evict(const std::string& ns, const std::string& pod_name, const DeleteOptions& opts = {}) = 0;
  // Blocks, delivering events, until the server ends the stream, the handler returns false,
  // `stop` is requested (-> ErrorKind::kCancelled) or an error happens.
  virtual Result<WatchEnd> Watch(const Resource& res, const std::string& ns, const WatchOptions& opts,
                                 const WatchHandler& handler, std::stop_token stop = {}) = 0;
  // Default namespace from the configuration (kubeconfig context or in-cluster namespace file).
  virtual std::string DefaultNamespace() const = 0;
};

using KubeClientPtr = std::shared_ptr<KubeClient>;

// Lists every page (limit `page_size`) and returns all items with the resourceVersion of the
// last page. Restarts from the first page if a continue token expires (410). `transform`, when
// set, is applied to each item as its page arrives, so only the transformed items are held.
Result<ObjectList> ListAll(KubeClient& client, const Resource& res, const std::string& ns, ListOptions opts,
                           int64_t page_size = 500,
                           const std::function<void(web::json::value&)>& transform = nullptr);

// Validates a name or namespace before it is put into a URL: DNS-1123 subdomain
// (lower-case alphanumerics, '-', '.', at most 253 chars). Returns a message or "".
std::string ValidateObjectName(const std::string& name);
std::string ValidateNamespaceName(const std::string& ns);  // DNS-1123 label, <= 63 chars

}  // namespace riposte::kube
