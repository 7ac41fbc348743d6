// Engine throughput on the shared corpus: decisions per second and ns per decision for the
// typical mix (benign + attack, values under 64 KiB), the 300 KB oversized case on its own,
// and two baselines measured in the same run on the same annotation values: copying them
// (the floor any engine pays) and a naive std::regex blocklist scan (what a quick webhook
// would do). Also the real-world Ingresses of tests/data/realworld (judged, and decoded from
// the JSON the API server sends with the one decoder the webhook uses). Prints figures and
// ratios; asserts nothing.
#include <chrono>
#include <cstdio>
#include <regex>
#include <string>
#include <vector>

#include <simdjson.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/engine.h"
#include "core/ingress_json.h"
#include "core/kubectl_reader.h"
#include "core/manifest_loader.h"
#include "tests/core/corpus_case.h"

namespace {

using Clock = std::chrono::steady_clock;
volatile size_t g_sink = 0;

template <typename F>
double NsPerOp(size_t ops_per_round, F&& round, double min_seconds = 1.0) {
  round();  // warm up
  size_t rounds = 0;
  const auto start = Clock::now();
  double elapsed = 0;
  do {
    round();
    ++rounds;
    elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  } while (elapsed < min_seconds);
  return elapsed * 1e9 / static_cast<double>(rounds * ops_per_round);
}

size_t Bytes(const riposte::core::Ingress& ing) {
  size_t n = ing.uid.size();
  for (const auto& [k, v] : ing.annotations) n += k.size() + v.size();
  for (const auto& r : ing.rules) {
    for (const auto& p : r.paths) n += p.path.size();
  }
  return n;
}

}  // namespace

int main() {
  using riposte::testing::CorpusCase;
  const auto cases = riposte::testing::LoadCorpus(std::string(RIPOSTE_TEST_DATA_DIR) + "/corpus/ingress_cases.jsonl");
  std::vector<const CorpusCase*> typical, huge, benign, attack;
  for (const auto& c : cases) {
    if (Bytes(c.ingress) > 64 * 1024) {
      huge.push_back(&c);
      continue;
    }
    typical.push_back(&c);
    (c.expect == "allow" && c.assumes.empty() ? benign : attack).push_back(&c);
  }
  const riposte::core::Engine engine(riposte::core::DefaultPolicy());
  auto judge = [&engine](const std::vector<const CorpusCase*>& set) {
    return [&engine, &set] {
      for (const auto* c : set) {
        riposte::testing::VectorConfigMapLookup lookup(&c->configmaps);
        g_sink = g_sink + engine.Check(c->ingress, &lookup).size();
      }
    };
  };
  const double typical_ns = NsPerOp(typical.size(), judge(typical));
  const double benign_ns = NsPerOp(benign.size(), judge(benign));
  const double attack_ns = NsPerOp(attack.size(), judge(attack));
  const double huge_ns = huge.empty() ? 0 : NsPerOp(huge.size(), judge(huge), 0.5);

  const double copy_ns = NsPerOp(typical.size(), [&typical] {
    for (const auto* c : typical) {
      for (const auto& [k, v] : c->ingress.annotations) {
        std::string copy = v;
        g_sink = g_sink + copy.size() + static_cast<size_t>(copy.empty() ? 0 : copy.back());
      }
    }
  });
  const std::regex blocklist(R"((\r|\n|;|\{|\}|#|"|ssl_engine|load_module|_by_lua|/proc/|serviceaccount))",
                             std::regex::optimize);
  const double regex_ns = NsPerOp(typical.size(), [&typical, &blocklist] {
    for (const auto* c : typical) {
      for (const auto& [k, v] : c->ingress.annotations) g_sink = g_sink + std::regex_search(v, blocklist);
      for (const auto& r : c->ingress.rules) {
        for (const auto& p : r.paths) g_sink = g_sink + std::regex_search(p.path, blocklist);
      }
    }
  });

  // Real-world Ingresses (charts and docs): the decision, and the decode from JSON.
  std::vector<riposte::core::Ingress> realworld;
  std::vector<std::string> realworld_json;
  for (const auto& e : std::filesystem::directory_iterator(std::string(RIPOSTE_TEST_DATA_DIR) + "/realworld")) {
    if (e.path().extension() != ".yaml") continue;
    std::ifstream in(e.path(), std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    for (const auto& o : riposte::core::ParseManifests(ss.str(), "default").objects) {
      if (o.kind == "Ingress") realworld.push_back(o.ingress);
    }
    for (auto& raw : riposte::core::ReadKubectlManifests(ss.str(), {"Ingress"}).objects) realworld_json.push_back(raw.json);
  }
  const double realworld_ns = NsPerOp(realworld.size(), [&] {
    for (const auto& ing : realworld) g_sink = g_sink + engine.Check(ing).size();
  });
  simdjson::dom::parser json_parser;
  std::vector<simdjson::dom::document> docs(realworld_json.size());
  std::vector<simdjson::dom::element> elements;
  for (size_t i = 0; i < realworld_json.size(); ++i) {
    simdjson::dom::parser p;
    simdjson::dom::element e;
    if (p.parse(realworld_json[i]).get(e)) continue;
    docs[i] = std::move(p.doc);
    elements.push_back(docs[i].root());
  }
  const double decode_ns = NsPerOp(elements.size(), [&] {
    for (const auto& e : elements) {
      riposte::core::Ingress ing;
      riposte::core::DecodeError err;
      g_sink = g_sink + riposte::core::DecodeIngress(e, &ing, &err) + ing.annotations.size();
    }
  });
  const double parse_decode_ns = NsPerOp(realworld_json.size(), [&] {
    for (const auto& j : realworld_json) {
      simdjson::dom::element e;
      if (json_parser.parse(j).get(e)) continue;
      riposte::core::Ingress ing;
      riposte::core::DecodeError err;
      g_sink = g_sink + riposte::core::DecodeIngress(e, &ing, &err);
    }
  });

  size_t typical_bytes = 0;
  for (const auto* c : typical) typical_bytes += Bytes(c->ingress);
  std::printf("engine_bench: %zu corpus objects (%zu typical: %zu benign, %zu attack/snippet; %zu oversized)\n",
              cases.size(), typical.size(), benign.size(), attack.size(), huge.size());
  std::printf("  typical mix        %9.0f ns/decision  %12.0f decisions/s  (avg %zu bytes judged)\n", typical_ns,
              1e9 / typical_ns, typical_bytes / (typical.empty() ? 1 : typical.size()));
  std::printf("  benign only        %9.0f ns/decision  %12.0f decisions/s\n", benign_ns, 1e9 / benign_ns);
  std::printf("  attack only        %9.0f ns/decision  %12.0f decisions/s\n", attack_ns, 1e9 / attack_ns);
  if (!huge.empty()) std::printf("  300 KB value       %9.0f ns/decision  (size cap: not scanned past the cap check)\n", huge_ns);
  std::printf("  baseline copy      %9.0f ns/object    engine/copy  = %.1fx\n", copy_ns, typical_ns / copy_ns);
  std::printf("  baseline std::regex blocklist %5.0f ns/object  engine/regex = %.2fx (regex finds far less)\n", regex_ns,
              typical_ns / regex_ns);
  std::printf("  real-world Ingresses (%zu) %6.0f ns/decision  %12.0f decisions/s\n", realworld.size(), realworld_ns,
              1e9 / realworld_ns);
  std::printf("  decode JSON -> Ingress %5.0f ns/object (simdjson element, as the webhook does); with parse %.0f ns\n",
              decode_ns, parse_decode_ns);
  std::printf("  target: typical decision < 2000 ns -> corpus mix %s, real-world %s\n",
              typical_ns < 2000 ? "met" : "NOT met", realworld_ns < 2000 ? "met" : "NOT met");
  return 0;
}
