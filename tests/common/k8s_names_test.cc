// The shared Kubernetes name validator against the API server's own test vectors
// (k8s.io/apimachinery/pkg/util/validation/validation_test.go) and the cases that matter for
// responses: a valid pod name must never be refused.

#include "common/k8s_names.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace riposte::k8s {
namespace {

TEST(K8sNames, Dns1123SubdomainMatchesApimachinery) {
  for (const std::string& s : std::vector<std::string>{"a", "ab", "abc", "a1", "a-1", "a--1--2--b", "0", "01", "012", "1a", "1-a", "1--a--b--2",
                        "a.a", "ab.a", "abc.a", "a1.a", "a-1.a", "a--1--2--b.a", "a.1", "ab.1", "abc.1", "a1.1",
                        "a-1.1", "a--1--2--b.1", "0.a", "01.a", "012.a", "1a.a", "1-a.a", "1--a--b--2",
                        "0.1", "01.1", "012.1", "1a.1", "1-a.1", "1--a--b--2.1", "a.b.c.d.e", "aa.bb.cc.dd.ee",
                        "1.2.3.4.5", "11.22.33.44.55"}) {
    EXPECT_TRUE(IsDns1123Subdomain(s)) << s;
  }
  EXPECT_TRUE(IsDns1123Subdomain(std::string(253, 'a')));
  for (const std::string& s : std::vector<std::string>{"", "A", "ABC", "aBc", "A1", "A-1", "1-A", "-", "a-", "-a", "1-", "-1", "_", "a_", "_a",
                        "a_b", "1_", "_1", "1_2", ".", "a.", ".a", "a..b", "1.", ".1", "1..2", " ", "a ", " a",
                        "a b", "1 ", " 1", "1 2", "A.a", "aB.a", "ab.A", "A1.a", "a1.A", "A.1", "aB.1", "A1.1",
                        "1A.1", "0.A", "01.A", "012.A", "1A.a", "1a.A", "A.B.C.D.E", "AA.BB.CC.DD.EE",
                        "a.B.c.d.e", "aa.bB.cc.dd.ee", "a@b", "a,b", "a;b", "a:b", "a%b", "a?b", "a$b",
                        "../../etc/passwd", "a/b", "<NA>"}) {
    EXPECT_FALSE(IsDns1123Subdomain(s)) << s;
  }
  EXPECT_FALSE(IsDns1123Subdomain(std::string(254, 'a')));
  EXPECT_FALSE(IsDns1123Subdomain(std::string("a\0b", 3)));
}

TEST(K8sNames, SubdomainLabelsAreNotLimitedTo63) {
  // Kubernetes limits the whole subdomain to 253 characters, not each label: the API server
  // accepts a pod named with 100 letters, so the responder must too.
  EXPECT_TRUE(IsDns1123Subdomain(std::string(100, 'a')));
  EXPECT_TRUE(IsDns1123Subdomain(std::string(100, 'a') + "." + std::string(100, 'b')));
  EXPECT_TRUE(IsValidName(NameKind::kPod, std::string(100, 'p')));
  EXPECT_TRUE(IsValidName(NameKind::kPod, std::string(252, 'p') + "1"));
  EXPECT_FALSE(IsValidName(NameKind::kPod, std::string(254, 'p')));
  EXPECT_TRUE(IsValidName(NameKind::kNode, "ip-10-0-0-1.eu-west-1.compute.internal"));
  EXPECT_TRUE(IsValidName(NameKind::kObject, std::string(200, 'o')));
}

TEST(K8sNames, Dns1123LabelMatchesApimachinery) {
  for (const std::string& s : std::vector<std::string>{"a", "ab", "abc", "a1", "a-1", "a--1--2--b", "0", "01", "012", "1a", "1-a", "1--a--b--2"}) {
    EXPECT_TRUE(IsDns1123Label(s)) << s;
  }
  EXPECT_TRUE(IsDns1123Label(std::string(63, 'a')));
  for (const std::string& s : std::vector<std::string>{"", "A", "ABC", "aBc", "A1", "A-1", "1-A", "-", "a-", "-a", "1-", "-1", "_", "a_", "_a",
                        "a_b", "1_", "_1", "1_2", ".", "a.", ".a", "a.b", "1.", ".1", "1.2", " ", "a ", " a",
                        "a b", "1 ", " 1", "1 2", "shop/pods/other?x="}) {
    EXPECT_FALSE(IsDns1123Label(s)) << s;
  }
  EXPECT_FALSE(IsDns1123Label(std::string(64, 'a')));
}

TEST(K8sNames, NamespacesAndContainersAreLabels) {
  EXPECT_TRUE(IsValidName(NameKind::kNamespace, "kube-system"));
  EXPECT_FALSE(IsValidName(NameKind::kNamespace, std::string(64, 'n')));
  EXPECT_FALSE(IsValidName(NameKind::kNamespace, "a.b"));
  EXPECT_TRUE(IsValidName(NameKind::kContainer, "web"));
  EXPECT_FALSE(IsValidName(NameKind::kContainer, "web.sidecar"));
  // Look-alikes of protected namespaces never pass: only ASCII lower-case letters and digits.
  EXPECT_FALSE(IsValidName(NameKind::kNamespace, "kube\xE2\x80\x90system"));  // U+2010 hyphen
  EXPECT_FALSE(IsValidName(NameKind::kNamespace, "kube-syst\xD0\xB5m"));      // Cyrillic e
  EXPECT_FALSE(IsValidName(NameKind::kNamespace, "kube-system\xE2\x80\x8B")); // zero-width space
  EXPECT_FALSE(IsValidName(NameKind::kNamespace, "KUBE-SYSTEM"));
  EXPECT_FALSE(IsValidName(NameKind::kNamespace, "kube-system "));
}

TEST(K8sNames, ServicesAreDns1035Labels) {
  EXPECT_TRUE(IsDns1035Label("web"));
  EXPECT_TRUE(IsValidName(NameKind::kService, "a1-b"));
  EXPECT_FALSE(IsValidName(NameKind::kService, "1web"));
  EXPECT_FALSE(IsValidName(NameKind::kService, std::string(64, 's')));
}

TEST(K8sNames, LabelValuesAndQualifiedNames) {
  for (const std::string& s : std::vector<std::string>{"", "simple", "now-with-dashes", "1-starts-with-num", "end-with-num-1", "1234", "A",
                        "AB", "a_b", "a.b", "My_value.1", std::string(63, 'a')}) {
    EXPECT_TRUE(IsLabelValue(s)) << s;
  }
  for (const std::string& s : std::vector<std::string>{"nospecialchars%^=@", "Tama-nui-te-rā.is.Māori.sun", "\\backslashes\\are\\bad",
                        "-starts-with-dash", "ends-with-dash-", ".starts.with.dot", "ends.with.dot.", "a b",
                        std::string(64, 'a')}) {
    EXPECT_FALSE(IsLabelValue(s)) << s;
  }
  for (const std::string& s : std::vector<std::string>{"simple", "now-with-dashes", "1-starts-with-num", "1234", "simple/simple",
                        "now-with-dashes/simple", "now-with-dashes/now-with-dashes", "now.with.dots/simple",
                        "now-with.dashes-and.dots/simple", "1-num.2-num/3-num", "1234/5678", "1.2.3.4/5678",
                        "Uppercase_Is_OK_123", "example.com/Uppercase_Is_OK_123", "requests.storage-foo",
                        std::string(63, 'a'), std::string(253, 'a') + "/" + std::string(63, 'b')}) {
    EXPECT_TRUE(IsQualifiedName(s)) << s;
  }
  for (const std::string& s : std::vector<std::string>{"nospecialchars%^=@", "cantendwithadash-", "-cantstartwithadash-", "only/one/slash",
                        "Example.com/abc", "example_com/abc", "example.com/", "/simple", std::string(64, 'a'),
                        std::string(254, 'a') + "/abc", ""}) {
    EXPECT_FALSE(IsQualifiedName(s)) << s;
  }
}

TEST(K8sNames, MessagesNameTheRuleAndQuoteSafely) {
  EXPECT_EQ(ValidateName(NameKind::kPod, "web-1"), "");
  std::string m = ValidateName(NameKind::kPod, "Web");
  EXPECT_NE(m.find("pod name \"Web\""), std::string::npos) << m;
  EXPECT_NE(m.find("DNS-1123 subdomain"), std::string::npos) << m;
  EXPECT_NE(ValidateName(NameKind::kNamespace, "a.b").find("DNS-1123 label"), std::string::npos);
  EXPECT_EQ(ValidateName(NameKind::kNamespace, ""), "namespace name is empty");
  std::string ctl = ValidateName(NameKind::kPod, "a\nb\"c");
  EXPECT_EQ(ctl.find('\n'), std::string::npos) << ctl;
  EXPECT_NE(ctl.find("a\\x0ab\\x22c"), std::string::npos) << ctl;
  std::string longer = ValidateName(NameKind::kPod, std::string(300, 'x'));
  EXPECT_NE(longer.find(std::string(64, 'x') + "...\""), std::string::npos) << longer;
  EXPECT_EQ(longer.find(std::string(65, 'x')), std::string::npos);
}

}  // namespace
}  // namespace riposte::k8s
