// Webhook throughput and latency over keep-alive TLS, next to two baselines answering a fixed
// AdmissionReview on the same machine, in the same run, driven by the same load generator
// (N client threads, one keep-alive TLS connection each, a mix of corpus AdmissionReviews,
// closed loop): nginx (Debian nginx-light), the ceiling for any TLS server here, and the
// project's own HTTP stack (common/http_server, Beast) with a fixed reply, which isolates what
// parsing, judging and answering a review costs. Prints req/s, p50/p99 and both ratios, and
// for the two servers that run as processes (nginx, riposte) the CPU time they used per
// request: on a machine shared with other work, throughput follows the share of the cores the
// run happens to get, while CPU per request does not.
//
//   webhook_bench [--connections 50] [--seconds 5] [--warmup 1] [--only nginx|stack|riposte]

#include <simdjson.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <functional>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "common/http_server.h"
#include "tests/support/certs.h"
#include "tests/support/files.h"
#include "tests/support/https_client.h"
#include "tests/support/process.h"

using namespace riposte::testing;
using Clock = std::chrono::steady_clock;

namespace {

uint16_t FreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  socklen_t len = sizeof a;
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

std::vector<std::string> CorpusReviews() {
  std::vector<std::string> out;
  std::ifstream in(std::string(RIPOSTE_TEST_DATA_DIR) + "/corpus/ingress_cases.jsonl");
  std::string line;
  simdjson::dom::parser p;
  int i = 0;
  while (std::getline(in, line)) {
    simdjson::dom::element e;
    if (line.empty() || p.parse(line).get(e)) continue;
    std::string ann = "{}", paths = "[{\"path\":\"/\",\"pathType\":\"Prefix\"}]", uid = "0f3c2a8e-1111-4a4a-8b8b-123456789abc";
    // Re-serialised field by field: simdjson 3.0.1's minify() leaves control characters in
    // strings unescaped, which would turn the attack cases into malformed JSON.
    simdjson::dom::object annotations;
    if (!e["annotations"].get(annotations)) {
      ann = "{";
      for (auto [k, val] : annotations) {
        std::string_view sv;
        if (val.get(sv)) continue;
        ann += (ann.size() > 1 ? "," : "") + riposte::http::JsonQuote(k) + ":" + riposte::http::JsonQuote(sv);
      }
      ann += "}";
    }
    simdjson::dom::array path_list;
    if (!e["paths"].get(path_list)) {
      paths = "[";
      for (auto item : path_list) {
        std::string_view path, type;
        if (item["path"].get(path)) continue;
        if (item["pathType"].get(type)) type = "ImplementationSpecific";
        paths += (paths.size() > 1 ? "," : "") + std::string("{\"path\":") + riposte::http::JsonQuote(path) +
                 ",\"pathType\":" + riposte::http::JsonQuote(type) + "}";
      }
      paths += "]";
    }
    std::string_view u;
    if (!e["metadata_uid"].get(u)) uid = std::string(u);
    out.push_back(R"({"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"bench-)" +
                  std::to_string(i++) +
                  R"(","kind":{"group":"networking.k8s.io","version":"v1","kind":"Ingress"},"operation":"CREATE","namespace":"bench","name":"web","userInfo":{"username":"bench"},"object":{"metadata":{"name":"web","namespace":"bench","uid":)" +
                  riposte::http::JsonQuote(uid) + R"(,"annotations":)" + ann +
                  R"(},"spec":{"ingressClassName":"nginx","rules":[{"host":"bench.example.com","http":{"paths":)" + paths +
                  "}}]}}}}");
  }
  return out;
}

// utime + stime of a process and of its children (nginx workers), in seconds.
double ProcessTreeCpuSeconds(pid_t pid) {
  double total = 0;
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (std::getline(stat, line)) {
    // Fields after the command (which may contain spaces) start after the last ')'.
    std::istringstream rest(line.substr(line.rfind(')') + 2));
    std::string field;
    unsigned long utime = 0, stime = 0;
    for (int i = 3; i <= 15 && rest >> field; ++i) {
      if (i == 14) utime = std::stoul(field);
      if (i == 15) stime = std::stoul(field);
    }
    total += static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
  }
  std::ifstream children("/proc/" + std::to_string(pid) + "/task/" + std::to_string(pid) + "/children");
  for (pid_t child; children >> child;) total += ProcessTreeCpuSeconds(child);
  return total;
}

struct Result {
  double cpu_us_per_request = 0;  // 0 = not measured
  double rps = 0;
  double p50_ms = 0;
  double p99_ms = 0;
  uint64_t ok = 0;
  uint64_t failed = 0;
};

Result Drive(uint16_t port, const std::string& target, const std::vector<std::string>& bodies, int connections,
             double warmup_s, double seconds, const std::function<double()>& server_cpu = nullptr) {
  std::atomic<bool> measuring{false}, stop{false};
  std::vector<std::vector<double>> lat(static_cast<size_t>(connections));
  std::vector<uint64_t> failed(static_cast<size_t>(connections), 0);
  std::vector<std::thread> threads;
  for (int c = 0; c < connections; ++c) {
    threads.emplace_back([&, c] {
      TestClient client;
      std::string err;
      bool connected = client.Connect(port, ClientOptions{}, &err);
      size_t i = static_cast<size_t>(c) * 7;
      while (!stop.load()) {
        if (!connected) {
          connected = client.Connect(port, ClientOptions{}, &err);
          if (!connected) {
            ++failed[static_cast<size_t>(c)];
            continue;
          }
        }
        const std::string& body = bodies[i++ % bodies.size()];
        auto t0 = Clock::now();
        HttpResult r = client.Request("POST", target, body);
        double ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
        if (!measuring.load()) continue;
        if (r.status == 200) lat[static_cast<size_t>(c)].push_back(ms);
        else {
          if (failed[static_cast<size_t>(c)]++ == 0 && c == 0)
            std::fprintf(stderr, "first failure on connection 0: status %d %s %s\n", r.status, r.error.c_str(),
                         r.body.substr(0, 200).c_str());
          client.Close();
          connected = false;
        }
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(warmup_s));
  double cpu0 = server_cpu ? server_cpu() : 0;
  measuring = true;
  auto start = Clock::now();
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  measuring = false;
  double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  double cpu = server_cpu ? server_cpu() - cpu0 : 0;
  stop = true;
  for (auto& t : threads) t.join();
  std::vector<double> all;
  Result r;
  for (size_t c = 0; c < lat.size(); ++c) {
    all.insert(all.end(), lat[c].begin(), lat[c].end());
    r.failed += failed[c];
  }
  std::sort(all.begin(), all.end());
  r.ok = all.size();
  r.rps = static_cast<double>(all.size()) / elapsed;
  if (server_cpu && r.ok > 0) r.cpu_us_per_request = cpu * 1e6 / static_cast<double>(r.ok);
  if (!all.empty()) {
    r.p50_ms = all[all.size() / 2];
    r.p99_ms = all[std::min(all.size() - 1, all.size() * 99 / 100)];
  }
  return r;
}

void Print(const char* name, const Result& r) {
  std::printf("%-28s %10.0f req/s   p50 %6.2f ms   p99 %6.2f ms   (%llu ok, %llu failed)", name, r.rps, r.p50_ms,
              r.p99_ms, static_cast<unsigned long long>(r.ok), static_cast<unsigned long long>(r.failed));
  if (r.cpu_us_per_request > 0) std::printf("   server CPU %.1f us/request", r.cpu_us_per_request);
  std::printf("\n");
}

}  // namespace

int main(int argc, char** argv) {
  int connections = 50;
  double seconds = 5, warmup = 1;
  std::string only;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i];
    if (k == "--connections") connections = std::atoi(argv[i + 1]);
    else if (k == "--seconds") seconds = std::atof(argv[i + 1]);
    else if (k == "--warmup") warmup = std::atof(argv[i + 1]);
    else if (k == "--only") only = argv[i + 1];
  }
  auto run = [&](const char* which) { return only.empty() || only == which; };
  std::string dir = MakeTempDir();
  CertPair cert = MakeCert("bench");
  WriteFile(dir + "/tls.crt", cert.cert_pem);
  WriteFile(dir + "/tls.key", cert.key_pem);
  std::vector<std::string> bodies = CorpusReviews();
  if (bodies.empty()) {
    std::fprintf(stderr, "no corpus at %s\n", RIPOSTE_TEST_DATA_DIR);
    return 1;
  }
  std::printf("webhook_bench: %d keep-alive TLS connections, %zu corpus reviews, %.0fs (+%.0fs warm-up) per server, %u cores\n",
              connections, bodies.size(), seconds, warmup, std::thread::hardware_concurrency());

  // Baseline: nginx, 2 workers (as many as riposte's I/O threads), same cert, fixed review.
  std::string fixed = R"({"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","response":{"uid":"bench-0","allowed":true}})";
  uint16_t nginx_port = FreePort();
  std::string conf = "worker_processes 2;\nerror_log " + dir + "/nginx-error.log;\npid " + dir +
                     "/nginx.pid;\nevents { worker_connections 1024; }\nhttp {\n access_log off;\n"
                     " client_body_temp_path " + dir + "/body;\n"
                     " server {\n  listen 127.0.0.1:" + std::to_string(nginx_port) + " ssl;\n"
                     "  ssl_certificate " + dir + "/tls.crt;\n  ssl_certificate_key " + dir + "/tls.key;\n"
                     "  ssl_protocols TLSv1.2 TLSv1.3;\n  keepalive_requests 1000000;\n  keepalive_timeout 60s;\n"
                     "  location / { default_type application/json; return 200 '" + fixed + "'; }\n }\n}\n";
  WriteFile(dir + "/nginx.conf", conf);
  Result nginx;
  if (run("nginx")) {
    ChildProcess p("/usr/sbin/nginx", {"-p", dir, "-c", dir + "/nginx.conf", "-e", dir + "/nginx-error.log", "-g", "daemon off;"},
                   dir + "/nginx.out");
    bool up = false;
    for (int i = 0; i < 200 && !up; ++i) {
      up = Fetch(nginx_port, "POST", "/validate/ingress", "{}").status == 200;
      if (!up) std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
    if (!up) {
      std::fprintf(stderr, "nginx did not start: %s\n", p.Output().c_str());
      return 1;
    }
    nginx = Drive(nginx_port, "/validate/ingress", bodies, connections, warmup, seconds,
                  [pid = p.pid()] { return ProcessTreeCpuSeconds(pid); });
  }
  // Baseline 2: the same server stack with a fixed reply, in this process.
  Result stack;
  if (run("stack")) {
    riposte::http::ServerOptions options;
    options.name = "bench-fixed";
    options.listen = "127.0.0.1:0";
    options.tls = riposte::http::TlsOptions{dir + "/tls.crt", dir + "/tls.key", "", std::chrono::milliseconds(1000)};
    options.threads = 2;
    auto server = riposte::http::NewServer(options);
    server->AddRoute({"/validate/ingress", {"POST"},
                      [&fixed](const riposte::http::Request&) {
                        riposte::http::Response r;
                        r.body = fixed;
                        return r;
                      },
                      {}});
    std::string error;
    if (!server->Start(&error)) {
      std::fprintf(stderr, "fixed-reply server did not start: %s\n", error.c_str());
      return 1;
    }
    stack = Drive(server->Port(), "/validate/ingress", bodies, connections, warmup, seconds);
    server->Stop(std::chrono::milliseconds(100));
  }
  Result riposte;
  uint16_t port = FreePort();
  if (run("riposte")) {
    ChildProcess p(RIPOSTE_BINARY,
                   {"webhook", "--tls-cert", dir + "/tls.crt", "--tls-key", dir + "/tls.key", "--listen",
                    "127.0.0.1:" + std::to_string(port), "--metrics-listen", "", "--log-level", "error", "--threads", "2"},
                   dir + "/riposte.out");
    bool up = false;
    for (int i = 0; i < 200 && !up; ++i) {
      up = Fetch(port, "GET", "/readyz").status == 200;
      if (!up) std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
    if (!up) {
      std::fprintf(stderr, "riposte webhook did not start: %s\n", p.Output().c_str());
      return 1;
    }
    riposte = Drive(port, "/validate/ingress", bodies, connections, warmup, seconds,
                    [pid = p.pid()] { return ProcessTreeCpuSeconds(pid); });
  }
  Print("nginx (fixed response)", nginx);
  Print("same stack (fixed response)", stack);
  Print("riposte webhook", riposte);
  std::printf("ratio riposte/nginx:       throughput %.2f, p99 %.2f ms (target < 5 ms)\n",
              nginx.rps > 0 ? riposte.rps / nginx.rps : 0.0, riposte.p99_ms);
  std::printf("ratio riposte/same stack:  throughput %.2f\n", stack.rps > 0 ? riposte.rps / stack.rps : 0.0);
  std::printf("ratio same stack/nginx:    throughput %.2f\n", nginx.rps > 0 ? stack.rps / nginx.rps : 0.0);
  if (nginx.cpu_us_per_request > 0 && riposte.cpu_us_per_request > 0)
    std::printf("server CPU per request:    riposte %.1f us, nginx %.1f us (%.2fx)\n", riposte.cpu_us_per_request,
                nginx.cpu_us_per_request, riposte.cpu_us_per_request / nginx.cpu_us_per_request);
  RemoveTree(dir);
  return 0;
}
