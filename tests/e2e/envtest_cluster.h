#pragma once
// A real control plane for end-to-end tests, the envtest way: etcd and kube-apiserver started
// as local processes on random loopback ports, with RBAC authorization, an administrator
// token, a fresh serving certificate and service-account key, and nothing else (no kubelet,
// scheduler or controller-manager: pods stay Pending unless a test writes their status, and
// nothing garbage-collects).
//
//   riposte::e2e::EnvtestCluster cluster;               // started and ready, or throws
//   cluster.admin_kubeconfig();                         // path of an admin kubeconfig
//   cluster.Api("POST", "/api/v1/namespaces", R"({"metadata":{"name":"shop"}})");
//   std::string t = cluster.CreateToken("riposte-system", "riposte-controller");
//   cluster.WriteKubeconfig(dir + "/controller.kubeconfig", t);
//   cluster.RestartApiServer();                         // same port, CA, tokens and data
//
// Binaries are found as controller-runtime's envtest finds them: explicit paths
// (RIPOSTE_KUBE_APISERVER, RIPOSTE_ETCD, RIPOSTE_KUBECTL, RIPOSTE_HELM), else the directory
// named by KUBEBUILDER_ASSETS. scripts/envtest-tools.sh fills such a directory.
//
// Every process runs in its own process group and is killed with it, on destruction, when a
// start fails, and (through PR_SET_PDEATHSIG) when the thread that started the cluster dies.
// Construct, restart and destroy the cluster on one thread (a gtest Environment does).

#include <cpprest/json.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "tests/apiserver/https_test_client.h"
#include "tests/e2e/cluster_network.h"
#include "tests/e2e/process.h"

namespace riposte::e2e {

struct EnvtestBinaries {
  std::string kube_apiserver, etcd, kubectl, helm;  // "" = not found
  // Explicit variables first, then $KUBEBUILDER_ASSETS/<name>; only executable files count.
  static EnvtestBinaries Find();
  // Names of the missing binaries among kube-apiserver and etcd ("" when both are there).
  std::string MissingControlPlane() const;
};

struct EnvtestOptions {
  EnvtestBinaries binaries = EnvtestBinaries::Find();
  // Extra kube-apiserver flags, appended after the harness's own (a later flag wins), e.g.
  // "--etcd-compaction-interval=2s" or "--watch-cache=false".
  std::vector<std::string> apiserver_args;
  std::vector<std::string> etcd_args;
  // Audit log of every write (verb, resource, name, user, status) in <dir>/audit.log, so tests
  // can count side effects exactly: see AuditEvents().
  bool audit_log = true;
  std::chrono::seconds start_timeout{120};
  // The cluster network (cluster_network.h): kube-apiserver dials in-cluster addresses (Service
  // webhooks) through a local CONNECT proxy whose routes ClusterEmulator sets.
  bool cluster_network = true;
  // Kept after destruction (for logs) when true; RIPOSTE_E2E_KEEP=1 sets it too.
  bool keep_dir = false;
};

// One audited API request (ResponseComplete stage), from <dir>/audit.log. Writes by anyone
// (except Lease renewals), and lists by ServiceAccounts, are recorded.
struct AuditEvent {
  std::string verb;         // create, update, patch, delete, deletecollection, list
  std::string user;         // e.g. system:serviceaccount:riposte-system:riposte-controller
  std::string api_group;    // "" for core
  std::string resource;     // pods, networkpolicies, ...
  std::string subresource;  // status, eviction, ...
  std::string ns, name;
  int code = 0;             // HTTP status of the answer
  bool dry_run = false;     // ?dryRun=All
  std::string request_uri;  // path and query
};

class EnvtestCluster {
 public:
  explicit EnvtestCluster(EnvtestOptions options = {});  // starts; throws std::runtime_error with logs
  ~EnvtestCluster();
  EnvtestCluster(const EnvtestCluster&) = delete;
  EnvtestCluster& operator=(const EnvtestCluster&) = delete;

  const EnvtestBinaries& binaries() const { return options_.binaries; }
  int port() const { return apiserver_port_; }
  std::string url() const;  // https://127.0.0.1:PORT
  const std::string& ca_pem() const { return ca_pem_; }
  std::string ca_file() const { return dir_ + "/serving.crt"; }
  const std::string& admin_token() const { return admin_token_; }
  const std::string& dir() const { return dir_; }
  const std::string& admin_kubeconfig() const { return admin_kubeconfig_; }
  std::string etcd_url() const;
  pid_t apiserver_pid() const { return apiserver_.pid(); }
  pid_t etcd_pid() const { return etcd_.pid(); }
  std::string apiserver_log() const { return apiserver_.Log(); }
  std::string etcd_log() const { return etcd_.Log(); }
  void set_keep_dir(bool keep) { options_.keep_dir = keep; }

  // A kubeconfig for this server (CA data embedded) authenticating with `token`.
  std::string WriteKubeconfig(const std::string& path, const std::string& token,
                              const std::string& ns = "default") const;

  // Raw HTTPS request with the admin token (or `token`). Throws on transport failures.
  testapi::RawResponse Api(const std::string& method, const std::string& target, const std::string& body = "",
                           const std::string& content_type = "application/json",
                           const std::string& token = "") const;
  // Same, throwing std::runtime_error (with the answer) unless it is 2xx; returns the JSON body.
  web::json::value MustApi(const std::string& method, const std::string& target, const std::string& body = "",
                           const std::string& content_type = "application/json") const;
  // A ServiceAccount token from the TokenRequest API (what a pod's projected token is).
  std::string CreateToken(const std::string& ns, const std::string& service_account,
                          int64_t expiration_seconds = 3600) const;
  // SelfSubjectAccessReview as the holder of `token`: may it do `verb` on the resource?
  bool Can(const std::string& token, const std::string& verb, const std::string& group, const std::string& resource,
           const std::string& ns = "", const std::string& subresource = "") const;

  // Stops kube-apiserver (SIGKILL: a crash, open watches are cut) and starts it again on the
  // same port with the same certificate, keys and tokens; etcd and its data stay. `args`
  // replaces EnvtestOptions::apiserver_args for this and later starts when given.
  void RestartApiServer(const std::vector<std::string>* args = nullptr);
  void StopApiServer();   // SIGKILL, as above
  void StartApiServer();  // waits for /readyz; throws with the log on failure
  bool ApiServerReady() const;
  // The cluster network (nullptr when EnvtestOptions::cluster_network is off).
  ClusterNetwork* network() const { return network_.get(); }

  // Audit events so far, oldest first (empty when the audit log is off).
  std::vector<AuditEvent> AuditEvents() const;
  // Makes one write of its own and waits until the audit log shows it, so every request that
  // was answered before this call is in AuditEvents() afterwards.
  void FlushAudit() const;

 private:
  void Start();
  void StartEtcd();
  void Teardown();
  std::string Describe() const;  // the tail of both logs, for exceptions

  EnvtestOptions options_;
  std::string dir_, etcd_data_dir_;
  std::string admin_token_, ca_pem_, admin_kubeconfig_;
  int etcd_client_port_ = 0, etcd_peer_port_ = 0, apiserver_port_ = 0;
  int apiserver_starts_ = 0;
  ManagedProcess etcd_, apiserver_;
  std::unique_ptr<ClusterNetwork> network_;
};

}  // namespace riposte::e2e
