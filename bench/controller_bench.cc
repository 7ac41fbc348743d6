// controller_bench: the real `riposte controller` against the API test server.
//  1. baseline: raw ResponseAction create latency through the kube client (same run);
//  2. sustained ingestion: unique alerts posted by concurrent keep-alive HTTPS clients, each
//     answered only after its ResponseAction is created (durable) -> alerts/s;
//  3. alert-to-action latency: sequential alerts, time from POST to the ResponseAction's
//     first action done (seen by an informer) -> p50/p99, and ratio to the baseline;
//  4. flood: 100,000 alerts for one pod under a policy with the default guards (cooldown)
//     -> one ResponseAction, and the controller's peak RSS (VmHWM).
// Phases run in the order 1, 3, 2, 4 (latency on an idle controller). Each load phase also
// prints the CPU the controller, the API server and the bench used per alert.
// Prints numbers and ratios; targets: >= 2,000 alerts/s, p99 <= 3x one API round trip,
// RSS < 64 MiB. `controller_bench --ingestion-only` runs 1 and 2 (a short run for profiling).

#include <utility>  // before asio: boost 1.74 uses std::exchange without including it
#include "common/json_value.h"

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <map>
#include <mutex>
#include <stdexcept>
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
  struct Reply {
    int status = 0;
    std::string body;
  };
  Reply Post(const std::string& target, const std::string& token, const std::string& body) {
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
    return {static_cast<int>(res.result_int()), std::move(res.body())};
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

// CPU seconds (user + system) a process has used so far; -1 when unreadable.
double CpuSeconds(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto close = stat.rfind(')');  // the command name may contain spaces
  if (close == std::string::npos) return -1;
  std::istringstream fields(stat.substr(close + 2));
  std::string f;
  double ticks = 0;
  for (int i = 3; i <= 15 && fields >> f; ++i)
    if (i >= 14) ticks += std::strtod(f.c_str(), nullptr);  // fields 14 utime, 15 stime
  return ticks / static_cast<double>(sysconf(_SC_CLK_TCK));
}

// The API test server is our child process but does not expose its pid: find it by name.
pid_t ChildNamed(const std::string& comm_prefix) {
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
    std::ifstream children(task.path() / "children");
    for (pid_t pid; children >> pid;) {
      std::ifstream comm("/proc/" + std::to_string(pid) + "/comm");
      std::string name;
      std::getline(comm, name);
      if (name.rfind(comm_prefix, 0) == 0) return pid;
    }
  }
  return -1;
}

// CPU used by the bench (clients), the controller and the API server during one phase.
struct CpuSplit {
  pid_t controller, apiserver;
  double bench0, controller0, apiserver0;
  CpuSplit(pid_t c, pid_t a)
      : controller(c), apiserver(a), bench0(CpuSeconds(getpid())), controller0(CpuSeconds(c)), apiserver0(CpuSeconds(a)) {}
  // "controller X us, API server Y us, bench clients Z us per alert"
  std::string PerAlert(int alerts) const {
    char buf[160];
    auto us = [&](double now, double then) { return (now - then) * 1e6 / std::max(1, alerts); };
    std::snprintf(buf, sizeof buf, "CPU per alert: controller %.0f us, API server %.0f us, bench clients %.0f us",
                  us(CpuSeconds(controller), controller0), us(CpuSeconds(apiserver), apiserver0),
                  us(CpuSeconds(getpid()), bench0));
    return buf;
  }
};

std::string Alert(const std::string& uuid, const std::string& ns, const std::string& pod) {
  return R"({"time":"2026-11-20T10:15:27.171732939Z","rule":"Terminal shell in container","priority":"Notice",)"
         R"("source":"syscall","hostname":"node-1","output":"shell","output_fields":{"k8s.ns.name":")" + ns +
         R"(","k8s.pod.name":")" + pod + R"(","proc.name":"sh","user.uid":0},"tags":["shell"],"uuid":")" + uuid + R"("})";
}

// Progress on stderr so a stalled phase is visible while it runs; results go to stdout.
void Progress(Clock::time_point start, const std::string& what) {
  std::fprintf(stderr, "[%7.1f s] %s\n", std::chrono::duration<double>(Clock::now() - start).count(), what.c_str());
}

// Name of the first ResponseAction an accepted alert created ("" when none).
std::string ResponseName(const std::string& body) {
  std::error_code ec;
  auto v = value::parse(body, ec);
  if (ec || !v.has_field("responses") || !v.at("responses").is_array() || v.at("responses").size() == 0) return "";
  const auto& r = v.at("responses").at(0);
  return r.has_field("responseAction") ? r.at("responseAction").as_string() : "";
}

size_t CountItems(const riposte::testapi::TestApiServerProcess& server, const std::string& path) {
  auto r = server.Api("GET", path);
  if (r.status != 200) return 0;
  auto v = r.Json();
  return v.has_field("items") ? v.at("items").size() : 0;
}

void CreatePolicy(const riposte::testapi::TestApiServerProcess& server, const std::string& json) {
  auto policy = value::parse(json);
  const std::string name = policy.at("metadata").at("name").as_string();
  auto r = server.Api("POST", "/apis/riposte.io/v1alpha1/responsepolicies", policy.serialize());
  if (r.status >= 300) throw std::runtime_error("policy " + name + ": " + r.body);
  // Compiled by the controller once its condition is written.
  WaitFor([&] { return server.Api("GET", "/apis/riposte.io/v1alpha1/responsepolicies/" + name).Json().has_field("status"); },
          std::chrono::seconds(20));
}

// Concurrent keep-alive clients posting `per_client` alerts each; body(c, i) builds alert i of
// client c. Transport failures are counted, not fatal.
struct Load {
  int ok = 0, unavailable = 0, failed = 0;
  double seconds = 0;
};
template <typename Body>
Load PostConcurrently(const ControllerProcess& controller, int clients, int per_client, Body body) {
  std::atomic<int> ok{0}, unavailable{0}, failed{0};
  auto t0 = Clock::now();
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c)
    threads.emplace_back([&, c] {
      try {
        Client client(controller.alerts_port(), controller.cert_pem());
        for (int i = 0; i < per_client; ++i) {
          int s = client.Post(i % 2 ? "/" : "/v1/alerts", controller.token(), body(c, i)).status;
          (s >= 200 && s < 300 ? ok : s == 503 ? unavailable : failed)++;
        }
      } catch (const std::exception& e) {
        std::fprintf(stderr, "client %d: %s\n", c, e.what());
        ++failed;
      }
    });
  for (auto& t : threads) t.join();
  return {ok.load(), unavailable.load(), failed.load(), std::chrono::duration<double>(Clock::now() - t0).count()};
}

// SIGTERM; a controller that does not exit 0 in time (or a sanitizer report at exit) fails the run.
int StopController(ControllerProcess& controller) {
  std::fflush(stdout);
  if (controller.Stop(std::chrono::seconds(30))) return 0;
  std::fprintf(stderr, "riposte controller did not exit cleanly on SIGTERM:\n%s", controller.log().c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  const bool ingestion_only = argc > 1 && std::string(argv[1]) == "--ingestion-only";
  const auto start = Clock::now();
  riposte::testapi::TestApiServerProcess server;
  riposte::controller::testing::InstallCrds(server, RIPOSTE_SOURCE_DIR);
  auto seed = value::parse(R"({"items":[{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"shop"}},
      {"apiVersion":"v1","kind":"Namespace","metadata":{"name":"flood"}},
      {"apiVersion":"v1","kind":"Namespace","metadata":{"name":"bench-baseline"}},
      {"apiVersion":"v1","kind":"Namespace","metadata":{"name":"riposte-system"}}]})");
  server.Seed(seed);
  std::string kubeconfig = server.WriteKubeconfig();
  auto cfg = riposte::kube::LoadDefaultConfig(kubeconfig);
  cfg.value().qps = 0;  // the baseline measures the API, not a client-side rate limit
  auto client = riposte::kube::NewKubeClient(cfg.value()).value();
  const auto& ra_res = riposte::kube::resources::kResponseActions;

  // 1. Baseline: one API round trip = create of a ResponseAction-sized object through the
  // same kube client code. Deleted again before the controller starts: they are not part of
  // the workload (a 300-object backlog would otherwise be reconciled during the latency phase).
  Progress(start, "baseline: 300 ResponseAction creates");
  // The first 20 are not timed: they open and warm the client's connections, which the
  // controller's long-lived client has done long before an alert arrives.
  std::vector<double> create_ms;
  for (int i = 0; i < 320; ++i) {
    auto obj = value::parse(R"({"apiVersion":"riposte.io/v1alpha1","kind":"ResponseAction","metadata":{"namespace":"bench-baseline"},
        "spec":{"target":{"pod":"p"},"actions":[{"type":"event"}],"dryRun":true}})");
    obj["metadata"]["name"] = value::string("baseline-" + std::to_string(i));
    auto t0 = Clock::now();
    auto r = client->Create(ra_res, "bench-baseline", obj);
    if (i >= 20) create_ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
    if (!r.ok()) {
      std::fprintf(stderr, "baseline create failed: %s\n", r.error().ToString().c_str());
      return 1;
    }
  }
  for (int i = 0; i < 320; ++i) (void)client->Delete(ra_res, "bench-baseline", "baseline-" + std::to_string(i));
  double base_p50 = Percentile(create_ms, 0.5), base_p99 = Percentile(create_ms, 0.99);

  Progress(start, "starting riposte controller");
  riposte::controller::testing::ControllerProcessOptions opts;
  opts.kubeconfig = kubeconfig;
  opts.extra_args = {"--log-level", "warn", "--workers", "2"};
  ControllerProcess controller(server.dir(), opts);
  controller.Start();
  if (!controller.WaitReady(std::chrono::seconds(30))) {
    std::fprintf(stderr, "controller not ready\n%s", controller.log().c_str());
    return 1;
  }
  // "bench": no cooldown and the highest rate limit, so every unique alert becomes one
  // ResponseAction whose single action (an Event on the pod) is cheap: the numbers measure the
  // pipeline. "flood": the default guards, for one pod in its own namespace.
  CreatePolicy(server, R"({"apiVersion":"riposte.io/v1alpha1","kind":"ResponsePolicy","metadata":{"name":"bench"},
      "spec":{"match":{"rules":["Terminal shell in container"],"namespaces":["shop"]},"actions":[{"type":"event"}],
      "guards":{"cooldownSeconds":0,"maxActionsPerMinute":10000}}})");
  CreatePolicy(server, R"({"apiVersion":"riposte.io/v1alpha1","kind":"ResponsePolicy","metadata":{"name":"flood"},
      "spec":{"match":{"rules":["Terminal shell in container"],"namespaces":["flood"]},"actions":[{"type":"event"}],
      "guards":{"cooldownSeconds":300}}})");

  // Informer on ResponseActions: when each one's first action is recorded done.
  std::mutex mu;
  std::condition_variable cv;
  std::map<std::string, Clock::time_point> done_at;
  riposte::kube::Informer inf(client, ra_res, {});
  auto note = [&](const riposte::kube::ObjectPtr& o) {
    const auto* st = riposte::json::Find(*o, {"status", "results"});
    if (st == nullptr || !st->is_array() || st->size() == 0) return;
    if (riposte::json::GetString(st->at(0), {"state"}) != "Succeeded") return;
    std::lock_guard l(mu);
    if (done_at.emplace(riposte::json::GetString(*o, {"metadata", "name"}).value_or(""), Clock::now()).second) cv.notify_all();
  };
  inf.AddEventHandler({note, [&](const riposte::kube::ObjectPtr&, const riposte::kube::ObjectPtr& o) { note(o); }, {}});
  inf.Start();
  inf.WaitForSync(std::chrono::seconds(10));

  // 3. Latency at low load: sequential alerts, each for its own pod, one every 200 ms so the
  // reconcile client's default limit (--kube-api-qps 50; ~8 requests per response) is not what
  // is measured. Accepted = POST to 2xx (the ResponseAction is durably created); action = POST
  // to the first action recorded done.
  Progress(start, "latency: 200 sequential alerts, one per 200 ms");
  Client c(controller.alerts_port(), controller.cert_pem());
  std::vector<double> accept_ms, latency_ms;
  int lat_rejected = 0, lat_timeouts = 0;
  auto next = Clock::now();
  for (int i = 0; i < (ingestion_only ? 0 : 200); ++i) {
    std::this_thread::sleep_until(next);
    auto t0 = Clock::now();
    next = t0 + std::chrono::milliseconds(200);
    auto reply = c.Post("/v1/alerts", controller.token(), Alert("lat-" + std::to_string(i), "shop", "web-" + std::to_string(i)));
    accept_ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
    const std::string name = ResponseName(reply.body);
    if (reply.status != 201 || name.empty()) {
      ++lat_rejected;
      continue;
    }
    std::unique_lock l(mu);
    if (!cv.wait_for(l, std::chrono::seconds(10), [&] { return done_at.count(name) > 0; })) {
      ++lat_timeouts;
      continue;
    }
    latency_ms.push_back(std::chrono::duration<double, std::milli>(done_at[name] - t0).count());
  }

  // 2. Sustained ingestion with durable recording: 8 keep-alive clients, unique alerts for
  // distinct pods, each answered 2xx only after its ResponseAction exists in the API.
  const int kClients = 8, kPerClient = 500;
  Progress(start, "ingestion: 8 clients x 500 unique alerts");
  const pid_t apiserver_pid = ChildNamed("riposte-test-ap");
  CpuSplit ingest_cpu(controller.pid(), apiserver_pid);
  Load ingest = PostConcurrently(controller, kClients, kPerClient, [](int cl, int i) {
    return Alert("rate-" + std::to_string(cl) + "-" + std::to_string(i), "shop", "pod-" + std::to_string(cl * kPerClient + i));
  });
  const std::string ingest_cpu_text = ingest_cpu.PerAlert(ingest.ok + ingest.unavailable + ingest.failed);
  const size_t recorded = CountItems(server, "/apis/riposte.io/v1alpha1/namespaces/shop/responseactions");

  if (ingestion_only) {
    std::printf("baseline API create latency      p50 %.2f ms  p99 %.2f ms  (n=%zu)\n", base_p50, base_p99, create_ms.size());
    std::printf("ingestion (durable, 8 clients)   %.0f alerts/s  (%d accepted, %d 503, %d failed, %.2f s; %zu ResponseActions in the API)\n",
                ingest.ok / ingest.seconds, ingest.ok, ingest.unavailable, ingest.failed, ingest.seconds, recorded);
    std::printf("  ingestion %s\n", ingest_cpu_text.c_str());
    inf.Stop();
    return StopController(controller);
  }

  // 4. Flood: 100,000 alerts for one pod (one response, the rest suppressed) -> peak RSS.
  Progress(start, "flood: 100,000 alerts for one pod");
  long hwm_before = VmHwmKiB(controller.pid());
  CpuSplit flood_cpu(controller.pid(), apiserver_pid);
  Load flood = PostConcurrently(controller, kClients, 100000 / kClients, [](int cl, int i) {
    return Alert("flood-" + std::to_string(cl) + "-" + std::to_string(i), "flood", "victim");
  });
  long hwm_after = VmHwmKiB(controller.pid());
  const std::string flood_cpu_text = flood_cpu.PerAlert(100000);
  const size_t flood_responses = CountItems(server, "/apis/riposte.io/v1alpha1/namespaces/flood/responseactions");
  inf.Stop();
  Progress(start, "done");

  double rate = ingest.ok / ingest.seconds;
  double lat_p50 = Percentile(latency_ms, 0.5), lat_p99 = Percentile(latency_ms, 0.99);
  std::printf("controller_bench (2 cores shared, loopback, test API server, riposte controller --workers 2)\n");
  std::printf("baseline API create latency      p50 %.2f ms  p99 %.2f ms  (n=%zu)\n", base_p50, base_p99, create_ms.size());
  std::printf("alert accepted (durable) latency p50 %.2f ms  p99 %.2f ms  (n=%zu)\n", Percentile(accept_ms, 0.5),
              Percentile(accept_ms, 0.99), accept_ms.size());
  std::printf("alert-to-action latency          p50 %.2f ms  p99 %.2f ms  (n=%zu, %d not accepted, %d not done in 10 s)\n",
              lat_p50, lat_p99, latency_ms.size(), lat_rejected, lat_timeouts);
  std::printf("ratio p99 / baseline p99         %.2fx  (p50 ratio %.2fx)  target <= 3x  %s\n", lat_p99 / base_p99,
              lat_p50 / base_p50, !latency_ms.empty() && lat_p99 <= 3 * base_p99 ? "MET" : "MISSED");
  std::printf("ingestion (durable, 8 clients)   %.0f alerts/s  (%d accepted, %d 503, %d failed, %.2f s; %zu ResponseActions in the API)  target >= 2000  %s\n",
              rate, ingest.ok, ingest.unavailable, ingest.failed, ingest.seconds, recorded, rate >= 2000 ? "MET" : "MISSED");
  std::printf("  ingestion %s\n", ingest_cpu_text.c_str());
  std::printf("flood 100,000 alerts, one pod    %.0f alerts/s, %d answered 2xx, %d 503, %d failed, %zu ResponseAction(s); "
              "controller VmHWM %.1f MiB (before flood %.1f MiB)  target < 64 MiB  %s\n",
              100000 / flood.seconds, flood.ok, flood.unavailable, flood.failed, flood_responses,
              static_cast<double>(hwm_after) / 1024.0, static_cast<double>(hwm_before) / 1024.0,
              hwm_after > 0 && hwm_after < 64 * 1024 ? "MET" : "MISSED");
  std::printf("  flood %s\n", flood_cpu_text.c_str());
  return StopController(controller);
}
