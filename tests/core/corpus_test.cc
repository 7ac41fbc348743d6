// The whole shared corpus, one test per case: `reject` rejected and `allow` allowed under the
// default policy; `assumes` (snippet) cases rejected by default and allowed only where the
// policy allows snippets for their namespace.
#include <gtest/gtest.h>

#include "core/engine.h"
#include "tests/core/corpus_case.h"

namespace riposte::core {
namespace {

using riposte::testing::CorpusCase;

const std::vector<CorpusCase>& Corpus() {
  static const auto cases = riposte::testing::LoadCorpus(std::string(RIPOSTE_TEST_DATA_DIR) + "/corpus/ingress_cases.jsonl");
  return cases;
}

std::string Describe(const std::vector<Finding>& findings) {
  std::string out;
  for (const auto& f : findings) out += "  " + f.rule_id + " " + f.field + ": " + f.message + "\n";
  return out;
}

class CorpusTest : public ::testing::TestWithParam<size_t> {};

// The prefix a case's annotations are written for. Cases aim at ingress-nginx; one whose
// annotations use another "*.ingress.kubernetes.io" prefix stands for a controller started with
// --annotations-prefix=<that prefix>, so it is judged with that prefix configured (and under
// the default prefix it is not ingress-nginx's to read: see ForeignPrefixIsNotRead).
std::string CasePrefix(const CorpusCase& c) {
  std::string prefix = Policy().annotation_prefix;
  for (const auto& [key, value] : c.ingress.annotations) {
    const auto slash = key.find('/');
    if (slash == std::string::npos) continue;
    const std::string owner = key.substr(0, slash);
    if (owner != prefix && owner.size() > 22 && owner.substr(owner.size() - 22) == ".ingress.kubernetes.io") prefix = owner;
  }
  return prefix;
}

PolicyPtr PolicyFor(const CorpusCase& c) {
  auto policy = std::make_shared<Policy>();
  policy->annotation_prefix = CasePrefix(c);
  return policy;
}

TEST_P(CorpusTest, DecidedAsMarked) {
  const CorpusCase& c = Corpus()[GetParam()];
  riposte::testing::VectorConfigMapLookup lookup(&c.configmaps);
  Engine engine(PolicyFor(c));
  const auto findings = engine.Check(c.ingress, &lookup);
  if (c.expect == "reject" || !c.assumes.empty()) {
    EXPECT_FALSE(findings.empty()) << c.id << " must be rejected: " << c.reason;
  } else {
    EXPECT_TRUE(findings.empty()) << c.id << " must be allowed:\n" << Describe(findings);
  }
  if (!c.assumes.empty()) {
    auto policy = std::make_shared<Policy>(*PolicyFor(c));
    policy->snippet_namespaces = {c.ingress.ns};
    const auto allowed = Engine(policy).Check(c.ingress, &lookup);
    EXPECT_TRUE(allowed.empty()) << c.id << " must be allowed where snippets are allowed:\n" << Describe(allowed);
    Ingress elsewhere = c.ingress;
    elsewhere.ns = "other-team";
    EXPECT_FALSE(Engine(policy).Check(elsewhere, &lookup).empty()) << "snippets allowed only in the listed namespace";
  }
  for (const auto& f : findings) {
    EXPECT_FALSE(f.rule_id.empty());
    EXPECT_FALSE(f.field.empty());
    EXPECT_FALSE(f.remediation.empty());
    EXPECT_EQ(f.message.find('\n'), std::string::npos) << "message must be one line";
    EXPECT_EQ(f.message.find('\r'), std::string::npos) << "message must be one line";
    EXPECT_LT(f.message.size(), 600u);
  }
}

std::string CaseName(const ::testing::TestParamInfo<size_t>& info) {
  std::string name = Corpus()[info.param].id;
  for (auto& ch : name) {
    if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
  }
  return name;
}

INSTANTIATE_TEST_SUITE_P(Corpus, CorpusTest, ::testing::Range<size_t>(0, Corpus().size()), CaseName);

TEST(CorpusFile, ForeignPrefixIsNotRead) {
  // A case written for another --annotations-prefix is not ingress-nginx's to read under the
  // default prefix: only the configured prefix counts.
  size_t foreign = 0;
  for (const auto& c : Corpus()) {
    if (CasePrefix(c) == Policy().annotation_prefix) continue;
    ++foreign;
    riposte::testing::VectorConfigMapLookup lookup(&c.configmaps);
    EXPECT_TRUE(Engine(DefaultPolicy()).Check(c.ingress, &lookup).empty()) << c.id;
  }
  EXPECT_GT(foreign, 0u);
}

TEST(CorpusFile, HasBothKinds) {
  size_t reject = 0, allow = 0, assumes = 0;
  for (const auto& c : Corpus()) {
    if (!c.assumes.empty()) ++assumes;
    (c.expect == "reject" ? reject : allow)++;
  }
  EXPECT_GT(reject, 40u);
  EXPECT_GT(allow, 30u);
  EXPECT_GT(assumes, 3u);
}

}  // namespace
}  // namespace riposte::core
