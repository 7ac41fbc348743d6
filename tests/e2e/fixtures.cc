#include "tests/e2e/fixtures.h"

#include <fstream>
#include <stdexcept>

#include "tests/e2e/process.h"
#include "tests/e2e/suite.h"

namespace riposte::e2e {

using web::json::value;

namespace {

EnvtestCluster& C() { return Suite::Get().cluster(); }

value LabelsJson(const Labels& labels) {
  auto o = value::object();
  for (const auto& [k, v] : labels) o[k] = value::string(v);
  return o;
}

}  // namespace

void CreateNamespace(const std::string& name, const Labels& labels) {
  auto ns = value::object();
  ns["apiVersion"] = value::string("v1");
  ns["kind"] = value::string("Namespace");
  ns["metadata"] = value::object();
  ns["metadata"]["name"] = value::string(name);
  if (!labels.empty()) ns["metadata"]["labels"] = LabelsJson(labels);
  C().MustApi("POST", "/api/v1/namespaces", ns.serialize());
}

void CreateNode(const std::string& name) {
  // A registered node as a kubelet would leave it: Ready, with an internal address.
  C().MustApi("POST", "/api/v1/nodes",
              R"({"apiVersion":"v1","kind":"Node","metadata":{"name":")" + name +
                  R"(","labels":{"kubernetes.io/hostname":")" + name + R"("}},"spec":{}})");
  C().MustApi("PATCH", "/api/v1/nodes/" + name + "/status",
              R"({"status":{"conditions":[{"type":"Ready","status":"True","reason":"KubeletReady","message":"e2e"}],
                 "addresses":[{"type":"InternalIP","address":"127.0.0.1"}]}})",
              "application/merge-patch+json");
}

Workload CreateReplicaSet(const std::string& ns, const std::string& name, int replicas, const std::string& node,
                          const std::vector<std::string>& pod_names) {
  Workload w;
  w.ns = ns;
  w.name = name;
  w.selector = {{"app", name}, {"pod-template-hash", "e2e"}};
  auto rs = value::parse(R"({"apiVersion":"apps/v1","kind":"ReplicaSet","metadata":{},"spec":{"selector":{},
      "template":{"metadata":{},"spec":{"containers":[{"name":"app","image":"nginx:1.27"}]}}}})");
  rs["metadata"]["name"] = value::string(name);
  rs["spec"]["replicas"] = replicas;
  rs["spec"]["selector"]["matchLabels"] = LabelsJson(w.selector);
  rs["spec"]["template"]["metadata"]["labels"] = LabelsJson(w.selector);
  auto created = C().MustApi("POST", "/apis/apps/v1/namespaces/" + ns + "/replicasets", rs.serialize());
  w.uid = created.at("metadata").at("uid").as_string();
  for (int i = 0; i < replicas; ++i) {
    std::string pod_name = i < static_cast<int>(pod_names.size()) ? pod_names[static_cast<size_t>(i)]
                                                                  : name + "-" + std::to_string(10000 + i).substr(1);
    auto pod = value::parse(R"({"apiVersion":"v1","kind":"Pod","metadata":{"ownerReferences":[{"apiVersion":"apps/v1",
        "kind":"ReplicaSet","controller":true,"blockOwnerDeletion":true}]},
        "spec":{"containers":[{"name":"app","image":"nginx:1.27"}]}})");
    pod["metadata"]["name"] = value::string(pod_name);
    pod["metadata"]["labels"] = LabelsJson(w.selector);
    pod["metadata"]["ownerReferences"][0]["name"] = value::string(name);
    pod["metadata"]["ownerReferences"][0]["uid"] = value::string(w.uid);
    pod["spec"]["nodeName"] = value::string(node);  // bound at creation: there is no scheduler
    C().MustApi("POST", "/api/v1/namespaces/" + ns + "/pods", pod.serialize());
    // What the kubelet would report once the container runs.
    C().MustApi("PATCH", "/api/v1/namespaces/" + ns + "/pods/" + pod_name + "/status",
                R"({"status":{"phase":"Running","podIP":"10.244.0.)" + std::to_string(10 + i) +
                    R"(","conditions":[{"type":"Ready","status":"True"},{"type":"ContainersReady","status":"True"}]}})",
                "application/merge-patch+json");
    w.pods.push_back(pod_name);
  }
  // What the ReplicaSet controller would report.
  C().MustApi("PATCH", "/apis/apps/v1/namespaces/" + ns + "/replicasets/" + name + "/status",
              R"({"status":{"replicas":)" + std::to_string(replicas) + R"(,"fullyLabeledReplicas":)" +
                  std::to_string(replicas) + R"(,"readyReplicas":)" + std::to_string(replicas) +
                  R"(,"availableReplicas":)" + std::to_string(replicas) + R"(,"observedGeneration":1}})",
              "application/merge-patch+json");
  return w;
}

void CreatePdb(const std::string& ns, const std::string& name, const Labels& selector, int min_available,
               int healthy, int allowed) {
  auto pdb = value::parse(R"({"apiVersion":"policy/v1","kind":"PodDisruptionBudget","metadata":{},"spec":{"selector":{}}})");
  pdb["metadata"]["name"] = value::string(name);
  pdb["spec"]["minAvailable"] = min_available;
  pdb["spec"]["selector"]["matchLabels"] = LabelsJson(selector);
  C().MustApi("POST", "/apis/policy/v1/namespaces/" + ns + "/poddisruptionbudgets", pdb.serialize());
  SetPdbStatus(ns, name, healthy, allowed);
}

void SetPdbStatus(const std::string& ns, const std::string& name, int healthy, int allowed) {
  // The disruption controller's part: the eviction API only trusts a status whose
  // observedGeneration matches.
  auto path = "/apis/policy/v1/namespaces/" + ns + "/poddisruptionbudgets/" + name;
  auto pdb = C().MustApi("GET", path);
  int64_t gen = pdb.at("metadata").at("generation").as_number().to_int64();
  int64_t min = pdb.at("spec").has_field("minAvailable") ? pdb.at("spec").at("minAvailable").as_integer() : 0;
  C().MustApi("PATCH", path + "/status",
              R"({"status":{"observedGeneration":)" + std::to_string(gen) + R"(,"disruptionsAllowed":)" +
                  std::to_string(allowed) + R"(,"currentHealthy":)" + std::to_string(healthy) +
                  R"(,"desiredHealthy":)" + std::to_string(min) + R"(,"expectedPods":)" + std::to_string(healthy) +
                  R"(}})",
              "application/merge-patch+json");
}

std::vector<std::string> Seed(const value& list, const std::map<std::string, std::string>& rename) {
  static const std::map<std::string, std::string> kPaths = {
      {"Namespace", "/api/v1/namespaces"},
      {"Node", "/api/v1/nodes"},
      {"Pod", "/api/v1/namespaces/NS/pods"},
      {"Service", "/api/v1/namespaces/NS/services"},
      {"Endpoints", "/api/v1/namespaces/NS/endpoints"},
      {"ConfigMap", "/api/v1/namespaces/NS/configmaps"},
      {"Deployment", "/apis/apps/v1/namespaces/NS/deployments"},
      {"DaemonSet", "/apis/apps/v1/namespaces/NS/daemonsets"},
      {"Ingress", "/apis/networking.k8s.io/v1/namespaces/NS/ingresses"},
      {"NetworkPolicy", "/apis/networking.k8s.io/v1/namespaces/NS/networkpolicies"},
      {"ValidatingWebhookConfiguration", "/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations"},
  };
  auto renamed = [&](const std::string& ns) {
    auto it = rename.find(ns);
    return it == rename.end() ? ns : it->second;
  };
  std::vector<std::string> created;
  for (value item : list.at("items").as_array()) {
    std::string kind = Str(item, {"kind"});
    auto path_it = kPaths.find(kind);
    if (path_it == kPaths.end()) throw std::runtime_error("Seed: no path for kind " + kind);
    auto& md = item["metadata"];
    for (const char* k : {"uid", "resourceVersion", "creationTimestamp", "generation"})
      if (md.has_field(k)) md.erase(k);
    if (kind == "Namespace") md["name"] = value::string(renamed(Str(item, {"metadata", "name"})));
    std::string ns = renamed(Str(item, {"metadata", "namespace"}));
    if (!ns.empty()) md["namespace"] = value::string(ns);
    std::string path = path_it->second;
    if (auto at = path.find("NS"); at != std::string::npos) path.replace(at, 2, ns);
    value status;
    if (item.has_field("status")) {
      status = item.at("status");
      item.erase("status");
    }
    std::string obj_path = path + "/" + Str(item, {"metadata", "name"});
    // Namespaces are shared between suites (another one may have made it first).
    if (kind == "Namespace" && C().Api("GET", obj_path).status == 200) continue;
    C().MustApi("POST", path, item.serialize());
    if (!status.is_null() && kind != "Namespace") {
      auto patch = value::object();
      patch["status"] = status;
      C().MustApi("PATCH", obj_path + "/status", patch.serialize(), "application/merge-patch+json");
    }
    created.push_back(obj_path);
  }
  return created;
}

value Get(const std::string& path, int* status) {
  auto r = C().Api("GET", path);
  if (status != nullptr) *status = r.status;
  try {
    return r.Json();
  } catch (const std::exception&) {
    return value::null();
  }
}

int StatusOf(const std::string& path) { return C().Api("GET", path).status; }
value Post(const std::string& path, const std::string& json) { return C().MustApi("POST", path, json); }
value MergePatch(const std::string& path, const std::string& json) {
  return C().MustApi("PATCH", path, json, "application/merge-patch+json");
}

std::string RaPath(const std::string& ns, const std::string& name) {
  return "/apis/riposte.io/v1alpha1/namespaces/" + ns + "/responseactions" + (name.empty() ? "" : "/" + name);
}
std::string PolicyPath(const std::string& name) {
  return "/apis/riposte.io/v1alpha1/responsepolicies" + (name.empty() ? "" : "/" + name);
}

value CreateResponseAction(const std::string& ns, const std::string& name, const std::string& spec_json) {
  auto ra = value::object();
  ra["apiVersion"] = value::string("riposte.io/v1alpha1");
  ra["kind"] = value::string("ResponseAction");
  ra["metadata"] = value::object();
  ra["metadata"]["name"] = value::string(name);
  ra["spec"] = value::parse(spec_json);
  return C().MustApi("POST", RaPath(ns), ra.serialize());
}

value CreateResponsePolicy(const std::string& name, const std::string& spec_json) {
  auto p = value::object();
  p["apiVersion"] = value::string("riposte.io/v1alpha1");
  p["kind"] = value::string("ResponsePolicy");
  p["metadata"] = value::object();
  p["metadata"]["name"] = value::string(name);
  p["spec"] = value::parse(spec_json);
  return C().MustApi("POST", PolicyPath(), p.serialize());
}

std::string Phase(const std::string& ns, const std::string& name) {
  int status = 0;
  auto ra = Get(RaPath(ns, name), &status);
  return status == 200 ? Str(ra, {"status", "phase"}) : "";
}

bool WaitPhase(const std::string& ns, const std::string& name, const std::string& phase,
               std::chrono::milliseconds timeout) {
  return Eventually([&] { return Phase(ns, name) == phase; }, timeout);
}

bool WaitPolicyCompiled(const std::string& name, std::chrono::milliseconds timeout) {
  return Eventually([&] {
    int status = 0;
    auto p = Get(PolicyPath(name), &status);
    const auto* conds = Find(p, {"status", "conditions"});
    if (status != 200 || conds == nullptr || !conds->is_array()) return false;
    for (const auto& c : conds->as_array())
      if (Str(c, {"type"}) == "Ready") return true;
    return false;
  }, timeout);
}

std::string Results(const value& ra) {
  std::string out = "phase " + Str(ra, {"status", "phase"});
  const auto* results = Find(ra, {"status", "results"});
  if (results == nullptr || !results->is_array()) return out + " (no results)";
  for (const auto& r : results->as_array())
    out += "\n  " + Str(r, {"type"}) + ": " + Str(r, {"state"}) + ": " + Str(r, {"message"});
  return out;
}

std::string FalcoEvent(size_t i) {
  std::ifstream in(std::string(RIPOSTE_TEST_DATA_DIR) + "/corpus/falco_events.jsonl");
  std::string line;
  for (size_t k = 0; k <= i; ++k)
    if (!std::getline(in, line)) throw std::runtime_error("falco_events.jsonl has no line " + std::to_string(i));
  return line;
}

}  // namespace riposte::e2e
