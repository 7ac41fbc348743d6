// audit_scale_bench: `riposte audit` and the controller's periodic audit on a large cluster,
// against a real kube-apiserver (tests/e2e's EnvtestCluster) that the bench seeds itself:
//
//   audit_scale_bench [--pods N] [--configmaps N] [--ingresses N] [--namespaces N]
//                     [--passes N] [--no-full] [--no-controller] [--writers N] [--hold]
//                     [--kubectl-runs N]
//
// Defaults are the target of the audit's memory model (docs/audit.md#memory): 50,000 pods with
// realistic specs (two containers, env, probes, volumes, owner references; about 6 KB of JSON
// each as served), 10,000 ConfigMaps of 8 KB and 5,000 Ingresses, plus the seeded ingress-nginx
// installation of tests/data/audit/cluster_vulnerable.json so that the audit has a controller
// to analyse and Ingresses that reference ConfigMaps.
//
// Measured in the same run, each as a child process (time and peak RSS from wait4):
//   baseline   kubectl get pods -A -o json (to /dev/null)
//   audit      riposte audit --format json          (the bounded audit)
//   full       riposte audit --save-snapshot FILE   (the full collection the audit did before;
//                                                    skip with --no-full)
// each twice, interleaved, best of two; then `riposte controller --audit-interval 1m` until
// --passes passes are counted (peak RSS from /proc/PID/status VmHWM, and the RSS after).
// Prints numbers and ratios; targets: audit peak RSS < 96 MiB, audit time <= 2x the kubectl
// baseline, controller peak < 128 MiB. The machine is shared: ratios, not absolute numbers.
//
// Needs kube-apiserver and etcd as the e2e suite finds them (KUBEBUILDER_ASSETS, e.g.
// build/envtest-assets from scripts/envtest-tools.sh) and kubectl there too.

#include <sys/resource.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <spawn.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "kube/config.h"
#include "kube/kube_client.h"
#include "kube/resource.h"
#include "tests/controller/controller_process.h"
#include "tests/e2e/envtest_cluster.h"
#include "tests/support/eventually.h"

extern char** environ;

namespace {

using web::json::value;
using Clock = std::chrono::steady_clock;
using riposte::controller::testing::ControllerProcess;
using riposte::testing::Eventually;

struct Options {
  int pods = 50000, configmaps = 10000, ingresses = 5000, namespaces = 50, passes = 3, writers = 6;
  int kubectl_runs = 2;  // kubectl holds the whole list: about 190 KB per pod at peak
  bool full = true, controller = true, hold = false;
};

struct RunResult {
  int exit_code = -1;
  double seconds = 0;
  long max_rss_kib = 0;
};

// fork/exec without a shell; stdout to `out`, stderr to `err`; time and peak RSS from wait4.
RunResult Run(const std::vector<std::string>& argv, const std::string& out, const std::string& err) {
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&fa, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const auto start = Clock::now();
  pid_t pid = -1;
  if (posix_spawn(&pid, args[0], &fa, nullptr, args.data(), environ) != 0) {
    throw std::runtime_error("cannot start " + argv[0]);
  }
  posix_spawn_file_actions_destroy(&fa);
  int status = 0;
  struct rusage ru {};
  wait4(pid, &status, 0, &ru);
  RunResult r;
  r.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.max_rss_kib = ru.ru_maxrss;
  return r;
}

std::string Pad(int i, int width) {
  std::string s = std::to_string(i);
  return std::string(width > static_cast<int>(s.size()) ? width - s.size() : 0, '0') + s;
}

// A pod as a Deployment's ReplicaSet writes it: an application container with env, resources,
// probes and mounts, a proxy sidecar, volumes and the usual metadata.
value Pod(const std::string& ns, int i) {
  const std::string app = "svc-" + Pad(i % 400, 3);
  std::ostringstream env;
  for (int e = 0; e < 12; ++e) {
    env << (e ? "," : "") << R"({"name":"APP_SETTING_)" << e << R"(","value":"value-)" << e
        << R"(-with-some-typical-length-0123456789"})";
  }
  std::string text = R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":")" + app + "-7d9f8b6c5-" + Pad(i, 6) +
      R"(","namespace":")" + ns + R"(","labels":{"app.kubernetes.io/name":")" + app +
      R"(","app.kubernetes.io/part-of":"shop","app.kubernetes.io/version":"2.14.3","pod-template-hash":"7d9f8b6c5","team":"payments"},)"
      R"("annotations":{"prometheus.io/scrape":"true","prometheus.io/port":"9102","kubectl.kubernetes.io/default-container":"app",)"
      R"("checksum/config":"5f1c9d2e8a7b6c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d"},)"
      R"("ownerReferences":[{"apiVersion":"apps/v1","kind":"ReplicaSet","name":")" + app +
      R"(-7d9f8b6c5","uid":"0b7e2a1c-4d5f-4e6a-8b9c-0d1e2f3a4b5c","controller":true,"blockOwnerDeletion":true}]},)"
      R"("spec":{"serviceAccountName":"default","terminationGracePeriodSeconds":30,)"
      R"("securityContext":{"runAsNonRoot":true,"runAsUser":10001,"fsGroup":10001,"seccompProfile":{"type":"RuntimeDefault"}},)"
      R"("containers":[{"name":"app","image":"registry.example.com/shop/)" + app + R"(:2.14.3",)"
      R"("args":["--config=/etc/app/config.yaml","--listen=:8080","--metrics=:9102","--log-format=json"],)"
      R"("ports":[{"name":"http","containerPort":8080},{"name":"metrics","containerPort":9102}],"env":[)" + env.str() +
      R"(],"resources":{"requests":{"cpu":"250m","memory":"256Mi"},"limits":{"cpu":"1","memory":"512Mi"}},)"
      R"("livenessProbe":{"httpGet":{"path":"/healthz","port":8080},"initialDelaySeconds":10,"periodSeconds":10},)"
      R"("readinessProbe":{"httpGet":{"path":"/readyz","port":8080},"periodSeconds":5},)"
      R"("volumeMounts":[{"name":"config","mountPath":"/etc/app"},{"name":"tmp","mountPath":"/tmp"}],)"
      R"("securityContext":{"allowPrivilegeEscalation":false,"readOnlyRootFilesystem":true,"capabilities":{"drop":["ALL"]}}},)"
      R"({"name":"proxy","image":"registry.example.com/mesh/proxy:1.22.1","args":["proxy","sidecar","--concurrency","2"],)"
      R"("ports":[{"name":"proxy-admin","containerPort":15000}],"resources":{"requests":{"cpu":"50m","memory":"64Mi"},)"
      R"("limits":{"cpu":"500m","memory":"256Mi"}},"volumeMounts":[{"name":"tmp","mountPath":"/var/run/proxy"}]}],)"
      R"("volumes":[{"name":"config","configMap":{"name":")" + app + R"(-config"}},{"name":"tmp","emptyDir":{}}],)"
      R"("tolerations":[{"key":"dedicated","operator":"Equal","value":"shop","effect":"NoSchedule"}],)"
      R"("affinity":{"podAntiAffinity":{"preferredDuringSchedulingIgnoredDuringExecution":[{"weight":100,)"
      R"("podAffinityTerm":{"topologyKey":"kubernetes.io/hostname","labelSelector":{"matchLabels":{"app.kubernetes.io/name":")" +
      app + R"("}}}}]}}}})";
  return value::parse(text);
}

value ConfigMap(const std::string& ns, int i) {
  value cm = value::parse(R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"settings-)" + Pad(i, 5) +
                          R"(","namespace":")" + ns + R"(","labels":{"app.kubernetes.io/part-of":"shop"}},"data":{}})");
  for (int k = 0; k < 8; ++k) {
    std::string v;
    while (v.size() < 1000) v += "key" + std::to_string(k) + "=setting value for the application; ";
    cm["data"]["setting-" + std::to_string(k)] = value::string(v.substr(0, 1000));
  }
  return cm;
}

value Ingress(const std::string& ns, int i) {
  const std::string host = "svc-" + Pad(i, 5) + ".shop.example.com";
  std::string annotations = R"("nginx.ingress.kubernetes.io/proxy-body-size":"8m","nginx.ingress.kubernetes.io/ssl-redirect":"true")";
  // Some reference a ConfigMap of headers, so the audit reads ConfigMaps by name.
  if (i % 10 == 0) annotations += R"(,"nginx.ingress.kubernetes.io/custom-headers":")" + ns + R"(/settings-00000")";
  if (i % 7 == 0) annotations += R"(,"nginx.ingress.kubernetes.io/rewrite-target":"/$2")";
  return value::parse(R"({"apiVersion":"networking.k8s.io/v1","kind":"Ingress","metadata":{"name":"web-)" + Pad(i, 5) +
                      R"(","namespace":")" + ns + R"(","annotations":{)" + annotations +
                      R"(}},"spec":{"ingressClassName":"nginx","tls":[{"hosts":[")" + host +
                      R"("],"secretName":"web-tls"}],"rules":[{"host":")" + host +
                      R"x(","http":{"paths":[{"path":"/api(/|$)(.*)","pathType":"ImplementationSpecific","backend":{"service":{"name":"api","port":{"number":80}}}},)x"
                      R"({"path":"/","pathType":"Prefix","backend":{"service":{"name":"web","port":{"number":80}}}}]}}]}})");
}

// Creates `count` objects made by `make(ns, i)` from `writers` threads, one client each.
template <typename Make>
void Seed(const riposte::kube::ClientConfig& config, const riposte::kube::Resource& res, int count, int namespaces,
          int writers, Make make) {
  std::atomic<int> next{0};
  std::atomic<int> failures{0};
  std::string first_error;
  std::mutex mu;
  std::vector<std::thread> threads;
  for (int w = 0; w < writers; ++w) {
    threads.emplace_back([&] {
      auto client = riposte::kube::NewKubeClient(config);
      if (!client.ok()) throw std::runtime_error(client.error().message);
      for (int i = next++; i < count; i = next++) {
        const std::string ns = "app-" + Pad(i % namespaces, 3);
        auto r = client.value()->Create(res, ns, make(ns, i));
        if (!r.ok() && !riposte::kube::IsAlreadyExists(r.error())) {
          std::lock_guard lock(mu);
          if (failures++ == 0) first_error = r.error().message;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  if (failures > 0) throw std::runtime_error(std::to_string(failures.load()) + " creates failed: " + first_error);
}

long VmHwmKib(pid_t pid, const char* field = "VmHWM:") {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field, 0) == 0) return std::stol(line.substr(std::strlen(field)));
  }
  return 0;
}

double Metric(const std::string& text, const std::string& prefix) {
  double sum = 0;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(prefix, 0) != 0) continue;
    sum += std::stod(line.substr(line.rfind(' ') + 1));
  }
  return sum;
}

double MiB(long kib) { return static_cast<double>(kib) / 1024.0; }

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> int {
      if (i + 1 >= argc) throw std::runtime_error(a + " needs a value");
      return std::stoi(argv[++i]);
    };
    if (a == "--pods") o.pods = next();
    else if (a == "--configmaps") o.configmaps = next();
    else if (a == "--ingresses") o.ingresses = next();
    else if (a == "--namespaces") o.namespaces = next();
    else if (a == "--passes") o.passes = next();
    else if (a == "--writers") o.writers = next();
    else if (a == "--kubectl-runs") o.kubectl_runs = std::max(1, next());
    else if (a == "--no-full") o.full = false;
    else if (a == "--no-controller") o.controller = false;
    else if (a == "--hold") o.hold = true;
    else {
      std::fprintf(stderr, "usage: audit_scale_bench [--pods N] [--configmaps N] [--ingresses N] [--namespaces N] "
                           "[--passes N] [--writers N] [--kubectl-runs N] [--no-full] [--no-controller] [--hold]\n");
      return 2;
    }
  }
  namespace fs = std::filesystem;
  riposte::e2e::EnvtestOptions eo;
  eo.audit_log = false;
  eo.cluster_network = false;
  if (!eo.binaries.MissingControlPlane().empty() || eo.binaries.kubectl.empty()) {
    std::fprintf(stderr, "audit_scale_bench: needs kube-apiserver, etcd and kubectl (KUBEBUILDER_ASSETS=build/envtest-assets "
                         "after scripts/envtest-tools.sh)\n");
    return 2;
  }
  riposte::e2e::EnvtestCluster cluster(eo);
  const std::string dir = cluster.dir() + "/bench";
  fs::create_directories(dir);
  const std::string kc = cluster.admin_kubeconfig();
  riposte::kube::KubeconfigOptions ko;
  ko.path = kc;
  auto config = riposte::kube::LoadKubeconfig(ko);
  if (!config.ok()) throw std::runtime_error(config.error().message);

  // ---- seed ----
  const auto seed_start = Clock::now();
  for (int n = 0; n < o.namespaces; ++n) {
    cluster.MustApi("POST", "/api/v1/namespaces", R"({"metadata":{"name":"app-)" + Pad(n, 3) + R"("}})");
  }
  for (const char* ns : {"ingress-nginx", "shop", "riposte-system"}) {
    cluster.MustApi("POST", "/api/v1/namespaces", std::string(R"({"metadata":{"name":")") + ns + R"("}})");
  }
  {
    // The ingress-nginx installation the audit analyses (its webhook set to Ignore: nothing
    // serves it here).
    std::ifstream in(std::string(RIPOSTE_SOURCE_DIR) + "/tests/data/audit/cluster_vulnerable.json");
    std::stringstream ss;
    ss << in.rdbuf();
    value seed = value::parse(ss.str());
    auto client = riposte::kube::NewKubeClient(config.value()).value();
    for (auto item : seed.at("items").as_array()) {
      const std::string kind = item.at("kind").as_string();
      if (kind == "Namespace") continue;
      if (kind == "ValidatingWebhookConfiguration") item["webhooks"][0]["failurePolicy"] = value::string("Ignore");
      const riposte::kube::Resource* res = nullptr;
      for (const auto* r : {&riposte::kube::resources::kDeployments, &riposte::kube::resources::kDaemonSets,
                            &riposte::kube::resources::kPods, &riposte::kube::resources::kServices,
                            &riposte::kube::resources::kConfigMaps, &riposte::kube::resources::kNetworkPolicies,
                            &riposte::kube::resources::kIngresses, &riposte::kube::resources::kValidatingWebhookConfigurations,
                            &riposte::kube::resources::kNodes}) {
        if (r->kind == kind) res = r;
      }
      if (res == nullptr) continue;  // Endpoints: not needed for the measurement
      std::string ns = item.at("metadata").has_field("namespace") ? item["metadata"]["namespace"].as_string() : "";
      auto r = client->Create(*res, ns, item);
      if (!r.ok()) std::fprintf(stderr, "seed %s %s: %s\n", kind.c_str(), ns.c_str(), r.error().message.c_str());
    }
  }
  Seed(config.value(), riposte::kube::resources::kConfigMaps, o.configmaps, o.namespaces, o.writers, ConfigMap);
  Seed(config.value(), riposte::kube::resources::kIngresses, o.ingresses, o.namespaces, o.writers, Ingress);
  Seed(config.value(), riposte::kube::resources::kPods, o.pods, o.namespaces, o.writers, Pod);
  const double seed_secs = std::chrono::duration<double>(Clock::now() - seed_start).count();
  std::printf("cluster: %d pods, %d ConfigMaps (8 KB), %d Ingresses in %d namespaces, seeded in %.0f s\n", o.pods,
              o.configmaps, o.ingresses, o.namespaces, seed_secs);
  std::fflush(stdout);

  // ---- riposte audit vs kubectl ----
  const std::string kubectl = cluster.binaries().kubectl;
  auto run_kubectl = [&] {
    return Run({kubectl, "--kubeconfig", kc, "get", "pods", "-A", "-o", "json"}, dir + "/pods.json", dir + "/kubectl.err");
  };
  auto run_audit = [&] {
    return Run({RIPOSTE_BINARY, "audit", "--kubeconfig", kc, "--format", "json", "--no-timestamp"}, dir + "/audit.json",
               dir + "/audit.err");
  };
  auto run_full = [&] {
    return Run({RIPOSTE_BINARY, "audit", "--kubeconfig", kc, "--format", "json", "--no-timestamp", "--save-snapshot",
                dir + "/snapshot.json"},
               dir + "/full.json", dir + "/full.err");
  };
  auto best = [](const RunResult& a, const RunResult& b) {
    RunResult r = a;
    r.seconds = std::min(a.seconds, b.seconds);
    r.max_rss_kib = std::min(a.max_rss_kib, b.max_rss_kib);
    return r;
  };
  RunResult k1 = run_kubectl(), a1 = run_audit();
  RunResult k2 = o.kubectl_runs > 1 ? run_kubectl() : k1, a2 = run_audit();
  const auto pods_json_bytes = fs::file_size(dir + "/pods.json");
  RunResult k = best(k1, k2), a = best(a1, a2);
  if (k.exit_code != 0) std::fprintf(stderr, "kubectl exit %d (see %s/kubectl.err)\n", k.exit_code, dir.c_str());
  if (a.exit_code != 0 && a.exit_code != 1) std::fprintf(stderr, "riposte audit exit %d (see %s/audit.err)\n", a.exit_code, dir.c_str());
  std::printf("pod JSON served: %.1f MiB (%.0f bytes per pod)\n", static_cast<double>(pods_json_bytes) / 1048576.0,
              static_cast<double>(pods_json_bytes) / std::max(1, o.pods));
  std::printf("%-44s %9s %12s\n", "", "time (s)", "peak RSS");
  std::printf("%-44s %9.2f %8.1f MiB\n", "kubectl get pods -A -o json (baseline)", k.seconds, MiB(k.max_rss_kib));
  std::printf("%-44s %9.2f %8.1f MiB   exit %d\n", "riposte audit (bounded)", a.seconds, MiB(a.max_rss_kib), a.exit_code);
  if (o.full) {
    RunResult f = run_full();
    std::printf("%-44s %9.2f %8.1f MiB   exit %d\n", "riposte audit --save-snapshot (full collection)", f.seconds,
                MiB(f.max_rss_kib), f.exit_code);
    std::string bounded_report, full_report;
    {
      std::ifstream b(dir + "/audit.json"), f2(dir + "/full.json");
      std::stringstream sb, sf;
      sb << b.rdbuf();
      sf << f2.rdbuf();
      bounded_report = sb.str();
      full_report = sf.str();
    }
    std::printf("reports identical (bounded vs full collection): %s\n", bounded_report == full_report ? "yes" : "NO");
    std::printf("ratio full / bounded: time %.2fx, peak RSS %.1fx\n", f.seconds / a.seconds,
                MiB(f.max_rss_kib) / MiB(a.max_rss_kib));
  }
  std::printf("ratio audit / kubectl: time %.2fx (target <= 2x), peak RSS %.2fx; audit peak %.1f MiB (target < 96 MiB)\n",
              a.seconds / k.seconds, MiB(a.max_rss_kib) / MiB(k.max_rss_kib), MiB(a.max_rss_kib));
  std::fflush(stdout);

  // ---- the controller's periodic audit ----
  if (o.controller) {
    Run({kubectl, "--kubeconfig", kc, "apply", "-f", std::string(RIPOSTE_SOURCE_DIR) + "/manifests/crds/"},
        dir + "/crds.out", dir + "/crds.err");
    const std::string cdir = dir + "/controller";
    fs::create_directories(cdir);
    ControllerProcess ctrl(cdir, {.kubeconfig = kc,
                                  .extra_args = {"--audit-interval", "1m", "--audit-memory-budget", "192Mi"},
                                  .identity = "bench"});
    ctrl.Start();
    const auto start = Clock::now();
    std::string metrics;
    bool done = Eventually(
        [&] {
          metrics = ctrl.GetOps("/metrics").second;
          return Metric(metrics, "riposte_audit_runs_total") >= o.passes;
        },
        std::chrono::minutes(5 * o.passes), std::chrono::seconds(1));
    const long hwm = VmHwmKib(ctrl.pid()), rss = VmHwmKib(ctrl.pid(), "VmRSS:");
    std::printf("controller --audit-interval 1m: %.0f passes (%s) in %.0f s, last pass %.2f s; peak RSS %.1f MiB "
                "(target < 128 MiB), RSS after %.1f MiB; over budget: %.0f\n",
                Metric(metrics, "riposte_audit_runs_total"), done ? "complete" : "TIMED OUT",
                std::chrono::duration<double>(Clock::now() - start).count(),
                Metric(metrics, "riposte_audit_last_run_duration_seconds"), MiB(hwm), MiB(rss),
                Metric(metrics, "riposte_audit_memory_budget_exceeded_total"));
    std::printf("  runs: complete %.0f, partial %.0f, failed %.0f\n",
                Metric(metrics, "riposte_audit_runs_total{result=\"complete\"}"),
                Metric(metrics, "riposte_audit_runs_total{result=\"partial\"}"),
                Metric(metrics, "riposte_audit_runs_total{result=\"failed\"}"));
    ctrl.Stop();
  }
  std::printf("(shared 2-core machine: compare the ratios; absolute numbers need a quiet-machine rerun)\n");
  if (o.hold) {
    // Keeps the seeded cluster for runs by hand until stdin closes or a line is read.
    std::printf("holding the cluster: KUBECONFIG=%s; press Enter to stop\n", kc.c_str());
    std::fflush(stdout);
    std::string line;
    std::getline(std::cin, line);
  }
  return 0;
}
