// tests/data/profiles: real objects of F5 NGINX Ingress Controller and NGINX Gateway Fabric
// (their own examples and test manifests) and constructed attacks, read by scan's manifest
// reader and judged by the engine with the profile enabled.
//   benign.yaml          every object admitted;
//   benign-snippets.yaml every object denied by default (snippet rule) and admitted where the
//                        policy allows snippets for its namespace;
//   attacks.yaml         every object denied with at least the rules in riposte.test/expect;
//                        where snippets are allowed, those expecting a danger rule still are.
#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <sstream>

#include "core/engine.h"
#include "core/manifest_loader.h"
#include "core/rules.h"

namespace riposte::core {
namespace {

struct Profile {
  const char* dir;
  std::string_view snippet_denied;
  std::string_view snippet_danger;
  size_t min_benign;
  size_t min_attacks;
};

constexpr Profile kF5{"f5-nginx-ingress", rule_ids::kNicSnippetDenied, rule_ids::kNicSnippetDanger, 50, 40};
constexpr Profile kNgf{"nginx-gateway-fabric", rule_ids::kNgfSnippetDenied, rule_ids::kNgfSnippetDanger, 20, 12};

std::string Read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

ManifestSet Load(const Profile& p, const std::string& file) {
  const std::string path = std::string(RIPOSTE_TEST_DATA_DIR) + "/profiles/" + p.dir + "/" + file;
  const std::string text = Read(path);
  EXPECT_FALSE(text.empty()) << path;
  ManifestSet set = ParseManifests(text, "default");
  for (const auto& e : set.errors) ADD_FAILURE() << path << ":" << e.line << ":" << e.column << ": " << e.message;
  return set;
}

// Both profiles on; ingress-nginx's rules off (a cluster that has moved), so the F5 profile
// judges Ingress paths itself.
std::shared_ptr<Policy> SuccessorPolicy() {
  auto p = std::make_shared<Policy>();
  p->ingress_nginx_enabled = false;
  p->f5_nginx_ingress.enabled = true;
  p->nginx_gateway_fabric.enabled = true;
  return p;
}

std::vector<Finding> Judge(const Engine& engine, const ManifestObject& o) {
  return o.resource.kind != nullptr ? engine.Check(o.resource) : engine.Check(o.ingress);
}

std::string Name(const ManifestObject& o) {
  return o.kind + " " + (o.resource.kind != nullptr ? o.resource.name : o.ingress.name) + " (line " +
         std::to_string(o.line) + ")";
}

std::string Annotation(const ManifestObject& o, const std::string& key) {
  const KeyValues& kv = o.resource.kind != nullptr ? o.resource.annotations : o.ingress.annotations;
  for (const auto& [k, v] : kv) {
    if (k == key) return v;
  }
  return "";
}

std::string Describe(const std::vector<Finding>& findings) {
  std::string out;
  for (const auto& f : findings) out += "\n  " + f.rule_id + " " + f.field + ": " + f.message;
  return out;
}

bool Has(const std::vector<Finding>& findings, std::string_view rule) {
  for (const auto& f : findings) {
    if (f.rule_id == rule) return true;
  }
  return false;
}

void ExpectWellFormed(const std::vector<Finding>& findings, const std::string& what) {
  for (const auto& f : findings) {
    EXPECT_NE(FindRule(f.rule_id), nullptr) << what << ": " << f.rule_id;
    EXPECT_FALSE(f.field.empty()) << what;
    EXPECT_FALSE(f.remediation.empty()) << what;
    EXPECT_EQ(f.message.find_first_of("\n\r"), std::string::npos) << what << ": message must be one line";
    EXPECT_LT(f.message.size(), 600u) << what;
  }
}

class ProfileCorpus : public ::testing::TestWithParam<Profile> {};

TEST_P(ProfileCorpus, BenignObjectsAreAdmitted) {
  const Profile& p = GetParam();
  const ManifestSet set = Load(p, "benign.yaml");
  const Engine engine(SuccessorPolicy());
  size_t judged = 0;
  for (const auto& o : set.objects) {
    const bool judges = o.resource.kind != nullptr ? engine.Judges(o.resource) : engine.JudgesAny(o.ingress);
    EXPECT_TRUE(judges) << Name(o) << " is not judged: the corpus must exercise the profile";
    judged += judges ? 1 : 0;
    const auto findings = Judge(engine, o);
    EXPECT_TRUE(findings.empty()) << Name(o) << Describe(findings);
  }
  EXPECT_GE(judged, p.min_benign);
}

TEST_P(ProfileCorpus, BenignSnippetsAreDeniedByDefaultAndAdmittedWhereAllowed) {
  const Profile& p = GetParam();
  const ManifestSet set = Load(p, "benign-snippets.yaml");
  ASSERT_GE(set.objects.size(), 5u);
  const Engine by_default(SuccessorPolicy());
  auto allowing = SuccessorPolicy();
  allowing->f5_nginx_ingress.snippet_namespaces = {"default"};
  allowing->nginx_gateway_fabric.snippet_namespaces = {"default"};
  const Engine allowed(allowing);
  for (const auto& o : set.objects) {
    const auto denied = Judge(by_default, o);
    EXPECT_TRUE(Has(denied, p.snippet_denied)) << Name(o) << Describe(denied);
    ExpectWellFormed(denied, Name(o));
    const auto findings = Judge(allowed, o);
    EXPECT_TRUE(findings.empty()) << Name(o) << " where snippets are allowed:" << Describe(findings);
    // Allowed in "default" only: the same object in another namespace is denied again.
    ManifestObject elsewhere = o;
    (o.resource.kind != nullptr ? elsewhere.resource.ns : elsewhere.ingress.ns) = "other-team";
    EXPECT_TRUE(Has(Judge(allowed, elsewhere), p.snippet_denied)) << Name(o);
  }
}

TEST_P(ProfileCorpus, AttacksAreDeniedWithTheirRules) {
  const Profile& p = GetParam();
  const ManifestSet set = Load(p, "attacks.yaml");
  const Engine engine(SuccessorPolicy());
  auto allowing = SuccessorPolicy();
  allowing->f5_nginx_ingress.snippets_allowed = true;
  allowing->nginx_gateway_fabric.snippets_allowed = true;
  const Engine snippets_allowed(allowing);
  size_t attacks = 0;
  for (const auto& o : set.objects) {
    const std::string expect = Annotation(o, "riposte.test/expect");
    ASSERT_FALSE(expect.empty()) << Name(o) << ": riposte.test/expect is missing";
    EXPECT_FALSE(Annotation(o, "riposte.test/source").empty()) << Name(o) << ": riposte.test/source is missing";
    ++attacks;
    const auto findings = Judge(engine, o);
    ExpectWellFormed(findings, Name(o));
    std::stringstream rules(expect);
    bool danger = false, denied_only = true;
    for (std::string rule; std::getline(rules, rule, ',');) {
      ASSERT_NE(FindRule(rule), nullptr) << Name(o) << ": unknown rule " << rule;
      EXPECT_TRUE(Has(findings, rule)) << Name(o) << " lacks " << rule << Describe(findings);
      danger |= rule == p.snippet_danger;
      denied_only &= rule == p.snippet_denied;
    }
    const auto with_snippets = Judge(snippets_allowed, o);
    if (danger) {
      EXPECT_TRUE(Has(with_snippets, p.snippet_danger)) << Name(o) << Describe(with_snippets);
    }
    if (!denied_only) {
      EXPECT_FALSE(with_snippets.empty()) << Name(o) << " must stay denied where snippets are allowed";
    }
  }
  EXPECT_GE(attacks, p.min_attacks);
}

TEST_P(ProfileCorpus, NothingIsJudgedWhileTheProfileIsDisabled) {
  const Profile& p = GetParam();
  const Engine engine(DefaultPolicy());
  for (const char* file : {"benign-snippets.yaml", "attacks.yaml"}) {
    for (const auto& o : Load(p, file).objects) {
      if (o.resource.kind == nullptr) continue;  // Ingresses: ingress-nginx's rules (its own corpus)
      EXPECT_FALSE(engine.Judges(o.resource)) << Name(o);
      EXPECT_TRUE(engine.Check(o.resource).empty()) << Name(o);
    }
  }
}

std::string ProfileName(const ::testing::TestParamInfo<Profile>& i) {
  return i.param.dir == std::string("f5-nginx-ingress") ? "F5" : "NGF";
}

INSTANTIATE_TEST_SUITE_P(Profiles, ProfileCorpus, ::testing::Values(kF5, kNgf), ProfileName);

// A cluster that runs both controllers under the same class name: each profile judges its own
// annotations, the spec is judged once (by ingress-nginx's rules), and every F5 attack on an
// Ingress is still denied.
TEST(ProfileCorpusF5, SharedClassJudgesBothPrefixesAndTheSpecOnce) {
  auto policy = SuccessorPolicy();
  policy->ingress_nginx_enabled = true;
  const Engine engine(policy);
  const ManifestSet set = Load(kF5, "attacks.yaml");
  size_t ingresses = 0;
  for (const auto& o : set.objects) {
    if (o.kind != "Ingress") continue;
    ++ingresses;
    const auto findings = engine.Check(o.ingress);
    EXPECT_FALSE(findings.empty()) << Name(o);
    for (const auto& f : findings) {
      if (f.field.rfind("spec.", 0) == 0) {
        EXPECT_EQ(f.rule_id.rfind("RIP-NIC-", 0), std::string::npos)
            << Name(o) << ": the spec was judged by both profiles: " << f.rule_id;
      }
    }
  }
  EXPECT_GE(ingresses, 20u);
}

}  // namespace
}  // namespace riposte::core
