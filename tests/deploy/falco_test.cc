// Falco wiring: the IngressNightmare rules load as a well-formed, self-contained Falco rules
// file, every shipped copy is byte-identical, every alert names the pod to respond to, the
// example ResponsePolicy catches every rule, and the Falco/Falcosidekick values point at the
// controller's alert Service over verified TLS.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <map>

#include "tests/deploy/deploy_util.h"

namespace riposte::deploy_test {
namespace {

const char* const kRules = "deploy/falco/ingress-nightmare-rules.yaml";

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// Falco priorities, most severe first.
int PriorityRank(const std::string& p) {
  static const std::vector<std::string> kOrder = {"emergency", "alert",  "critical",
                                                  "error",     "warning", "notice",
                                                  "informational", "debug"};
  const std::string l = Lower(p) == "info" ? "informational" : Lower(p);
  const auto it = std::find(kOrder.begin(), kOrder.end(), l);
  return it == kOrder.end() ? -1 : static_cast<int>(it - kOrder.begin());
}

bool Glob(const std::string& pattern, const std::string& text) {
  size_t p = 0, t = 0, star = std::string::npos, mark = 0;
  while (t < text.size()) {
    if (p < pattern.size() && (pattern[p] == '?' || pattern[p] == text[t])) {
      ++p;
      ++t;
    } else if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = t;
    } else if (star != std::string::npos) {
      p = star + 1;
      t = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

YAML::Node RulesFile() {
  const auto docs = LoadDocs(Repo(kRules));
  return docs.empty() ? YAML::Node() : docs[0];
}

std::vector<YAML::Node> RulesOnly() {
  std::vector<YAML::Node> rules;
  for (const auto& item : RulesFile()) {
    if (item["rule"]) rules.push_back(item);
  }
  return rules;
}

TEST(FalcoRules, WellFormedAndSelfContained) {
  const auto file = RulesFile();
  ASSERT_TRUE(file.IsSequence()) << kRules << ": a Falco rules file is a YAML sequence";
  std::set<std::string> defined;
  int rules = 0;
  for (size_t i = 0; i < file.size(); ++i) {
    const auto item = file[i];
    const std::string where = std::string(kRules) + " item " + std::to_string(i);
    const int kinds = (item["rule"] ? 1 : 0) + (item["macro"] ? 1 : 0) + (item["list"] ? 1 : 0);
    ASSERT_EQ(kinds, 1) << where << ": each item is exactly one rule, macro or list";
    std::string condition;
    if (item["list"]) {
      EXPECT_TRUE(item["items"] && item["items"].IsSequence()) << where << ": list without items";
      defined.insert(item["list"].as<std::string>());
      continue;
    }
    condition = item["condition"].as<std::string>("");
    EXPECT_FALSE(condition.empty()) << where << ": no condition";
    if (item["macro"]) {
      defined.insert(item["macro"].as<std::string>());
    } else {
      ++rules;
      const std::string name = item["rule"].as<std::string>();
      for (const char* key : {"desc", "output", "priority"}) {
        EXPECT_TRUE(item[key]) << where << " (" << name << "): missing " << key;
      }
      EXPECT_GE(PriorityRank(item["priority"].as<std::string>("")), 0)
          << where << ": unknown priority " << item["priority"];
      EXPECT_TRUE(item["tags"] && item["tags"].IsSequence()) << where << ": tags";
    }
    // Parentheses balance, and every riposte_* name is defined before it is used.
    int depth = 0;
    for (char ch : condition) {
      depth += ch == '(' ? 1 : ch == ')' ? -1 : 0;
      EXPECT_GE(depth, 0) << where << ": unbalanced ')'";
    }
    EXPECT_EQ(depth, 0) << where << ": unbalanced parentheses";
    for (size_t pos = 0; (pos = condition.find("riposte_", pos)) != std::string::npos;) {
      size_t end = pos;
      while (end < condition.size() &&
             (std::isalnum(static_cast<unsigned char>(condition[end])) || condition[end] == '_')) {
        ++end;
      }
      const std::string ref = condition.substr(pos, end - pos);
      EXPECT_TRUE(defined.count(ref)) << where << ": '" << ref << "' used before definition";
      pos = end;
    }
  }
  EXPECT_GE(rules, 4);
}

TEST(FalcoRules, CoverTheIngressNightmareStages) {
  std::map<std::string, bool> covered = {
      {"fd.name glob \"/proc/*/fd/*\"", false},  // shared object via /proc/<pid>/fd/<n>
      {"riposte_client_body_dirs", false},       // client-body temp dir
      {"riposte_nginx_config_test", false},      // nginx -t with ssl_engine/load_module
      {"riposte_shell_binaries", false},         // shells spawned by nginx
  };
  for (const auto& rule : RulesOnly()) {
    const std::string condition = rule["condition"].as<std::string>();
    for (auto& [needle, seen] : covered) seen = seen || condition.find(needle) != std::string::npos;
  }
  for (const auto& [needle, seen] : covered) {
    EXPECT_TRUE(seen) << "no rule condition uses " << needle;
  }
}

TEST(FalcoRules, EveryAlertNamesItsTargetPod) {
  for (const auto& rule : RulesOnly()) {
    const std::string output = rule["output"].as<std::string>();
    for (const char* field : {"%k8s.ns.name", "%k8s.pod.name", "%container.id", "%proc.cmdline"}) {
      EXPECT_NE(output.find(field), std::string::npos)
          << rule["rule"] << ": output must carry " << field
          << " (the controller picks the target pod from output_fields)";
    }
  }
}

std::string Embedded(const std::string& file, const std::vector<std::string>& path) {
  const auto docs = LoadDocs(Repo(file));
  if (docs.empty()) return "";
  YAML::Node node = docs[0];
  for (const auto& key : path) node.reset(node[key]);
  return node ? node.as<std::string>() : "";
}

TEST(FalcoRules, ShippedCopiesAreByteIdentical) {
  const std::string rules = ReadFile(Repo(kRules));
  const std::string in_configmap = FirstDifference(
      rules, Embedded("deploy/falco/ingress-nightmare-rules-configmap.yaml",
                      {"data", "ingress-nightmare-rules.yaml"}));
  EXPECT_TRUE(in_configmap.empty())
      << "the ConfigMap's copy of the rules differs from " << kRules << " at " << in_configmap;
  const std::string in_values = FirstDifference(
      rules, Embedded("deploy/falco/values-falco.yaml", {"customRules", "ingress-nightmare-rules.yaml"}));
  EXPECT_TRUE(in_values.empty())
      << "values-falco.yaml customRules differs from " << kRules << " at " << in_values;
}

TEST(FalcoRules, ExamplePolicyRespondsToEveryRule) {
  const auto policy = FindDoc(Repo("deploy/falco/responsepolicy-ingressnightmare.yaml"),
                              "ResponsePolicy");
  ASSERT_TRUE(policy);
  const auto match = policy["spec"]["match"];
  const int min_rank = PriorityRank(match["minPriority"].as<std::string>("debug"));
  for (const auto& rule : RulesOnly()) {
    const std::string name = rule["rule"].as<std::string>();
    bool matched = false;
    for (const auto& pattern : match["rules"]) matched |= Glob(pattern.as<std::string>(), name);
    EXPECT_TRUE(matched) << "the example ResponsePolicy does not match rule '" << name << "'";
    EXPECT_LE(PriorityRank(rule["priority"].as<std::string>()), min_rank)
        << "rule '" << name << "' is below the policy's minPriority";
  }
  bool namespace_ok = false;
  for (const auto& ns : match["namespaces"]) namespace_ok |= ns.as<std::string>() == "ingress-nginx";
  EXPECT_TRUE(namespace_ok);
  std::vector<std::string> types;
  for (const auto& a : policy["spec"]["actions"]) types.push_back(a["type"].as<std::string>());
  const auto isolate = std::find(types.begin(), types.end(), "isolate");
  const auto terminate = std::find(types.begin(), types.end(), "terminate");
  ASSERT_NE(isolate, types.end()) << "the policy must isolate";
  ASSERT_NE(terminate, types.end()) << "the policy must terminate";
  EXPECT_LT(isolate, terminate) << "isolate first, then terminate";
  const auto evidence = std::find(types.begin(), types.end(), "captureEvidence");
  const auto kill = std::find(types.begin(), types.end(), "killProcess");
  ASSERT_NE(evidence, types.end()) << "the policy must capture evidence";
  EXPECT_LT(evidence, kill) << "evidence before the kill";
  EXPECT_LT(evidence, terminate) << "evidence before the terminate";
}

// https://HOST:PORT/PATH -> host, port, path
struct Url {
  std::string scheme, host, path;
  int port = -1;
};
Url ParseUrl(const std::string& s) {
  Url u;
  const auto scheme_end = s.find("://");
  if (scheme_end == std::string::npos) return u;
  u.scheme = s.substr(0, scheme_end);
  const auto host_begin = scheme_end + 3;
  const auto path_begin = s.find('/', host_begin);
  const std::string authority = s.substr(host_begin, path_begin - host_begin);
  const auto colon = authority.rfind(':');
  u.host = authority.substr(0, colon);
  if (colon != std::string::npos) u.port = std::stoi(authority.substr(colon + 1));
  u.path = path_begin == std::string::npos ? "/" : s.substr(path_begin);
  return u;
}

void ExpectAlertEndpoint(const std::string& url, const std::string& where) {
  const auto values = LoadDocs(Repo("helm/riposte/values.yaml"))[0];
  const Url u = ParseUrl(url);
  EXPECT_EQ(u.scheme, "https") << where << ": the alert endpoint is HTTPS";
  EXPECT_EQ(u.host, "riposte-alerts.riposte.svc")
      << where << ": the chart's alert Service for release 'riposte' in namespace 'riposte'";
  EXPECT_EQ(u.port, values["controller"]["alerts"]["service"]["port"].as<int>()) << where;
  EXPECT_TRUE(u.path == "/" || u.path == "/v1/alerts") << where << ": path " << u.path;
}

TEST(FalcoWiring, FalcosidekickWebhookUsesTokenAndVerifiedTls) {
  const auto docs = LoadDocs(Repo("deploy/falco/values-falcosidekick.yaml"));
  ASSERT_EQ(docs.size(), 1u);
  const auto sidekick = docs[0]["falcosidekick"];
  EXPECT_TRUE(sidekick["enabled"].as<bool>(false));
  const auto webhook = sidekick["config"]["webhook"];
  ExpectAlertEndpoint(webhook["address"].as<std::string>(""), "values-falcosidekick.yaml");
  EXPECT_TRUE(webhook["checkcert"].as<bool>(false)) << "certificate checks must stay on";
  // The Authorization header comes from a Secret (WEBHOOK_CUSTOMHEADERS), never from values.
  EXPECT_FALSE(webhook["customHeaders"]) << "do not put the bearer token in values";
  EXPECT_FALSE(sidekick["config"]["existingSecret"].as<std::string>("").empty());
  const std::string text = ReadFile(Repo("deploy/falco/values-falcosidekick.yaml"));
  EXPECT_NE(text.find("WEBHOOK_CUSTOMHEADERS=\"Authorization:Bearer"), std::string::npos)
      << "document how the bearer header reaches Falcosidekick";
  EXPECT_TRUE(docs[0]["falco"]["json_output"].as<bool>(false));
}

TEST(FalcoWiring, FalcoHttpOutputUsesMutualTls) {
  const auto docs = LoadDocs(Repo("deploy/falco/values-falco-http-output.yaml"));
  ASSERT_EQ(docs.size(), 1u);
  const auto http = docs[0]["falco"]["http_output"];
  EXPECT_TRUE(http["enabled"].as<bool>(false));
  ExpectAlertEndpoint(http["url"].as<std::string>(""), "values-falco-http-output.yaml");
  EXPECT_FALSE(http["insecure"].as<bool>(true)) << "insecure must be false";
  EXPECT_TRUE(http["mtls"].as<bool>(false)) << "http_output cannot send a token: use mTLS";
  EXPECT_TRUE(docs[0]["falco"]["json_output"].as<bool>(false));
  // Every file it names is mounted.
  std::vector<std::string> mounts;
  for (const auto& m : docs[0]["mounts"]["volumeMounts"]) {
    mounts.push_back(m["mountPath"].as<std::string>() + "/");
  }
  for (const char* key : {"ca_cert", "client_cert", "client_key"}) {
    const std::string path = http[key].as<std::string>("");
    EXPECT_TRUE(std::any_of(mounts.begin(), mounts.end(),
                            [&](const std::string& m) { return path.rfind(m, 0) == 0; }))
        << "values-falco-http-output.yaml: " << key << " " << path << " is not mounted";
  }
}

}  // namespace
}  // namespace riposte::deploy_test
