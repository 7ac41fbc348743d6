// The parser-differential table: manifests that YAML parsers read differently, with the
// objects `kubectl apply -f` creates from them (recorded from kubectl v1.30's own reading,
// `kubectl label --local -o json -f FILE`), or an error where kubectl refuses them. scan
// must see exactly those objects or refuse with a position. With RIPOSTE_KUBECTL pointing at
// a kubectl binary (scripts/envtest-tools.sh fetches one) every case is also checked live.
#include <gtest/gtest.h>
// After gtest: cpprest defines macros (U) that clash with gtest internals.
#include <cpprest/json.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "core/kubectl_reader.h"
#include "core/manifest_loader.h"

namespace riposte::core {
namespace {

struct DiffCase {
  const char* name;
  std::string yaml;
  // "NAME {annotations}" per Ingress in order, "error: <substring>" when kubectl refuses, or
  // "refused: <substring>" where kubectl's result is not deterministic and scan refuses.
  std::vector<std::string> expect;
};

std::string Describe(const Ingress& ing) {
  std::map<std::string, std::string> sorted(ing.annotations.begin(), ing.annotations.end());
  std::string out = ing.name + " {";
  bool first = true;
  for (const auto& [k, v] : sorted) {
    out += (first ? "" : ",") + k + "=" + v;
    first = false;
  }
  return out + "}";
}

const std::string kHead = "apiVersion: networking.k8s.io/v1\nkind: Ingress\n";

std::vector<DiffCase> Cases() {
  return {
      {"duplicate key: the last wins",
       kHead + "metadata:\n  name: a\n  annotations: {x: benign}\nmetadata:\n  name: b\n  annotations: {x: evil}\n",
       {"b {x=evil}"}},
      {"duplicate annotation: the last wins", kHead + "metadata:\n  name: a\n  annotations:\n    x: one\n    x: two\n",
       {"a {x=two}"}},
      {"merge key after an explicit key overrides it (go-yaml v2 merges in document order)",
       "base: &b\n  x: evil\n" + kHead + "metadata:\n  name: a\n  annotations:\n    x: good\n    <<: *b\n",
       {"a {x=evil}"}},
      {"explicit key after a merge key wins", "base: &b\n  x: evil\n" + kHead +
                                                  "metadata:\n  name: a\n  annotations:\n    <<: *b\n    x: good\n",
       {"a {x=good}"}},
      {"merge of a list: earlier mappings take precedence",
       "one: &one {x: first}\ntwo: &two {x: second, w: two}\n" + kHead +
           "metadata:\n  name: a\n  annotations:\n    <<: [*one, *two]\n",
       {"a {w=two,x=first}"}},
      {"merge supplies metadata itself", "m: &m\n  name: merged\n  annotations: {x: from-merge}\n" + kHead +
                                             "metadata:\n  <<: *m\n",
       {"merged {x=from-merge}"}},
      {"quoted << is an ordinary key", kHead + "metadata:\n  name: a\n  annotations:\n    '<<': plain\n",
       {"a {<<=plain}"}},
      {"!!binary is base64-decoded", kHead + "metadata:\n  name: a\n  annotations:\n    x: !!binary aGVsbG8=\n",
       {"a {x=hello}"}},
      {"custom and !!str tags keep the text", kHead + "metadata:\n  name: a\n  annotations:\n    x: !foo bar\n    z: !!str 12\n",
       {"a {x=bar,z=12}"}},
      {"!!int on an annotation is a number: refused", kHead + "metadata:\n  name: a\n  annotations:\n    x: !!int \"12\"\n",
       {"error: must be a string"}},
      {"YAML 1.1 booleans as keys become \"true\"/\"false\"", kHead + "metadata:\n  name: a\n  annotations:\n    y: one\n    No: two\n",
       {"a {false=two,true=one}"}},
      {"unquoted yes/on/0777 are not strings: refused", kHead + "metadata:\n  name: a\n  annotations:\n    x: on\n",
       {"error: must be a string"}},
      {"an int key and the same string key collide", kHead + "metadata:\n  name: a\n  annotations:\n    1: a\n    \"1\": b\n",
       {"refused: both become"}},
      {"NEL (U+0085) is a line break", kHead + "metadata:\n  name: a\n  annotations:\n    x: \"ok\"\xc2\x85    w: nel\n",
       {"a {w=nel,x=ok}"}},
      {"LS (U+2028) ends a comment", kHead + "metadata:\n  name: a\n  annotations:\n    x: ok # hidden?\xe2\x80\xa8    w: ls\n",
       {"a {w=ls,x=ok}"}},
      {"PS (U+2029) is a line break in a plain scalar",
       kHead + "metadata:\n  name: a\n  annotations:\n    x: ok\xe2\x80\xa9    w: ps\n", {"a {w=ps,x=ok}"}},
      {"NBSP after --- still separates documents (strings.TrimSpace)",
       kHead + "metadata: {name: a}\n---\xc2\xa0\n" + kHead + "metadata: {name: b}\n", {"a {}", "b {}"}},
      {"--- followed by content is an error", kHead + "metadata: {name: a}\n--- {kind: Ingress}\n",
       {"error: invalid document separator"}},
      {"NBSP in indentation is content, not indentation: the line is a top-level key",
       kHead + "metadata:\n  name: a\n  annotations:\n    x: one\n\xc2\xa0   w: two\n", {"a {x=one}"}},
      {"... ends the piece: what follows is never read", kHead + "metadata: {name: a}\n...\n" + kHead + "metadata: {name: b}\n",
       {"a {}"}},
      {"CRLF line endings", "apiVersion: networking.k8s.io/v1\r\nkind: Ingress\r\nmetadata:\r\n  name: a\r\n---\r\n" + kHead +
                                "metadata: {name: b}\r\n",
       {"a {}", "b {}"}},
      {"items on a non-List kind: the items are the objects, with the kind inherited",
       kHead + "metadata: {name: outer}\nitems:\n- metadata: {name: hidden, annotations: {x: \"1\"}}\n", {"hidden {x=1}"}},
      {"items: null creates nothing", kHead + "metadata: {name: outer, annotations: {x: \"1\"}}\nitems:\n", {}},
      {"IngressList items inherit Ingress",
       "apiVersion: networking.k8s.io/v1\nkind: IngressList\nitems:\n- metadata: {name: one}\n- metadata: {name: two}\n",
       {"one {}", "two {}"}},
      {"a list inside a list item is refused",
       "apiVersion: v1\nkind: List\nitems:\n- " + std::string("apiVersion: networking.k8s.io/v1\n  kind: Ingress\n") +
           "  metadata: {name: a}\n  items: [{kind: Ingress, metadata: {name: nested}}]\n",
       {"error: list inside a list item"}},
      {"'?' in an unquoted flow value is refused", kHead + "metadata: {name: a, annotations: {u: http://x/?a=b}}\n",
       {"error: quote it"}},
      {"anchors and aliases", kHead + "metadata:\n  name: a\n  annotations: &ann {x: \"1\"}\n---\n" + kHead +
                                  "metadata:\n  name: b\n  labels: &l {k: v}\n  annotations: *l\n",
       {"a {x=1}", "b {k=v}"}},
      {"an alias of itself is refused", kHead + "metadata: &m\n  name: a\n  annotations: {x: *m}\n",
       {"error: contains an alias of itself"}},
      {"JSON stream: the last duplicate wins",
       "{\"apiVersion\":\"networking.k8s.io/v1\",\"kind\":\"Ingress\",\"metadata\":{\"name\":\"a\",\"annotations\":"
       "{\"x\":\"one\",\"x\":\"two\"}}}\n{\"apiVersion\":\"networking.k8s.io/v1\",\"kind\":\"Ingress\",\"metadata\":{\"name\":\"b\"}}",
       {"a {x=two}", "b {}"}},
      {"document without kind is refused", "apiVersion: v1\nmetadata: {name: a}\n", {"error: Kind' is missing"}},
      {"null namespace is the default namespace", kHead + "metadata: {name: a, namespace: ~}\n", {"a {}"}},
  };
}

ManifestSet Parse(const std::string& yaml) { return ParseManifests(yaml, "default"); }

TEST(KubectlReaderDifferential, EveryCaseAsKubectlReadsIt) {
  for (const auto& c : Cases()) {
    const ManifestSet set = Parse(c.yaml);
    const bool want_error = !c.expect.empty() && (c.expect[0].rfind("error: ", 0) == 0 || c.expect[0].rfind("refused: ", 0) == 0);
    if (want_error) {
      ASSERT_FALSE(set.errors.empty()) << c.name;
      EXPECT_NE(set.errors[0].message.find(c.expect[0].substr(c.expect[0].find(' ') + 1)), std::string::npos)
          << c.name << ": " << set.errors[0].message;
      EXPECT_GT(set.errors[0].line, 0) << c.name << ": errors carry a position";
      continue;
    }
    EXPECT_TRUE(set.errors.empty()) << c.name << ": " << (set.errors.empty() ? "" : set.errors[0].message);
    std::vector<std::string> got;
    for (const auto& o : set.objects) {
      if (o.kind == "Ingress") got.push_back(Describe(o.ingress));
    }
    EXPECT_EQ(got, c.expect) << c.name;
  }
}

// The same table against a real kubectl, when one is available.
std::string RunKubectl(const std::string& kubectl, const std::string& file, int* status) {
  const std::string out_file = file + ".out";
  const pid_t pid = ::fork();
  if (pid == 0) {
    std::freopen(out_file.c_str(), "w", stdout);
    std::freopen((file + ".err").c_str(), "w", stderr);
    ::execl(kubectl.c_str(), kubectl.c_str(), "label", "--local", "-o", "json", "-f", file.c_str(), "riposte-probe=1",
            static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ::waitpid(pid, status, 0);
  std::ifstream in(out_file);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(KubectlReaderDifferential, AgreesWithRealKubectl) {
  const char* kubectl = std::getenv("RIPOSTE_KUBECTL");
  if (kubectl == nullptr || !std::filesystem::exists(kubectl)) GTEST_SKIP() << "RIPOSTE_KUBECTL not set";
  const auto dir = std::filesystem::path(::testing::TempDir()) / ("riposte-kubectl-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  int n = 0;
  for (const auto& c : Cases()) {
    const std::string file = (dir / ("case" + std::to_string(n++) + ".yaml")).string();
    std::ofstream(file, std::ios::binary) << c.yaml;
    int status = 0;
    const std::string out = RunKubectl(kubectl, file, &status);
    const bool kubectl_ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
    const ManifestSet set = Parse(c.yaml);
    if (!kubectl_ok) {
      EXPECT_FALSE(set.errors.empty()) << c.name << ": kubectl refuses it, scan must too";
      continue;
    }
    // kubectl prints one JSON document per object.
    std::vector<std::string> theirs;
    size_t pos = 0;
    while ((pos = out.find('{', pos)) != std::string::npos) {
      size_t depth = 0, end = pos;
      bool in_str = false;
      for (; end < out.size(); ++end) {
        const char ch = out[end];
        if (in_str) {
          if (ch == '\\') ++end;
          else if (ch == '"') in_str = false;
        } else if (ch == '"') {
          in_str = true;
        } else if (ch == '{') {
          ++depth;
        } else if (ch == '}' && --depth == 0) {
          break;
        }
      }
      const auto obj = web::json::value::parse(out.substr(pos, end - pos + 1));
      pos = end + 1;
      if (!obj.has_field("kind") || obj.at("kind").as_string() != "Ingress") continue;
      Ingress ing;
      ing.name = obj.at("metadata").at("name").as_string();
      if (obj.at("metadata").has_field("annotations")) {
        for (const auto& [k, v] : obj.at("metadata").at("annotations").as_object()) ing.annotations.emplace_back(k, v.as_string());
      }
      theirs.push_back(Describe(ing));
    }
    if (!set.errors.empty()) {
      if (!c.expect.empty() && c.expect[0].rfind("refused: ", 0) == 0) continue;  // by design
      ADD_FAILURE() << c.name << ": kubectl reads it, scan refused: " << set.errors[0].message;
      continue;
    }
    std::vector<std::string> ours;
    for (const auto& o : set.objects) {
      if (o.kind == "Ingress") ours.push_back(Describe(o.ingress));
    }
    EXPECT_EQ(ours, theirs) << c.name;
  }
  std::filesystem::remove_all(dir);
}

TEST(KubectlReader, ErrorsCarryTheLineOfTheOffendingNode) {
  const ManifestSet set = Parse(kHead + "metadata:\n  name: a\n  annotations:\n    ok: fine\n    bad: 42\n");
  ASSERT_EQ(set.errors.size(), 1u);
  EXPECT_EQ(set.errors[0].line, 7);
  EXPECT_EQ(set.errors[0].column, 10);
  EXPECT_NE(set.errors[0].message.find("metadata.annotations[\"bad\"] must be a string"), std::string::npos)
      << set.errors[0].message;
}

TEST(KubectlReader, ExplicitNamespaceIsEnforcedLikeKubectl) {
  ManifestLimits limits;
  limits.enforce_namespace = true;
  const std::string text = kHead + "metadata: {name: a}\n---\n" + kHead + "metadata: {name: b, namespace: other}\n" +
                           "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: hdrs}\ndata: {X-A: b}\n";
  const ManifestSet set = ParseManifests(text, "team", limits);
  ASSERT_EQ(set.errors.size(), 1u);
  EXPECT_EQ(set.errors[0].line, 7);
  ASSERT_EQ(set.objects.size(), 2u);
  EXPECT_EQ(set.objects[0].ingress.ns, "team");
  EXPECT_EQ(set.objects[1].configmap.ns, "team") << "the Ingress and its ConfigMaps land in the same namespace";
}

TEST(KubectlReader, GoTrimSpaceTrimsUnicodeSpaces) {
  EXPECT_EQ(GoTrimSpace("\xc2\xa0 a b\t\xe2\x80\xa8\xc2\x85"), "a b");
  EXPECT_EQ(GoTrimSpace("\xe3\x80\x80x"), "x");
  EXPECT_EQ(GoTrimSpace("x\xe2\x80\x8b"), "x\xe2\x80\x8b") << "U+200B is not White_Space";
}

}  // namespace
}  // namespace riposte::core

namespace riposte::core {
namespace {

// Hostile inputs end at a cap with an error and a position, never by expanding (the time and
// memory bounds themselves are measured in bench/yaml_bench, not asserted here).
TEST(KubectlReaderBounds, HostileInputsAreRefusedAtTheCaps) {
  struct Hostile {
    const char* name;
    std::string text;
    const char* message;
  };
  const std::string head = kHead + "metadata:\n  name: x\n";
  std::string laughs = head + "  annotations:\n    a0: &a0 [\"lol\"]\n";
  for (int i = 1; i <= 9; ++i) {
    laughs += "    a" + std::to_string(i) + ": &a" + std::to_string(i) + " [";
    for (int k = 0; k < 9; ++k) laughs += (k ? ",*a" : "*a") + std::to_string(i - 1);
    laughs += "]\n";
  }
  std::string big = head + "  labels:\n    big: &big \"" + std::string(32 * 1024, 'x') + "\"\n  annotations:\n";
  for (int i = 0; i < 200; ++i) big += "    l" + std::to_string(i) + ": *big\n";
  std::string list = "apiVersion: v1\nkind: List\nitems:\n- &i {apiVersion: networking.k8s.io/v1, kind: Ingress, "
                     "metadata: {name: a, annotations: {x: \"" + std::string(40 * 1024, 'x') + "\"}}}\n";
  for (int i = 0; i < 200; ++i) list += "- *i\n";
  std::string merges = "m0: &m0 {k0: v}\n";
  for (int i = 1; i < 600; ++i) {
    merges += "m" + std::to_string(i) + ": &m" + std::to_string(i) + " {<<: [*m" + std::to_string(i - 1) + "], k" +
              std::to_string(i) + ": v}\n";
  }
  merges += kHead;
  const Hostile cases[] = {
      {"billion laughs", laughs, "aliases expand to more than"},
      {"a large scalar aliased many times in one object", big, "larger than 3145728 bytes"},
      {"a large item aliased many times in a List", list, "aliases expand to more than"},
      {"merge-key chain", merges, "more than 100000"},
      {"deep flow nesting", kHead + "spec: " + std::string(5000, '[') + "\n", "nesting deeper than"},
      {"deep JSON nesting", "{\"kind\":\"Ingress\",\"spec\":" + std::string(5000, '[') + "\n", "nesting deeper than"},
  };
  for (const auto& c : cases) {
    const ManifestSet set = ParseManifests(c.text, "default");
    ASSERT_FALSE(set.errors.empty()) << c.name;
    EXPECT_NE(set.errors[0].message.find(c.message), std::string::npos) << c.name << ": " << set.errors[0].message;
    EXPECT_GT(set.errors[0].line, 0) << c.name;
    EXPECT_LT(set.objects.size(), 200u) << c.name << ": expansion stops at the cap";
  }
}

TEST(KubectlReaderBounds, KindsNeverJudgedAreNotExpanded) {
  // The same billion laughs in a Deployment is never expanded: nothing to refuse.
  std::string t = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n  a0: &a0 [\"lol\"]\n";
  for (int i = 1; i <= 9; ++i) {
    t += "  a" + std::to_string(i) + ": &a" + std::to_string(i) + " [";
    for (int k = 0; k < 9; ++k) t += (k ? ",*a" : "*a") + std::to_string(i - 1);
    t += "]\n";
  }
  const ManifestSet set = ParseManifests(t, "default");
  EXPECT_TRUE(set.errors.empty());
  EXPECT_TRUE(set.objects.empty());
  EXPECT_EQ(set.documents, 1u);
}

}  // namespace
}  // namespace riposte::core
