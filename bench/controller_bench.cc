// controller_bench: the real `riposte controller` against the API test server.
//  1. baseline: raw ResponseAction create latency through the kube client (same run);
//  2. sustained ingestion: unique alerts posted by concurrent keep-alive HTTPS clients, each
//     answered only after its ResponseAction is created (durable) -> alerts/s;
//  3. alert-to-action latency: sequential alerts, time from POST to the ResponseAction's
//     first action done (seen by an informer) -> p50/p99, and ratio to the baseline;
//  4. flood: 100,000 alerts for one pod -> controller peak RSS (VmHWM).
// Prints numbers and ratios; targets: >= 2,000 alerts/s, p99 <= 3x one API round trip,
// RSS < 64 MiB.

#include <utility>  // before asio: boost 1.74 uses std::exchange without including it

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include "kube/config.h"
#include "kube/informer.h"
#include "kube/objects.h"
#include "kube/resource.h"
#include "tests/controller/controller_process.h"

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using web::json::value;
using Clock = std::chrono::steady_clock;
using riposte::controller::testing::ControllerProcess;
using riposte::controller::testing::WaitFor;

namespace {

// Keep-alive HTTPS client: one TLS session reused for every request, as Falcosidekick does.
class Client {
 public:
  Client(int port, const std::string& ca_pem) : ctx_(ssl::context::tls_client), stream_(io_, ctx_) {
    ctx_.add_certificate_authority(asio::buffer(ca_pem));
    ctx_.set_verify_mode(ssl::verify_peer);
    asio::ip::tcp::resolver resolver(io_);
    asio::connect(stream_.next_layer(), resolver.resolve("127.0.0.1", std::to_string(port)));
    stream_.handshake(ssl::stream_base::client);
  }
  int Post(const std::string& target, const std::string& token, const std::string& body) {
    http::request<http::string_body> req{http::verb::post, target, 11};
    req.set(http::field::host, "127.0.0.1");
    req.set(http::field::authorization, "Bearer " + token);
    req.set(http::field::content_type, "application/json");
    req.keep_alive(true);
    req.body() = body;
    req.prepare_payload();
    http::write(stream_, req);
    http::response<http::string_body> res;
    http::read(stream_, buffer_, res);
    return res.result_int();
  }

 private:
  asio::io_context io_;
  ssl::context ctx_;
  beast::ssl_stream<asio::ip::tcp::socket> stream_;
  beast::flat_buffer buffer_;
};

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())))];
}

long VmHwmKiB(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(in, line);)
    if (line.rfind("VmHWM:", 0) == 0) return std::strtol(line.c_str() + 6, nullptr, 10);
  return -1;
}

std::string Alert(const std::string& uuid, const std::string& pod) {
  return R"({"time":"2026-11-20T10:15:27.171732939Z","rule":"Terminal shell in container","priority":"Notice",)"
         R"("source":"syscall","hostname":"node-1","output":"shell","output_fields":{"k8s.ns.name":"shop",)"
         R"("k8s.pod.name":")" + pod + R"(","proc.name":"sh","user.uid":0},"tags":["shell"],"uuid":")" + uuid + R"("})";
}

}  // namespace

int main() {
  riposte::testapi::TestApiServerProcess server;
  riposte::controller::testing::InstallCrds(server, RIPOSTE_SOURCE_DIR);
  auto seed = value::parse(R"({"items":[{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"shop"}},
      {"apiVersion":"v1","kind":"Namespace","metadata":{"name":"riposte-system"}}]})");
  server.Seed(seed);
  std::string kubeconfig = server.WriteKubeconfig();
  auto cfg = riposte::kube::LoadDefaultConfig(kubeconfig);
  auto client = riposte::kube::NewKubeClient(cfg.value()).value();
  const auto& ra_res = riposte::kube::resources::kResponseActions;

  // 1. Baseline: one API round trip = create of a ResponseAction-sized object.
  std::vector<double> create_ms;
  for (int i = 0; i < 300; ++i) {
    auto obj = value::parse(R"({"apiVersion":"riposte.io/v1alpha1","kind":"ResponseAction","metadata":{"namespace":"riposte-system"},
        "spec":{"target":{"pod":"p"},"actions":[{"type":"event"}],"dryRun":true}})");
    obj["metadata"]["name"] = value::string("baseline-" + std::to_string(i));
    auto t0 = Clock::now();
    auto r = client->Create(ra_res, "riposte-system", obj);
    create_ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
    if (!r.ok()) {
      std::fprintf(stderr, "baseline create failed: %s\n", r.error().ToString().c_str());
      return 1;
    }
  }
  double base_p50 = Percentile(create_ms, 0.5), base_p99 = Percentile(create_ms, 0.99);

  riposte::controller::testing::ControllerProcessOptions opts;
  opts.kubeconfig = kubeconfig;
  opts.extra_args = {"--log-level", "warn", "--workers", "2"};
  ControllerProcess controller(server.dir(), opts);
  controller.Start();
  if (!controller.WaitReady(std::chrono::seconds(30))) {
    std::fprintf(stderr, "controller not ready\n%s", controller.log().c_str());
    return 1;
  }
  // No cooldown and a high rate limit: every unique alert becomes one ResponseAction whose
  // single action (an Event on the pod) is cheap, so the numbers measure the pipeline.
  auto policy = value::parse(R"({"apiVersion":"riposte.io/v1alpha1","kind":"ResponsePolicy","metadata":{"name":"bench"},
      "spec":{"match":{"rules":["Terminal shell in container"]},"actions":[{"type":"event"}],
      "guards":{"cooldownSeconds":0,"maxActionsPerMinute":10000}}})");
  server.Api("POST", "/apis/riposte.io/v1alpha1/responsepolicies", policy.serialize());
  WaitFor([&] { return server.Api("GET", "/apis/riposte.io/v1alpha1/responsepolicies/bench").Json().has_field("status"); },
          std::chrono::seconds(20));

  // Informer on ResponseActions: time at which each one's first action is done.
  std::mutex mu;
  std::map<std::string, Clock::time_point> done_at;
  riposte::kube::Informer inf(client, ra_res, {});
  auto note = [&](const riposte::kube::ObjectPtr& o) {
    const auto* st = riposte::kube::FindPath(*o, {"status", "results"});
    if (st == nullptr || !st->is_array() || st->size() == 0) return;
    if (riposte::kube::GetString(st->at(0), {"state"}) != "Succeeded") return;
    std::lock_guard l(mu);
    done_at.emplace(riposte::kube::GetString(*o, {"metadata", "name"}), Clock::now());
  };
  inf.AddEventHandler({note, [&](const riposte::kube::ObjectPtr&, const riposte::kube::ObjectPtr& o) { note(o); }, {}});
  inf.Start();
  inf.WaitForSync(std::chrono::seconds(10));

  // 3. Latency: sequential alerts at low load.
  Client c(controller.alerts_port(), controller.cert_pem());
  std::vector<double> latency_ms;
  for (int i = 0; i < 200; ++i) {
    std::string uuid = "lat-" + std::to_string(i);
    auto t0 = Clock::now();
    int status = c.Post("/v1/alerts", controller.token(), Alert(uuid, "web-" + std::to_string(i)));
    if (status != 201) continue;
    // The ResponseAction name is derived; find the new entry by waiting for one more done.
    size_t want = 0;
    {
      std::lock_guard l(mu);
      want = done_at.size() + 1;
    }
    Clock::time_point at{};
    WaitFor([&] {
      std::lock_guard l(mu);
      if (done_at.size() < want) return false;
      for (const auto& [n, t] : done_at) at = std::max(at, t);
      return true;
    }, std::chrono::seconds(10));
    latency_ms.push_back(std::chrono::duration<double, std::milli>(at - t0).count());
  }

  // 2. Sustained ingestion with durable recording: 8 keep-alive clients, unique alerts.
  const int kThreads = 8, kPerThread = 500;
  std::atomic<int> ok{0}, bad{0};
  auto t0 = Clock::now();
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      Client tc(controller.alerts_port(), controller.cert_pem());
      for (int i = 0; i < kPerThread; ++i) {
        int s = tc.Post("/v1/alerts", controller.token(),
                        Alert("rate-" + std::to_string(t) + "-" + std::to_string(i), "pod-" + std::to_string(t * kPerThread + i)));
        (s == 201 ? ok : bad)++;
      }
    });
  for (auto& th : threads) th.join();
  double secs = std::chrono::duration<double>(Clock::now() - t0).count();
  double rate = ok.load() / secs;

  // 4. Flood: 100,000 alerts for one pod (one response, the rest suppressed) -> peak RSS.
  long rss_before = VmHwmKiB(controller.pid());
  std::vector<std::thread> flood;
  std::atomic<int> flood_ok{0};
  auto f0 = Clock::now();
  for (int t = 0; t < kThreads; ++t)
    flood.emplace_back([&] {
      Client fc(controller.alerts_port(), controller.cert_pem());
      for (int i = 0; i < 100000 / kThreads; ++i)
        if (fc.Post("/", controller.token(), Alert("flood-" + std::to_string(i), "victim")) < 300) ++flood_ok;
    });
  for (auto& th : flood) th.join();
  double flood_secs = std::chrono::duration<double>(Clock::now() - f0).count();
  long rss_after = VmHwmKiB(controller.pid());
  inf.Stop();

  double lat_p50 = Percentile(latency_ms, 0.5), lat_p99 = Percentile(latency_ms, 0.99);
  std::printf("controller_bench (2 cores shared, loopback, test API server)\n");
  std::printf("baseline API create latency      p50 %.2f ms  p99 %.2f ms  (n=%zu)\n", base_p50, base_p99, create_ms.size());
  std::printf("ingestion (durable, 8 clients)   %.0f alerts/s  (%d ok, %d failed, %.2f s)  target >= 2000  %s\n", rate,
              ok.load(), bad.load(), secs, rate >= 2000 ? "MET" : "MISSED");
  std::printf("alert-to-action latency          p50 %.2f ms  p99 %.2f ms  (n=%zu)\n", lat_p50, lat_p99, latency_ms.size());
  std::printf("ratio p99 / baseline p99         %.2fx  (p50 ratio %.2fx)  target <= 3x  %s\n", lat_p99 / base_p99,
              lat_p50 / base_p50, lat_p99 <= 3 * base_p99 ? "MET" : "MISSED");
  std::printf("flood 100,000 alerts, one pod    %.0f alerts/s, %d answered 2xx; controller VmHWM %.1f MiB (before %.1f MiB)  target < 64 MiB  %s\n",
              100000 / flood_secs, flood_ok.load(), static_cast<double>(rss_after) / 1024.0,
              static_cast<double>(rss_before) / 1024.0, rss_after < 64 * 1024 ? "MET" : "MISSED");
  controller.Stop();
  return 0;
}
