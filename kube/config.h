#pragma once
// Where the client connects and how it authenticates: from a kubeconfig file or from the
// in-cluster service-account mount. Loaders are read -> validate -> compile and every error
// names the file and the field path, e.g.
//   kubeconfig /x/config: users[0].user.client-key-data: invalid base64

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "kube/kube_client.h"
#include "kube/result.h"

namespace riposte::kube {

struct ConfigError {
  std::string message;
};

struct RetryPolicy {
  int max_attempts = 5;  // total attempts including the first; 1 disables retries
  std::chrono::milliseconds base_backoff{100};
  std::chrono::milliseconds max_backoff{5000};
  // A Retry-After longer than this is not waited for: the error is returned.
  std::chrono::seconds max_retry_after{30};
};

struct ClientConfig {
  std::string server;        // https://host:port (IPv6 hosts in brackets)
  std::string ca_pem;        // trusted CA bundle (PEM); "" = system trust store
  std::string client_cert_pem;
  std::string client_key_pem;
  std::string token;         // static bearer token
  std::string token_file;    // re-read when it changes (service-account token rotation)
  bool insecure_skip_tls_verify = false;  // only when the loader was allowed to accept it
  std::string tls_server_name;            // overrides the name checked in the server cert
  std::string default_namespace = "default";
  std::string source;        // "kubeconfig /path (context x)" or "in-cluster", for messages

  double qps = 50;           // client-side token bucket; <= 0 disables
  int burst = 100;
  std::chrono::milliseconds request_timeout{30000};  // per attempt
  RetryPolicy retry;
  std::string user_agent = "riposte";
};

struct KubeconfigOptions {
  std::string path;     // "" = $KUBECONFIG (first entry), then ~/.kube/config
  std::string context;  // "" = current-context
  bool allow_insecure_skip_tls_verify = false;
};

// Parses a kubeconfig file. exec and auth-provider credential plugins are refused (Riposte
// never runs other programs); insecure-skip-tls-verify is refused unless allowed.
Result<ClientConfig, ConfigError> LoadKubeconfig(const KubeconfigOptions& opts);
// Same, from text already in memory (`path` is only used in messages and to resolve
// relative file references).
Result<ClientConfig, ConfigError> ParseKubeconfig(const std::string& text, const std::string& path,
                                                  const KubeconfigOptions& opts);

struct InClusterOptions {
  std::string secrets_dir = "/var/run/secrets/kubernetes.io/serviceaccount";
  // Reads KUBERNETES_SERVICE_HOST / KUBERNETES_SERVICE_PORT; replaceable for tests.
  std::function<std::string(const std::string&)> getenv;
};
Result<ClientConfig, ConfigError> LoadInCluster(const InClusterOptions& opts = {});

// The controller's rule: explicit --kubeconfig, else $KUBECONFIG, else in-cluster when
// KUBERNETES_SERVICE_HOST is set, else ~/.kube/config.
Result<ClientConfig, ConfigError> LoadDefaultConfig(const std::string& kubeconfig_flag, const std::string& context = "",
                                                    bool allow_insecure_skip_tls_verify = false);

// Builds the HTTPS client (kube_client_impl.cc). Fails on unusable TLS material.
Result<KubeClientPtr, ConfigError> NewKubeClient(const ClientConfig& config);

}  // namespace riposte::kube
