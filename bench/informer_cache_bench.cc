// informer_cache_bench: bytes the controller's informer caches hold per object, for the three
// resources it caches (ResponseActions, ResponsePolicies, Namespaces), as the controller
// configures them (managedFields stripped, its transforms) and, as the baseline in the same
// run, the whole objects. Bytes per object = heap in use with the synced informer minus
// before it, divided by N.
//
//   informer_cache_bench [--objects N]      (default 10,000 of each)
//
// Objects are shaped as the API server serves them (managedFields of two managers, the
// status the controller writes, a kubectl last-applied annotation on policies) and served by
// the in-memory fake client, whose own copies are in place before the first reading. docs/controller.md ("Memory").

#include <malloc.h>
#include <unistd.h>

#include <cstdio>
#include <memory>
#include <string>

#include "kube/informer.h"
#include "kube/resource.h"
#include "tests/fakes/fake_kube_client.h"

namespace {

using web::json::value;

// Heap bytes in use, over every arena (the informer allocates on its own thread).
long Settled() {
  malloc_trim(0);
  struct mallinfo2 mi = mallinfo2();
  return static_cast<long>(mi.uordblks + mi.hblkhd);
}

const char* kManagedFields = R"([
  {"manager":"riposte","operation":"Update","apiVersion":"riposte.io/v1alpha1","time":"2026-11-28T10:00:00Z",
   "fieldsType":"FieldsV1","fieldsV1":{"f:metadata":{"f:finalizers":{".":{},"v:\"riposte.io/undo\"":{}},
   "f:labels":{".":{},"f:riposte.io/policy":{},"f:riposte.io/pod":{}}},"f:spec":{".":{},"f:actions":{},
   "f:alert":{".":{},"f:output":{},"f:priority":{},"f:rule":{},"f:source":{},"f:time":{},"f:uuid":{}},
   "f:policy":{},"f:target":{".":{},"f:namespace":{},"f:pod":{}}}}},
  {"manager":"riposte","operation":"Update","apiVersion":"riposte.io/v1alpha1","time":"2026-11-28T10:00:01Z",
   "fieldsType":"FieldsV1","subresource":"status","fieldsV1":{"f:status":{".":{},"f:completionTime":{},
   "f:conditions":{},"f:node":{},"f:observedGeneration":{},"f:phase":{},"f:results":{},"f:startTime":{}}}}])";

value Action(int i) {
  const std::string n = std::to_string(i);
  value v = value::parse(R"({"apiVersion":"riposte.io/v1alpha1","kind":"ResponseAction","metadata":{"name":"terminate-shell-)" + n +
      R"(","namespace":"shop","uid":"6f1c2d3e-4a5b-4c6d-8e9f-)" + std::to_string(100000000000 + i) +
      R"(","generation":1,"creationTimestamp":"2026-11-28T10:00:00Z","finalizers":["riposte.io/undo"],
      "labels":{"riposte.io/policy":"terminate-shell","riposte.io/pod":"web-7d9f8b6c5-x2x9q"}},
      "spec":{"policy":"terminate-shell","target":{"namespace":"shop","pod":"web-7d9f8b6c5-x2x9q"},
      "alert":{"uuid":"0b7e2a1c-4d5f-4e6a-8b9c-)" + std::to_string(200000000000 + i) + R"(","rule":"Terminal shell in container",
      "priority":"Warning","source":"syscall","time":"2026-11-28T10:00:00.123456789Z",
      "output":"10:00:00.123456789: Warning A shell was spawned in a container with an attached terminal (user=root container_id=4b1f0d2c3e4a shell=bash parent=runc cmdline=bash terminal=34816) k8s.ns=shop"},
      "actions":[{"type":"label","labels":{"riposte.io/quarantined":"true"}},{"type":"isolate"},{"type":"terminate"}]},
      "status":{"phase":"Succeeded","observedGeneration":1,"startTime":"2026-11-28T10:00:00Z","completionTime":"2026-11-28T10:00:01Z",
      "node":"node-17","conditions":[{"type":"Ready","status":"True","reason":"Succeeded","message":"every action succeeded",
      "lastTransitionTime":"2026-11-28T10:00:01Z","observedGeneration":1}],
      "results":[{"type":"label","state":"Succeeded","attempts":1,"message":"labelled riposte.io/quarantined=true","undo":{"labels":{"riposte.io/quarantined":null}}},
      {"type":"isolate","state":"Succeeded","attempts":1,"message":"NetworkPolicy riposte-isolate-web-7d9f8b6c5-x2x9q created"},
      {"type":"terminate","state":"Succeeded","attempts":1,"message":"pod deleted, uid 1d2e3f4a"}]}})");
  v["metadata"]["managedFields"] = value::parse(kManagedFields);
  return v;
}

value Namespace(int i) {
  const std::string n = "team-" + std::to_string(i);
  return value::parse(R"({"apiVersion":"v1","kind":"Namespace","metadata":{"name":")" + n +
      R"(","uid":"9a8b7c6d-5e4f-4a3b-2c1d-)" + std::to_string(300000000000 + i) +
      R"(","creationTimestamp":"2026-01-10T08:00:00Z","labels":{"kubernetes.io/metadata.name":")" + n +
      R"(","team":"payments","env":"production"},"annotations":{"scheduler.alpha.kubernetes.io/node-selector":"pool=apps"},
      "managedFields":[{"manager":"kubectl-create","operation":"Update","apiVersion":"v1","time":"2026-01-10T08:00:00Z",
      "fieldsType":"FieldsV1","fieldsV1":{"f:metadata":{"f:labels":{".":{},"f:kubernetes.io/metadata.name":{},"f:team":{},"f:env":{}},
      "f:annotations":{".":{},"f:scheduler.alpha.kubernetes.io/node-selector":{}}}}}]},
      "spec":{"finalizers":["kubernetes"]},"status":{"phase":"Active"}})");
}

value Policy(int i) {
  std::string spec = R"({"match":{"rules":["Terminal shell in container"],"priorities":["Warning","Error","Critical"],
      "namespaceSelector":{"matchLabels":{"env":"production"}}},"actions":[{"type":"label","labels":{"riposte.io/quarantined":"true"}},
      {"type":"isolate"},{"type":"terminate"}],"guards":{"cooldownSeconds":300,"maxActionsPerMinute":10},"dryRun":false})";
  value v = value::parse(R"({"apiVersion":"riposte.io/v1alpha1","kind":"ResponsePolicy","metadata":{"name":"policy-)" +
                         std::to_string(i) + R"(","uid":"1","generation":3,"annotations":{}},"spec":)" + spec +
                         R"(,"status":{"observedGeneration":3,"matched":1234,"responses":56}})");
  // `kubectl apply` keeps the whole applied object in an annotation.
  v["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"] =
      value::string(R"({"apiVersion":"riposte.io/v1alpha1","kind":"ResponsePolicy","metadata":{"name":"policy-)" +
                    std::to_string(i) + R"("},"spec":)" + spec + "}");
  v["metadata"]["managedFields"] = value::parse(kManagedFields);
  return v;
}

struct Row {
  double trimmed = 0, whole = 0, served = 0;
};

template <typename Make>
Row Measure(const riposte::kube::Resource& res, int n, Make make, std::function<void(value&)> transform) {
  Row row;
  for (int pass = 0; pass < 2; ++pass) {
    auto fake = std::make_shared<riposte::fakes::FakeKubeClient>();
    size_t served = 0;
    for (int i = 0; i < n; ++i) {
      value obj = make(i);
      served += obj.serialize().size();
      fake->Seed(res, std::move(obj));
    }
    row.served = static_cast<double>(served) / n;
    riposte::kube::InformerOptions opts;
    if (pass == 0) {
      opts.transform = transform;  // as the controller caches them
    } else {
      opts.strip_managed_fields = false;  // the baseline: whole objects
    }
    const long before = Settled();
    auto inf = std::make_unique<riposte::kube::Informer>(fake, res, opts);
    inf->Start();
    if (!inf->WaitForSync(std::chrono::minutes(2)) || inf->Size() != static_cast<size_t>(n)) {
      std::fprintf(stderr, "%s: informer did not sync\n", res.plural().c_str());
      std::exit(1);
    }
    const long after = Settled();
    (pass == 0 ? row.trimmed : row.whole) = static_cast<double>(after - before) / n;
    inf->Stop();
  }
  return row;
}

}  // namespace

int main(int argc, char** argv) {
  int n = 10000;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--objects" && i + 1 < argc) {
      n = std::stoi(argv[++i]);
    } else {
      std::fprintf(stderr, "usage: informer_cache_bench [--objects N]\n");
      return 2;
    }
  }
  namespace r = riposte::kube::resources;
  std::printf("%d objects of each; heap bytes per cached object\n", n);
  std::printf("%-18s %14s %16s %12s %10s\n", "resource", "as cached", "whole (baseline)", "ratio", "JSON size");
  auto print = [&](const char* name, const Row& row) {
    std::printf("%-18s %14.0f %16.0f %11.2fx %10.0f\n", name, row.trimmed, row.whole, row.trimmed / row.whole, row.served);
  };
  print("ResponseAction", Measure(r::kResponseActions, n, Action, riposte::kube::DropLastApplied));
  print("ResponsePolicy", Measure(r::kResponsePolicies, n, Policy, riposte::kube::DropLastApplied));
  print("Namespace", Measure(r::kNamespaces, n, Namespace, riposte::kube::KeepIdentityAndLabels));
  std::printf("(heap bytes include the cache's index and allocator overhead per allocation)\n");
  return 0;
}
