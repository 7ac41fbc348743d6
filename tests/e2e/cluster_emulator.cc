#include "tests/e2e/cluster_emulator.h"

#include <sys/wait.h>

#include <filesystem>
#include <functional>
#include <random>
#include <set>
#include <sstream>

#include "kube/api_time.h"
#include "kube/config.h"
#include "common/json_value.h"
#include "kube/resource.h"
#include "verify/probe.h"

namespace riposte::e2e {

using web::json::value;
namespace res = kube::resources;

namespace {

const kube::Resource kEndpointSlices{{"discovery.k8s.io", "v1", "endpointslices"}, "EndpointSlice", true};
constexpr const char* kManagedBy = "riposte-envtest";

std::string Key(const std::string& ns, const std::string& name) { return ns + "/" + name; }

std::string Name(const value& o) { return json::GetString(o, {"metadata", "name"}).value_or(""); }
std::string Uid(const value& o) { return json::GetString(o, {"metadata", "uid"}).value_or(""); }
bool Deleting(const value& o) { return json::Find(o, {"metadata", "deletionTimestamp"}) != nullptr; }

// The uid of the object's controller (ownerReferences[controller=true]).
std::string ControllerUid(const value& o) {
  const auto* refs = json::Find(o, {"metadata", "ownerReferences"});
  if (refs == nullptr || !refs->is_array()) return "";
  for (const auto& r : refs->as_array())
    if (json::GetBool(r, {"controller"}).value_or(false)) return json::GetString(r, {"uid"}).value_or("");
  return "";
}

value OwnerRef(const std::string& api_version, const std::string& kind, const value& owner) {
  value r = value::object();
  r["apiVersion"] = value::string(api_version);
  r["kind"] = value::string(kind);
  r["name"] = value::string(Name(owner));
  r["uid"] = value::string(Uid(owner));
  r["controller"] = value::boolean(true);
  r["blockOwnerDeletion"] = value::boolean(true);
  value list = value::array();
  list[0] = r;
  return list;
}

std::string Hash(const std::string& text) {
  static const char* kAlphabet = "bcdfghjklmnpqrstvwxz2456789";  // the Kubernetes safe-encode alphabet
  size_t h = std::hash<std::string>{}(text);
  std::string out;
  for (int i = 0; i < 10; ++i, h /= 27) out.push_back(kAlphabet[h % 27]);
  return out;
}

std::string RandomSuffix() {
  static thread_local std::mt19937 rng{std::random_device{}()};
  static const char* kAlphabet = "bcdfghjklmnpqrstvwxz2456789";
  std::string out;
  for (int i = 0; i < 5; ++i) out.push_back(kAlphabet[rng() % 27]);
  return out;
}

std::map<std::string, std::string> Labels(const value& o, std::initializer_list<std::string_view> path) {
  return json::GetStringMap(o, path);
}

bool Selects(const std::map<std::string, std::string>& selector, const std::map<std::string, std::string>& labels) {
  if (selector.empty()) return false;
  for (const auto& [k, v] : selector) {
    auto it = labels.find(k);
    if (it == labels.end() || it->second != v) return false;
  }
  return true;
}

bool PodReady(const value& pod) {
  const auto* conds = json::Find(pod, {"status", "conditions"});
  if (conds == nullptr || !conds->is_array()) return false;
  for (const auto& c : conds->as_array())
    if (json::GetString(c, {"type"}).value_or("") == "Ready") return json::GetString(c, {"status"}).value_or("") == "True";
  return false;
}

// Riposte's image: a repository whose last path component is "riposte".
bool RiposteImage(const std::string& image) {
  std::string repo = image.substr(0, image.find('@'));
  size_t slash = repo.rfind('/');
  size_t colon = repo.find(':', slash == std::string::npos ? 0 : slash);
  repo = repo.substr(0, colon);
  std::string last = slash == std::string::npos ? repo : repo.substr(slash + 1);
  return last == "riposte";
}

}  // namespace

ClusterEmulator::ClusterEmulator(EnvtestCluster& cluster, EmulatorOptions options)
    : cluster_(cluster), options_(std::move(options)) {
  kube::KubeconfigOptions ko;
  ko.path = cluster_.admin_kubeconfig();
  auto cfg = kube::LoadKubeconfig(ko);
  if (!cfg.ok()) throw std::runtime_error("emulator: " + cfg.error().message);
  kube::ClientConfig c = cfg.value();
  c.qps = 0;
  c.retry.max_attempts = 2;
  c.user_agent = "riposte-envtest-emulator";
  auto client = kube::NewKubeClient(c);
  if (!client.ok()) throw std::runtime_error("emulator: " + client.error().message);
  client_ = client.value();
  std::filesystem::create_directories(options_.dir);
  // The Node the pods run on, as its kubelet registers it.
  auto node = client_->Get(res::kNodes, "", options_.node);
  if (!node.ok()) {
    value n = value::parse(R"({"apiVersion":"v1","kind":"Node","metadata":{},"spec":{}})");
    n["metadata"]["name"] = value::string(options_.node);
    n["metadata"]["labels"]["kubernetes.io/hostname"] = value::string(options_.node);
    client_->Create(res::kNodes, "", n);
    client_->Patch(res::kNodes, "", options_.node,
                   value::parse(R"({"status":{"conditions":[{"type":"Ready","status":"True","reason":"KubeletReady",
                     "message":"emulated"}],"addresses":[{"type":"InternalIP","address":"127.0.0.1"}]}})"),
                   {}, "status");
  }
  thread_ = std::thread([this] { Loop(); });
}

ClusterEmulator::~ClusterEmulator() {
  {
    std::lock_guard<std::mutex> l(mu_);
    stop_ = true;
  }
  thread_.join();
}

void ClusterEmulator::Error(const std::string& what) {
  std::lock_guard<std::mutex> l(mu_);
  if (errors_.size() < 200) errors_.push_back(what);
}

std::vector<std::string> ClusterEmulator::Errors() const {
  std::lock_guard<std::mutex> l(mu_);
  return errors_;
}

std::string ClusterEmulator::NewPodIp() { return "10.244.0." + std::to_string(next_ip_++); }

void ClusterEmulator::Loop() {
  for (;;) {
    {
      std::lock_guard<std::mutex> l(mu_);
      if (stop_) break;
    }
    try {
      Tick();
    } catch (const std::exception& e) {
      Error(std::string("tick: ") + e.what());
    }
    Eventually([&] {
      std::lock_guard<std::mutex> l(mu_);
      return stop_;
    }, options_.period);
  }
  // The processes die with this thread (PR_SET_PDEATHSIG): stop them gracefully first.
  std::vector<std::string> keys;
  {
    std::lock_guard<std::mutex> l(mu_);
    for (const auto& [k, p] : pods_) keys.push_back(k);
  }
  for (const auto& k : keys) StopPod(k);
}

void ClusterEmulator::Tick() {
  Namespaces();
  for (const auto& ns : options_.namespaces) {
    if (options_.controllers) {
      Deployments(ns);
      ReplicaSets(ns);
    }
    Kubelet(ns);
    if (options_.controllers) Endpoints(ns);
  }
}

// The namespace controller: empty a terminating namespace, then finalize it.
void ClusterEmulator::Namespaces() {
  auto list = client_->List(res::kNamespaces, "");
  if (!list.ok()) return;
  for (const auto& ns : list.value().items) {
    if (!Deleting(ns)) continue;
    const std::string name = Name(ns);
    // A pass lists every resource type: once a second is plenty.
    auto now = std::chrono::steady_clock::now();
    if (now - last_namespace_pass_[name] < std::chrono::seconds(1)) continue;
    last_namespace_pass_[name] = now;
    // Every namespaced resource that can be listed and deleted, from discovery.
    std::vector<std::string> bases;
    auto groups = cluster_.Api("GET", "/apis");
    bases.push_back("/api/v1");
    if (groups.status == 200) {
      const value groups_json = groups.Json();
      for (const auto& g : groups_json.at("groups").as_array())
        bases.push_back("/apis/" + json::GetString(g, {"preferredVersion", "groupVersion"}).value_or(""));
    }
    bool empty = true;
    for (const auto& base : bases) {
      auto d = cluster_.Api("GET", base);
      if (d.status != 200) continue;
      const value d_json = d.Json();
      for (const auto& r : d_json.at("resources").as_array()) {
        std::string plural = json::GetString(r, {"name"}).value_or("");
        if (plural.find('/') != std::string::npos || !json::GetBool(r, {"namespaced"}).value_or(false)) continue;
        std::set<std::string> verbs;
        if (const auto* v = json::Find(r, {"verbs"}); v != nullptr && v->is_array())
          for (const auto& x : v->as_array()) verbs.insert(x.as_string());
        if (!verbs.count("list") || !verbs.count("deletecollection")) continue;
        const std::string path = base + "/namespaces/" + name + "/" + plural;
        auto items = cluster_.Api("GET", path);
        if (items.status != 200) continue;
        const value items_json = items.Json();
        const auto& arr = items_json.at("items").as_array();
        if (arr.size() == 0) continue;
        empty = false;
        cluster_.Api("DELETE", path);
        if (plural == "pods") {
          // Pods of nodes without a kubelet here stay Terminating: remove them as their kubelet would.
          bool played = std::find(options_.namespaces.begin(), options_.namespaces.end(), name) != options_.namespaces.end();
          if (!played)
            for (const auto& p : arr) cluster_.Api("DELETE", path + "/" + Name(p), R"({"gracePeriodSeconds":0})");
        }
      }
    }
    if (!empty) continue;
    value fin = ns;
    fin["spec"]["finalizers"] = value::array();
    cluster_.Api("PUT", "/api/v1/namespaces/" + name + "/finalize", fin.serialize());
  }
}

// The deployment controller: one ReplicaSet per template, scaled to the Deployment, and status.
void ClusterEmulator::Deployments(const std::string& ns) {
  auto deps = client_->List(res::kDeployments, ns);
  auto rss = client_->List(res::kReplicaSets, ns);
  if (!deps.ok() || !rss.ok()) return;
  std::set<std::string> dep_uids;
  for (const auto& dep : deps.value().items) {
    dep_uids.insert(Uid(dep));
    if (Deleting(dep)) continue;
    value tmpl = dep.at("spec").at("template");
    const std::string hash = Hash(tmpl.serialize());
    const std::string rs_name = Name(dep) + "-" + hash;
    int64_t replicas = json::GetInt(dep, {"spec", "replicas"}).value_or(1);
    const value* current = nullptr;
    for (const auto& rs : rss.value().items) {
      if (ControllerUid(rs) != Uid(dep)) continue;
      if (Name(rs) == rs_name) {
        current = &rs;
      } else if (!Deleting(rs)) {
        client_->Delete(res::kReplicaSets, ns, Name(rs));  // an old template
      }
    }
    if (current == nullptr) {
      value rs = value::object();
      rs["apiVersion"] = value::string("apps/v1");
      rs["kind"] = value::string("ReplicaSet");
      rs["metadata"]["name"] = value::string(rs_name);
      tmpl["metadata"]["labels"]["pod-template-hash"] = value::string(hash);
      rs["metadata"]["labels"] = tmpl["metadata"]["labels"];
      rs["metadata"]["ownerReferences"] = OwnerRef("apps/v1", "Deployment", dep);
      rs["spec"]["replicas"] = value::number(replicas);
      rs["spec"]["selector"] = dep.at("spec").at("selector");
      rs["spec"]["selector"]["matchLabels"]["pod-template-hash"] = value::string(hash);
      rs["spec"]["template"] = tmpl;
      auto r = client_->Create(res::kReplicaSets, ns, rs);
      if (!r.ok()) Error("create replicaset " + rs_name + ": " + r.error().ToString());
      continue;
    }
    if (json::GetInt(*current, {"spec", "replicas"}).value_or(1) != replicas) {
      value p = value::object();
      p["spec"]["replicas"] = value::number(replicas);
      client_->Patch(res::kReplicaSets, ns, rs_name, p);
    }
    int64_t ready = json::GetInt(*current, {"status", "readyReplicas"}).value_or(0);
    int64_t have = json::GetInt(*current, {"status", "replicas"}).value_or(0);
    value st = value::object();
    st["observedGeneration"] = value::number(json::GetInt(dep, {"metadata", "generation"}).value_or(1));
    st["replicas"] = value::number(have);
    st["updatedReplicas"] = value::number(have);
    st["readyReplicas"] = value::number(ready);
    st["availableReplicas"] = value::number(ready);
    st["unavailableReplicas"] = value::number(std::max<int64_t>(0, replicas - ready));
    bool available = ready >= replicas;
    value want = st;
    const value* old = json::Find(dep, {"status"});
    bool same = old != nullptr;
    for (const char* f : {"observedGeneration", "replicas", "updatedReplicas", "readyReplicas", "availableReplicas",
                          "unavailableReplicas"})
      same = same && json::GetInt(*old, {f}).value_or(-1) == json::GetInt(want, {f}).value_or(-2);
    if (same) continue;
    st["conditions"][0] = value::parse(R"({"type":"Available","reason":"MinimumReplicasAvailable"})");
    st["conditions"][0]["status"] = value::string(available ? "True" : "False");
    st["conditions"][0]["lastUpdateTime"] = value::string(kube::FormatTime(std::chrono::system_clock::now()));
    st["conditions"][0]["lastTransitionTime"] = value::string(kube::FormatTime(std::chrono::system_clock::now()));
    st["conditions"][1] = value::parse(R"({"type":"Progressing","status":"True","reason":"NewReplicaSetAvailable"})");
    st["conditions"][1]["lastUpdateTime"] = value::string(kube::FormatTime(std::chrono::system_clock::now()));
    st["conditions"][1]["lastTransitionTime"] = value::string(kube::FormatTime(std::chrono::system_clock::now()));
    value patch = value::object();
    patch["status"] = st;
    client_->Patch(res::kDeployments, ns, Name(dep), patch, {}, "status");
  }
  // The garbage collector: ReplicaSets whose Deployment is gone.
  for (const auto& rs : rss.value().items) {
    std::string owner = ControllerUid(rs);
    if (!owner.empty() && !dep_uids.count(owner) && !Deleting(rs)) client_->Delete(res::kReplicaSets, ns, Name(rs));
  }
}

// The replicaset controller: pods for each ReplicaSet, bound to the node at creation.
void ClusterEmulator::ReplicaSets(const std::string& ns) {
  auto rss = client_->List(res::kReplicaSets, ns);
  auto pods = client_->List(res::kPods, ns);
  if (!rss.ok() || !pods.ok()) return;
  std::set<std::string> rs_uids;
  for (const auto& rs : rss.value().items) {
    rs_uids.insert(Uid(rs));
    if (Deleting(rs)) continue;
    std::vector<const value*> owned;
    for (const auto& p : pods.value().items)
      if (ControllerUid(p) == Uid(rs) && !Deleting(p)) owned.push_back(&p);
    int64_t replicas = json::GetInt(rs, {"spec", "replicas"}).value_or(1);
    for (int64_t i = static_cast<int64_t>(owned.size()); i < replicas; ++i) {
      value pod = value::object();
      pod["apiVersion"] = value::string("v1");
      pod["kind"] = value::string("Pod");
      pod["metadata"]["name"] = value::string(Name(rs) + "-" + RandomSuffix());
      pod["metadata"]["labels"] = rs.at("spec").at("template").at("metadata").at("labels");
      pod["metadata"]["ownerReferences"] = OwnerRef("apps/v1", "ReplicaSet", rs);
      pod["spec"] = rs.at("spec").at("template").at("spec");
      pod["spec"]["nodeName"] = value::string(options_.node);
      auto r = client_->Create(res::kPods, ns, pod);
      if (!r.ok()) Error("create pod for " + Name(rs) + ": " + r.error().ToString());
    }
    for (size_t i = static_cast<size_t>(replicas); i < owned.size(); ++i) client_->Delete(res::kPods, ns, Name(*owned[i]));
    int64_t ready = 0;
    for (const auto* p : owned) ready += PodReady(*p) ? 1 : 0;
    int64_t have = std::min<int64_t>(static_cast<int64_t>(owned.size()), replicas);
    if (json::GetInt(rs, {"status", "replicas"}).value_or(-1) != have ||
        json::GetInt(rs, {"status", "readyReplicas"}).value_or(0) != ready ||
        json::GetInt(rs, {"status", "observedGeneration"}).value_or(0) != json::GetInt(rs, {"metadata", "generation"}).value_or(1)) {
      value patch = value::object();
      patch["status"]["replicas"] = value::number(have);
      patch["status"]["fullyLabeledReplicas"] = value::number(have);
      patch["status"]["readyReplicas"] = value::number(ready);
      patch["status"]["availableReplicas"] = value::number(ready);
      patch["status"]["observedGeneration"] = value::number(json::GetInt(rs, {"metadata", "generation"}).value_or(1));
      client_->Patch(res::kReplicaSets, ns, Name(rs), patch, {}, "status");
    }
  }
  // The garbage collector: pods whose ReplicaSet is gone.
  for (const auto& p : pods.value().items) {
    std::string owner = ControllerUid(p);
    bool rs_owned = false;
    if (const auto* refs = json::Find(p, {"metadata", "ownerReferences"}); refs != nullptr && refs->is_array())
      for (const auto& r : refs->as_array()) rs_owned |= json::GetString(r, {"kind"}).value_or("") == "ReplicaSet";
    if (rs_owned && !owner.empty() && !rs_uids.count(owner) && !Deleting(p)) client_->Delete(res::kPods, ns, Name(p));
  }
}

// Under the ASan build a pod's report lands in its log, not in anyone's exit status.
void ClusterEmulator::CheckLog(const std::string& key, const std::string& log_file) {
  if (log_file.empty() || !std::filesystem::exists(log_file)) return;
  std::string log = ReadFile(log_file);
  for (const char* marker : {"ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:"})
    if (log.find(marker) != std::string::npos) Error("pod " + key + ": sanitizer report in " + log_file);
}

void ClusterEmulator::StopPod(const std::string& key) {
  std::string log_file;
  std::unique_ptr<ManagedProcess> proc;
  {
    std::lock_guard<std::mutex> l(mu_);
    auto it = pods_.find(key);
    if (it == pods_.end()) return;
    proc = std::move(it->second.process);
    if (it->second.started) log_file = it->second.local.dir + "/container.log";
    if (auto* net = cluster_.network(); net != nullptr && !it->second.ip.empty()) {
      for (const auto& [cport, local] : it->second.local.ports) net->Unroute(it->second.ip, cport);
    }
    pods_.erase(it);
  }
  if (proc) proc->Stop(std::chrono::seconds(10));
  CheckLog(key, log_file);
}

// The scheduler and the kubelet of options_.node.
void ClusterEmulator::Kubelet(const std::string& ns) {
  auto pods = client_->List(res::kPods, ns);
  if (!pods.ok()) return;
  std::set<std::string> present;
  for (const auto& pod : pods.value().items) {
    const std::string name = Name(pod), key = Key(ns, name);
    const std::string node = json::GetString(pod, {"spec", "nodeName"}).value_or("");
    present.insert(key);
    if (node.empty()) {
      if (Deleting(pod)) continue;
      value binding = value::parse(R"({"apiVersion":"v1","kind":"Binding","metadata":{},"target":{"kind":"Node"}})");
      binding["metadata"]["name"] = value::string(name);
      binding["target"]["name"] = value::string(options_.node);
      cluster_.Api("POST", "/api/v1/namespaces/" + ns + "/pods/" + name + "/binding", binding.serialize());
      continue;
    }
    if (node != options_.node) continue;
    if (Deleting(pod)) {
      StopPod(key);
      kube::DeleteOptions d;
      d.grace_period_seconds = 0;
      d.precondition_uid = Uid(pod);
      client_->Delete(res::kPods, ns, name, d);
      continue;
    }
    const value& container = pod.at("spec").at("containers").at(0);
    bool runnable = RiposteImage(json::GetString(container, {"image"}).value_or(""));
    {
      std::lock_guard<std::mutex> l(mu_);
      auto it = pods_.find(key);
      if (it != pods_.end() && it->second.uid != Uid(pod)) {
        // The same name, a new pod: the old one's process goes first.
      } else if (it == pods_.end()) {
        Pod p;
        p.ns = ns;
        p.name = name;
        p.uid = Uid(pod);
        p.runnable = runnable;
        pods_.emplace(key, std::move(p));
      }
    }
    {
      std::unique_lock<std::mutex> l(mu_);
      if (pods_.at(key).uid != Uid(pod)) {
        l.unlock();
        StopPod(key);
        continue;
      }
      pods_.at(key).object = pod;
    }
    if (!runnable) continue;

    std::unique_lock<std::mutex> l(mu_);
    Pod& p = pods_.at(key);
    if (p.finished) continue;
    const std::string restart = json::GetString(pod, {"spec", "restartPolicy"}).value_or("Always");
    if (!p.started) {
      l.unlock();
      LocalPodOptions o;
      o.binary = options_.binary;
      o.rebind_ports = true;
      LocalPod local;
      try {
        local = MaterializePodSpec(cluster_, ns, pod.at("spec"), options_.dir + "/" + ns + "_" + name, o);
      } catch (const std::exception& e) {
        // A missing Secret or ConfigMap: the kubelet reports it on the pod and retries.
        value patch = value::parse(R"({"status":{"phase":"Pending","containerStatuses":[{"ready":false,"restartCount":0,
            "image":"","imageID":"","state":{"waiting":{"reason":"CreateContainerConfigError"}}}]}})");
        patch["status"]["containerStatuses"][0]["name"] = value::string(json::GetString(container, {"name"}).value_or(""));
        patch["status"]["containerStatuses"][0]["state"]["waiting"]["message"] = value::string(e.what());
        const std::string text = patch.serialize();
        bool changed;
        {
          std::lock_guard<std::mutex> g(mu_);
          changed = pods_.at(key).status_written != text;
          pods_.at(key).status_written = text;
        }
        if (changed) client_->Patch(res::kPods, ns, name, patch, {}, "status");
        continue;
      }
      std::vector<std::string> argv = local.argv;
      if (options_.adjust) options_.adjust(pod, argv);
      auto proc = std::make_unique<ManagedProcess>();
      try {
        proc->Start(argv, local.dir + "/container.log");
      } catch (const std::exception& e) {
        Error("pod " + key + ": " + e.what());
        continue;
      }
      l.lock();
      Pod& q = pods_.at(key);
      q.local = std::move(local);
      q.process = std::move(proc);
      q.started = true;
      q.ip = NewPodIp();
      if (auto* net = cluster_.network(); net != nullptr)
        for (const auto& [cport, lport] : q.local.ports)
          if (lport > 0) net->Route(q.ip, cport, lport);
    }
    Pod& q = pods_.at(key);
    // Exited?
    int exit_code = -1;
    bool running = q.process && q.process->Running();
    if (!running && q.process) {
      int st = q.process->status();
      exit_code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + (WIFSIGNALED(st) ? WTERMSIG(st) : 0);
      if (restart == "Always" || (restart == "OnFailure" && exit_code != 0)) {
        // Restart, as the kubelet would (its back-off is not worth modelling here).
        ++q.restarts;
        auto argv = q.local.argv;
        auto proc = std::make_unique<ManagedProcess>();
        l.unlock();
        if (options_.adjust) options_.adjust(pod, argv);
        proc->Start(argv, q.local.dir + "/container.log");
        l.lock();
        pods_.at(key).process = std::move(proc);
        running = true;
        exit_code = -1;
      }
    }
    Pod& r = pods_.at(key);
    // Readiness, from the container's readinessProbe against its local port.
    bool ready = running;
    if (running) {
      if (const auto* probe = json::Find(container, {"readinessProbe", "httpGet"})) {
        const value& port = probe->at("port");
        int cport = port.is_integer() ? port.as_integer() : 0;
        if (port.is_string() && r.local.port_names.count(port.as_string())) cport = r.local.port_names.at(port.as_string());
        int local = r.local.ports.count(cport) ? r.local.ports.at(cport) : 0;
        bool tls = json::GetString(*probe, {"scheme"}).value_or("HTTP") == "HTTPS";
        std::string path = json::GetString(*probe, {"path"}).value_or("/");
        l.unlock();
        auto answer = local > 0 ? verify::NewProber(std::chrono::seconds(2))->Get(verify::Endpoint{"127.0.0.1", local, tls, ""}, path)
                                : verify::ProbeResult{"no port", {}, 0, ""};
        ready = answer.error.empty() && answer.status >= 200 && answer.status < 400;
        l.lock();
      }
    }
    Pod& s = pods_.at(key);
    s.ready = ready;
    value status = value::object();
    const std::string cname = json::GetString(container, {"name"}).value_or("");
    value cs = value::object();
    cs["name"] = value::string(cname);
    cs["image"] = value::string(json::GetString(container, {"image"}).value_or(""));
    cs["imageID"] = value::string("");
    cs["restartCount"] = value::number(s.restarts);
    cs["ready"] = value::boolean(ready);
    if (exit_code >= 0) {
      status["phase"] = value::string(exit_code == 0 ? "Succeeded" : "Failed");
      cs["started"] = value::boolean(false);
      cs["state"]["terminated"]["exitCode"] = value::number(exit_code);
      cs["state"]["terminated"]["reason"] = value::string(exit_code == 0 ? "Completed" : "Error");
      s.finished = true;
      l.unlock();
      CheckLog(key, s.local.dir + "/container.log");
      l.lock();
    } else {
      status["phase"] = value::string("Running");
      cs["started"] = value::boolean(true);
      cs["state"]["running"] = value::object();
    }
    status["podIP"] = value::string(s.ip);
    status["podIPs"][0]["ip"] = value::string(s.ip);
    status["hostIP"] = value::string("127.0.0.1");
    status["containerStatuses"][0] = cs;
    const bool ok = ready && exit_code < 0;
    status["conditions"] = value::parse(R"([{"type":"PodScheduled","status":"True"},{"type":"Initialized","status":"True"},
                                            {"type":"ContainersReady"},{"type":"Ready"}])");
    status["conditions"][2]["status"] = value::string(ok ? "True" : "False");
    status["conditions"][3]["status"] = value::string(ok ? "True" : "False");
    const std::string text = status.serialize();
    if (text == s.status_written) continue;
    s.status_written = text;
    l.unlock();
    for (int i = 0; i < 4; ++i) {
      status["conditions"][i]["lastTransitionTime"] = value::string(kube::FormatTime(std::chrono::system_clock::now()));
    }
    if (!json::Find(pod, {"status", "startTime"})) status["startTime"] = value::string(kube::FormatTime(std::chrono::system_clock::now()));
    value patch = value::object();
    patch["status"] = status;
    auto w = client_->Patch(res::kPods, ns, name, patch, {}, "status");
    if (!w.ok()) Error("pod status " + key + ": " + w.error().ToString());
  }
  // Pods that are gone: stop what still runs for them.
  std::vector<std::string> gone;
  {
    std::lock_guard<std::mutex> l(mu_);
    for (const auto& [k, p] : pods_)
      if (p.ns == ns && !present.count(k)) gone.push_back(k);
  }
  for (const auto& k : gone) StopPod(k);
}

// The endpointslice controller and the Service routes of the cluster network.
void ClusterEmulator::Endpoints(const std::string& ns) {
  auto svcs = client_->List(res::kServices, ns);
  kube::ListOptions lo;
  lo.label_selector = std::string("endpointslice.kubernetes.io/managed-by=") + kManagedBy;
  auto slices = client_->List(kEndpointSlices, ns, lo);
  if (!svcs.ok() || !slices.ok()) return;
  std::set<std::string> wanted;
  for (const auto& svc : svcs.value().items) {
    auto selector = Labels(svc, {"spec", "selector"});
    if (selector.empty()) continue;
    const std::string sname = Name(svc), slice_name = sname + "-emulated";
    wanted.insert(slice_name);
    struct Member {
      std::string name, uid, ip;
      bool ready;
      std::map<int, int> ports;
      std::map<std::string, int> names;
    };
    std::vector<Member> members;
    {
      std::lock_guard<std::mutex> l(mu_);
      for (const auto& [k, p] : pods_) {
        if (p.ns != ns || !p.started || p.finished || p.ip.empty()) continue;
        if (!Selects(selector, Labels(p.object, {"metadata", "labels"}))) continue;
        members.push_back({p.name, p.uid, p.ip, p.ready, p.local.ports, p.local.port_names});
      }
    }
    std::sort(members.begin(), members.end(), [](const Member& a, const Member& b) { return a.name < b.name; });
    value slice = value::object();
    slice["apiVersion"] = value::string("discovery.k8s.io/v1");
    slice["kind"] = value::string("EndpointSlice");
    slice["metadata"]["name"] = value::string(slice_name);
    slice["metadata"]["labels"]["kubernetes.io/service-name"] = value::string(sname);
    slice["metadata"]["labels"]["endpointslice.kubernetes.io/managed-by"] = value::string(kManagedBy);
    slice["metadata"]["ownerReferences"] = OwnerRef("v1", "Service", svc);
    slice["addressType"] = value::string("IPv4");
    slice["ports"] = value::array();
    slice["endpoints"] = value::array();
    const std::string cluster_ip = json::GetString(svc, {"spec", "clusterIP"}).value_or("");
    size_t pi = 0;
    for (const auto& sp : svc.at("spec").at("ports").as_array()) {
      int port = static_cast<int>(json::GetInt(sp, {"port"}).value_or(0));
      const value* target = json::Find(sp, {"targetPort"});
      auto container_port = [&](const Member& m) {
        if (target == nullptr) return port;
        if (target->is_integer()) return target->as_integer();
        auto it = m.names.find(target->as_string());
        return it == m.names.end() ? 0 : it->second;
      };
      value ep = value::object();
      ep["name"] = value::string(json::GetString(sp, {"name"}).value_or(""));
      ep["protocol"] = value::string(json::GetString(sp, {"protocol"}).value_or("TCP"));
      ep["port"] = value::number(members.empty() ? port : container_port(members[0]));
      slice["ports"][pi++] = ep;
      int local = 0;
      for (const auto& m : members) {
        int cp = container_port(m);
        if (m.ready && m.ports.count(cp) && m.ports.at(cp) > 0) {
          local = m.ports.at(cp);
          break;
        }
      }
      {
        std::lock_guard<std::mutex> l(mu_);
        service_ports_[Key(ns, sname)][port] = local;
      }
      if (auto* net = cluster_.network(); net != nullptr && !cluster_ip.empty() && cluster_ip != "None") {
        if (local > 0) {
          net->Route(cluster_ip, port, local);
        } else {
          net->Unroute(cluster_ip, port);
        }
      }
    }
    for (size_t i = 0; i < members.size(); ++i) {
      value e = value::object();
      e["addresses"][0] = value::string(members[i].ip);
      e["conditions"]["ready"] = value::boolean(members[i].ready);
      e["conditions"]["serving"] = value::boolean(members[i].ready);
      e["conditions"]["terminating"] = value::boolean(false);
      e["nodeName"] = value::string(options_.node);
      e["targetRef"]["kind"] = value::string("Pod");
      e["targetRef"]["namespace"] = value::string(ns);
      e["targetRef"]["name"] = value::string(members[i].name);
      e["targetRef"]["uid"] = value::string(members[i].uid);
      slice["endpoints"][i] = e;
    }
    const value* existing = nullptr;
    for (const auto& s : slices.value().items)
      if (Name(s) == slice_name) existing = &s;
    if (existing == nullptr) {
      client_->Create(kEndpointSlices, ns, slice);
    } else if (existing->at("endpoints").serialize() != slice.at("endpoints").serialize() ||
               existing->at("ports").serialize() != slice.at("ports").serialize()) {
      slice["metadata"]["resourceVersion"] = value::string(json::GetString(*existing, {"metadata", "resourceVersion"}).value_or(""));
      client_->Update(kEndpointSlices, ns, slice);
    }
  }
  for (const auto& s : slices.value().items)
    if (!wanted.count(Name(s))) client_->Delete(kEndpointSlices, ns, Name(s));
}

int ClusterEmulator::ServicePort(const std::string& ns, const std::string& service, int port) const {
  std::lock_guard<std::mutex> l(mu_);
  auto it = service_ports_.find(Key(ns, service));
  if (it == service_ports_.end()) return 0;
  auto p = it->second.find(port);
  return p == it->second.end() ? 0 : p->second;
}

std::string ClusterEmulator::PodLog(const std::string& ns, const std::string& name) const {
  std::string dir = options_.dir + "/" + ns + "_" + name;
  return std::filesystem::exists(dir + "/container.log") ? ReadFile(dir + "/container.log") : "";
}

std::string ClusterEmulator::Describe() const {
  std::ostringstream out;
  std::lock_guard<std::mutex> l(mu_);
  out << "emulated pods:\n";
  for (const auto& [k, p] : pods_) {
    out << "  " << k << (p.runnable ? "" : " (not Riposte's image: never run)") << " ip " << p.ip
        << (p.finished ? " finished" : p.ready ? " ready" : " not ready") << " restarts " << p.restarts << "\n";
    if (p.started) {
      std::string log = ReadFile(p.local.dir + "/container.log");
      if (log.size() > 1500) log = "..." + log.substr(log.size() - 1500);
      out << "    log: " << log << "\n";
    }
  }
  for (const auto& e : errors_) out << "  error: " << e << "\n";
  return out.str();
}

}  // namespace riposte::e2e
