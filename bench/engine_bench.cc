// Engine throughput on the shared corpus: decisions per second and ns per decision for the
// typical mix (benign + attack, values under 64 KiB), the 300 KB oversized case on its own,
// and two baselines measured in the same run on the same annotation values: copying them
// (the floor any engine pays) and a naive std::regex blocklist scan (what a quick webhook
// would do). Also the real-world Ingresses of tests/data/realworld (judged, and decoded from
// the JSON the API server sends with the one decoder the webhook uses). Prints figures and
// ratios; asserts nothing.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <regex>
#include <set>
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

// Two variants measured alternately, the fastest round of each kept: on a shared machine the
// minimum is what the code costs, the rest is other load.
template <typename A, typename B>
std::pair<double, double> Interleaved(size_t ops, A&& a, B&& b, int rounds = 7) {
  double best_a = 1e300, best_b = 1e300;
  for (int i = 0; i < rounds; ++i) {
    best_a = std::min(best_a, NsPerOp(ops, a, 0.2));
    best_b = std::min(best_b, NsPerOp(ops, b, 0.2));
  }
  return {best_a, best_b};
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

  // Successor profiles.
  auto both_policy = std::make_shared<riposte::core::Policy>();
  both_policy->f5_nginx_ingress.enabled = true;      // shares class "nginx" with ingress-nginx
  both_policy->nginx_gateway_fabric.enabled = true;
  const riposte::core::Engine both(both_policy);
  // The corpus Ingresses as class "nginx" objects, so the F5 profile really serves them.
  std::vector<riposte::core::Ingress> classed;
  for (const auto* c : typical) {
    classed.push_back(c->ingress);
    if (classed.back().ingress_class.empty()) classed.back().ingress_class = "nginx";
  }
  auto classed_with = [&classed](const riposte::core::Engine& e) {
    return [&classed, &e] {
      for (const auto& ing : classed) g_sink = g_sink + e.Check(ing).size();
    };
  };
  const auto [classed_ns, classed_both_ns] = Interleaved(classed.size(), classed_with(engine), classed_with(both));
  std::vector<riposte::core::Ingress> f5_ingresses;
  std::vector<riposte::core::NginxResource> resources;
  std::vector<std::string> resource_json;
  std::set<std::string, std::less<>> resource_kinds;
  for (const auto& k : riposte::core::AllResourceKinds()) resource_kinds.emplace(k.kind);
  for (const char* file : {"f5-nginx-ingress/benign.yaml", "nginx-gateway-fabric/benign.yaml"}) {
    std::ifstream in(std::string(RIPOSTE_TEST_DATA_DIR) + "/profiles/" + file, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    for (const auto& o : riposte::core::ParseManifests(ss.str(), "default").objects) {
      if (o.kind == "Ingress") f5_ingresses.push_back(o.ingress);
      if (o.resource.kind != nullptr) resources.push_back(o.resource);
    }
    for (auto& raw : riposte::core::ReadKubectlManifests(ss.str(), resource_kinds).objects) resource_json.push_back(raw.json);
  }
  const double f5_ingress_ns = NsPerOp(f5_ingresses.size(), [&] {
    for (const auto& ing : f5_ingresses) g_sink = g_sink + both.Check(ing).size();
  });
  const double resource_ns = NsPerOp(resources.size(), [&] {
    for (const auto& r : resources) g_sink = g_sink + both.Check(r).size();
  });
  const double resource_decode_ns = NsPerOp(resource_json.size(), [&] {
    for (const auto& j : resource_json) {
      simdjson::dom::element e;
      if (json_parser.parse(j).get(e)) continue;
      riposte::core::NginxResource r;
      riposte::core::DecodeError err;
      g_sink = g_sink + riposte::core::DecodeNginxResource(e, &r, &err) + r.fields.size();
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
  std::printf("profiles:\n");
  std::printf("  corpus mix as class nginx: profiles off %6.0f ns, F5 profile also serving nginx %6.0f ns (%.2fx; best of 7 "
              "interleaved rounds)\n",
              classed_ns, classed_both_ns, classed_both_ns / classed_ns);
  std::printf("  F5 NGINX Ingress Controller Ingresses (%zu) %6.0f ns/decision\n", f5_ingresses.size(), f5_ingress_ns);
  std::printf("  k8s.nginx.org / gateway.nginx.org resources (%zu) %6.0f ns/decision; parse+decode %.0f ns/object\n",
              resources.size(), resource_ns, resource_decode_ns);
  return 0;
}
