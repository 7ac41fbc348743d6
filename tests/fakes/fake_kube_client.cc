#include "tests/fakes/fake_kube_client.h"
#include "common/json_value.h"

#include <chrono>

#include "kube/api_time.h"
#include "kube/selector.h"
#include "tests/apiserver/patch.h"

namespace riposte::fakes {
namespace json = web::json;
using kube::ApiError;
using kube::ErrorKind;
using kube::Result;

namespace {
constexpr size_t kMaxHistory = 100000;

bool HasFinalizers(const json::value& obj) { return !riposte::json::GetStringList(obj, {"metadata", "finalizers"}).empty(); }

ApiError StatusError(int code, const std::string& reason, const std::string& message) {
  json::value st = json::value::object();
  st["kind"] = json::value::string("Status");
  st["apiVersion"] = json::value::string("v1");
  st["status"] = json::value::string("Failure");
  st["reason"] = json::value::string(reason);
  st["message"] = json::value::string(message);
  st["code"] = json::value::number(code);
  return kube::ErrorFromResponse(code, st.serialize());
}

std::string Describe(const kube::Resource& res, const std::string& name) {
  return res.GroupResource() + " \"" + name + "\"";
}

bool FieldMatches(const json::value& obj, const std::string& selector) {
  if (selector.empty()) return true;
  size_t start = 0;
  while (start <= selector.size()) {
    size_t comma = selector.find(',', start);
    if (comma == std::string::npos) comma = selector.size();
    const std::string term = selector.substr(start, comma - start);
    start = comma + 1;
    const bool neg = term.find("!=") != std::string::npos;
    const size_t eq = term.find(neg ? "!=" : "=");
    if (eq == std::string::npos) continue;
    const std::string field = term.substr(0, eq);
    const std::string value = term.substr(eq + (neg ? 2 : (term.compare(eq, 2, "==") == 0 ? 2 : 1)));
    std::string actual;
    if (field == "metadata.name") actual = riposte::json::GetString(obj, {"metadata", "name"}).value_or("");
    else if (field == "metadata.namespace") actual = riposte::json::GetString(obj, {"metadata", "namespace"}).value_or("");
    else if (field == "spec.nodeName") actual = riposte::json::GetString(obj, {"spec", "nodeName"}).value_or("");
    else if (field == "status.phase") actual = riposte::json::GetString(obj, {"status", "phase"}).value_or("");
    else if (field.rfind("involvedObject.", 0) == 0)  // Events, as the API server indexes them
      actual = riposte::json::GetString(obj, {"involvedObject", field.substr(15).c_str()}).value_or("");
    if ((actual == value) == neg) return false;
    if (comma == selector.size()) break;
  }
  return true;
}

bool Matches(const json::value& obj, const std::string& label_sel, const std::string& field_sel) {
  if (!label_sel.empty()) {
    kube::LabelSelector sel;
    std::string err;
    if (!kube::LabelSelector::Parse(label_sel, &sel, &err)) return false;
    if (!sel.Matches(riposte::json::GetStringMap(obj, {"metadata", "labels"}))) return false;
  }
  return FieldMatches(obj, field_sel);
}

uint64_t ParseRv(const std::string& s) {
  try {
    return s.empty() ? 0 : std::stoull(s);
  } catch (...) {
    return 0;
  }
}
}  // namespace

FakeKubeClient::FakeKubeClient() = default;
FakeKubeClient::~FakeKubeClient() { DropWatches(); }

std::string FakeKubeClient::Key(const std::string& gr, const std::string& ns, const std::string& name) {
  return gr + "|" + ns + "|" + name;
}

std::optional<Result<json::value>> FakeKubeClient::Intercept(const Action& a) {
  std::vector<Reactor> reactors;
  {
    std::lock_guard<std::mutex> lock(mu_);
    actions_.push_back(a);
    for (auto it = failures_.begin(); it != failures_.end(); ++it) {
      if (it->verb == a.verb && (it->resource.empty() || it->resource == a.resource)) {
        ApiError e = it->error;
        if (--it->times <= 0) failures_.erase(it);
        return Result<json::value>(e);
      }
    }
    reactors = reactors_;
  }
  for (auto& r : reactors) {
    if (auto out = r(a)) return out;
  }
  return std::nullopt;
}

void FakeKubeClient::EmitLocked(const kube::Resource& res, const std::string& ns, kube::WatchEventType type,
                                const json::value& obj) {
  history_.push_back({rv_, res.GroupResource(), ns, type, obj});
  if (history_.size() > kMaxHistory) {
    compacted_rv_ = history_.front().rv + 1;
    history_.pop_front();
  }
  cv_.notify_all();
}

json::value FakeKubeClient::StoreLocked(const kube::Resource& res, const std::string& ns, json::value obj, bool create) {
  ++rv_;
  riposte::json::Mutable(obj, {"metadata", "resourceVersion"}) = json::value::string(std::to_string(rv_));
  if (res.namespaced) riposte::json::Mutable(obj, {"metadata", "namespace"}) = json::value::string(ns);
  if (!riposte::json::GetString(obj, {"apiVersion"})) obj["apiVersion"] = json::value::string(res.ApiVersion());
  if (!riposte::json::GetString(obj, {"kind"})) obj["kind"] = json::value::string(res.kind);
  if (create) {
    riposte::json::Mutable(obj, {"metadata", "uid"}) =
        json::value::string("00000000-0000-4000-8000-" + std::to_string(1000000000000 + ++uid_));
    riposte::json::Mutable(obj, {"metadata", "creationTimestamp"}) = json::value::string(kube::FormatTime(std::chrono::system_clock::now()));
    riposte::json::Mutable(obj, {"metadata", "generation"}) = json::value::number(1);
  }
  json::value stored = std::move(obj);
  objects_[Key(res.GroupResource(), ns, riposte::json::GetString(stored, {"metadata", "name"}).value_or(""))] = stored;
  return stored;
}

json::value FakeKubeClient::Seed(const kube::Resource& res, json::value obj) {
  std::lock_guard<std::mutex> lock(mu_);
  const std::string ns = res.namespaced ? riposte::json::GetString(obj, {"metadata", "namespace"}).value_or("default") : "";
  json::value stored = StoreLocked(res, ns, std::move(obj), true);
  EmitLocked(res, ns, kube::WatchEventType::kAdded, stored);
  return stored;
}

std::optional<json::value> FakeKubeClient::Peek(const kube::Resource& res, const std::string& ns,
                                                const std::string& name) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = objects_.find(Key(res.GroupResource(), res.namespaced ? ns : "", name));
  if (it == objects_.end()) return std::nullopt;
  return it->second;
}

size_t FakeKubeClient::Count(const kube::Resource& res) const {
  std::lock_guard<std::mutex> lock(mu_);
  const std::string prefix = res.GroupResource() + "|";
  size_t n = 0;
  for (auto it = objects_.lower_bound(prefix); it != objects_.end() && it->first.rfind(prefix, 0) == 0; ++it) ++n;
  return n;
}

std::vector<Action> FakeKubeClient::Actions() const {
  std::lock_guard<std::mutex> lock(mu_);
  return actions_;
}

std::vector<Action> FakeKubeClient::ActionsFor(const std::string& verb, const std::string& resource) const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<Action> out;
  for (const auto& a : actions_) {
    if (a.verb == verb && (resource.empty() || a.resource == resource)) out.push_back(a);
  }
  return out;
}

void FakeKubeClient::ClearActions() {
  std::lock_guard<std::mutex> lock(mu_);
  actions_.clear();
}

void FakeKubeClient::FailNext(const std::string& verb, const std::string& resource, ApiError error, int times) {
  std::lock_guard<std::mutex> lock(mu_);
  failures_.push_back({verb, resource, std::move(error), times});
}

void FakeKubeClient::AddReactor(Reactor r) {
  std::lock_guard<std::mutex> lock(mu_);
  reactors_.push_back(std::move(r));
}

void FakeKubeClient::DropWatches() {
  std::lock_guard<std::mutex> lock(mu_);
  ++drop_generation_;
  cv_.notify_all();
}

void FakeKubeClient::ExpireHistory() {
  std::lock_guard<std::mutex> lock(mu_);
  history_.clear();
  compacted_rv_ = rv_ + 1;
  ++drop_generation_;  // open watches end; their resume point is now too old
  cv_.notify_all();
}

int FakeKubeClient::OpenWatches() const {
  std::lock_guard<std::mutex> lock(mu_);
  return open_watches_;
}

bool FakeKubeClient::WaitForWatches(int n, std::chrono::milliseconds timeout) const {
  std::unique_lock<std::mutex> lock(mu_);
  return cv_.wait_for(lock, timeout, [&] { return open_watches_ >= n; });
}

std::string FakeKubeClient::CurrentResourceVersion() const {
  std::lock_guard<std::mutex> lock(mu_);
  return std::to_string(rv_);
}

Result<json::value> FakeKubeClient::Get(const kube::Resource& res, const std::string& ns, const std::string& name,
                                        const kube::GetOptions&) {
  if (auto r = Intercept({"get", res.GroupResource(), ns, name, "", {}})) return *r;
  std::lock_guard<std::mutex> lock(mu_);
  auto it = objects_.find(Key(res.GroupResource(), res.namespaced ? ns : "", name));
  if (it == objects_.end()) return StatusError(404, "NotFound", Describe(res, name) + " not found");
  return it->second;
}

Result<kube::ObjectList> FakeKubeClient::List(const kube::Resource& res, const std::string& ns,
                                              const kube::ListOptions& opts) {
  if (auto r = Intercept({"list", res.GroupResource(), ns, "", "", {}}); r && !r->ok()) return r->error();
  std::lock_guard<std::mutex> lock(mu_);
  kube::ObjectList out;
  out.api_version = res.ApiVersion();
  out.kind = res.kind + "List";
  out.resource_version = std::to_string(rv_);
  const std::string prefix = res.GroupResource() + "|" + (res.namespaced && !ns.empty() ? ns + "|" : "");
  size_t skip = opts.continue_token.empty() ? 0 : std::stoul(opts.continue_token);
  size_t index = 0;
  for (auto it = objects_.lower_bound(prefix); it != objects_.end() && it->first.rfind(prefix, 0) == 0; ++it) {
    if (!Matches(it->second, opts.label_selector, opts.field_selector)) continue;
    if (index++ < skip) continue;
    if (opts.limit > 0 && static_cast<int64_t>(out.items.size()) >= opts.limit) {
      out.continue_token = std::to_string(index - 1);
      break;
    }
    out.items.push_back(it->second);
  }
  return out;
}

Result<json::value> FakeKubeClient::Create(const kube::Resource& res, const std::string& ns, const json::value& obj,
                                           const kube::CreateOptions& opts) {
  const std::string name = riposte::json::GetString(obj, {"metadata", "name"}).value_or("");
  if (auto r = Intercept({"create", res.GroupResource(), ns, name, "", obj})) return *r;
  std::lock_guard<std::mutex> lock(mu_);
  std::string final_name = name;
  if (final_name.empty()) {
    const std::string gen = riposte::json::GetString(obj, {"metadata", "generateName"}).value_or("");
    if (gen.empty()) return StatusError(422, "Invalid", "metadata.name: Required value");
    final_name = gen + std::to_string(uid_ + 1);
  }
  const std::string key_ns = res.namespaced ? ns : "";
  if (objects_.count(Key(res.GroupResource(), key_ns, final_name)) != 0) {
    return StatusError(409, "AlreadyExists", Describe(res, final_name) + " already exists");
  }
  json::value body = obj;
  riposte::json::Mutable(body, {"metadata", "name"}) = json::value::string(final_name);
  if (opts.dry_run) return body;
  json::value stored = StoreLocked(res, key_ns, body, true);
  EmitLocked(res, key_ns, kube::WatchEventType::kAdded, stored);
  return stored;
}

Result<json::value> FakeKubeClient::WriteLocked(const kube::Resource& res, const std::string& ns, json::value obj,
                                                bool status_only) {
  const std::string name = riposte::json::GetString(obj, {"metadata", "name"}).value_or("");
  auto it = objects_.find(Key(res.GroupResource(), ns, name));
  if (it == objects_.end()) return StatusError(404, "NotFound", Describe(res, name) + " not found");
  const std::string rv = riposte::json::GetString(obj, {"metadata", "resourceVersion"}).value_or("");
  if (!rv.empty() && rv != riposte::json::GetString(it->second, {"metadata", "resourceVersion"}).value_or("")) {
    return StatusError(409, "Conflict",
                       "Operation cannot be fulfilled on " + Describe(res, name) +
                           ": the object has been modified; please apply your changes to the latest version and try again");
  }
  json::value next = it->second;
  if (status_only) {
    if (obj.has_field("status")) next["status"] = obj.at("status");
  } else {
    // Server-owned metadata survives a PUT.
    for (const char* k : {"uid", "creationTimestamp", "generation", "deletionTimestamp"}) {
      const json::value* p = riposte::json::Find(it->second, {"metadata", k});
      if (p != nullptr) riposte::json::Mutable(obj, {"metadata", k}) = *p;
    }
    if (it->second.has_field("status") && !obj.has_field("status")) obj["status"] = it->second.at("status");
    const json::value* old_spec = riposte::json::Find(it->second, {"spec"});
    const json::value* new_spec = riposte::json::Find(obj, {"spec"});
    if ((old_spec == nullptr) != (new_spec == nullptr) || (old_spec != nullptr && *old_spec != *new_spec)) {
      riposte::json::Mutable(obj, {"metadata", "generation"}) =
          json::value::number(riposte::json::GetInt(it->second, {"metadata", "generation"}).value_or(1) + 1);
    }
    next = std::move(obj);
  }
  json::value stored = StoreLocked(res, ns, std::move(next), false);
  // An object with deletionTimestamp whose last finalizer is removed goes away.
  if (riposte::json::Find(stored, {"metadata", "deletionTimestamp"}) != nullptr &&
      !HasFinalizers(stored)) {
    objects_.erase(Key(res.GroupResource(), ns, name));
    EmitLocked(res, ns, kube::WatchEventType::kDeleted, stored);
    return stored;
  }
  EmitLocked(res, ns, kube::WatchEventType::kModified, stored);
  return stored;
}

Result<json::value> FakeKubeClient::Update(const kube::Resource& res, const std::string& ns, const json::value& obj,
                                           const kube::UpdateOptions& opts) {
  if (auto r = Intercept({"update", res.GroupResource(), ns, riposte::json::GetString(obj, {"metadata", "name"}).value_or(""), "", obj})) {
    return *r;
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (opts.dry_run) return obj;
  return WriteLocked(res, res.namespaced ? ns : "", obj, false);
}

Result<json::value> FakeKubeClient::UpdateStatus(const kube::Resource& res, const std::string& ns,
                                                 const json::value& obj, const kube::UpdateOptions& opts) {
  if (auto r = Intercept({"update-status", res.GroupResource(), ns, riposte::json::GetString(obj, {"metadata", "name"}).value_or(""),
                          "status", obj})) {
    return *r;
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (opts.dry_run) return obj;
  return WriteLocked(res, res.namespaced ? ns : "", obj, true);
}

Result<json::value> FakeKubeClient::DeleteLocked(const kube::Resource& res, const std::string& ns,
                                                 const std::string& name, const kube::DeleteOptions& opts) {
  const std::string key = Key(res.GroupResource(), ns, name);
  auto it = objects_.find(key);
  if (it == objects_.end()) return StatusError(404, "NotFound", Describe(res, name) + " not found");
  if (!opts.precondition_uid.empty() && opts.precondition_uid != riposte::json::GetString(it->second, {"metadata", "uid"}).value_or("")) {
    return StatusError(409, "Conflict", "Precondition failed: UID in precondition: " + opts.precondition_uid);
  }
  if (!opts.precondition_resource_version.empty() &&
      opts.precondition_resource_version != riposte::json::GetString(it->second, {"metadata", "resourceVersion"}).value_or("")) {
    return StatusError(409, "Conflict", "Precondition failed: ResourceVersion in precondition: " +
                                            opts.precondition_resource_version);
  }
  if (opts.dry_run) return it->second;
  if (HasFinalizers(it->second)) {
    json::value next = it->second;
    riposte::json::Mutable(next, {"metadata", "deletionTimestamp"}) = json::value::string(kube::FormatTime(std::chrono::system_clock::now()));
    json::value stored = StoreLocked(res, ns, std::move(next), false);
    EmitLocked(res, ns, kube::WatchEventType::kModified, stored);
    return stored;
  }
  json::value gone = it->second;
  objects_.erase(it);
  ++rv_;
  riposte::json::Mutable(gone, {"metadata", "resourceVersion"}) = json::value::string(std::to_string(rv_));
  EmitLocked(res, ns, kube::WatchEventType::kDeleted, gone);
  return gone;
}

Result<json::value> FakeKubeClient::Delete(const kube::Resource& res, const std::string& ns, const std::string& name,
                                           const kube::DeleteOptions& opts) {
  json::value body = json::value::object();
  if (opts.grace_period_seconds) body["gracePeriodSeconds"] = json::value::number(*opts.grace_period_seconds);
  if (!opts.precondition_uid.empty()) riposte::json::Mutable(body, {"preconditions", "uid"}) = json::value::string(opts.precondition_uid);
  if (auto r = Intercept({"delete", res.GroupResource(), ns, name, "", body})) return *r;
  std::lock_guard<std::mutex> lock(mu_);
  return DeleteLocked(res, res.namespaced ? ns : "", name, opts);
}

Result<json::value> FakeKubeClient::Patch(const kube::Resource& res, const std::string& ns, const std::string& name,
                                          const json::value& patch, const kube::PatchOptions& opts,
                                          const std::string& sub) {
  Action a{"patch", res.GroupResource(), ns, name, sub, patch};
  if (auto r = Intercept(a)) return *r;
  std::lock_guard<std::mutex> lock(mu_);
  const std::string key_ns = res.namespaced ? ns : "";
  auto it = objects_.find(Key(res.GroupResource(), key_ns, name));
  if (it == objects_.end()) return StatusError(404, "NotFound", Describe(res, name) + " not found");
  json::value next = testapi::ApplyMergePatch(it->second, patch);
  // A patch carrying a resourceVersion is a precondition, as on the real server.
  const std::string want_rv = riposte::json::GetString(next, {"metadata", "resourceVersion"}).value_or("");
  riposte::json::Mutable(next, {"metadata", "resourceVersion"}) =
      json::value::string(riposte::json::GetString(it->second, {"metadata", "resourceVersion"}).value_or(""));
  if (!want_rv.empty() && want_rv != riposte::json::GetString(it->second, {"metadata", "resourceVersion"}).value_or("")) {
    return StatusError(409, "Conflict", "Operation cannot be fulfilled on " + Describe(res, name) +
                                            ": the object has been modified");
  }
  if (opts.dry_run) return next;
  return WriteLocked(res, key_ns, std::move(next), sub == "status");
}

kube::Status FakeKubeClient::Evict(const std::string& ns, const std::string& pod_name, const kube::DeleteOptions& opts) {
  if (auto r = Intercept({"evict", kube::resources::kPods.GroupResource(), ns, pod_name, "eviction", {}})) {
    if (!r->ok()) return r->error();
    return kube::OkStatus();
  }
  std::lock_guard<std::mutex> lock(mu_);
  auto r = DeleteLocked(kube::resources::kPods, ns, pod_name, opts);
  if (!r.ok()) return r.error();
  return kube::OkStatus();
}

void FakeKubeClient::SetExecHandler(ExecHandler h) {
  std::lock_guard<std::mutex> lock(mu_);
  exec_handler_ = std::move(h);
}

void FakeKubeClient::SetLogsHandler(LogsHandler h) {
  std::lock_guard<std::mutex> lock(mu_);
  logs_handler_ = std::move(h);
}

std::vector<FakeKubeClient::ExecCall> FakeKubeClient::ExecCalls() const {
  std::lock_guard<std::mutex> lock(mu_);
  return exec_calls_;
}

Result<kube::ExecResult> FakeKubeClient::Exec(const std::string& ns, const std::string& pod, const std::string& container,
                                              const std::vector<std::string>& argv, const kube::ExecOptions&) {
  json::value args = json::value::array();
  for (size_t i = 0; i < argv.size(); ++i) args[i] = json::value::string(argv[i]);
  if (auto r = Intercept({"exec", kube::resources::kPods.GroupResource(), ns, pod, "exec", args}); r && !r->ok()) {
    return r->error();
  }
  ExecHandler h;
  {
    std::lock_guard<std::mutex> lock(mu_);
    exec_calls_.push_back({ns, pod, container, argv});
    h = exec_handler_;
  }
  if (!h) return kube::MakeError(kube::ErrorKind::kNotFound, "fake: no exec handler");
  return h(ns, pod, container, argv);
}

Result<kube::LogResult> FakeKubeClient::Logs(const std::string& ns, const std::string& pod, const kube::LogOptions& opts) {
  json::value o = json::value::object();
  o["container"] = json::value::string(opts.container);
  o["previous"] = json::value::boolean(opts.previous);
  if (auto r = Intercept({"log", kube::resources::kPods.GroupResource(), ns, pod, "log", o}); r && !r->ok()) {
    return r->error();
  }
  LogsHandler h;
  {
    std::lock_guard<std::mutex> lock(mu_);
    h = logs_handler_;
  }
  if (!h) return kube::MakeError(kube::ErrorKind::kNotFound, "fake: no logs handler");
  return h(ns, pod, opts);
}

Result<kube::WatchEnd> FakeKubeClient::Watch(const kube::Resource& res, const std::string& ns,
                                             const kube::WatchOptions& opts, const kube::WatchHandler& handler,
                                             std::stop_token stop) {
  if (auto r = Intercept({"watch", res.GroupResource(), ns, "", "", {}}); r && !r->ok()) return r->error();
  // Registered before taking mu_: it runs inline if stop was already requested.
  std::stop_callback wake(stop, [this] {
    std::lock_guard<std::mutex> l(mu_);
    cv_.notify_all();
  });
  const std::string gr = res.GroupResource();
  const std::string want_ns = res.namespaced ? ns : "";
  auto relevant = [&](const Event& e) {
    return e.resource == gr && (want_ns.empty() || e.ns == want_ns) &&
           Matches(e.object, opts.label_selector, opts.field_selector);
  };
  std::unique_lock<std::mutex> lock(mu_);
  kube::WatchEnd end;
  end.resource_version = opts.resource_version;
  uint64_t from = ParseRv(opts.resource_version);
  std::vector<kube::WatchEvent> pending;
  if (opts.resource_version.empty() || opts.resource_version == "0") {
    // Synthetic ADDED for current state, then follow.
    const std::string prefix = gr + "|" + (want_ns.empty() ? "" : want_ns + "|");
    for (auto it = objects_.lower_bound(prefix); it != objects_.end() && it->first.rfind(prefix, 0) == 0; ++it) {
      if (Matches(it->second, opts.label_selector, opts.field_selector)) {
        pending.push_back({kube::WatchEventType::kAdded, it->second});
      }
    }
    from = rv_;
  } else if (from + 1 < compacted_rv_) {
    return StatusError(410, "Expired", "too old resource version: " + opts.resource_version);
  }
  const uint64_t gen = drop_generation_;
  ++open_watches_;
  cv_.notify_all();
  struct Closer {
    FakeKubeClient* self;
    ~Closer() { --self->open_watches_; self->cv_.notify_all(); }
  } closer{this};
  const auto deadline = std::chrono::steady_clock::now() +
                        std::chrono::seconds(opts.timeout_seconds > 0 ? opts.timeout_seconds : 1800);
  for (;;) {
    // A dropped connection delivers nothing more, even events already in the log.
    if (drop_generation_ != gen) return kube::MakeError(ErrorKind::kTransport, "fake: watch connection dropped");
    if (stop.stop_requested()) return kube::MakeError(ErrorKind::kCancelled, "watch cancelled");
    for (const auto& e : history_) {
      if (e.rv > from && relevant(e)) pending.push_back({e.type, e.object});
    }
    if (!history_.empty()) from = std::max(from, history_.back().rv);
    if (!pending.empty()) {
      lock.unlock();
      for (auto& ev : pending) {
        const std::string rv = riposte::json::GetString(ev.object, {"metadata", "resourceVersion"}).value_or("");
        if (!rv.empty()) end.resource_version = rv;
        ++end.events;
        if (!handler(std::move(ev))) {
          lock.lock();
          end.reason = kube::WatchEnd::Reason::kHandlerStopped;
          return end;
        }
      }
      pending.clear();
      lock.lock();
      continue;
    }
    if (stop.stop_requested()) return kube::MakeError(ErrorKind::kCancelled, "watch cancelled");
    if (drop_generation_ != gen) return kube::MakeError(ErrorKind::kTransport, "fake: watch connection dropped");
    if (std::chrono::steady_clock::now() >= deadline) return end;
    cv_.wait_until(lock, deadline);
  }
}

}  // namespace riposte::fakes
