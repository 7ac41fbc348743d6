#pragma once
// The rest of a cluster, for tests that install Riposte the way users do and expect its pods to
// run: while a ClusterEmulator lives it plays, for the namespaces it is given,
//   - the deployment and replicaset controllers: a ReplicaSet per Deployment template (owned
//     by it, pod-template-hash label) and its pods, and both objects' status;
//   - the scheduler and the kubelet of one Node: pods are bound to it; a container whose image
//     is Riposte's runs as a local process (MaterializePodSpec: the pod's Secrets, ConfigMaps
//     and a TokenRequest token of its ServiceAccount; every listener on a loopback port of its
//     own), its readinessProbe is evaluated against that port, and the pod's status says so;
//     restartPolicy Always restarts a process that exits, Never/OnFailure end the pod in
//     Succeeded/Failed with the exit code (helm test reads it); a deleted pod's process gets
//     SIGTERM and the pod is then removed, as a kubelet does;
//   - the endpointslice controller: an EndpointSlice per Service over its ready pods, and the
//     routes of the cluster network (cluster_network.h), so kube-apiserver reaches a Service's
//     webhook and `riposte verify` sees ready endpoints;
//   - the garbage collector for what it created, and, for every namespace, the namespace
//     controller: a terminating namespace is emptied and finalized (objects with finalizers
//     keep it, as in a real cluster).
// Containers of other images are never run (their pods stay Pending). Everything is polled,
// every `period`; waits in tests still wait on conditions.

#include <cpprest/json.h>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "kube/kube_client.h"
#include "tests/e2e/envtest_cluster.h"
#include "tests/e2e/local_pod.h"
#include "tests/e2e/process.h"

namespace riposte::e2e {

struct EmulatorOptions {
  std::string binary;                   // runs a container whose image is Riposte's
  std::vector<std::string> namespaces;  // where Deployments, Pods and Services are played
  std::string dir;                      // the pods' files and logs
  std::string node = "envtest-node";
  std::chrono::milliseconds period{200};
  // false: only the scheduler and the kubelet (pods someone else creates, e.g. helm test's).
  bool controllers = true;
  // Called (without locks held) with a pod's command line before it starts; may change it. The
  // callers' substitutions are documented next to their tests.
  std::function<void(const web::json::value& pod, std::vector<std::string>& argv)> adjust;
};

class ClusterEmulator {
 public:
  ClusterEmulator(EnvtestCluster& cluster, EmulatorOptions options);
  ~ClusterEmulator();  // stops every pod's process, leaves the API objects
  ClusterEmulator(const ClusterEmulator&) = delete;
  ClusterEmulator& operator=(const ClusterEmulator&) = delete;

  // Local port behind a ready endpoint of `service`'s port (by number), 0 when none.
  int ServicePort(const std::string& ns, const std::string& service, int port) const;
  // The pods played so far: "ns/name phase ready restarts", and their logs' tails.
  std::string Describe() const;
  // The log of a pod's process ("" when it never ran).
  std::string PodLog(const std::string& ns, const std::string& name) const;
  // Errors the loop met (an API call refused, a process that would not start, a sanitizer
  // report in a pod's log).
  std::vector<std::string> Errors() const;

 private:
  struct Pod {
    std::string ns, name, uid, ip;
    web::json::value object;
    LocalPod local;
    std::unique_ptr<ManagedProcess> process;
    bool runnable = false;   // Riposte's image
    bool started = false;
    bool ready = false;
    bool finished = false;   // Succeeded/Failed written
    int restarts = 0;
    std::string status_written;  // last status patch sent
  };

  void Loop();
  void Tick();
  void Namespaces();
  void Deployments(const std::string& ns);
  void ReplicaSets(const std::string& ns);
  void Kubelet(const std::string& ns);
  void Endpoints(const std::string& ns);
  void StopPod(const std::string& key);
  void CheckLog(const std::string& key, const std::string& log_file);
  void Error(const std::string& what);
  std::string NewPodIp();

  EnvtestCluster& cluster_;
  EmulatorOptions options_;
  kube::KubeClientPtr client_;
  std::thread thread_;
  bool stop_ = false;
  mutable std::mutex mu_;
  std::map<std::string, Pod> pods_;  // "ns/name"
  std::map<std::string, std::map<int, int>> service_ports_;  // "ns/service" -> port -> local
  std::vector<std::string> errors_;
  int next_ip_ = 10;
  std::map<std::string, std::chrono::steady_clock::time_point> last_namespace_pass_;
};

}  // namespace riposte::e2e
