// HTTPS implementation of KubeClient on kube/http_transport (Boost.Beast and OpenSSL, every
// request on the calling thread).
//
// Retry policy (docs/kube-client.md has the table):
//  - 429 is retried for every verb except eviction: the server rejected the request
//    before processing it (API priority and fairness).
//  - transport errors, timeouts and 5xx are retried only where a replay cannot duplicate a
//    side effect: GET/LIST; PUT (a replay either rewrites the same content or fails with
//    Conflict, which is reconciled by comparing with the server's copy); DELETE (a replay
//    finds the object gone and reports NotFound); merge/strategic/apply patches (idempotent by
//    construction); JSON patches that contain a `test` op or only add/replace to fixed paths;
//    POST create with an explicit name (a replay that gets AlreadyExists fetches the object
//    and reports success if it contains everything that was sent).
//  - POST with only generateName and evictions are never replayed after an ambiguous failure.
#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <thread>

#include <cpprest/uri.h>

#include "common/json_value.h"
#include "common/log.h"
#include "kube/config.h"
#include "kube/replay.h"
#include "kube/http_transport.h"
#include "kube/rate_limit.h"
#include "kube/tls_material.h"

namespace riposte::kube {
namespace json = web::json;
namespace {

constexpr size_t kMaxResponseBytes = 256u * 1024 * 1024;
constexpr size_t kMaxWatchEventBytes = 16u * 1024 * 1024;
constexpr size_t kReadChunk = 64 * 1024;

// Bearer token that follows a rotating file (projected service-account tokens are replaced
// about every hour): the file is re-read whenever its mtime or size changes, and at least
// every minute.
class TokenSource {
 public:
  TokenSource(std::string token, std::string file) : token_(std::move(token)), file_(std::move(file)) {}

  std::string Token() {
    if (file_.empty()) return token_;
    std::lock_guard<std::mutex> lock(mu_);
    struct stat st {};
    const auto now = std::chrono::steady_clock::now();
    if (::stat(file_.c_str(), &st) == 0) {
      const bool changed = st.st_mtim.tv_sec != mtime_.tv_sec || st.st_mtim.tv_nsec != mtime_.tv_nsec ||
                           st.st_size != size_;
      if (changed || now - read_at_ > std::chrono::minutes(1)) {
        std::FILE* f = std::fopen(file_.c_str(), "rb");
        if (f != nullptr) {
          std::string t;
          char buf[4096];
          size_t n;
          while ((n = std::fread(buf, 1, sizeof buf, f)) > 0 && t.size() < 64 * 1024) t.append(buf, n);
          std::fclose(f);
          while (!t.empty() && (t.back() == '\n' || t.back() == '\r' || t.back() == ' ')) t.pop_back();
          if (!t.empty()) cached_ = t;  // keep the last good token through a partial rewrite
          mtime_ = st.st_mtim;
          size_ = st.st_size;
          read_at_ = now;
        }
      }
    }
    return cached_.empty() ? token_ : cached_;
  }

 private:
  std::string token_, file_;
  std::mutex mu_;
  std::string cached_;
  timespec mtime_{};
  off_t size_ = -1;
  std::chrono::steady_clock::time_point read_at_{};
};

enum class RetryClass {
  kIdempotent,      // GET, LIST, PUT, DELETE, idempotent PATCH
  kCreateNamed,     // POST with metadata.name: replay reconciled on AlreadyExists
  kThrottledOnly,   // POST with generateName: only 429 (never processed) is replayed
  kNever,           // eviction
};

struct Response {
  int status = 0;
  std::string body;
  std::string retry_after;
};


std::string Enc(const std::string& s) { return web::uri::encode_data_string(s); }

std::string PropagationName(PropagationPolicy p) {
  switch (p) {
    case PropagationPolicy::kOrphan: return "Orphan";
    case PropagationPolicy::kBackground: return "Background";
    case PropagationPolicy::kForeground: return "Foreground";
    case PropagationPolicy::kDefault: break;
  }
  return "";
}

class HttpKubeClient final : public KubeClient {
 public:
  HttpKubeClient(ClientConfig cfg, std::unique_ptr<internal::HttpTransport> transport)
      : cfg_(std::move(cfg)),
        transport_(std::move(transport)),
        tokens_(cfg_.token, cfg_.token_file),
        limiter_(cfg_.qps, cfg_.burst),
        backoff_(cfg_.retry.base_backoff, cfg_.retry.max_backoff) {}

  std::string DefaultNamespace() const override { return cfg_.default_namespace; }

  Result<json::value> Get(const Resource& res, const std::string& ns, const std::string& name,
                          const GetOptions& opts) override {
    std::string path;
    if (auto e = ObjectPath(res, ns, name, "", &path)) return *e;
    std::string q;
    AddQuery(&q, "resourceVersion", opts.resource_version);
    return JsonCall("GET", path + q, nullptr, "", RetryClass::kIdempotent);
  }

  Result<ObjectList> List(const Resource& res, const std::string& ns, const ListOptions& opts) override {
    std::string path;
    if (auto e = CollectionPath(res, ns, &path)) return *e;
    std::string q;
    AddQuery(&q, "labelSelector", opts.label_selector);
    AddQuery(&q, "fieldSelector", opts.field_selector);
    if (opts.limit > 0) AddQuery(&q, "limit", std::to_string(opts.limit));
    AddQuery(&q, "continue", opts.continue_token);
    AddQuery(&q, "resourceVersion", opts.resource_version);
    AddQuery(&q, "resourceVersionMatch", opts.resource_version_match);
    if (opts.timeout_seconds > 0) AddQuery(&q, "timeoutSeconds", std::to_string(opts.timeout_seconds));
    auto r = JsonCall("GET", path + q, nullptr, "", RetryClass::kIdempotent);
    if (!r.ok()) return r.error();
    return DecodeList(std::move(r.value()));
  }

  Result<json::value> Create(const Resource& res, const std::string& ns, const json::value& obj,
                             const CreateOptions& opts) override {
    if (!obj.is_object()) return MakeError(ErrorKind::kInvalidArgument, "create: object must be a JSON object");
    if (auto e = CheckBodyNamespace(res, ns, obj)) return *e;
    std::string path;
    if (auto e = CollectionPath(res, ns, &path)) return *e;
    const std::string name = riposte::json::GetString(obj, {"metadata", "name"}).value_or("");
    if (!name.empty()) {
      if (auto msg = ValidateObjectName(name); !msg.empty()) return MakeError(ErrorKind::kInvalidArgument, msg);
    }
    std::string q;
    if (opts.dry_run) AddQuery(&q, "dryRun", "All");
    AddQuery(&q, "fieldManager", opts.field_manager);
    const RetryClass rc = name.empty() ? RetryClass::kThrottledOnly : RetryClass::kCreateNamed;
    bool replayed = false;
    auto r = JsonCall("POST", path + q, &obj, "application/json", rc, &replayed);
    if (!r.ok() && replayed && IsAlreadyExists(r.error()) && !opts.dry_run) {
      // The earlier attempt may have been applied before its response was lost.
      auto got = Get(res, ns, name, {});
      if (got.ok() && SameContent(obj, got.value())) {
        log::Info("kube: create replay found the object already created", {{"resource", res.plural()}, {"name", name}});
        return got;
      }
    }
    return r;
  }

  Result<json::value> Update(const Resource& res, const std::string& ns, const json::value& obj,
                             const UpdateOptions& opts) override {
    return Put(res, ns, obj, opts, "");
  }

  Result<json::value> UpdateStatus(const Resource& res, const std::string& ns, const json::value& obj,
                                   const UpdateOptions& opts) override {
    return Put(res, ns, obj, opts, "status");
  }

  Result<json::value> Delete(const Resource& res, const std::string& ns, const std::string& name,
                             const DeleteOptions& opts) override {
    std::string path;
    if (auto e = ObjectPath(res, ns, name, "", &path)) return *e;
    const json::value body = DeleteBody(opts, "DeleteOptions");
    return JsonCall("DELETE", path, &body, "application/json", RetryClass::kIdempotent);
  }

  Result<json::value> Patch(const Resource& res, const std::string& ns, const std::string& name,
                            const json::value& patch, const PatchOptions& opts, const std::string& sub) override {
    std::string path;
    if (auto e = ObjectPath(res, ns, name, sub, &path)) return *e;
    if (!patch.is_object()) return MakeError(ErrorKind::kInvalidArgument, "a merge patch must be a JSON object");
    std::string q;
    if (opts.dry_run) AddQuery(&q, "dryRun", "All");
    AddQuery(&q, "fieldManager", opts.field_manager);
    // A merge patch is idempotent: a replay writes the same values again.
    return JsonCall("PATCH", path + q, &patch, "application/merge-patch+json", RetryClass::kIdempotent);
  }

  Status Evict(const std::string& ns, const std::string& pod, const DeleteOptions& opts) override {
    std::string path;
    if (auto e = ObjectPath(resources::kPods, ns, pod, "eviction", &path)) return *e;
    json::value body = json::value::object();
    body["apiVersion"] = json::value::string("policy/v1");
    body["kind"] = json::value::string("Eviction");
    body["metadata"] = json::value::object();
    body["metadata"]["name"] = json::value::string(pod);
    body["metadata"]["namespace"] = json::value::string(ns);
    json::value del = DeleteBody(opts, "");
    if (del.size() > 0) body["deleteOptions"] = del;
    auto r = JsonCall("POST", path, &body, "application/json", RetryClass::kNever);
    if (!r.ok()) return r.error();
    return OkStatus();
  }

  Result<WatchEnd> Watch(const Resource& res, const std::string& ns, const WatchOptions& opts,
                         const WatchHandler& handler, std::stop_token stop) override;

 private:
  static void AddQuery(std::string* q, const char* key, const std::string& value) {
    if (value.empty()) return;
    *q += q->empty() ? "?" : "&";
    *q += key;
    *q += "=" + Enc(value);
  }

  std::optional<ApiError> CollectionPath(const Resource& res, const std::string& ns, std::string* out) const {
    *out = res.BasePath();
    if (res.namespaced && !ns.empty()) {
      if (auto msg = ValidateNamespaceName(ns); !msg.empty()) return MakeError(ErrorKind::kInvalidArgument, msg);
      *out += "/namespaces/" + Enc(ns);
    } else if (!res.namespaced && !ns.empty()) {
      return MakeError(ErrorKind::kInvalidArgument, res.GroupResource() + " is cluster-scoped; namespace must be empty");
    }
    *out += "/" + Enc(res.plural());
    return std::nullopt;
  }

  std::optional<ApiError> ObjectPath(const Resource& res, const std::string& ns, const std::string& name,
                                     const std::string& sub, std::string* out) const {
    if (res.namespaced && ns.empty()) {
      return MakeError(ErrorKind::kInvalidArgument, res.GroupResource() + " is namespaced; namespace is required");
    }
    if (auto e = CollectionPath(res, ns, out)) return e;
    if (auto msg = ValidateObjectName(name); !msg.empty()) return MakeError(ErrorKind::kInvalidArgument, msg);
    *out += "/" + Enc(name);
    if (!sub.empty()) *out += "/" + Enc(sub);
    return std::nullopt;
  }

  static std::optional<ApiError> CheckBodyNamespace(const Resource& res, const std::string& ns, const json::value& obj) {
    const std::string body_ns = riposte::json::GetString(obj, {"metadata", "namespace"}).value_or("");
    if (res.namespaced && ns.empty()) {
      return MakeError(ErrorKind::kInvalidArgument, res.GroupResource() + " is namespaced; namespace is required");
    }
    if (!body_ns.empty() && body_ns != ns) {
      return MakeError(ErrorKind::kInvalidArgument,
                       "metadata.namespace \"" + body_ns + "\" does not match the request namespace \"" + ns + "\"");
    }
    return std::nullopt;
  }

  static json::value DeleteBody(const DeleteOptions& opts, const char* kind) {
    json::value body = json::value::object();
    if (*kind != '\0') {
      body["apiVersion"] = json::value::string("v1");
      body["kind"] = json::value::string(kind);
    }
    if (opts.grace_period_seconds) body["gracePeriodSeconds"] = json::value::number(*opts.grace_period_seconds);
    if (!opts.precondition_uid.empty() || !opts.precondition_resource_version.empty()) {
      json::value pre = json::value::object();
      if (!opts.precondition_uid.empty()) pre["uid"] = json::value::string(opts.precondition_uid);
      if (!opts.precondition_resource_version.empty()) {
        pre["resourceVersion"] = json::value::string(opts.precondition_resource_version);
      }
      body["preconditions"] = pre;
    }
    const std::string prop = PropagationName(opts.propagation);
    if (!prop.empty()) body["propagationPolicy"] = json::value::string(prop);
    if (opts.dry_run) {
      body["dryRun"] = json::value::array();
      body["dryRun"][0] = json::value::string("All");
    }
    return body;
  }

  // Compares what we sent with what the server holds, ignoring server-owned metadata.
  static bool SameContent(const json::value& sent, const json::value& got) {
    json::value want = sent;
    if (want.has_field("metadata") && want.at("metadata").is_object()) {
      for (const char* k : {"resourceVersion", "uid", "creationTimestamp", "generation", "managedFields"}) {
        want["metadata"].erase(k);
      }
    }
    want.erase("status");
    return internal::JsonSubset(want, got);
  }

  Result<json::value> Put(const Resource& res, const std::string& ns, const json::value& obj,
                          const UpdateOptions& opts, const std::string& sub) {
    if (!obj.is_object()) return MakeError(ErrorKind::kInvalidArgument, "update: object must be a JSON object");
    if (auto e = CheckBodyNamespace(res, ns, obj)) return *e;
    const std::string name = riposte::json::GetString(obj, {"metadata", "name"}).value_or("");
    std::string path;
    if (auto e = ObjectPath(res, ns, name, sub, &path)) return *e;
    std::string q;
    if (opts.dry_run) AddQuery(&q, "dryRun", "All");
    AddQuery(&q, "fieldManager", opts.field_manager);
    bool replayed = false;
    auto r = JsonCall("PUT", path + q, &obj, "application/json", RetryClass::kIdempotent, &replayed);
    if (!r.ok() && replayed && IsConflict(r.error()) && !opts.dry_run) {
      // A replay of a PUT that had been applied conflicts with its own result.
      auto got = Get(res, ns, name, {});
      json::value part = sub == "status" && obj.has_field("status") ? json::value() : obj;
      if (sub == "status") {
        part = json::value::object();
        part["status"] = obj.at("status");
      }
      if (got.ok() && SameContent(part, got.value())) return got;
    }
    return r;
  }

  static Result<ObjectList> DecodeList(json::value v) {
    if (!v.is_object() || !v.has_field("items") || !(v.at("items").is_array() || v.at("items").is_null())) {
      return MakeError(ErrorKind::kDecode, "list response has no items array");
    }
    ObjectList out;
    out.api_version = riposte::json::GetString(v, {"apiVersion"}).value_or("");
    out.kind = riposte::json::GetString(v, {"kind"}).value_or("");
    if (v.has_field("metadata")) {
      const auto& md = v.at("metadata");
      out.resource_version = riposte::json::GetString(md, {"resourceVersion"}).value_or("");
      out.continue_token = riposte::json::GetString(md, {"continue"}).value_or("");
      if (md.is_object() && md.has_field("remainingItemCount") && md.at("remainingItemCount").is_integer()) {
        out.remaining_item_count = md.at("remainingItemCount").as_number().to_int64();
      }
    }
    if (v.at("items").is_array()) {
      auto& items = v.at("items").as_array();
      out.items.reserve(items.size());
      for (auto& item : items) out.items.push_back(std::move(item));
    }
    return out;
  }

  internal::Headers RequestHeaders() {
    internal::Headers h{{"Accept", "application/json"}, {"User-Agent", cfg_.user_agent}};
    const std::string token = tokens_.Token();
    if (!token.empty()) h.emplace_back("Authorization", "Bearer " + token);
    return h;
  }

  Result<Response> Once(std::string_view method, const std::string& path_query, const json::value* body,
                        const std::string& content_type) {
    const auto wait = limiter_.Reserve();
    if (wait > Clock::Duration::zero()) std::this_thread::sleep_for(wait);
    std::string text;
    if (body != nullptr) text = riposte::json::Serialize(*body);
    auto r = transport_->Request(method, path_query, RequestHeaders(), body != nullptr ? &text : nullptr, content_type,
                                 kMaxResponseBytes);
    if (!r.ok()) return r.error();
    return Response{r->status, std::move(r->body), std::move(r->retry_after)};
  }

  bool ShouldRetry(RetryClass rc, const ApiError& e) const {
    if (rc == RetryClass::kNever) return false;
    if (e.kind == ErrorKind::kTooManyRequests) return true;
    if (rc == RetryClass::kThrottledOnly) return false;
    return e.kind == ErrorKind::kTransport || e.kind == ErrorKind::kTimeout || e.kind == ErrorKind::kServerError ||
           e.kind == ErrorKind::kServiceUnavailable;
  }

  Result<Response> Call(std::string_view method, const std::string& path_query, const json::value* body,
                        const std::string& content_type, RetryClass rc, bool* replayed) {
    const int attempts = std::max(1, cfg_.retry.max_attempts);
    for (int attempt = 0;; ++attempt) {
      if (attempt > 0 && replayed != nullptr) *replayed = true;
      auto r = Once(method, path_query, body, content_type);
      ApiError err;
      if (r.ok()) {
        if (r->status >= 200 && r->status < 300) return r;
        err = ErrorFromResponse(r->status, r->body, r->retry_after);
      } else {
        err = r.error();
      }
      if (attempt + 1 >= attempts || !ShouldRetry(rc, err)) return err;
      auto delay = backoff_.Delay(attempt);
      if (err.retry_after) {
        if (*err.retry_after > cfg_.retry.max_retry_after) return err;
        delay = std::max<std::chrono::milliseconds>(delay, *err.retry_after);
      }
      log::Debug("kube: retrying request", {{"method", method}, {"path", path_query}, {"error", err.ToString()}});
      std::this_thread::sleep_for(delay);
    }
  }

  Result<json::value> JsonCall(std::string_view method, const std::string& path_query, const json::value* body,
                               const std::string& content_type, RetryClass rc, bool* replayed = nullptr) {
    auto r = Call(method, path_query, body, content_type, rc, replayed);
    if (!r.ok()) return r.error();
    if (r->body.empty()) return json::value::object();
    std::error_code ec;
    json::value v = json::value::parse(r->body, ec);
    if (ec) return MakeError(ErrorKind::kDecode, "response is not JSON: " + ec.message());
    return v;
  }

  ClientConfig cfg_;
  std::unique_ptr<internal::HttpTransport> transport_;
  TokenSource tokens_;
  TokenBucket limiter_;
  Backoff backoff_;
};

// Splits the chunked watch stream into newline-delimited JSON events as bytes arrive.
class WatchDecoder {
 public:
  explicit WatchDecoder(size_t max_event) : max_event_(max_event) {}
  // Appends bytes; calls `line` for every complete line. False when a line exceeds the cap.
  template <typename F>
  bool Feed(const char* data, size_t n, F&& line) {
    size_t start = 0;
    for (size_t i = 0; i < n; ++i) {
      if (data[i] != '\n') continue;
      if (pending_.empty()) {
        if (!line(std::string_view(data + start, i - start))) return true;
      } else {
        pending_.append(data + start, i - start);
        std::string l = std::move(pending_);
        pending_.clear();
        if (!line(std::string_view(l))) return true;
      }
      start = i + 1;
    }
    pending_.append(data + start, n - start);
    return pending_.size() <= max_event_;
  }

 private:
  size_t max_event_;
  std::string pending_;
};

std::optional<WatchEventType> ParseEventType(const std::string& t) {
  if (t == "ADDED") return WatchEventType::kAdded;
  if (t == "MODIFIED") return WatchEventType::kModified;
  if (t == "DELETED") return WatchEventType::kDeleted;
  if (t == "BOOKMARK") return WatchEventType::kBookmark;
  if (t == "ERROR") return WatchEventType::kError;
  return std::nullopt;
}

Result<WatchEnd> HttpKubeClient::Watch(const Resource& res, const std::string& ns, const WatchOptions& opts,
                                       const WatchHandler& handler, std::stop_token stop) {
  std::string path;
  if (auto e = CollectionPath(res, ns, &path)) return *e;
  std::string q = "?watch=true";
  AddQuery(&q, "labelSelector", opts.label_selector);
  AddQuery(&q, "fieldSelector", opts.field_selector);
  AddQuery(&q, "resourceVersion", opts.resource_version);
  if (opts.allow_bookmarks) AddQuery(&q, "allowWatchBookmarks", "true");
  if (opts.timeout_seconds > 0) AddQuery(&q, "timeoutSeconds", std::to_string(opts.timeout_seconds));

  if (stop.stop_requested()) return MakeError(ErrorKind::kCancelled, "watch cancelled");
  const auto wait = limiter_.Reserve();
  if (wait > Clock::Duration::zero()) std::this_thread::sleep_for(wait);

  // The idle timeout of a watch must outlast the server-side timeout plus bookmark gaps.
  const int server_timeout = opts.timeout_seconds > 0 ? opts.timeout_seconds : 1800;
  WatchEnd end;
  end.resource_version = opts.resource_version;
  std::optional<ApiError> failure;
  WatchDecoder decoder(kMaxWatchEventBytes);
  bool keep_going = true;
  auto on_line = [&](std::string_view line) {
    if (line.empty() || line == "\r") return true;
    std::error_code ec;
    json::value v = json::value::parse(std::string(line), ec);
    if (ec || !v.is_object()) {
      failure = MakeError(ErrorKind::kDecode, "watch event is not a JSON object");
      return keep_going = false;
    }
    auto type = ParseEventType(riposte::json::GetString(v, {"type"}).value_or(""));
    if (!type || !v.has_field("object") || !v.at("object").is_object()) {
      failure = MakeError(ErrorKind::kDecode, "watch event has no valid type/object");
      return keep_going = false;
    }
    if (*type == WatchEventType::kError) {
      failure = ErrorFromResponse(0, v.at("object").serialize());
      return keep_going = false;
    }
    WatchEvent ev{*type, std::move(v.at("object"))};
    const std::string rv = riposte::json::GetString(ev.object, {"metadata", "resourceVersion"}).value_or("");
    if (!rv.empty()) end.resource_version = rv;
    ++end.events;
    if (!handler(std::move(ev))) {
      end.reason = WatchEnd::Reason::kHandlerStopped;
      return keep_going = false;
    }
    return true;
  };
  internal::HttpResponse error_response;
  auto status = transport_->Stream(
      path + q, RequestHeaders(), std::chrono::seconds(server_timeout + 30), stop,
      [&](const char* data, size_t n) {
        if (!decoder.Feed(data, n, on_line)) {
          failure = MakeError(ErrorKind::kDecode, "watch event larger than 16 MiB");
          return false;
        }
        return keep_going;  // false: drop the connection, do not drain it
      },
      &error_response);
  if (failure) return *failure;
  if (!status.ok()) {
    if (stop.stop_requested()) return MakeError(ErrorKind::kCancelled, "watch cancelled");
    return status.error();
  }
  if (*status < 200 || *status > 299) {
    return ErrorFromResponse(error_response.status, error_response.body, error_response.retry_after);
  }
  if (stop.stop_requested() && end.reason != WatchEnd::Reason::kHandlerStopped) {
    return MakeError(ErrorKind::kCancelled, "watch cancelled");
  }
  return end;
}

}  // namespace

Result<KubeClientPtr, ConfigError> NewKubeClient(const ClientConfig& config) {
  web::uri uri;
  try {
    uri = web::uri(config.server);
  } catch (const std::exception& e) {
    return ConfigError{config.source + ": server \"" + config.server + "\" is not a URL: " + e.what()};
  }
  if (uri.scheme() != "https") return ConfigError{config.source + ": server must be https://"};
  if (!config.tls_server_name.empty() && config.tls_server_name != uri.host()) {
    return ConfigError{config.source + ": tls-server-name different from the server host is not supported"};
  }
  if (!config.ca_pem.empty()) {
    if (auto p = internal::CheckCertificates(config.ca_pem); !p.empty()) return ConfigError{config.source + ": CA: " + p};
  }
  if (config.client_cert_pem.empty() != config.client_key_pem.empty()) {
    return ConfigError{config.source + ": client certificate and key must be given together"};
  }
  internal::TransportConfig tc;
  tc.host = uri.host();
  if (tc.host.size() >= 2 && tc.host.front() == '[' && tc.host.back() == ']') tc.host = tc.host.substr(1, tc.host.size() - 2);
  tc.port = std::to_string(uri.port() > 0 ? uri.port() : 443);
  tc.ca_pem = config.ca_pem;
  tc.client_cert_pem = config.client_cert_pem;
  tc.client_key_pem = config.client_key_pem;
  tc.insecure_skip_tls_verify = config.insecure_skip_tls_verify;
  tc.request_timeout = std::max(config.request_timeout, std::chrono::milliseconds(1000));
  auto transport = internal::HttpTransport::Create(tc);
  if (!transport.ok()) return ConfigError{config.source + ": " + transport.error()};
  return KubeClientPtr(std::make_shared<HttpKubeClient>(config, std::move(transport.value())));
}

}  // namespace riposte::kube
