#pragma once
// The Kubernetes API client interface. Synchronous and thread-safe: every call blocks the
// calling thread until a result is available and returns Result<...> (never throws).
// The implementation (kube_client_impl.cc) speaks HTTPS via cpprestsdk; tests use
// tests/fakes/fake_kube_client.h.

#include <chrono>
#include <cstddef>
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

// pods/exec: one command, run to completion, without stdin or a tty.
struct ExecOptions {
  // The whole exec (connect, upgrade, command, output) must finish within this; the API
  // server exempts exec from its own request timeout, so this is the only bound.
  std::chrono::milliseconds timeout{30000};
  // Output beyond these is counted and dropped (the command still runs to its end).
  size_t max_stdout_bytes = 1024 * 1024;
  size_t max_stderr_bytes = 64 * 1024;
};

struct ExecResult {
  // From the status message (channel 3): 0 on Success, else the ExitCode cause.
  int exit_code = 0;
  std::string stdout_data, stderr_data;
  bool stdout_truncated = false, stderr_truncated = false;
  size_t stdout_total = 0, stderr_total = 0;  // bytes the command wrote, kept or not
  std::string protocol;  // the negotiated subprotocol: v5.channel.k8s.io or v4.channel.k8s.io
};

// Error reasons (ApiError::reason) set by Exec beyond the server's own Status reasons.
inline constexpr const char* kExecStreamClosed = "ExecStreamClosed";        // no status before EOF/close
inline constexpr const char* kExecProtocolRejected = "ExecProtocolRejected";  // no v5/v4 agreed
inline constexpr const char* kExecStartFailed = "ExecStartFailed";          // the runtime could not start it

// True when the command could not run because its executable is not in the image: the
// runtime's "executable file not found" start failure, or exit 126/127 from runtimes that
// report it that way.
bool ExecCommandNotFound(const Result<ExecResult>& r);

// pods/log: a bounded read of one container's log. Never follows.
struct LogOptions {
  std::string container;               // "" only for single-container pods
  std::optional<int64_t> tail_lines;   // last N lines (the kubelet then stops after limit_bytes)
  int64_t limit_bytes = 256 * 1024;    // sent to the server and enforced while reading; > 0
  bool previous = false;               // the previous, terminated instance
  bool timestamps = false;
  std::chrono::milliseconds timeout{30000};  // without a byte arriving
};

struct LogResult {
  std::string data;         // raw bytes, not necessarily UTF-8
  bool truncated = false;   // the server sent more than limit_bytes; the read stopped there
  bool unscheduled = false; // 204: the pod has no node yet, so there is no log at all
  bool no_previous = false; // previous=true but the container never restarted
};

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
  // Runs `argv` (no shell: one command= per element) in `container` of the pod over a
  // WebSocket (v5.channel.k8s.io, then v4). A non-zero exit is a result, not an error.
  // Errors: the upgrade's answer (Forbidden for RBAC, NotFound for a gone pod/container,
  // BadRequest for an invalid container), reason kExecStreamClosed when the stream ends
  // before the status, kExecStartFailed when the runtime cannot start the command, kTimeout.
  // Never retried: a command may have side effects.
  virtual Result<ExecResult> Exec(const std::string& ns, const std::string& pod, const std::string& container,
                                  const std::vector<std::string>& argv, const ExecOptions& opts = {}) = 0;
  // GET pods/log with tailLines/limitBytes/previous/container; retried like any GET.
  virtual Result<LogResult> Logs(const std::string& ns, const std::string& pod, const LogOptions& opts = {}) = 0;
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
std::string ValidateContainerName(const std::string& name);  // DNS-1123 label, <= 63 chars

}  // namespace riposte::kube
