// Worst-case inputs for `riposte scan`'s manifest reader: every input is at most 64 KiB and
// must be decided (read, refused or judged) in under 1 s with under 256 MiB RSS. Each case
// runs in its own child process so its peak RSS is its own; the baseline in the same run is a
// benign 64 KiB manifest of real-world Ingresses. Prints time, RSS and the ratio to the
// baseline per case; asserts nothing (the exit code is 0 even when a bound is missed).
//
//   yaml_bench [--repeat 3]
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include "core/engine.h"
#include "core/manifest_loader.h"

namespace {

using Clock = std::chrono::steady_clock;
constexpr size_t kMaxInput = 64 * 1024;

struct Case {
  std::string name;
  std::string text;
};

std::string Fit(std::string s) {
  if (s.size() > kMaxInput) s.resize(kMaxInput);
  return s;
}

const std::string kHead = "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: x\n";

std::vector<Case> Cases() {
  std::vector<Case> out;
  // Benign baseline: real-world Ingresses repeated to 64 KiB.
  {
    std::ifstream in(std::string(RIPOSTE_TEST_DATA_DIR) + "/realworld/ingress-nginx-docs.yaml");
    std::stringstream ss;
    ss << in.rdbuf();
    std::string one = ss.str(), text;
    while (text.size() + one.size() + 5 < kMaxInput) text += one + "\n---\n";
    out.push_back({"baseline: real-world manifests", text});
  }
  // Billion laughs: 9 levels of 9 aliases each (9^9 nodes if expanded).
  {
    std::string t = kHead + "  annotations:\n    a0: &a0 [\"lol\"]\n";
    for (int i = 1; i <= 9; ++i) {
      t += "    a" + std::to_string(i) + ": &a" + std::to_string(i) + " [";
      for (int k = 0; k < 9; ++k) t += (k ? ",*a" : "*a") + std::to_string(i - 1);
      t += "]\n";
    }
    out.push_back({"billion laughs (9^9 via aliases)", Fit(t)});
  }
  // Laughs through long strings: one 32 KiB scalar aliased thousands of times.
  {
    std::string t = kHead + "  annotations:\n    big: &big \"" + std::string(32 * 1024, 'x') + "\"\n  labels:\n";
    int i = 0;
    while (t.size() + 32 < kMaxInput) t += "    l" + std::to_string(i++) + ": *big\n";
    out.push_back({"32 KiB scalar aliased ~2000 times", Fit(t)});
  }
  // Merge-key bomb: each mapping merges the previous one twice over.
  {
    std::string t = "m0: &m0 {k0: v}\n";
    for (int i = 1; i < 400; ++i) {
      t += "m" + std::to_string(i) + ": &m" + std::to_string(i) + " {<<: [*m" + std::to_string(i - 1) + "], k" +
           std::to_string(i) + ": v}\n";
    }
    t += kHead + "  annotations:\n    <<: *m399\n";
    out.push_back({"merge-key chain (400 levels)", Fit(t)});
  }
  // Deep nesting, flow and block.
  out.push_back({"deep flow nesting [[[[...", Fit(kHead + "spec: " + std::string(kMaxInput / 2 - 100, '[') + "\n")});
  {
    std::string t = kHead + "spec:\n";
    for (int i = 0; t.size() < kMaxInput - 200; ++i) t += std::string(static_cast<size_t>(i % 2000), ' ') + "- \n";
    out.push_back({"deep block sequence nesting", Fit(t)});
  }
  // Many tiny documents and many keys.
  {
    std::string t;
    while (t.size() + 16 < kMaxInput) t += "---\nkind: Ingress\n";
    out.push_back({"~4000 tiny Ingress documents", t});
  }
  {
    std::string t = kHead + "  annotations:\n";
    for (int i = 0; t.size() + 40 < kMaxInput; ++i) t += "    nginx.ingress.kubernetes.io/k" + std::to_string(i) + ": \"v\"\n";
    out.push_back({"~1700 annotations on one Ingress", t});
  }
  {
    std::string t = kHead + "  annotations:\n";
    for (int i = 0; t.size() + 60 < kMaxInput; ++i) t += "    nginx.ingress.kubernetes.io/auth-url: \"http://x/" + std::to_string(i) + "\"\n";
    out.push_back({"~1400 duplicate keys", t});
  }
  // Many anchors referenced from List items of kind Ingress.
  {
    std::string t = "apiVersion: v1\nkind: List\nitems:\n- &i {apiVersion: networking.k8s.io/v1, kind: Ingress, "
                    "metadata: {name: a, annotations: {nginx.ingress.kubernetes.io/server-alias: \"" +
                    std::string(2000, 'a') + ".example.com\"}}}\n";
    while (t.size() + 6 < kMaxInput) t += "- *i\n";
    out.push_back({"List of ~12000 aliased Ingresses", t});
  }
  // Long plain multi-line scalar and a long single line.
  {
    std::string t = kHead + "  annotations:\n    x: \"";
    while (t.size() + 20 < kMaxInput) t += "word \\u2028 \\x41 ";
    t += "\"\n";
    out.push_back({"64 KiB double-quoted scalar with escapes", t});
  }
  // JSON: deep nesting and many values.
  out.push_back({"JSON deep nesting", Fit("{\"kind\":\"Ingress\",\"spec\":" + std::string(kMaxInput / 2 - 40, '[') + "\n")});
  {
    std::string t;
    while (t.size() + 80 < kMaxInput) t += "{\"apiVersion\":\"networking.k8s.io/v1\",\"kind\":\"Ingress\",\"metadata\":{\"name\":\"a\"}}\n";
    out.push_back({"JSON stream of ~800 Ingresses", t});
  }
  // Garbage: invalid UTF-8 / control characters / unbalanced quotes.
  {
    std::string t = kHead;
    for (size_t i = 0; t.size() < kMaxInput; ++i) t += static_cast<char>((i * 131) % 256);
    out.push_back({"binary noise after a header", Fit(t)});
  }
  {
    std::string t = kHead + "  annotations: {";
    while (t.size() + 8 < kMaxInput) t += "a: {b: [";
    out.push_back({"unterminated flow collections", Fit(t)});
  }
  return out;
}

struct Result {
  double seconds = 0;
  long rss_kib = 0;
  size_t objects = 0;
  size_t errors = 0;
};

// Runs one case in a child: returns wall time of ParseManifests + judging and the child's peak RSS.
Result RunChild(const std::string& text) {
  int fds[2];
  if (::pipe(fds) != 0) std::abort();
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::close(fds[0]);
    const auto start = Clock::now();
    const auto set = riposte::core::ParseManifests(text, "default");
    const riposte::core::Engine engine(riposte::core::DefaultPolicy());
    size_t findings = 0;
    for (const auto& o : set.objects) {
      if (o.kind == "Ingress") findings += engine.Check(o.ingress).size();
    }
    Result r;
    r.seconds = std::chrono::duration<double>(Clock::now() - start).count();
    rusage ru{};
    ::getrusage(RUSAGE_SELF, &ru);
    r.rss_kib = ru.ru_maxrss;
    r.objects = set.objects.size() + (findings > 0 ? 0 : 0);
    r.errors = set.errors.size();
    if (::write(fds[1], &r, sizeof r) != static_cast<ssize_t>(sizeof r)) ::_exit(1);
    ::_exit(0);
  }
  ::close(fds[1]);
  Result r;
  const ssize_t n = ::read(fds[0], &r, sizeof r);
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (n != static_cast<ssize_t>(sizeof r)) r.seconds = -1;  // the child died
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  int repeat = 3;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::string(argv[i]) == "--repeat") repeat = std::atoi(argv[i + 1]);
  }
  // The parent's own footprint, for reading the per-child RSS.
  const Result idle = RunChild("");
  std::printf("yaml_bench: worst cases for scan's manifest reader (each input <= 64 KiB; bound: < 1 s, < 256 MiB)\n");
  std::printf("  idle child RSS %ld KiB\n", idle.rss_kib);
  std::printf("  %-42s %7s %10s %9s %8s %7s %s\n", "case", "bytes", "seconds", "RSS MiB", "x base", "objects", "errors");
  double base = 0;
  bool all_met = true;
  for (const auto& c : Cases()) {
    Result best;
    best.seconds = 1e9;
    for (int k = 0; k < repeat; ++k) {
      const Result r = RunChild(c.text);
      if (r.seconds < 0) {
        best = r;
        break;
      }
      if (r.seconds < best.seconds) best = r;
    }
    if (base == 0) base = best.seconds;
    const double rss_mib = static_cast<double>(best.rss_kib) / 1024.0;
    const bool met = best.seconds >= 0 && best.seconds < 1.0 && rss_mib < 256.0;
    all_met = all_met && met;
    std::printf("  %-42s %7zu %10.4f %9.1f %8.1f %7zu %zu%s\n", c.name.c_str(), c.text.size(), best.seconds, rss_mib,
                base > 0 ? best.seconds / base : 0.0, best.objects, best.errors, met ? "" : "   <-- bound NOT met");
  }
  std::printf("  bounds (< 1 s, < 256 MiB) %s for every case\n", all_met ? "met" : "NOT met");
  return 0;
}
