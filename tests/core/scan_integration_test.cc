// `riposte scan` end to end: runs the real built binary on temporary files and checks exit
// codes, JSON shape, stdin, directories, List, broken YAML with line numbers and ConfigMap
// lookups.
#include <gtest/gtest.h>
// After gtest: cpprest defines macros (U) that clash with gtest internals.
#include <cpprest/json.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

namespace {

namespace fs = std::filesystem;

struct Result {
  int exit_code = -1;
  std::string out;
  std::string err;
};

std::string Slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class ScanTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(::testing::TempDir()) / ("riposte-scan-" + std::to_string(::getpid()) + "-" +
                                             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  fs::path Write(const std::string& name, const std::string& text) {
    const fs::path p = dir_ / name;
    fs::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << text;
    return p;
  }

  Result Scan(std::vector<std::string> args, const std::string& stdin_text = "") {
    const fs::path in = Write(".stdin", stdin_text), out = dir_ / ".stdout", err = dir_ / ".stderr";
    args.insert(args.begin(), {RIPOSTE_BINARY, "scan"});
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    const pid_t pid = ::fork();
    if (pid == 0) {
      const int fi = ::open(in.c_str(), O_RDONLY), fo = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600),
                fe = ::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      ::dup2(fi, 0), ::dup2(fo, 1), ::dup2(fe, 2);
      ::setenv("NO_COLOR", "1", 1);
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    Result r;
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r.out = Slurp(out);
    r.err = Slurp(err);
    return r;
  }

  fs::path dir_;
};

constexpr const char* kBenign = R"(apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: good
  namespace: shop
  annotations:
    nginx.ingress.kubernetes.io/proxy-body-size: 8m
spec:
  rules:
  - host: shop.example.com
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}
)";

constexpr const char* kAttack = R"(apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: evil
  namespace: shop
  annotations:
    nginx.ingress.kubernetes.io/auth-url: "http://x.example.com/;\nssl_engine /proc/1/fd/3;"
)";

TEST_F(ScanTest, BenignExitsZeroAttackExitsOne) {
  Result r = Scan({Write("good.yaml", kBenign).string()});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("0 finding(s) in 0 of 1 Ingress"), std::string::npos) << r.out;
  r = Scan({Write("evil.yaml", kAttack).string()});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("shop/evil"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("RIP-ANN-CONTROL"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find('\033'), std::string::npos) << "no colour when not a TTY";
}

TEST_F(ScanTest, JsonShape) {
  const Result r = Scan({"--format", "json", Write("evil.yaml", kAttack).string()});
  ASSERT_EQ(r.exit_code, 1) << r.err;
  const auto doc = web::json::value::parse(r.out);
  const auto& findings = doc.at("findings").as_array();
  ASSERT_GE(findings.size(), 2u);
  for (const auto& f : findings) {
    EXPECT_NE(f.at("file").as_string().find("evil.yaml"), std::string::npos);
    EXPECT_EQ(f.at("document").as_integer(), 0);
    EXPECT_EQ(f.at("kind").as_string(), "Ingress");
    EXPECT_EQ(f.at("namespace").as_string(), "shop");
    EXPECT_EQ(f.at("name").as_string(), "evil");
    EXPECT_EQ(f.at("field").as_string(), "nginx.ingress.kubernetes.io/auth-url");
    EXPECT_EQ(f.at("rule_id").as_string().rfind("RIP-", 0), 0u);
    EXPECT_EQ(f.at("cves").as_array().at(0).as_string(), "CVE-2025-24514");
    EXPECT_TRUE(f.at("severity").is_string());
    EXPECT_FALSE(f.at("message").as_string().empty());
    EXPECT_FALSE(f.at("remediation").as_string().empty());
  }
  EXPECT_EQ(doc.at("summary").at("ingresses").as_integer(), 1);
  EXPECT_TRUE(doc.at("errors").as_array().size() == 0);
}

TEST_F(ScanTest, StdinAndJsonInput) {
  const std::string json = R"({"apiVersion":"networking.k8s.io/v1","kind":"Ingress","metadata":{"name":"j","namespace":"a",)"
                           R"("annotations":{"nginx.ingress.kubernetes.io/auth-method":"GET; proxy_pass http://x"}}})";
  const Result r = Scan({"--format", "json", "-"}, json);
  ASSERT_EQ(r.exit_code, 1) << r.out << r.err;
  const auto doc = web::json::value::parse(r.out);
  EXPECT_EQ(doc.at("findings").as_array().at(0).at("file").as_string(), "<stdin>");
  EXPECT_EQ(doc.at("findings").as_array().at(0).at("cves").as_array().at(0).as_string(), "CVE-2026-1580");
}

TEST_F(ScanTest, DirectoriesRecursively) {
  Write("tree/a/good.yml", kBenign);
  Write("tree/b/c/evil.json", R"({"kind":"Ingress","metadata":{"name":"deep"},"spec":{"rules":[{"host":"x.example.com",)"
                              R"("http":{"paths":[{"path":"/a b","pathType":"Exact"}]}}]}})");
  Write("tree/notes.txt", kAttack);  // not a manifest extension: ignored
  const Result r = Scan({"--format", "json", (dir_ / "tree").string()});
  ASSERT_EQ(r.exit_code, 1) << r.out << r.err;
  const auto doc = web::json::value::parse(r.out);
  EXPECT_EQ(doc.at("summary").at("files").as_integer(), 2);
  const auto& f = doc.at("findings").as_array().at(0);
  EXPECT_EQ(f.at("name").as_string(), "deep");
  EXPECT_EQ(f.at("namespace").as_string(), "default");
  EXPECT_EQ(f.at("field").as_string(), "spec.rules[0].http.paths[0].path");
}

TEST_F(ScanTest, ListItemsAndHelmOutputWithAnchors) {
  const std::string text = R"(# Source: chart/templates/ingress.yaml
---
apiVersion: v1
kind: List
items:
- apiVersion: networking.k8s.io/v1
  kind: Ingress
  metadata:
    name: first
    annotations: &shared
      nginx.ingress.kubernetes.io/server-alias: "a.example.com;\n}"  # injected
- apiVersion: networking.k8s.io/v1
  kind: Ingress
  metadata:
    name: second
    annotations: *shared
---
# Source: chart/templates/service.yaml
apiVersion: v1
kind: Service
metadata: {name: skipped}
)";
  const Result r = Scan({"--format", "json", Write("helm.yaml", text).string()});
  ASSERT_EQ(r.exit_code, 1) << r.out << r.err;
  const auto doc = web::json::value::parse(r.out);
  EXPECT_EQ(doc.at("summary").at("ingresses").as_integer(), 2);
  std::set<std::string> names;
  for (const auto& f : doc.at("findings").as_array()) names.insert(f.at("name").as_string());
  EXPECT_EQ(names, (std::set<std::string>{"first", "second"}));
}

TEST_F(ScanTest, BrokenDocumentReportedWithLineAndOthersStillJudged) {
  const std::string text = std::string(kAttack) + "---\nkind: Ingress\nmetadata: {name: broken\n  x: [\n---\n" + kBenign;
  Result r = Scan({"--format", "json", Write("mixed.yaml", text).string()});
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  const auto doc = web::json::value::parse(r.out);
  ASSERT_EQ(doc.at("errors").as_array().size(), 1u);
  const auto& e = doc.at("errors").as_array().at(0);
  EXPECT_EQ(e.at("document").as_integer(), 1);
  EXPECT_GE(e.at("line").as_integer(), 9);
  EXPECT_LE(e.at("line").as_integer(), 12);
  EXPECT_GT(doc.at("findings").as_array().size(), 0u) << "findings of the other documents are still reported";
  r = Scan({Write("mixed.yaml", text).string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("mixed.yaml:"), std::string::npos) << r.err;
  EXPECT_NE(r.out.find("shop/evil"), std::string::npos) << r.out;
}

TEST_F(ScanTest, BinaryDocumentIsAnErrorNotAHang) {
  const std::string text = std::string(kAttack) + "---\nkind: Ingress\nmetadata: {name: \"a\0\xff\"}\n";
  const Result r = Scan({"--format", "json", Write("bin.yaml", text).string()});
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  const auto doc = web::json::value::parse(r.out);
  ASSERT_EQ(doc.at("errors").as_array().size(), 1u);
  EXPECT_EQ(doc.at("errors").as_array().at(0).at("line").as_integer(), 10);
  EXPECT_GT(doc.at("findings").as_array().size(), 0u);
}

TEST_F(ScanTest, DocumentYamlCppWouldReadAsEmptyIsAnError) {
  // yaml-cpp 0.7 read ",\n" as an empty document and left the rest unread; kubectl's parser
  // refuses it, and so must scan: an input error at its line, not a silent pass.
  const std::string text = std::string(kAttack) + "---\n,\nkind: Ingress\n";
  const Result r = Scan({"--format", "json", Write("comma.yaml", text).string()});
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  const auto doc = web::json::value::parse(r.out);
  ASSERT_EQ(doc.at("errors").as_array().size(), 1u);
  EXPECT_EQ(doc.at("errors").as_array().at(0).at("line").as_integer(), 9);
  EXPECT_NE(doc.at("errors").as_array().at(0).at("message").as_string().find("invalid YAML"), std::string::npos);
  EXPECT_GT(doc.at("findings").as_array().size(), 0u);
}

TEST_F(ScanTest, ConfigMapInTheSameInputIsJudged) {
  const std::string ing = R"(apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: hdr
  namespace: shop
  annotations:
    nginx.ingress.kubernetes.io/auth-url: http://auth.example.com/verify
    nginx.ingress.kubernetes.io/auth-proxy-set-headers: hdrs
---
apiVersion: v1
kind: ConfigMap
metadata: {name: hdrs, namespace: shop}
data:
  X-User: "x'; } } } ssl_engine /proc/1/fd/3; #"
)";
  const Result r = Scan({"--format", "json", Write("cm.yaml", ing).string()});
  ASSERT_EQ(r.exit_code, 1) << r.out << r.err;
  const auto doc = web::json::value::parse(r.out);
  const auto& f = doc.at("findings").as_array().at(0);
  EXPECT_EQ(f.at("rule_id").as_string(), "RIP-CM-HEADER");
  EXPECT_EQ(f.at("field").as_string(), "configmap shop/hdrs: X-User");
}

TEST_F(ScanTest, PolicyAndNamespaceFlags) {
  const std::string snippet = R"(kind: Ingress
metadata:
  name: s
  annotations:
    nginx.ingress.kubernetes.io/server-snippet: "client_header_buffer_size 32k;"
)";
  const auto file = Write("snip.yaml", snippet).string();
  EXPECT_EQ(Scan({file}).exit_code, 1);
  const auto policy = Write("policy.yaml", "snippets:\n  namespaces: [team]\n").string();
  EXPECT_EQ(Scan({"--policy", policy, file}).exit_code, 1) << "namespace 'default' is not allowed";
  const Result r = Scan({"--policy", policy, "--namespace", "team", file});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
}

TEST_F(ScanTest, UsageAndUnreadableInputExitTwo) {
  EXPECT_EQ(Scan({}).exit_code, 2);
  EXPECT_EQ(Scan({"--format", "xml", "x.yaml"}).exit_code, 2);
  EXPECT_EQ(Scan({"--bogus"}).exit_code, 2);
  Result r = Scan({(dir_ / "missing.yaml").string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("missing.yaml"), std::string::npos);
  const auto bad_policy = Write("bad.yaml", "mode: enforce\nsnippets: {allow: maybe}\n").string();
  r = Scan({"--policy", bad_policy, Write("good.yaml", kBenign).string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("bad.yaml:2:19:"), std::string::npos) << r.err;
}

TEST_F(ScanTest, ShippedExamples) {
  const std::string examples = std::string(RIPOSTE_TEST_DATA_DIR) + "/../../examples";
  EXPECT_EQ(Scan({examples + "/benign.yaml"}).exit_code, 0);
  const Result r = Scan({"--format", "json", examples + "/attacks.yaml"});
  EXPECT_EQ(r.exit_code, 1);
  const auto doc = web::json::value::parse(r.out);
  std::set<std::string> flagged;
  for (const auto& f : doc.at("findings").as_array()) flagged.insert(f.at("name").as_string());
  EXPECT_EQ(flagged.size(), static_cast<size_t>(doc.at("summary").at("ingresses").as_integer()))
      << "every attack example must be found";
}

}  // namespace

namespace {

constexpr const char* kProfilePolicy = R"(profiles:
  ingressNginx: {enabled: false}
  f5NginxIngress: {enabled: true}
  nginxGatewayFabric: {enabled: true, snippets: {namespaces: [platform]}}
)";

constexpr const char* kSuccessorObjects = R"(apiVersion: k8s.nginx.org/v1
kind: VirtualServer
metadata: {name: cafe, namespace: shop}
spec:
  host: cafe.example.com
  upstreams: [{name: tea, service: tea-svc, port: 80, lb-method: "hash $remote_addr;"}]
  routes: [{path: /tea, action: {pass: tea}}]
---
apiVersion: gateway.nginx.org/v1alpha1
kind: SnippetsFilter
metadata: {name: limit, namespace: platform}
spec:
  snippets: [{context: http.server.location, value: "limit_except GET { deny all; }"}]
---
apiVersion: kyverno.io/v1
kind: Policy
metadata: {name: not-ours, namespace: shop}
spec: {rules: []}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: tea
  namespace: shop
  annotations: {nginx.org/ssl-ciphers: "HIGH;ssl_protocols SSLv3"}
spec:
  ingressClassName: nginx
  rules: [{host: cafe.example.com}]
)";

}  // namespace

// The profiles' resources are read from manifests and judged with the policy's profiles; other
// groups' objects of the same kind name are not; JSON names the kind.
TEST_F(ScanTest, ProfileResourcesAreJudgedAndNamedByKind) {
  const std::string policy = Write("policy.yaml", kProfilePolicy).string();
  const std::string objects = Write("objects.yaml", kSuccessorObjects).string();
  Result r = Scan({"--policy", policy, objects});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("VirtualServer shop/cafe"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("RIP-NIC-SYNTAX  spec.upstreams[0].lb-method"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("RIP-NIC-SYNTAX  nginx.org/ssl-ciphers"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("SnippetsFilter"), std::string::npos) << "snippets are allowed in platform: " << r.out;
  EXPECT_NE(r.out.find("2 finding(s) in 1 of 1 Ingress object(s) and 1 of 2 other resource(s)"), std::string::npos) << r.out;
  EXPECT_TRUE(r.err.empty()) << r.err;

  r = Scan({"--policy", policy, "--format", "json", objects});
  EXPECT_EQ(r.exit_code, 1);
  const auto doc = web::json::value::parse(r.out);
  std::set<std::string> kinds;
  for (const auto& f : doc.at("findings").as_array()) kinds.insert(f.at("kind").as_string());
  EXPECT_EQ(kinds, (std::set<std::string>{"Ingress", "VirtualServer"}));
  EXPECT_EQ(doc.at("summary").at("resources").as_integer(), 2);
  EXPECT_EQ(doc.at("summary").at("unjudged_resources").as_integer(), 0);
}

TEST_F(ScanTest, ResourcesOfDisabledProfilesAreCountedAsUnjudged) {
  Result r = Scan({Write("objects.yaml", kSuccessorObjects).string()});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.err.find("2 resource(s) not judged: their profile is not enabled in the policy "
                       "(profiles.f5NginxIngress.enabled, profiles.nginxGatewayFabric.enabled)"),
            std::string::npos)
      << r.err;
}

// Every benign profile corpus file passes with its profile enabled, every attack file fails.
TEST_F(ScanTest, ProfileCorporaThroughTheBinary) {
  const std::string policy = Write("policy.yaml", "profiles:\n  ingressNginx: {enabled: false}\n"
                                                  "  f5NginxIngress: {enabled: true}\n  nginxGatewayFabric: {enabled: true}\n")
                                 .string();
  const std::string data = std::string(RIPOSTE_TEST_DATA_DIR) + "/profiles/";
  for (const char* dir : {"f5-nginx-ingress", "nginx-gateway-fabric"}) {
    Result ok = Scan({"--policy", policy, data + dir + "/benign.yaml"});
    EXPECT_EQ(ok.exit_code, 0) << dir << ok.out << ok.err;
    Result bad = Scan({"--policy", policy, "--format", "json", data + dir + "/attacks.yaml"});
    EXPECT_EQ(bad.exit_code, 1) << dir << bad.err;
    const auto doc = web::json::value::parse(bad.out);
    std::set<std::string> flagged;
    for (const auto& f : doc.at("findings").as_array()) {
      flagged.insert(f.at("file").as_string() + ":" + std::to_string(f.at("document").as_integer()));
    }
    EXPECT_EQ(flagged.size(), static_cast<size_t>(doc.at("summary").at("ingresses").as_integer() +
                                                  doc.at("summary").at("resources").as_integer()))
        << dir << ": every attack object is flagged";
  }
}
