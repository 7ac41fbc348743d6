// ResponsePolicy validation and matching of alerts against it.

#include <gtest/gtest.h>

#include <fstream>

#include "controller/glob.h"
#include "controller/policy.h"

namespace riposte::controller {
namespace {

using web::json::value;

std::vector<std::string> CorpusLines() {
  std::ifstream in(std::string(RIPOSTE_TEST_DATA_DIR) + "/corpus/falco_events.jsonl");
  std::vector<std::string> out;
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) out.push_back(line);
  return out;
}

Alert CorpusAlert(size_t line) {
  Alert a;
  AlertError err;
  EXPECT_TRUE(ParseAlert(CorpusLines().at(line), &a, &err)) << err.message;
  return a;
}

PolicyPtr Compile(const std::string& spec_json, std::vector<std::string>* errors = nullptr) {
  auto obj = value::parse(R"({"metadata":{"name":"p","uid":"u1","generation":2}})");
  obj["spec"] = value::parse(spec_json);
  std::vector<std::string> errs;
  auto p = CompilePolicy(obj, BuiltinActions(), &errs);
  if (errors != nullptr) *errors = errs;
  else EXPECT_TRUE(errs.empty()) << errs.front();
  return p;
}

std::optional<std::map<std::string, std::string>> NsLabels(const std::string& ns) {
  if (ns == "shop") return std::map<std::string, std::string>{{"riposte.io/respond", "enabled"}, {"team", "web"}};
  if (ns == "payments") return std::map<std::string, std::string>{{"team", "pay"}};
  if (ns == "ingress-nginx") return std::map<std::string, std::string>{};
  return std::nullopt;
}

MatchResult M(const Policy& p, size_t line) { return Match(p, CorpusAlert(line), NsLabels); }

TEST(Glob, Matches) {
  EXPECT_TRUE(GlobMatch("Terminal shell*", "Terminal shell in container"));
  EXPECT_TRUE(GlobMatch("*shell*", "Run shell untrusted"));
  EXPECT_TRUE(GlobMatch("?un*", "Run shell untrusted"));
  EXPECT_FALSE(GlobMatch("shell*", "Run shell untrusted"));
  EXPECT_TRUE(GlobMatch("*", ""));
  EXPECT_FALSE(GlobMatch("a", ""));
  EXPECT_TRUE(GlobMatch("a*b*c", "aXXbYYc"));
  EXPECT_FALSE(GlobMatch(std::string(50, '*') + "b", std::string(100000, 'a')));  // linear, no blowup
}

TEST(PolicyMatch, RulesExactAndGlob) {
  auto exact = Compile(R"({"match":{"rules":["Terminal shell in container"]},"actions":[{"type":"isolate"}]})");
  EXPECT_EQ(M(*exact, 0), MatchResult::kMatch);
  EXPECT_EQ(M(*exact, 1), MatchResult::kNoMatch);
  EXPECT_EQ(M(*exact, 5), MatchResult::kNoTarget);   // host process: rule matches, no pod
  EXPECT_EQ(M(*exact, 9), MatchResult::kNoTarget);   // no output_fields
  auto glob = Compile(R"({"match":{"rules":["*shell*"]},"actions":[{"type":"isolate"}]})");
  EXPECT_EQ(M(*glob, 4), MatchResult::kMatch);
  EXPECT_EQ(M(*glob, 3), MatchResult::kNoMatch);
}

TEST(PolicyMatch, MinPrioritySourcesAndTags) {
  auto crit = Compile(R"({"match":{"minPriority":"Critical"},"actions":[{"type":"isolate"}]})");
  EXPECT_EQ(M(*crit, 1), MatchResult::kMatch);
  EXPECT_EQ(M(*crit, 0), MatchResult::kNoMatch);  // Notice < Critical
  auto notice = Compile(R"({"match":{"minPriority":"Notice"},"actions":[{"type":"isolate"}]})");
  EXPECT_EQ(M(*notice, 0), MatchResult::kMatch);
  EXPECT_EQ(M(*notice, 4), MatchResult::kNoMatch);  // Debug
  auto audit = Compile(R"({"match":{"sources":["k8s_audit"]},"actions":[{"type":"isolate"}]})");
  EXPECT_EQ(M(*audit, 8), MatchResult::kMatch);
  EXPECT_EQ(M(*audit, 0), MatchResult::kNoMatch);
  auto any = Compile(R"({"match":{"tags":["network","nope"]},"actions":[{"type":"isolate"}]})");
  EXPECT_EQ(M(*any, 2), MatchResult::kMatch);
  EXPECT_EQ(M(*any, 0), MatchResult::kNoMatch);
  auto all = Compile(R"({"match":{"tags":["network","k8s"],"tagsMatch":"all"},"actions":[{"type":"isolate"}]})");
  EXPECT_EQ(M(*all, 3), MatchResult::kMatch);
  EXPECT_EQ(M(*all, 2), MatchResult::kNoMatch);
}

TEST(PolicyMatch, NamespacesAndSelector) {
  auto ns = Compile(R"({"match":{"namespaces":["ingress-nginx"]},"actions":[{"type":"isolate"}]})");
  EXPECT_EQ(M(*ns, 1), MatchResult::kMatch);
  EXPECT_EQ(M(*ns, 0), MatchResult::kNoMatch);
  auto sel = Compile(R"({"match":{"namespaceSelector":{"matchLabels":{"riposte.io/respond":"enabled"}}},"actions":[{"type":"isolate"}]})");
  EXPECT_EQ(M(*sel, 0), MatchResult::kMatch);
  EXPECT_EQ(M(*sel, 3), MatchResult::kNoMatch);
  auto expr = Compile(R"({"match":{"namespaceSelector":{"matchExpressions":[{"key":"team","operator":"In","values":["pay"]}]}},"actions":[{"type":"isolate"}]})");
  EXPECT_EQ(M(*expr, 3), MatchResult::kMatch);
  EXPECT_EQ(M(*expr, 0), MatchResult::kNoMatch);
  auto not_exists = Compile(R"({"match":{"namespaceSelector":{"matchExpressions":[{"key":"team","operator":"DoesNotExist"}]}},"actions":[{"type":"isolate"}]})");
  EXPECT_EQ(M(*not_exists, 1), MatchResult::kMatch);
  // Unknown namespace: the selector cannot be evaluated, so it does not match (fail closed).
  Alert unknown = CorpusAlert(0);
  unknown.target->ns = "not-cached";
  EXPECT_EQ(Match(*not_exists, unknown, NsLabels), MatchResult::kNoMatch);
}

TEST(PolicyMatch, OutputFieldOperators) {
  auto check = [](const std::string& cond, size_t line) {
    return M(*Compile(R"({"match":{"outputFields":[)" + cond + R"(]},"actions":[{"type":"isolate"}]})"), line);
  };
  EXPECT_EQ(check(R"({"field":"proc.name","operator":"Equals","values":["sh"]})", 0), MatchResult::kMatch);
  EXPECT_EQ(check(R"({"field":"proc.name","operator":"Equals","values":["bash"]})", 0), MatchResult::kNoMatch);
  EXPECT_EQ(check(R"({"field":"proc.name","operator":"NotEquals","values":["bash"]})", 0), MatchResult::kMatch);
  EXPECT_EQ(check(R"({"field":"proc.name","operator":"In","values":["sh","bash"]})", 0), MatchResult::kMatch);
  EXPECT_EQ(check(R"({"field":"proc.name","operator":"NotIn","values":["sh","bash"]})", 0), MatchResult::kNoMatch);
  EXPECT_EQ(check(R"({"field":"user.uid","operator":"Equals","values":["0"]})", 0), MatchResult::kMatch);  // number
  EXPECT_EQ(check(R"({"field":"proc.tty","operator":"Exists"})", 0), MatchResult::kMatch);
  EXPECT_EQ(check(R"({"field":"proc.tty","operator":"Exists"})", 2), MatchResult::kNoMatch);
  EXPECT_EQ(check(R"({"field":"k8s.pod.name","operator":"Prefix","values":["ingress-nginx-controller-"]})", 1), MatchResult::kMatch);
  EXPECT_EQ(check(R"({"field":"container.image.repository","operator":"Glob","values":["*/ingress-nginx/*"]})", 1), MatchResult::kMatch);
  EXPECT_EQ(check(R"({"field":"container.image.repository","operator":"Glob","values":["docker.io/*"]})", 1), MatchResult::kNoMatch);
  // <NA> counts as absent for Exists and never equals a value.
  EXPECT_EQ(check(R"({"field":"container.name","operator":"Exists"})", 6), MatchResult::kNoMatch);
}

TEST(PolicyCompile, ExamplePoliciesCompileAndMatchTheirAlerts) {
  auto nightmare = Compile(R"({"mode":"enforce","match":{"rules":["Drop and execute new binary in container","Fileless execution via memfd_create"],
      "minPriority":"Notice","sources":["syscall"],"namespaces":["ingress-nginx"],
      "outputFields":[{"field":"k8s.pod.name","operator":"Prefix","values":["ingress-nginx-controller-"]}]},
      "actions":[{"type":"isolate"},{"type":"terminate","gracePeriodSeconds":0}],
      "guards":{"cooldownSeconds":600,"skipStandalonePods":false}})");
  EXPECT_EQ(M(*nightmare, 1), MatchResult::kMatch);
  EXPECT_EQ(M(*nightmare, 7), MatchResult::kMatch);
  EXPECT_EQ(M(*nightmare, 0), MatchResult::kNoMatch);
  EXPECT_TRUE(nightmare->has_destructive);
  EXPECT_EQ(nightmare->guards.cooldown_seconds, 600);
  // Workload guards are copied into the destructive action.
  const auto& term = nightmare->actions.at(1).item;
  EXPECT_TRUE(term.at("allowStandalone").as_bool());
  EXPECT_FALSE(term.at("allowDaemonSet").as_bool());
  EXPECT_EQ(term.at("minHealthyReplicas").as_integer(), 1);
}

TEST(PolicyCompile, ReportsEveryProblemWithItsPath) {
  std::vector<std::string> errors;
  auto p = Compile(R"({"mode":"sometimes","match":{"minPriority":"Loud","namespaces":["Bad_NS"],
      "outputFields":[{"field":"x","operator":"Like","values":["a"]},{"field":"y","operator":"Equals","values":["a","b"]}]},
      "actions":[{"type":"nuke"},{"type":"label"},{"type":"terminate","gracePeriodSeconds":"soon"}],
      "guards":{"cooldownSeconds":-1}})",
                   &errors);
  EXPECT_EQ(p, nullptr);
  auto has = [&](const std::string& needle) {
    for (const auto& e : errors)
      if (e.find(needle) != std::string::npos) return true;
    return false;
  };
  EXPECT_TRUE(has("spec.mode"));
  EXPECT_TRUE(has("spec.match.minPriority"));
  EXPECT_TRUE(has("spec.match.namespaces"));
  EXPECT_TRUE(has("spec.match.outputFields[0].operator"));
  EXPECT_TRUE(has("spec.match.outputFields[1].values"));
  EXPECT_TRUE(has("spec.actions[0].type"));
  EXPECT_TRUE(has("spec.actions[1]"));
  EXPECT_TRUE(has("spec.actions[2].gracePeriodSeconds: expected integer, got string"));
  EXPECT_TRUE(has("spec.guards.cooldownSeconds"));
  std::vector<std::string> e2;
  EXPECT_EQ(Compile(R"({"match":{},"actions":[]})", &e2), nullptr);
  EXPECT_EQ(Compile(R"({"match":{"namespaces":["a"],"namespaceSelector":{}},"actions":[{"type":"isolate"}]})", &e2), nullptr);
}

}  // namespace
}  // namespace riposte::controller
