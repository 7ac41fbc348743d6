#pragma once
// riposte-test-apiserver: an in-process HTTPS server with kube-apiserver semantics for the
// resources Riposte uses, plus a fault-injection control API under /_test/ guarded by a
// separate admin token. Thread per connection (watches are long-lived and must never block
// other clients); all object state sits behind the ObjectStore mutex.

#include <cpprest/json.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "tests/apiserver/object_store.h"
#include "tests/apiserver/resource_registry.h"

namespace riposte::testapi {

struct ApiServerOptions {
  std::string bind_address = "127.0.0.1";
  int port = 0;  // 0 = pick a free port
  std::string cert_pem, key_pem;  // empty = generate a self-signed pair
  std::vector<std::string> tokens;  // bearer tokens with full access (user "admin")
  std::string admin_token;          // required for /_test/
  size_t history_size = 10000;
  int bookmark_interval_ms = 60000;
  int default_watch_timeout_seconds = 1800;
  size_t max_body_bytes = 3 * 1024 * 1024;  // the real server's limit
};

// One authorization rule of a restricted user, RBAC PolicyRule-like; "*" matches anything.
struct AuthRule {
  std::vector<std::string> verbs, api_groups, resources, namespaces;
};
struct AuthUser {
  std::string name;
  bool restricted = false;
  std::vector<AuthRule> rules;
};

struct HttpRequest {
  std::string method;
  std::string path;  // without the query
  std::map<std::string, std::string> query;
  std::vector<std::pair<std::string, std::string>> query_list;  // every pair, in order (exec's command=)
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

class Connection;

class ApiServer {
 public:
  explicit ApiServer(ApiServerOptions options);
  ~ApiServer();
  ApiServer(const ApiServer&) = delete;
  ApiServer& operator=(const ApiServer&) = delete;

  void Start();  // binds and starts accepting; throws on failure
  void Stop();   // closes the listener and every connection, joins all threads
  int port() const { return port_; }
  const std::string& ca_pem() const { return options_.cert_pem; }
  const std::string& key_pem() const { return options_.key_pem; }

  // Loads users from an auth config document ({"users":[{"token","name","rules":[...]}]}).
  void AddUsers(const web::json::value& config);

 private:
  friend class Connection;
  struct RequestInfo;
  struct Fault {
    std::string kind;  // "delay" | "error"
    std::string path_glob = "*";
    std::string verb;  // k8s verb filter, empty = any
    int code = 500;
    int retry_after_seconds = 0;
    int delay_ms = 0;
    int remaining = -1;  // -1 = unlimited
  };

  // Transport.
  void AcceptLoop();
  void ServeConnection(std::shared_ptr<Connection> conn);
  void DropConnections(bool watches_only);
  void ReapFinished();

  // Request dispatch (api_server.cc).
  HttpResponse Dispatch(const HttpRequest& req, Connection& conn, std::function<void()>* after);
  HttpResponse HandleControl(const HttpRequest& req, std::function<void()>* after);
  std::optional<AuthUser> Authenticate(const HttpRequest& req) const;
  void Authorize(const AuthUser& user, const RequestInfo& ri) const;
  RequestInfo ParseRequest(const HttpRequest& req) const;
  std::optional<HttpResponse> ApplyFaults(const RequestInfo& ri, const HttpRequest& req);
  void CountRequest(const RequestInfo& ri);
  void ServeWatch(const RequestInfo& ri, const HttpRequest& req, Connection& conn);

  // pods/exec and pods/log (pod_streams.cc). Both take the connection over (status -1) once
  // they start answering.
  HttpResponse ServeExec(const RequestInfo& ri, const HttpRequest& req, Connection& conn);
  HttpResponse ServeLog(const RequestInfo& ri, const HttpRequest& req, Connection& conn);
  void ConfigureExec(const web::json::value& body);
  void ClearExec();
  web::json::value ExecCalls();
  void SetLog(const web::json::value& body);

  // Resource semantics (api_handlers.cc). All take the store lock themselves.
  HttpResponse HandleResource(const RequestInfo& ri, const HttpRequest& req);
  web::json::value DoGet(const RequestInfo& ri);
  web::json::value DoList(const RequestInfo& ri, const HttpRequest& req);
  web::json::value DoCreate(const RequestInfo& ri, const HttpRequest& req, int* code);
  web::json::value DoUpdate(const RequestInfo& ri, const HttpRequest& req);
  web::json::value DoPatch(const RequestInfo& ri, const HttpRequest& req, int* code);
  web::json::value DoDelete(const RequestInfo& ri, const HttpRequest& req, int* code);
  web::json::value DoDeleteCollection(const RequestInfo& ri, const HttpRequest& req);
  web::json::value DoEviction(const RequestInfo& ri, const HttpRequest& req, int* code);

  // Storage-level operations shared by handlers, the control API and the controllers below;
  // the caller holds the store lock.
  StoredPtr CreateLocked(const ResourceInfo& info, web::json::value obj, bool keep_status,
                         bool dry_run);
  StoredPtr UpdateLocked(const ResourceInfo& info, const StoredPtr& old, web::json::value obj,
                         const std::string& subresource, bool dry_run);
  // Deletes honouring finalizers and propagation; returns the final state and whether the
  // object is gone (false = it now carries deletionTimestamp).
  StoredPtr DeleteLocked(const ResourceInfo& info, const StoredPtr& obj,
                         const std::string& propagation, bool dry_run, bool* gone);
  void AfterDeleteLocked(const ResourceInfo& info, const StoredPtr& gone);
  void SeedDefaultsLocked();
  void RegisterCrdLocked(const web::json::value& crd);

  // Controllers that the real cluster runs next to the apiserver: garbage collector,
  // namespace lifecycle and CRD cleanup.
  void ControllerLoop();
  void RunControllersLocked();

  ApiServerOptions options_;
  ResourceRegistry registry_;  // guarded by store_.mu()
  ObjectStore store_;

  std::atomic<int> port_{0};
  std::atomic<bool> stopping_{false};
  std::atomic<uint64_t> drop_epoch_{0};   // bumped to end every watch stream
  std::atomic<int> bookmark_interval_ms_;
  std::atomic<int> listen_fd_{-1};
  std::thread accept_thread_;
  std::thread controller_thread_;
  std::mutex controller_mu_;
  std::condition_variable controller_cv_;
  bool controller_kick_ = false;

  std::mutex conns_mu_;
  std::condition_variable conns_cv_;
  std::vector<std::shared_ptr<Connection>> conns_;
  std::vector<std::thread> finished_threads_;
  std::map<Connection*, std::thread> threads_;
  void* ssl_ctx_ = nullptr;  // boost::asio::ssl::context, kept out of this header

  // Restart fault: listener down for a while, optionally with data loss.
  std::atomic<int> restart_down_ms_{-1};

  // What commands print and which subprotocols the "kubelet" accepts (/_test/exec), and
  // the container logs (/_test/logs).
  struct ExecRule {
    std::string ns, pod, container;
    std::vector<std::string> command;
    bool prefix = false;  // command is a prefix of the argv instead of all of it
    std::string out, err;
    int exit_code = 0;
    std::string fault;  // "", drop, close, hang, startFailed, containerGone
    std::string message;
    size_t huge_bytes = 0;  // extra stdout
    int remaining = -1;
  };
  struct LogEntry {
    std::string data;
    size_t generate_bytes = 0;
    bool ignore_limit = false;
  };
  std::mutex exec_mu_;
  std::vector<ExecRule> exec_rules_;
  std::vector<std::string> exec_protocols_;
  web::json::value exec_calls_;
  std::map<std::string, LogEntry> logs_;

  mutable std::mutex auth_mu_;
  std::map<std::string, AuthUser> users_;  // token -> user

  std::mutex faults_mu_;
  std::vector<Fault> faults_;
  std::map<std::string, int64_t> stats_by_resource_;
  std::map<std::string, int64_t> stats_by_object_;
  int64_t stats_total_ = 0;
};

}  // namespace riposte::testapi
