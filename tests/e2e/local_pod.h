#pragma once
// Runs a Deployment's container as a local process, as a kubelet would run it: the pod
// template's args, its Secret and ConfigMap volumes written under a local directory (args that
// point into a mount path are rewritten to point there), and, when the pod mounts a
// service-account token, a kubeconfig holding a TokenRequest token of the pod's
// ServiceAccount. So a test runs `riposte controller` exactly as the chart configures it, with
// exactly the chart's RBAC, certificates and alert token, and never as an administrator.

#include <cpprest/json.h>

#include <map>
#include <string>
#include <vector>

#include "tests/e2e/envtest_cluster.h"

namespace riposte::e2e {

struct LocalPodOptions {
  std::string binary;  // the container's entrypoint, e.g. RIPOSTE_BINARY
  std::string container;  // "" = the first container
  // "--flag" -> value: replaces the value of `--flag=...` in the args (appended when absent),
  // e.g. {"--alerts-listen", "127.0.0.1:0"} for a port of our own.
  std::map<std::string, std::string> flags;
  std::vector<std::string> extra_args;  // appended last
  // Token of another ServiceAccount ("" = the pod's own), e.g. to show what a binding denies.
  std::string token_override;
  // Give every listener the container declares a port of its own on loopback, as a pod network
  // would give the pod an address: an argument "--flag=[HOST]:PORT" whose PORT is one of the
  // container's ports becomes "--flag=127.0.0.1:<free port>" (LocalPod::ports says which).
  bool rebind_ports = false;
};

struct LocalPod {
  std::vector<std::string> argv;  // binary first
  std::string dir;                // where volumes and the kubeconfig were written
  std::string service_account;    // namespace/name
  std::string token;              // "" when the pod mounts no token
  std::string kubeconfig;         // "" when the pod mounts no token
  // Contents of a mounted file by its in-pod path, e.g. "/etc/riposte/alerts-token/token".
  std::map<std::string, std::string> files;
  // With rebind_ports: container port -> local port, and port name -> container port.
  std::map<int, int> ports;
  std::map<std::string, int> port_names;
};

// Throws std::runtime_error when the Deployment or one of its Secrets/ConfigMaps is missing.
LocalPod MaterializeDeployment(const EnvtestCluster& cluster, const std::string& ns, const std::string& deployment,
                               const std::string& dir, const LocalPodOptions& options);
// The same from a pod spec (a Pod's spec or a template's), for pods run by ClusterEmulator.
LocalPod MaterializePodSpec(const EnvtestCluster& cluster, const std::string& ns, const web::json::value& pod_spec,
                            const std::string& dir, const LocalPodOptions& options);

std::string Base64Decode(const std::string& in);
std::string Base64Encode(const std::string& in);

}  // namespace riposte::e2e
