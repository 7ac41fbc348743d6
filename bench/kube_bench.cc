// kube_bench: the kube/ client against riposte-test-apiserver on loopback.
//  1. informer initial sync of N pods (default 10,000): time and this process's RSS after sync
//  2. watch throughput: pods written in bulk on the server, events/s until the cache has them
//  3. request latency of client->Get vs a bare cpprestsdk HTTPS GET of the same URL over the
//     same kind of keep-alive connection, measured in the same run, printed as a ratio
//
// Usage: kube_bench [--pods N] [--watch-events N] [--requests N]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <thread>
#include <string>
#include <unordered_map>
#include <vector>

#include <cpprest/http_client.h>

#include "kube/config.h"
#include "kube/informer.h"
#include "tests/apiserver/test_apiserver_process.h"

namespace {
using namespace riposte;
using Clock = std::chrono::steady_clock;
namespace json = web::json;

double Ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

long StatusKb(const char* field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field, 0) == 0) return std::strtol(line.c_str() + std::strlen(field) + 1, nullptr, 10);
  }
  return -1;
}

json::value Pod(int i, const std::string& prefix) {
  // Shaped like a typical scheduled pod (labels, one container, status), ~1 KiB. No
  // ownerReferences: the test server's garbage collector would delete orphans mid-run.
  const std::string name = prefix + std::to_string(i);
  std::string text = R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":")" + name +
                     R"(","namespace":"bench","labels":{"app":"web","pod-template-hash":"7d9c8f","tier":"front"},)"
                     R"("annotations":{"kubectl.kubernetes.io/restartedAt":"2024-01-01T00:00:00Z"},)"
                     R"("generateName":"web-7d9c8f-"},)"
                     R"("spec":{"nodeName":"node-)" + std::to_string(i % 50) +
                     R"(","serviceAccountName":"web","containers":[{"name":"web","image":"registry.example.com/shop/web:1.2.3",)"
                     R"("ports":[{"containerPort":8080,"protocol":"TCP"}],"resources":{"requests":{"cpu":"100m","memory":"128Mi"}},)"
                     R"("env":[{"name":"MODE","value":"production"},{"name":"LOG_LEVEL","value":"info"}]}]},)"
                     R"("status":{"phase":"Running","podIP":"10.1.)" + std::to_string(i / 250) + "." + std::to_string(i % 250) +
                     R"(","conditions":[{"type":"Ready","status":"True"}]}})";
  return json::value::parse(text);
}

void SeedPods(const testapi::TestApiServerProcess& server, int from, int count, const std::string& prefix) {
  constexpr int kBatch = 1000;
  for (int start = from; start < from + count; start += kBatch) {
    json::value list = json::value::object();
    list["items"] = json::value::array();
    const int end = std::min(from + count, start + kBatch);
    for (int i = start; i < end; ++i) list["items"][static_cast<size_t>(i - start)] = Pod(i, prefix);
    server.Seed(list);
  }
}

struct Lat {
  double mean, p50, p99;
};
Lat Summarise(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  double sum = 0;
  for (double x : v) sum += x;
  return {sum / static_cast<double>(v.size()), v[v.size() / 2], v[std::min(v.size() - 1, v.size() * 99 / 100)]};
}

}  // namespace

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  int pods = 10000, watch_events = 5000, requests = 2000;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    const int v = std::atoi(argv[i + 1]);
    if (flag == "--pods") pods = v;
    else if (flag == "--watch-events") watch_events = v;
    else if (flag == "--requests") requests = v;
  }
  testapi::TestApiServerOptions so;
  so.history_size = std::max(10000, watch_events * 2);
  testapi::TestApiServerProcess server(so);
  server.Api("POST", "/api/v1/namespaces", R"({"apiVersion":"v1","kind":"Namespace","metadata":{"name":"bench"}})");

  kube::KubeconfigOptions ko;
  ko.path = server.WriteKubeconfig();
  auto cfg = kube::LoadKubeconfig(ko);
  if (!cfg.ok()) {
    std::fprintf(stderr, "%s\n", cfg.error().message.c_str());
    return 2;
  }
  cfg->qps = 0;  // measure the client, not the throttle
  auto client_r = kube::NewKubeClient(cfg.value());
  if (!client_r.ok()) {
    std::fprintf(stderr, "%s\n", client_r.error().message.c_str());
    return 2;
  }
  kube::KubeClientPtr client = client_r.value();

  std::printf("kube_bench: pods=%d watch_events=%d requests=%d\n", pods, watch_events, requests);
  SeedPods(server, 0, pods, "p-");
  const long rss_before = StatusKb("VmRSS:");

  // 1. Initial sync.
  kube::Informer inf(client, kube::resources::kPods);
  const auto t0 = Clock::now();
  inf.Start();
  if (!inf.WaitForSync(std::chrono::minutes(5))) {
    std::fprintf(stderr, "informer did not sync\n");
    return 1;
  }
  const double sync_ms = Ms(Clock::now() - t0);
  const long rss_after = StatusKb("VmRSS:");
  std::printf("informer_initial_sync: pods=%zu time_ms=%.0f pods_per_s=%.0f\n", inf.Size(), sync_ms,
              static_cast<double>(inf.Size()) * 1000.0 / sync_ms);
  std::printf("process_rss_mib: before_sync=%.1f after_sync=%.1f peak=%.1f target=100 %s\n", rss_before / 1024.0,
              rss_after / 1024.0, StatusKb("VmHWM:") / 1024.0, rss_after / 1024.0 < 100 ? "OK" : "OVER");

  // 2. Watch throughput: the server emits one ADDED event per seeded pod.
  const size_t want = inf.Size() + static_cast<size_t>(watch_events);
  const auto t1 = Clock::now();
  SeedPods(server, 0, watch_events, "w-");
  const double seed_ms = Ms(Clock::now() - t1);
  while (inf.Size() < want && Clock::now() - t1 < std::chrono::minutes(5)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  const double watch_ms = Ms(Clock::now() - t1);
  std::printf("watch_throughput: events=%d time_ms=%.0f events_per_s=%.0f (server bulk write took %.0f ms)\n",
              watch_events, watch_ms, watch_events * 1000.0 / watch_ms, seed_ms);
  std::printf("process_rss_mib: after_watch=%.1f pods_cached=%zu\n", StatusKb("VmRSS:") / 1024.0, inf.Size());
  const std::string replay_from = inf.LastSyncResourceVersion();
  inf.Stop();

  // 2b. Client-side decode rate without the server's write path: write while nobody watches,
  // then replay the history from a resourceVersion into a map shaped like the cache.
  SeedPods(server, 0, watch_events, "r-");
  std::unordered_map<std::string, std::shared_ptr<const json::value>> cache;
  kube::WatchOptions wo;
  wo.resource_version = replay_from;
  wo.timeout_seconds = 300;
  const auto t2 = Clock::now();
  auto replay = client->Watch(kube::resources::kPods, "", wo, [&](kube::WatchEvent&& ev) {
    if (ev.type == kube::WatchEventType::kBookmark) return true;
    auto obj = std::make_shared<const json::value>(std::move(ev.object));
    cache[kube::ObjectKey(*obj)] = obj;
    return cache.size() < static_cast<size_t>(watch_events);
  });
  const double replay_ms = Ms(Clock::now() - t2);
  if (!replay.ok()) {
    std::fprintf(stderr, "replay watch failed: %s\n", replay.error().ToString().c_str());
    return 1;
  }
  std::printf("watch_replay_throughput: events=%zu time_ms=%.0f events_per_s=%.0f\n", cache.size(), replay_ms,
              static_cast<double>(cache.size()) * 1000.0 / replay_ms);

  // 3. Latency: same URL, same TLS settings, keep-alive in both.
  const std::string path = "/api/v1/namespaces/bench/pods/p-1";
  web::http::client::http_client_config hc;
  hc.set_ssl_context_callback([ca = server.ca_pem()](boost::asio::ssl::context& ctx) {
    ctx.add_certificate_authority(boost::asio::buffer(ca.data(), ca.size()));
  });
  web::http::client::http_client raw(web::uri(server.url()), hc);
  auto raw_get = [&] {
    web::http::http_request req(web::http::methods::GET);
    req.set_request_uri(path);
    req.headers().add("Authorization", "Bearer " + server.token());
    req.headers().add("Accept", "application/json");
    auto resp = raw.request(req).get();
    return resp.extract_string(true).get().size();
  };
  std::string client_error;
  auto client_get = [&] {
    auto r = client->Get(kube::resources::kPods, "bench", "p-1");
    if (!r.ok()) client_error = r.error().ToString();
    return r.ok();
  };
  for (int i = 0; i < 50; ++i) {  // warm up connections and caches
    raw_get();
    client_get();
  }
  std::vector<double> raw_ms, client_ms;
  for (int i = 0; i < requests; ++i) {
    // Interleaved so both see the same server state and machine load.
    auto a = Clock::now();
    raw_get();
    raw_ms.push_back(Ms(Clock::now() - a));
    a = Clock::now();
    if (!client_get()) {
      std::fprintf(stderr, "client GET failed: %s\n", client_error.c_str());
      return 1;
    }
    client_ms.push_back(Ms(Clock::now() - a));
  }
  const Lat r = Summarise(raw_ms), c = Summarise(client_ms);
  std::printf("get_latency_raw_https: mean_ms=%.3f p50_ms=%.3f p99_ms=%.3f\n", r.mean, r.p50, r.p99);
  std::printf("get_latency_kube_client: mean_ms=%.3f p50_ms=%.3f p99_ms=%.3f\n", c.mean, c.p50, c.p99);
  std::printf("get_latency_ratio_client_over_raw: mean=%.2f p50=%.2f\n", c.mean / r.mean, c.p50 / r.p50);
  return 0;
}
