// Parsing of every event in the shared corpus and refusal of every bad body.

#include <gtest/gtest.h>

#include <cpprest/json.h>

#include <fstream>
#include <string>
#include <vector>

#include "controller/alert.h"

namespace riposte::controller {
namespace {

std::vector<std::string> Lines(const std::string& file) {
  std::ifstream in(std::string(RIPOSTE_TEST_DATA_DIR) + "/corpus/" + file);
  std::vector<std::string> out;
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) out.push_back(line);
  return out;
}

TEST(AlertParse, EveryCorpusEventParsesWithTheRightTarget) {
  auto lines = Lines("falco_events.jsonl");
  ASSERT_EQ(lines.size(), 11u);
  struct Want {
    std::string rule, ns, pod;
    Priority priority;
  };
  // One expectation per corpus line, in order.
  std::vector<Want> want = {
      {"Terminal shell in container", "shop", "web-7d9c8f-abcde", Priority::kNotice},
      {"Drop and execute new binary in container", "ingress-nginx", "ingress-nginx-controller-6b7f9c-x2x9z", Priority::kCritical},
      {"Redirect STDOUT/STDIN to Network Connection in Container", "ingress-nginx", "ingress-nginx-controller-6b7f9c-x2x9z", Priority::kNotice},
      {"Contact K8S API Server From Container", "payments", "api-5f6d7c8b9-qwert", Priority::kNotice},
      {"Run shell untrusted", "payments", "api-5f6d7c8b9-qwert", Priority::kDebug},
      {"Terminal shell in container", "", "", Priority::kNotice},  // host process: null names
      {"Terminal shell in container", "", "", Priority::kNotice},  // <NA> names
      {"Fileless execution via memfd_create", "ingress-nginx", "ingress-nginx-controller-6b7f9c-x2x9z", Priority::kCritical},
      {"Attach/Exec Pod", "shop", "web-7d9c8f-abcde", Priority::kNotice},  // k8s_audit ka.target.*
      {"Terminal shell in container", "", "", Priority::kWarning},  // no output_fields
      {"Terminal shell in container", "shop", "web-7d9c8f-abcde", Priority::kError},  // non-ASCII
  };
  for (size_t i = 0; i < lines.size(); ++i) {
    SCOPED_TRACE("line " + std::to_string(i + 1));
    Alert a;
    AlertError err;
    ASSERT_TRUE(ParseAlert(lines[i], &a, &err)) << err.code << ": " << err.message;
    EXPECT_EQ(a.rule, want[i].rule);
    EXPECT_EQ(a.priority, want[i].priority);
    if (want[i].pod.empty()) {
      EXPECT_FALSE(a.target.has_value());
    } else {
      ASSERT_TRUE(a.target.has_value());
      EXPECT_EQ(a.target->ns, want[i].ns);
      EXPECT_EQ(a.target->pod, want[i].pod);
    }
    EXPECT_FALSE(AlertId(a).empty());
  }
}

TEST(AlertParse, FieldValuesOfEveryJsonTypeAreRenderedAsText) {
  Alert a;
  AlertError err;
  ASSERT_TRUE(ParseAlert(Lines("falco_events.jsonl")[0], &a, &err));
  EXPECT_EQ(a.fields.at("evt.time"), "1795256127171732939");  // above 2^53: must not lose digits
  EXPECT_EQ(a.fields.at("user.uid"), "0");
  EXPECT_EQ(a.fields.at("proc.name"), "sh");
  EXPECT_EQ(a.target->container, "web");
  EXPECT_EQ(a.uuid, "5a0c9e1e-8d1c-4b7e-9f7a-0c2b1e3d4f50");
  EXPECT_EQ(AlertId(a), a.uuid);
  EXPECT_EQ(a.tags.size(), 4u);
  EXPECT_EQ(FormatRfc3339(a.time), "2026-11-20T10:15:27Z");

  ASSERT_TRUE(ParseAlert(Lines("falco_events.jsonl")[6], &a, &err));
  EXPECT_EQ(a.Field("k8s.pod.name"), nullptr) << "<NA> reads as absent";
  ASSERT_TRUE(ParseAlert(Lines("falco_events.jsonl")[5], &a, &err));
  EXPECT_EQ(a.Field("k8s.ns.name"), nullptr) << "null reads as absent";
  ASSERT_TRUE(ParseAlert(Lines("falco_events.jsonl")[10], &a, &err));
  EXPECT_NE(a.fields.at("proc.cmdline").find("漢字"), std::string::npos);
  ASSERT_TRUE(ParseAlert(R"({"rule":"r","priority":"info","time":"2026-11-20T12:15:27+02:00","output_fields":{"x":1.5,"b":true}})",
                         &a, &err));
  EXPECT_EQ(a.priority, Priority::kInformational);
  EXPECT_EQ(FormatRfc3339(a.time), "2026-11-20T10:15:27Z");
  EXPECT_EQ(a.fields.at("x"), "1.5");
  EXPECT_EQ(a.fields.at("b"), "true");
}

TEST(AlertParse, EveryBadBodyIsRefusedWith4xx) {
  auto lines = Lines("falco_bad_bodies.jsonl");
  ASSERT_EQ(lines.size(), 12u);
  for (const auto& line : lines) {
    auto c = web::json::value::parse(line);
    SCOPED_TRACE(c.at("case").as_string());
    Alert a;
    AlertError err;
    EXPECT_FALSE(ParseAlert(c.at("body").as_string(), &a, &err));
    EXPECT_GE(err.status, 400);
    EXPECT_LT(err.status, 500);
    EXPECT_FALSE(err.code.empty());
    EXPECT_FALSE(err.message.empty());
  }
}

TEST(AlertParse, NamedFailureModes) {
  Alert a;
  AlertError err;
  auto refuse = [&](const std::string& body) {
    bool ok = ParseAlert(body, &a, &err);
    return ok ? std::string("accepted") : err.code;
  };
  const std::string base = R"("rule":"r","priority":"Notice","time":"2026-11-20T10:15:27Z")";
  EXPECT_EQ(refuse("{" + base + R"(,"tags":"shell"})"), "wrong_type");
  EXPECT_EQ(refuse("{" + base + R"(,"tags":[1]})"), "wrong_type");
  EXPECT_EQ(refuse("{" + base + R"(,"output_fields":{"a":[1]}})"), "wrong_type");
  EXPECT_EQ(refuse(R"({"rule":"","priority":"Notice","time":"2026-11-20T10:15:27Z"})"), "invalid_field");
  EXPECT_EQ(refuse(R"({"rule":"r","priority":null,"time":"2026-11-20T10:15:27Z"})"), "wrong_type");
  EXPECT_EQ(refuse(R"({"rule":"r","priority":"Notice","time":"2026-13-20T10:15:27Z"})"), "invalid_time");
  EXPECT_EQ(refuse(R"({"rule":"r","priority":"Notice","time":"2026-11-20T10:15:27"})"), "invalid_time");
  EXPECT_EQ(refuse("{" + base + R"(,"output_fields":{"k8s.ns.name":"Shop","k8s.pod.name":"web"}})"), "invalid_namespace");
  EXPECT_EQ(refuse("{" + base + R"(,"source":"k8s_audit","output_fields":{"ka.target.namespace":"shop","ka.target.resource":"pods","ka.target.name":"a/b"}})"),
            "invalid_pod_name");
  EXPECT_EQ(refuse(std::string(2 << 20, ' ')), "body_too_large");
  EXPECT_EQ(refuse(std::string(100000, '[') + std::string(100000, ']')), "invalid_json");  // depth bomb
  // Unknown top-level fields are tolerated (Falco adds fields over time).
  EXPECT_EQ(refuse("{" + base + R"(,"future_field":{"x":[1,2]}})"), "accepted");
  // audit event on a non-pod resource names no target
  ASSERT_TRUE(ParseAlert("{" + base + R"(,"source":"k8s_audit","output_fields":{"ka.target.namespace":"shop","ka.target.resource":"secrets","ka.target.name":"x"}})",
                         &a, &err));
  EXPECT_FALSE(a.target.has_value());
}

TEST(AlertParse, EveryValidPodNameIsATargetAndInvalidOnesAreNamed) {
  // Kubernetes allows pod names of up to 253 characters with no per-label limit; an alert for
  // such a pod must be acted on, or whoever names pods can make one immune to responses.
  const std::string base = R"({"rule":"r","priority":"Notice","time":"2026-11-20T10:15:27Z","output_fields":)";
  auto parse = [&](const std::string& fields, Alert* a, AlertError* err) { return ParseAlert(base + fields + "}", a, err); };
  for (const std::string& pod : {std::string(100, 'a'), std::string(253, 'b'), std::string(70, 'c') + "." + std::string(70, 'd'),
                                 std::string("0-starts-with-a-digit")}) {
    Alert a;
    AlertError err;
    ASSERT_TRUE(parse(R"({"k8s.ns.name":"shop","k8s.pod.name":")" + pod + R"("})", &a, &err)) << pod << ": " << err.message;
    ASSERT_TRUE(a.target.has_value());
    EXPECT_EQ(a.target->pod, pod);
    ASSERT_TRUE(parse(R"({"ka.target.namespace":"shop","ka.target.resource":"pods","ka.target.name":")" + pod + R"("})",
                      &a, &err));
  }
  {
    Alert a;
    AlertError err;
    ASSERT_TRUE(ParseAlert(base + R"({"ka.target.namespace":"shop","ka.target.resource":"pods","ka.target.name":")" +
                               std::string(100, 'k') + R"("},"source":"k8s_audit"})",
                           &a, &err))
        << err.message;
    ASSERT_TRUE(a.target.has_value());
    EXPECT_EQ(a.target->pod, std::string(100, 'k'));
  }
  Alert a;
  AlertError err;
  EXPECT_FALSE(parse(R"({"k8s.ns.name":"shop","k8s.pod.name":")" + std::string(254, 'a') + R"("})", &a, &err));
  EXPECT_EQ(err.status, 422);
  EXPECT_EQ(err.code, "invalid_pod_name");
  EXPECT_NE(err.message.find("k8s.pod.name"), std::string::npos) << err.message;
  EXPECT_NE(err.message.find("253"), std::string::npos) << err.message;
  // Namespaces are labels: 63 characters, no dots.
  EXPECT_FALSE(parse(R"({"k8s.ns.name":")" + std::string(64, 'n') + R"(","k8s.pod.name":"web"})", &a, &err));
  EXPECT_EQ(err.code, "invalid_namespace");
  EXPECT_FALSE(parse(R"({"k8s.ns.name":"a.b","k8s.pod.name":"web"})", &a, &err));
  EXPECT_EQ(err.code, "invalid_namespace");
  EXPECT_TRUE(parse(R"({"k8s.ns.name":")" + std::string(63, 'n') + R"(","k8s.pod.name":"web"})", &a, &err));
  // Look-alikes of protected namespaces and path-like names are refused, never normalised.
  for (const std::string& ns : {std::string("kube\\u2010system"), std::string("kube-syst\\u0435m"), std::string("KUBE-SYSTEM"),
                                std::string("kube-system\\u200b")}) {
    EXPECT_FALSE(parse(R"({"k8s.ns.name":")" + ns + R"(","k8s.pod.name":"web"})", &a, &err)) << ns;
    EXPECT_EQ(err.code, "invalid_namespace") << ns;
  }
  for (const std::string& pod : {"../kube-system/pods/x", "web/exec", "web?dryRun=All", "web%2fx", ".", "..", "web\\u0000"}) {
    EXPECT_FALSE(parse(R"({"k8s.ns.name":"shop","k8s.pod.name":")" + pod + R"("})", &a, &err)) << pod;
    EXPECT_EQ(err.code, "invalid_pod_name") << pod;
  }
}

TEST(AlertParse, DuplicateKeysAreRefusedBecauseReadersDisagreeOnThem) {
  // Go's encoding/json (Falcosidekick) keeps the last value of a repeated key, simdjson the
  // first: the same body would name two different targets.
  const std::string base = R"("priority":"Notice","time":"2026-11-20T10:15:27Z")";
  Alert a;
  AlertError err;
  auto code = [&](const std::string& body) { return ParseAlert(body, &a, &err) ? std::string("accepted") : err.code; };
  struct Case {
    const char* name;
    std::string body;
  };
  std::vector<Case> cases = {
      {"rule", R"({"rule":"harmless","rule":"Terminal shell in container",)" + base + "}"},
      {"source", R"({"rule":"r","source":"syscall","source":"k8s_audit",)" + base + "}"},
      {"output_fields", R"({"rule":"r",)" + base + R"(,"output_fields":{"k8s.ns.name":"shop"},"output_fields":{"k8s.ns.name":"kube-system"}})"},
      {"k8s.ns.name", R"({"rule":"r",)" + base + R"(,"output_fields":{"k8s.ns.name":"shop","k8s.pod.name":"web","k8s.ns.name":"payments"}})"},
      {"k8s.pod.name", R"({"rule":"r",)" + base + R"(,"output_fields":{"k8s.ns.name":"shop","k8s.pod.name":"web","k8s.pod.name":"db"}})"},
      {"k8s.pod.name null first", R"({"rule":"r",)" + base + R"(,"output_fields":{"k8s.ns.name":"shop","k8s.pod.name":null,"k8s.pod.name":"db"}})"},
      {"escaped duplicate", R"({"rule":"r",)" + base + R"(,"output_fields":{"k8s.ns.name":"shop","k8s.pod.name":"web","k8s.pod\u002ename":"db"}})"},
      {"ka.target.namespace", R"({"rule":"r","source":"k8s_audit",)" + base +
                                  R"(,"output_fields":{"ka.target.namespace":"shop","ka.target.resource":"pods","ka.target.name":"web","ka.target.namespace":"kube-system"}})"},
      {"ka.target.name", R"({"rule":"r","source":"k8s_audit",)" + base +
                             R"(,"output_fields":{"ka.target.namespace":"shop","ka.target.resource":"pods","ka.target.name":"web","ka.target.name":"db"}})"},
      {"ka.target.resource", R"({"rule":"r","source":"k8s_audit",)" + base +
                                 R"(,"output_fields":{"ka.target.namespace":"shop","ka.target.resource":"secrets","ka.target.name":"web","ka.target.resource":"pods"}})"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(code(c.body), "duplicate_field");
    EXPECT_EQ(err.status, 400);
    EXPECT_NE(err.message.find("more than once"), std::string::npos) << err.message;
  }
  EXPECT_EQ(code(R"({"rule":"r",)" + base + R"(,"output_fields":{"k8s.ns.name":"shop","k8s.pod.name":"web","k8s.ns.name":"payments"}})"),
            "duplicate_field");
  EXPECT_NE(err.message.find("k8s.ns.name"), std::string::npos) << err.message;
  // The same key in different objects is no duplicate.
  EXPECT_EQ(code(R"({"rule":"r",)" + base + R"(,"output_fields":{"rule":"x","source":"y"}})"), "accepted");
}

TEST(AlertParse, AlertIdWithoutUuidIsStableAndDistinct) {
  Alert a, b;
  AlertError err;
  auto lines = Lines("falco_events.jsonl");
  ASSERT_TRUE(ParseAlert(lines[2], &a, &err));
  ASSERT_TRUE(ParseAlert(lines[2], &b, &err));
  EXPECT_TRUE(a.uuid.empty());
  EXPECT_EQ(AlertId(a), AlertId(b));
  ASSERT_TRUE(ParseAlert(lines[3], &b, &err));
  EXPECT_NE(AlertId(a), AlertId(b));
}

}  // namespace
}  // namespace riposte::controller
