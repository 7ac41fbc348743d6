// riposte-envtest: starts the end-to-end suite's control plane (etcd + kube-apiserver with
// RBAC, see tests/e2e/envtest_cluster.h) for shells, benchmarks and docs, and keeps it up until
// SIGTERM or SIGINT. scripts/envtest-up.sh runs it in the background.
//
//   riposte-envtest [--kubeconfig-out FILE] [--apiserver-arg=FLAG]... [--keep-dir]
//
// Prints "kubeconfig: PATH", "server: URL", "dir: DIR" and then "ready" on stdout.

#include <signal.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>

#include "tests/e2e/envtest_cluster.h"

namespace {

int Usage(const char* msg) {
  std::fprintf(stderr,
               "riposte-envtest: %s\nusage: riposte-envtest [--kubeconfig-out FILE] [--apiserver-arg=FLAG]... "
               "[--keep-dir]\nbinaries: KUBEBUILDER_ASSETS (kube-apiserver, etcd) or RIPOSTE_KUBE_APISERVER, "
               "RIPOSTE_ETCD\n",
               msg);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string kubeconfig_out;
  riposte::e2e::EnvtestOptions opts;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&](const std::string& flag, std::string* out) {
      if (a.rfind(flag + "=", 0) == 0) {
        *out = a.substr(flag.size() + 1);
        return true;
      }
      if (a == flag && i + 1 < argc) {
        *out = argv[++i];
        return true;
      }
      return false;
    };
    std::string v;
    if (value("--kubeconfig-out", &v)) {
      kubeconfig_out = v;
    } else if (value("--apiserver-arg", &v)) {
      opts.apiserver_args.push_back(v);
    } else if (a == "--keep-dir") {
      opts.keep_dir = true;
    } else if (a == "--help" || a == "-h") {
      Usage("help");
      return 0;
    } else {
      return Usage(("unknown argument " + a).c_str());
    }
  }
  if (auto missing = opts.binaries.MissingControlPlane(); !missing.empty())
    return Usage((missing + " not found").c_str());

  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  sigaddset(&stop, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);
  try {
    riposte::e2e::EnvtestCluster cluster(opts);
    std::string kubeconfig = cluster.admin_kubeconfig();
    if (!kubeconfig_out.empty()) {
      std::filesystem::copy_file(kubeconfig, kubeconfig_out, std::filesystem::copy_options::overwrite_existing);
      kubeconfig = std::filesystem::absolute(kubeconfig_out).string();
    }
    std::printf("kubeconfig: %s\nserver: %s\ndir: %s\nready\n", kubeconfig.c_str(), cluster.url().c_str(),
                cluster.dir().c_str());
    std::fflush(stdout);
    int sig = 0;
    sigwait(&stop, &sig);
    std::fprintf(stderr, "riposte-envtest: %s, stopping\n", strsignal(sig));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "riposte-envtest: %s\n", e.what());
    return 1;
  }
  return 0;
}
