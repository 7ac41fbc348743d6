// Policy loader: a valid file compiles to the expected Policy; every error kind is reported
// with the exact file:line:column of the offending node.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

#include "core/policy.h"

namespace riposte::core {
namespace {

TEST(PolicyLoader, FullFileCompiles) {
  const std::string text = R"(# comment
mode: warn
annotationPrefix: custom.ingress.kubernetes.io
snippets:
  allow: false
  namespaces: [platform, edge]
exemptNamespaces: [ingress-nginx]
maxValueBytes: 4096
rules:
  RIP-ANN-SIZE: {enabled: false}
  RIP-TLS: {severity: low}
ingressClasses: [nginx-internal, nginx-external]
crossNamespaceReferences:
  allow: false
  namespaces: [shared-ca]
)";
  PolicyError err;
  auto p = ParsePolicy(text, "p.yaml", &err);
  ASSERT_NE(p, nullptr) << err.ToString();
  EXPECT_EQ(p->mode, Mode::kWarn);
  EXPECT_EQ(p->annotation_prefix, "custom.ingress.kubernetes.io");
  EXPECT_FALSE(p->snippets_allowed);
  EXPECT_TRUE(p->SnippetsAllowedIn("edge"));
  EXPECT_FALSE(p->SnippetsAllowedIn("shop"));
  EXPECT_TRUE(p->IsExempt("ingress-nginx"));
  EXPECT_EQ(p->max_value_bytes, 4096u);
  EXPECT_FALSE(p->rules.at("RIP-ANN-SIZE").enabled);
  EXPECT_EQ(p->rules.at("RIP-TLS").severity, Severity::kLow);
  EXPECT_TRUE(p->ServesClass("nginx-external"));
  EXPECT_FALSE(p->ServesClass("nginx"));
  EXPECT_TRUE(p->CrossNamespaceAllowed("shared-ca"));
  EXPECT_FALSE(p->CrossNamespaceAllowed("kube-system"));
}

TEST(PolicyLoader, EmptyFileMeansDefaults) {
  PolicyError err;
  auto p = ParsePolicy("# nothing\n", "p.yaml", &err);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->mode, Mode::kEnforce);
  EXPECT_EQ(p->annotation_prefix, "nginx.ingress.kubernetes.io");
  EXPECT_EQ(p->max_value_bytes, 32u * 1024);
  EXPECT_FALSE(p->SnippetsAllowedIn("default"));
  EXPECT_EQ(p->ingress_classes, std::vector<std::string>{"nginx"});
  EXPECT_FALSE(p->CrossNamespaceAllowed("other"));
}

struct ErrorCase {
  const char* name;
  const char* text;
  int line;
  int column;
  const char* message_part;
};

class PolicyErrors : public ::testing::TestWithParam<ErrorCase> {};

TEST_P(PolicyErrors, ReportedWithPosition) {
  const auto& c = GetParam();
  PolicyError err;
  EXPECT_EQ(ParsePolicy(c.text, "policy.yaml", &err), nullptr);
  EXPECT_EQ(err.file, "policy.yaml");
  EXPECT_EQ(err.line, c.line) << err.ToString();
  EXPECT_EQ(err.column, c.column) << err.ToString();
  EXPECT_NE(err.message.find(c.message_part), std::string::npos) << err.ToString();
  EXPECT_EQ(err.ToString().rfind("policy.yaml:" + std::to_string(c.line) + ":" + std::to_string(c.column) + ": ", 0), 0u);
}

INSTANTIATE_TEST_SUITE_P(
    Kinds, PolicyErrors,
    ::testing::Values(
        ErrorCase{"unknown_key", "mode: enforce\nsnipets: {allow: true}\n", 2, 1, "unknown key \"snipets\""},
        ErrorCase{"unknown_nested_key", "snippets:\n  allow: true\n  namespace: [a]\n", 3, 3, "unknown key \"namespace\""},
        ErrorCase{"bad_mode", "mode: block\n", 1, 7, "not one of enforce, warn, audit"},
        ErrorCase{"mode_wrong_type", "mode: [enforce]\n", 1, 7, "expected a string"},
        ErrorCase{"allow_not_bool", "snippets:\n  allow: yes-please\n", 2, 10, "expected true or false"},
        ErrorCase{"allow_quoted_bool", "snippets:\n  allow: \"true\"\n", 2, 10, "expected true or false"},
        ErrorCase{"namespaces_not_list", "exemptNamespaces: kube-system\n", 1, 19, "expected a list"},
        ErrorCase{"namespace_invalid", "exemptNamespaces:\n- ok\n- Not_Valid\n", 3, 3, "not a valid namespace"},
        ErrorCase{"max_not_int", "maxValueBytes: 32k\n", 1, 16, "expected an integer"},
        ErrorCase{"max_out_of_range", "maxValueBytes: 999999999\n", 1, 16, "out of range"},
        ErrorCase{"unknown_rule", "rules:\n  RIP-ANN-TYPE: {enabled: false}\n  RIP-NOPE: {enabled: false}\n", 3, 3,
                  "unknown rule id \"RIP-NOPE\""},
        ErrorCase{"bad_severity", "rules:\n  RIP-UID:\n    severity: urgent\n", 3, 15, "not one of low"},
        ErrorCase{"rule_unknown_field", "rules:\n  RIP-UID: {enabled: true, level: 3}\n", 2, 28, "unknown key \"level\""},
        ErrorCase{"rule_not_map", "rules:\n  RIP-UID: off\n", 2, 12, "expected a mapping"},
        ErrorCase{"top_not_map", "- mode: enforce\n", 1, 1, "expected a mapping"},
        ErrorCase{"bad_prefix", "annotationPrefix: \"nginx/x\"\n", 1, 19, "not a DNS subdomain"},
        ErrorCase{"classes_not_list", "ingressClasses: nginx\n", 1, 17, "expected a list of IngressClass names"},
        ErrorCase{"classes_empty", "ingressClasses: []\n", 1, 17, "name at least one class"},
        ErrorCase{"class_invalid", "ingressClasses:\n- nginx\n- Nginx_Internal\n", 3, 3, "not a valid IngressClass name"},
        ErrorCase{"xns_not_map", "crossNamespaceReferences: true\n", 1, 27, "expected a mapping"},
        ErrorCase{"xns_allow_not_bool", "crossNamespaceReferences:\n  allow: sometimes\n", 2, 10, "expected true or false"},
        ErrorCase{"xns_bad_namespace", "crossNamespaceReferences:\n  namespaces: [ok, Bad!]\n", 2, 20,
                  "not a valid namespace"},
        ErrorCase{"xns_unknown_key", "crossNamespaceReferences:\n  targets: [a]\n", 2, 3, "unknown key \"targets\""},
        ErrorCase{"yaml_syntax", "mode: enforce\nsnippets: {allow: true\n", 3, 1, "invalid YAML"},
        ErrorCase{"two_documents", "mode: warn\n---\nmode: enforce\n", 3, 1, "single YAML document"},
        ErrorCase{"after_leading_marker", "# policy\n---\nmode: block\n", 3, 7, "not one of enforce"},
        // yaml-cpp 0.7's LoadAll loops forever on these and Load reads them as an empty file.
        ErrorCase{"comma_stream", ",\n", 1, 1, "unexpected content"},
        ErrorCase{"tag_then_comma", "!e, name*L\nco*\n", 1, 3, "unexpected content"}),
    [](const auto& param_info) { return std::string(param_info.param.name); });

TEST(PolicyLoader, BinaryInputIsRefusedBeforeYamlParsing) {
  // yaml-cpp can loop forever on some binary input; such files are refused up front.
  PolicyError err;
  EXPECT_EQ(ParsePolicy(std::string("mode: warn\nx: a\0b\n", 17), "p.yaml", &err), nullptr);
  EXPECT_EQ(err.line, 2);
  EXPECT_EQ(err.column, 5);
  EXPECT_EQ(ParsePolicy("mode: \xff\n", "p.yaml", &err), nullptr);
  EXPECT_NE(err.message.find("invalid UTF-8"), std::string::npos);
  EXPECT_NE(ParsePolicy("# caf\xc3\xa9\nmode: warn\n", "p.yaml", &err), nullptr);
}

TEST(PolicyLoader, MissingFileIsAnError) {
  PolicyError err;
  EXPECT_EQ(LoadPolicyFile("/nonexistent/riposte-policy.yaml", &err), nullptr);
  EXPECT_EQ(err.file, "/nonexistent/riposte-policy.yaml");
  EXPECT_NE(err.message.find("cannot read"), std::string::npos);
}

TEST(PolicyLoader, LoadsFromFile) {
  const std::string path = ::testing::TempDir() + "/riposte-policy-test.yaml";
  {
    std::ofstream out(path);
    out << "mode: audit\nsnippets: {allow: true}\n";
  }
  PolicyError err;
  auto p = LoadPolicyFile(path, &err);
  ASSERT_NE(p, nullptr) << err.ToString();
  EXPECT_EQ(p->mode, Mode::kAudit);
  EXPECT_TRUE(p->SnippetsAllowedIn("anything"));
  std::remove(path.c_str());
}

TEST(PolicyLoader, ExampleFileIsValid) {
  PolicyError err;
  auto p = LoadPolicyFile(std::string(RIPOSTE_TEST_DATA_DIR) + "/../../examples/policy.yaml", &err);
  ASSERT_NE(p, nullptr) << err.ToString();
  EXPECT_TRUE(p->SnippetsAllowedIn("platform"));
}

}  // namespace
}  // namespace riposte::core
