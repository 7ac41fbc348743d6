// The controller's preflight checks: each installation problem the API can reveal (missing
// namespace, missing CRDs, RBAC that denies the controller's base rules) becomes exactly one
// problem with its fix, errors that say nothing about the installation become none, and the
// monitor logs each problem once, and its resolution once.

#include <gtest/gtest.h>

#include <set>

#include "controller/endpoint.h"
#include "controller/preflight.h"
#include "tests/fakes/fake_kube_client.h"

namespace riposte::controller {
namespace {

using web::json::value;

struct Env {
  std::shared_ptr<fakes::FakeKubeClient> client = std::make_shared<fakes::FakeKubeClient>();
  PreflightConfig config{"riposte-system", "riposte-controller"};
  Env(bool with_namespace = true) {
    if (with_namespace)
      client->Seed(kube::resources::kNamespaces, value::parse(R"({"metadata":{"name":"riposte-system"}})"));
  }
  // Answers SelfSubjectAccessReviews: denied when `deny` says so.
  void AnswerAccessReviews(std::function<bool(const std::string& verb, const std::string& group,
                                              const std::string& resource, const std::string& ns)> deny) {
    client->AddReactor([deny](const fakes::Action& a) -> std::optional<kube::Result<value>> {
      if (a.verb != "create" || a.resource != "selfsubjectaccessreviews.authorization.k8s.io") return std::nullopt;
      const auto& attrs = a.body.at("spec").at("resourceAttributes");
      auto s = [&](const char* k) { return attrs.has_field(k) ? attrs.at(k).as_string() : std::string(); };
      std::string resource = s("resource") + (s("subresource").empty() ? "" : "/" + s("subresource"));
      auto review = a.body;
      review["status"] = value::object();
      review["status"]["allowed"] = value::boolean(!deny(s("verb"), s("group"), resource, s("namespace")));
      return kube::Result<value>(review);
    });
  }
};

kube::ApiError PageNotFound() { return kube::ErrorFromResponse(404, "404 page not found\n"); }

TEST(Preflight, AnInstallationInPlaceHasNoProblems) {
  Env env;
  env.AnswerAccessReviews([](auto&&...) { return false; });
  EXPECT_TRUE(RunPreflight(*env.client, env.config).empty());
}

TEST(Preflight, MissingNamespaceSaysWhatFailsAndHowToFixIt) {
  Env env(false);
  auto problems = RunPreflight(*env.client, env.config);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].check, "namespace");
  EXPECT_EQ(problems[0].problem,
            "namespace \"riposte-system\" does not exist, so the leader-election Lease \"riposte-controller\" cannot be "
            "created: no replica can lead and every alert is answered 503");
  EXPECT_EQ(problems[0].fix,
            "create it (kubectl create namespace riposte-system) or start the controller with --namespace set to the "
            "namespace it is installed in");
}

TEST(Preflight, MissingCrdsAreNamed) {
  Env env;
  env.client->FailNext("list", "responsepolicies.riposte.io", PageNotFound());
  env.client->FailNext("list", "responseactions.riposte.io", PageNotFound());
  auto problems = RunPreflight(*env.client, env.config);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].check, "crds");
  EXPECT_NE(problems[0].problem.find("does not serve responsepolicies.riposte.io and responseactions.riposte.io"),
            std::string::npos) << problems[0].problem;
  EXPECT_EQ(problems[0].fix, "kubectl apply -f manifests/crds/ (helm install and helm upgrade of the chart install them)");
}

TEST(Preflight, RbacDenialsAreGroupedByResourceAndScope) {
  Env env;
  env.AnswerAccessReviews([](const std::string& verb, const std::string& group, const std::string& resource,
                             const std::string&) {
    return group == "coordination.k8s.io" || (resource == "responseactions/status" && verb == "patch");
  });
  auto problems = RunPreflight(*env.client, env.config);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].check, "rbac");
  EXPECT_EQ(problems[0].problem,
            "RBAC denies the controller: get, list, watch, create, update leases.coordination.k8s.io in namespace "
            "\"riposte-system\"; patch responseactions.riposte.io/status (all namespaces)");
  EXPECT_NE(problems[0].fix.find("ClusterRoleBinding"), std::string::npos);
  // Only the Lease is asked about in the controller's namespace; the rest cluster-wide.
  for (const auto& a : env.client->ActionsFor("create", "selfsubjectaccessreviews.authorization.k8s.io")) {
    const auto& attrs = a.body.at("spec").at("resourceAttributes");
    bool lease = attrs.at("group").as_string() == "coordination.k8s.io";
    EXPECT_EQ(attrs.has_field("namespace"), lease) << attrs.serialize();
  }
}

TEST(Preflight, ErrorsThatSayNothingAboutTheInstallationAreNotProblems) {
  Env env;
  // A server without SelfSubjectAccessReview (the API test double) and one that is failing.
  env.client->FailNext("create", "selfsubjectaccessreviews.authorization.k8s.io", PageNotFound(), 100);
  env.client->FailNext("get", "namespaces", kube::MakeError(kube::ErrorKind::kTransport, "connection refused"));
  env.client->FailNext("list", "responsepolicies.riposte.io", kube::ErrorFromResponse(503, ""));
  EXPECT_TRUE(RunPreflight(*env.client, env.config).empty());
  // One review answered 404 is enough to stop asking.
  EXPECT_EQ(env.client->ActionsFor("create", "selfsubjectaccessreviews.authorization.k8s.io").size(), 1u);
}

TEST(PreflightMonitor, LogsEachProblemOnceAndItsResolutionOnce) {
  Env env(false);
  std::vector<std::string> lines;
  PreflightMonitor monitor(env.client, env.config, std::chrono::hours(1),
                           [&](bool resolved, const PreflightProblem& p) {
                             lines.push_back(std::string(resolved ? "resolved " : "problem ") + p.check);
                           });
  EXPECT_FALSE(monitor.passed());
  monitor.CheckOnce();
  monitor.CheckOnce();
  monitor.CheckOnce();
  EXPECT_EQ(lines, std::vector<std::string>{"problem namespace"});
  EXPECT_NE(monitor.Reason().find("; fix: create it (kubectl create namespace riposte-system)"), std::string::npos)
      << monitor.Reason();
  EXPECT_FALSE(monitor.passed());
  env.client->Seed(kube::resources::kNamespaces, value::parse(R"({"metadata":{"name":"riposte-system"}})"));
  monitor.CheckOnce();
  monitor.CheckOnce();
  EXPECT_EQ(lines, (std::vector<std::string>{"problem namespace", "resolved namespace"}));
  EXPECT_EQ(monitor.Reason(), "");
  EXPECT_TRUE(monitor.passed());
}

TEST(PreflightMonitor, StartsChecksInTheBackgroundAndStopsPromptly) {
  Env env(false);
  std::mutex mu;
  int problems = 0;
  PreflightMonitor monitor(env.client, env.config, std::chrono::hours(1), [&](bool resolved, const PreflightProblem&) {
    std::lock_guard lock(mu);
    problems += resolved ? 0 : 1;
  });
  monitor.Start();
  for (int i = 0; i < 500 && monitor.Reason().empty(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_NE(monitor.Reason(), "");
  monitor.Stop();  // wakes the thread instead of waiting out the hour
  std::lock_guard lock(mu);
  EXPECT_EQ(problems, 1);
}

// Keeps the routes a listener would serve, so the /readyz handler can be called directly.
class RouteCapture : public http::Server {
 public:
  void AddRoute(http::Route route) override { routes.push_back(std::move(route)); }
  bool Start(std::string*) override { return true; }
  uint16_t Port() const override { return 0; }
  void Stop(std::chrono::milliseconds) override {}
  bool CertLoaded() const override { return false; }
  int64_t CertNotAfter() const override { return 0; }
  uint64_t CertReloads() const override { return 0; }
  uint64_t CertReloadFailures() const override { return 0; }
  http::ServerStats Stats() const override { return {}; }
  std::vector<http::Route> routes;
};

TEST(PreflightMonitor, ReadinessSaysWhy) {
  auto call = [](const std::function<std::string()>& reason) {
    RouteCapture server;
    http::AddHealthRoutes(server, [] { return false; }, "not ready: caches syncing or no leader known", reason);
    for (const auto& route : server.routes) {
      if (route.path == "/readyz") return route.handler(http::Request{});
    }
    ADD_FAILURE() << "no /readyz route";
    return http::Response{};
  };
  const std::string generic = http::JsonError(503, "not ready: caches syncing or no leader known").body;
  EXPECT_EQ(call(nullptr).body, generic);
  EXPECT_EQ(call([] { return std::string(); }).body, generic);
  auto r = call([] { return std::string("namespace \"x\" does not exist; fix: create it"); });
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(r.body, http::JsonError(503, "not ready: namespace \"x\" does not exist; fix: create it").body);
  EXPECT_NE(r.body.find("does not exist; fix: create it"), std::string::npos) << r.body;
}

}  // namespace
}  // namespace riposte::controller
