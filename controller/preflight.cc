#include "controller/preflight.h"

#include <algorithm>
#include <map>

#include "common/log.h"
#include "controller/actions/registry.h"
#include "common/json_value.h"

namespace riposte::controller {

using web::json::value;

namespace {

const kube::Resource kSelfSubjectAccessReviews{{"authorization.k8s.io", "v1", "selfsubjectaccessreviews"},
                                               "SelfSubjectAccessReview", false};

enum class Access { kAllowed, kDenied, kUnknown };

Access CanI(kube::KubeClient& client, const std::string& verb, const std::string& group, const std::string& resource,
            const std::string& ns) {
  auto attrs = value::object();
  attrs["verb"] = value::string(verb);
  attrs["group"] = value::string(group);
  auto slash = resource.find('/');
  attrs["resource"] = value::string(resource.substr(0, slash));
  if (slash != std::string::npos) attrs["subresource"] = value::string(resource.substr(slash + 1));
  if (!ns.empty()) attrs["namespace"] = value::string(ns);
  auto review = value::object();
  review["apiVersion"] = value::string("authorization.k8s.io/v1");
  review["kind"] = value::string("SelfSubjectAccessReview");
  review["spec"] = value::object();
  review["spec"]["resourceAttributes"] = attrs;
  auto r = client.Create(kSelfSubjectAccessReviews, "", review);
  if (!r.ok()) return Access::kUnknown;
  auto allowed = riposte::json::GetBool(r.value(), {"status", "allowed"});
  if (!allowed) return Access::kUnknown;
  return *allowed ? Access::kAllowed : Access::kDenied;
}

// "leases.coordination.k8s.io", "responseactions.riposte.io/status": as RBAC and kubectl name them.
std::string GroupResource(const std::string& group, const std::string& resource) {
  auto slash = resource.find('/');
  std::string base = resource.substr(0, slash), sub = slash == std::string::npos ? "" : resource.substr(slash);
  return (group.empty() ? base : base + "." + group) + sub;
}

const char* kRbacFix =
    "bind the controller's ServiceAccount to the ClusterRole the chart renders (helm/riposte) or "
    "manifests/rbac.yaml; the ClusterRoleBinding's subject must name this ServiceAccount and its namespace";

}  // namespace

std::vector<PreflightProblem> RunPreflight(kube::KubeClient& client, const PreflightConfig& config) {
  std::vector<PreflightProblem> out;

  // 1. The namespace of the Lease.
  auto ns = client.Get(kube::resources::kNamespaces, "", config.ns);
  if (!ns.ok() && kube::IsNotFound(ns.error())) {
    out.push_back({"namespace",
                   "namespace \"" + config.ns + "\" does not exist, so the leader-election Lease \"" + config.lease_name +
                       "\" cannot be created: no replica can lead and every alert is answered 503",
                   "create it (kubectl create namespace " + config.ns +
                       ") or start the controller with --namespace set to the namespace it is installed in"});
  }

  // 2. The CRDs.
  std::vector<std::string> missing;
  for (const auto* res : {&kube::resources::kResponsePolicies, &kube::resources::kResponseActions}) {
    kube::ListOptions one;
    one.limit = 1;
    auto r = client.List(*res, "", one);
    if (!r.ok() && kube::IsNotFound(r.error())) missing.push_back(res->GroupResource());
  }
  if (!missing.empty()) {
    std::string names;
    for (const auto& m : missing) names += (names.empty() ? "" : " and ") + m;
    out.push_back({"crds",
                   "the Riposte CRDs are not installed: the API server does not serve " + names +
                       " (it answers \"404 page not found\")",
                   "kubectl apply -f manifests/crds/ (helm install and helm upgrade of the chart install them)"});
  }

  // 3. RBAC for what the controller always does. The Lease is namespaced; the rest is
  //    cluster-wide (the controller watches every namespace).
  std::map<std::string, std::vector<std::string>> denied;  // "resource in scope" -> verbs
  bool unknown = false;
  for (const auto& rule : BaseRbac()) {
    for (const auto& group : rule.api_groups) {
      for (const auto& resource : rule.resources) {
        const bool lease = group == "coordination.k8s.io";
        for (const auto& verb : rule.verbs) {
          if (unknown) break;
          auto a = CanI(client, verb, group, resource, lease ? config.ns : "");
          if (a == Access::kUnknown) unknown = true;  // e.g. no SelfSubjectAccessReview API
          if (a != Access::kDenied) continue;
          std::string key = GroupResource(group, resource) +
                            (lease ? " in namespace \"" + config.ns + "\"" : " (all namespaces)");
          denied[key].push_back(verb);
        }
      }
    }
  }
  if (!unknown && !denied.empty()) {
    std::string what;
    for (const auto& [res, verbs] : denied) {
      std::string v;
      for (const auto& verb : verbs) v += (v.empty() ? "" : ", ") + verb;
      what += (what.empty() ? "" : "; ") + v + " " + res;
    }
    out.push_back({"rbac", "RBAC denies the controller: " + what, kRbacFix});
  }
  return out;
}

std::string DescribeProblems(const std::vector<PreflightProblem>& problems) {
  std::string out;
  for (const auto& p : problems) out += (out.empty() ? "" : " | ") + p.problem + "; fix: " + p.fix;
  return out;
}

PreflightMonitor::PreflightMonitor(kube::KubeClientPtr client, PreflightConfig config,
                                   std::chrono::milliseconds interval, Logger log)
    : client_(std::move(client)), config_(std::move(config)), interval_(interval), log_(std::move(log)) {
  if (!log_) {
    log_ = [](bool resolved, const PreflightProblem& p) {
      if (resolved) log::Info("preflight: resolved", {{"check", p.check}, {"problem", p.problem}});
      else log::Error("preflight: " + p.problem, {{"check", p.check}, {"fix", p.fix}});
    };
  }
}

PreflightMonitor::~PreflightMonitor() { Stop(); }

void PreflightMonitor::Start() {
  std::lock_guard lock(mu_);
  if (thread_.joinable()) return;
  stop_ = false;
  thread_ = std::thread([this] {
    std::unique_lock guard(mu_);
    while (!stop_) {
      guard.unlock();
      CheckOnce();
      guard.lock();
      if (passed_) break;  // everything in place: nothing more to watch for
      cv_.wait_for(guard, interval_, [this] { return stop_; });
    }
  });
}

void PreflightMonitor::Stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void PreflightMonitor::CheckOnce() {
  auto now = RunPreflight(*client_, config_);
  std::vector<PreflightProblem> before;
  {
    std::lock_guard lock(mu_);
    before = problems_;
    problems_ = now;
    passed_ = now.empty();
  }
  for (const auto& p : now)
    if (std::find(before.begin(), before.end(), p) == before.end()) log_(false, p);
  for (const auto& p : before) {
    bool still = false;
    for (const auto& q : now) still |= q.check == p.check;
    if (!still) log_(true, p);
  }
}

std::string PreflightMonitor::Reason() const {
  std::lock_guard lock(mu_);
  return DescribeProblems(problems_);
}

bool PreflightMonitor::passed() const {
  std::lock_guard lock(mu_);
  return passed_;
}

}  // namespace riposte::controller
