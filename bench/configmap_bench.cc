// ConfigMap admission costs, measured inside the webhook (AdmissionHandler::Handle, no TLS or
// network), each next to a baseline from the same run:
//
//  1. admission: an unreferenced ConfigMap review against an index of 10,000 references, vs a
//     Secret review (parsed and answered, never judged: the floor of any review) and vs a
//     benign Ingress review (engine work); a referenced ConfigMap for scale.
//  2. index under churn: Referenced() lookups while one writer re-points Ingresses at full
//     speed, vs the same lookups with no writer.
//  3. memory: riposte-test-apiserver seeded with 10,000 Ingresses (1,000 of which reference a
//     ConfigMap) and 10,000 ConfigMaps of ~1 KiB; this process runs the webhook's ConfigMap
//     guard (both informers) and reports its RSS after sync, vs its RSS before the guard.
//
//   configmap_bench [--reviews 20000] [--objects 10000] [--skip-memory]

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "common/metrics.h"
#include "kube/config.h"
#include "tests/apiserver/test_apiserver_process.h"
#include "webhook/configmap_guard.h"
#include "webhook/configmap_index.h"
#include "webhook/handler.h"
#include "webhook/policy_watcher.h"

using namespace riposte;
using Clock = std::chrono::steady_clock;
using web::json::value;

namespace {

constexpr const char* kProxy = "nginx.ingress.kubernetes.io/auth-proxy-set-headers";

struct Stats {
  double p50_us = 0, p99_us = 0, mean_us = 0;
};

Stats Summarise(std::vector<double>& us) {
  std::sort(us.begin(), us.end());
  Stats s;
  s.p50_us = us[us.size() / 2];
  s.p99_us = us[std::min(us.size() - 1, us.size() * 99 / 100)];
  double sum = 0;
  for (double v : us) sum += v;
  s.mean_us = sum / static_cast<double>(us.size());
  return s;
}

// The handler's view of the cluster without informers: the index alone.
class IndexSource : public webhook::ConfigMapSource {
 public:
  explicit IndexSource(const webhook::ConfigMapIndex* index) : index_(index) {}
  bool Synced() const override { return true; }
  std::vector<webhook::ConfigMapReferrer> Referrers(const std::string& ns, const std::string& name) const override {
    return index_->Referrers(ns + "/" + name);
  }
  std::unique_ptr<core::ConfigMapLookup> Lookup() const override { return nullptr; }

 private:
  const webhook::ConfigMapIndex* index_;
};

std::string Review(const std::string& kind_json, const std::string& ns, const std::string& name, const std::string& object) {
  return R"({"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"705ab4f5-6393-11e8-b7cc-42010a800002","kind":)" +
         kind_json + R"(,"operation":"UPDATE","namespace":")" + ns + R"(","name":")" + name +
         R"(","userInfo":{"username":"alice"},"object":)" + object + "}}";
}

std::string ConfigMapObject(const std::string& ns, const std::string& name) {
  std::string data;
  for (int i = 0; i < 8; ++i) data += (i ? "," : "") + std::string("\"X-Header-") + std::to_string(i) + "\":\"" + std::string(100, 'v') + "\"";
  return R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":")" + name + R"(","namespace":")" + ns +
         R"(","labels":{"app":"web"}},"data":{)" + data + "}}";
}

Stats Time(webhook::AdmissionHandler& handler, const std::string& body, int n) {
  std::vector<double> us;
  us.reserve(static_cast<size_t>(n));
  http::Request req;
  req.method = "POST";
  for (int i = 0; i < n; ++i) {
    req.body = body;
    auto t0 = Clock::now();
    auto res = handler.Handle(req);
    us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
    if (res.body.empty()) std::abort();
  }
  return Summarise(us);
}

long RssKiB(const char* field = "VmRSS:", const std::string& pid = "self") {
  std::ifstream in("/proc/" + pid + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field, 0) == 0) return std::stol(line.substr(std::strlen(field)));
  }
  return -1;
}

uint16_t FreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

// Status code of GET `path` on 127.0.0.1:port (plain HTTP), 0 when nothing answers.
int HttpStatus(uint16_t port, const std::string& path) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(port);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return 0;
  }
  const std::string req = "GET " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
  if (::write(fd, req.data(), req.size()) < 0) {
    ::close(fd);
    return 0;
  }
  char buf[64] = {};
  const ssize_t n = ::read(fd, buf, sizeof buf - 1);
  ::close(fd);
  return n > 12 ? std::atoi(buf + 9) : 0;
}

// The real `riposte webhook --configmap-index` process against the seeded server: its RSS
// once /readyz says both caches synced, next to the same binary without the index.
void ProcessMemory(const testapi::TestApiServerProcess& server, const std::string& kubeconfig, bool index, int objects) {
  const uint16_t port = FreePort(), metrics = FreePort();
  std::vector<std::string> args = {std::string(RIPOSTE_BINARY), "webhook", "--tls-cert", server.dir() + "/ca.crt",
                                   "--tls-key", server.dir() + "/tls.key", "--listen", "127.0.0.1:" + std::to_string(port),
                                   "--metrics-listen", "127.0.0.1:" + std::to_string(metrics), "--log-level", "warn"};
  if (index) args.insert(args.end(), {"--configmap-index", "--kubeconfig", kubeconfig});
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  auto t0 = Clock::now();
  while (HttpStatus(metrics, "/readyz") != 200 && Clock::now() - t0 < std::chrono::seconds(120)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  const double ready_s = std::chrono::duration<double>(Clock::now() - t0).count();
  const std::string p = std::to_string(pid);
  const long rss = RssKiB("VmRSS:", p), peak = RssKiB("VmHWM:", p);
  std::printf("  riposte webhook %-18s ready in %5.2f s  RSS %6.1f MiB  peak %6.1f MiB%s\n",
              index ? "--configmap-index" : "(no index, baseline)", ready_s, rss / 1024.0, peak / 1024.0,
              index ? (peak < 128 * 1024 ? "  (target < 128 MiB: met)" : "  (target < 128 MiB: NOT met)") : "");
  (void)objects;
  ::kill(pid, SIGTERM);
  int status = 0;
  ::waitpid(pid, &status, 0);
}

void AdmissionBench(int reviews, int objects) {
  metrics::Registry registry;
  webhook::PolicyWatcher policy("", &registry);
  std::string error;
  if (!policy.LoadInitial(&error)) std::abort();
  webhook::ConfigMapIndex index;
  for (int i = 0; i < objects; ++i) {
    index.Set("team-" + std::to_string(i % 100) + "/ing-" + std::to_string(i),
              {{"team-" + std::to_string(i % 100) + "/hdrs-" + std::to_string(i), kProxy}});
  }
  IndexSource source(&index);
  webhook::AdmissionHandler handler(&policy, &registry, &source);

  const std::string secret = Review(R"({"group":"","version":"v1","kind":"Secret"})", "team-1", "s",
                                    R"({"apiVersion":"v1","kind":"Secret","metadata":{"name":"s"},"data":{"k":"dg=="}})");
  const std::string cm_kind = R"({"group":"","version":"v1","kind":"ConfigMap"})";
  const std::string unreferenced = Review(cm_kind, "team-1", "unrelated", ConfigMapObject("team-1", "unrelated"));
  const std::string referenced = Review(cm_kind, "team-1", "hdrs-1", ConfigMapObject("team-1", "hdrs-1"));
  const std::string ingress = Review(R"({"group":"networking.k8s.io","version":"v1","kind":"Ingress"})", "team-1", "web",
                                     R"({"apiVersion":"networking.k8s.io/v1","kind":"Ingress","metadata":{"name":"web","namespace":"team-1","annotations":{"nginx.ingress.kubernetes.io/ssl-redirect":"true","nginx.ingress.kubernetes.io/auth-url":"http://auth.example/check","nginx.ingress.kubernetes.io/proxy-body-size":"8m"}},"spec":{"ingressClassName":"nginx","rules":[{"host":"shop.example.com","http":{"paths":[{"path":"/","pathType":"Prefix","backend":{"service":{"name":"web","port":{"number":80}}}}]}}]}})");
  for (const auto* b : {&secret, &unreferenced, &referenced, &ingress}) Time(handler, *b, reviews / 10);  // warm-up
  Stats base = Time(handler, secret, reviews);
  Stats unref = Time(handler, unreferenced, reviews);
  Stats ref = Time(handler, referenced, reviews);
  Stats ing = Time(handler, ingress, reviews);
  std::printf("== admission inside the handler (%d reviews each, index of %d references)\n", reviews, objects);
  std::printf("  %-34s p50 %7.1f us  p99 %7.1f us  mean %7.1f us\n", "Secret (baseline, never judged)", base.p50_us, base.p99_us, base.mean_us);
  std::printf("  %-34s p50 %7.1f us  p99 %7.1f us  mean %7.1f us  p99 x%.2f of baseline\n", "unreferenced ConfigMap (8 keys)",
              unref.p50_us, unref.p99_us, unref.mean_us, unref.p99_us / base.p99_us);
  std::printf("  %-34s p50 %7.1f us  p99 %7.1f us  mean %7.1f us  p99 x%.2f of baseline\n", "referenced ConfigMap (judged)",
              ref.p50_us, ref.p99_us, ref.mean_us, ref.p99_us / base.p99_us);
  std::printf("  %-34s p50 %7.1f us  p99 %7.1f us  mean %7.1f us  p99 x%.2f of baseline\n", "benign Ingress (engine)", ing.p50_us,
              ing.p99_us, ing.mean_us, ing.p99_us / base.p99_us);
  std::printf("  unreferenced ConfigMap p99 %s the 1 ms target\n", unref.p99_us < 1000 ? "within" : "OVER");
}

void ChurnBench(int objects) {
  webhook::ConfigMapIndex index;
  for (int i = 0; i < objects; ++i) {
    index.Set("ns/ing-" + std::to_string(i), {{"ns/cm-" + std::to_string(i), kProxy}});
  }
  std::vector<std::string> keys;
  for (int i = 0; i < objects; ++i) keys.push_back("ns/cm-" + std::to_string(i * 7 % objects));
  auto lookups = [&](int n) {
    std::vector<double> ns;
    ns.reserve(static_cast<size_t>(n));
    size_t hits = 0;
    for (int i = 0; i < n; ++i) {
      auto t0 = Clock::now();
      hits += index.Referenced(keys[static_cast<size_t>(i) % keys.size()]) ? 1 : 0;
      ns.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
    }
    if (hits == 0) std::printf("  (no hits)\n");
    return Summarise(ns);
  };
  lookups(100000);
  Stats quiet = lookups(400000);
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> writes{0};
  std::thread writer([&] {
    uint64_t i = 0;
    while (!stop.load(std::memory_order_relaxed)) {
      const size_t k = i % static_cast<size_t>(objects);
      index.Set("ns/ing-" + std::to_string(k), {{"ns/cm-" + std::to_string((k + i / objects + 1) % objects), kProxy}});
      ++i;
    }
    writes = i;
  });
  auto t0 = Clock::now();
  Stats busy = lookups(400000);
  stop = true;
  writer.join();
  const double secs = std::chrono::duration<double>(Clock::now() - t0).count();
  std::printf("== index under churn (%d Ingresses; one writer re-pointing them)\n", objects);
  std::printf("  Referenced() quiet (baseline)   p50 %6.2f us  p99 %6.2f us\n", quiet.p50_us, quiet.p99_us);
  std::printf("  Referenced() during churn       p50 %6.2f us  p99 %6.2f us  p99 x%.2f of quiet\n", busy.p50_us, busy.p99_us,
              busy.p99_us / std::max(quiet.p99_us, 0.001));
  std::printf("  writer: %.0f Ingress updates/s (Set with a changed reference)\n", static_cast<double>(writes.load()) / secs);
  std::printf("  index size after churn: %zu ConfigMaps, %zu Ingresses\n", index.ConfigMapCount(), index.IngressCount());
}

void Seed(const testapi::TestApiServerProcess& server, int objects) {
  // Objects in 100 namespaces; every 10th Ingress references a ConfigMap (1,000 referenced).
  value items = value::array();
  size_t n = 0;
  for (int i = 0; i < 100; ++i) {
    value ns = value::object();
    ns["apiVersion"] = value::string("v1");
    ns["kind"] = value::string("Namespace");
    ns["metadata"]["name"] = value::string("team-" + std::to_string(i));
    items[n++] = ns;
  }
  for (int i = 0; i < objects; ++i) {
    const std::string ns = "team-" + std::to_string(i % 100);
    value cm = value::object();
    cm["apiVersion"] = value::string("v1");
    cm["kind"] = value::string("ConfigMap");
    cm["metadata"]["name"] = value::string("cm-" + std::to_string(i));
    cm["metadata"]["namespace"] = value::string(ns);
    cm["metadata"]["labels"]["app"] = value::string("web-" + std::to_string(i));
    for (int k = 0; k < 8; ++k) cm["data"]["key-" + std::to_string(k)] = value::string(std::string(120, 'a' + k));
    items[n++] = cm;
    value ing = value::parse(R"({"apiVersion":"networking.k8s.io/v1","kind":"Ingress","metadata":{"annotations":{
        "nginx.ingress.kubernetes.io/ssl-redirect":"true","nginx.ingress.kubernetes.io/proxy-body-size":"8m",
        "kubectl.kubernetes.io/last-applied-configuration":"{}"},"labels":{"app":"web"}},
        "spec":{"ingressClassName":"nginx","tls":[{"hosts":["a.example.com"],"secretName":"tls"}],
        "rules":[{"host":"a.example.com","http":{"paths":[{"path":"/","pathType":"Prefix","backend":{"service":{"name":"web","port":{"number":80}}}},
        {"path":"/api","pathType":"Prefix","backend":{"service":{"name":"api","port":{"number":8080}}}}]}}]}})");
    ing["metadata"]["name"] = value::string("ing-" + std::to_string(i));
    ing["metadata"]["namespace"] = value::string(ns);
    ing["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"] = value::string(std::string(600, 'x'));
    if (i % 10 == 0) ing["metadata"]["annotations"][kProxy] = value::string("cm-" + std::to_string(i));
    items[n++] = ing;
  }
  // In chunks: the test server caps request bodies.
  for (size_t start = 0; start < n; start += 200) {
    value chunk = value::array();
    for (size_t i = start; i < std::min(n, start + 200); ++i) chunk[i - start] = items[i];
    value list = value::object();
    list["items"] = chunk;
    server.Seed(list);
  }
}

void MemoryBench(int objects) {
  testapi::TestApiServerProcess server;
  Seed(server, objects);  // its JSON is freed before the baseline is taken

  kube::KubeconfigOptions o;
  o.path = server.WriteKubeconfig();
  std::printf("== memory: %d Ingresses (%d referencing a ConfigMap) + %d ConfigMaps of ~1 KiB data\n", objects, objects / 10,
              objects);
  ProcessMemory(server, o.path, false, objects);
  ProcessMemory(server, o.path, true, objects);
  const long before = RssKiB();
  auto cfg = kube::LoadKubeconfig(o);
  auto client = kube::NewKubeClient(cfg.value());
  metrics::Registry registry;
  webhook::PolicyWatcher policy("", &registry);
  std::string error;
  policy.LoadInitial(&error);
  webhook::ConfigMapGuard guard(client.value(), &policy, &registry);
  auto t0 = Clock::now();
  guard.Start();
  while (!guard.Synced()) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  const double sync_s = std::chrono::duration<double>(Clock::now() - t0).count();
  const long after = RssKiB();
  const long peak = RssKiB("VmHWM:");
  std::printf("  in this process:  synced in %.2f s; index: %zu ConfigMaps; cached ConfigMaps with data: %zu\n", sync_s,
              guard.index().ConfigMapCount(), guard.CachedConfigMapsWithData());
  std::printf("  in this process:  RSS +%.1f MiB for the guard (before %.1f MiB, after %.1f MiB, peak %.1f MiB; the seed\n"
              "                    JSON built here is freed but not returned to the OS, so only the difference counts)\n",
              (after - before) / 1024.0, before / 1024.0, after / 1024.0, peak / 1024.0);
  guard.Stop();
}

}  // namespace

int main(int argc, char** argv) {
  int reviews = 20000, objects = 10000;
  bool memory = true;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--reviews" && i + 1 < argc) reviews = std::stoi(argv[++i]);
    else if (a == "--objects" && i + 1 < argc) objects = std::stoi(argv[++i]);
    else if (a == "--skip-memory") memory = false;
    else {
      std::fprintf(stderr, "usage: configmap_bench [--reviews N] [--objects N] [--skip-memory]\n");
      return 2;
    }
  }
  // Memory first, before the other parts grow the heap.
  if (memory) MemoryBench(objects);
  AdmissionBench(reviews, objects);
  ChurnBench(objects);
  std::printf("(a loaded shared machine: compare ratios, rerun on a quiet one for absolute figures)\n");
  return 0;
}
