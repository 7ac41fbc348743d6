// The shared JSON -> Ingress/ConfigMap decoder: the API server's reading (null is absent, the
// last duplicate wins, read fields must have their Go types) with field paths in errors.
#include <gtest/gtest.h>

#include "core/ingress_json.h"

namespace riposte::core {
namespace {

TEST(IngressJson, LastDuplicateWinsAtEveryLevel) {
  Ingress ing;
  DecodeError err;
  ASSERT_TRUE(DecodeIngressJson(R"({"metadata":{"name":"a","annotations":{"x":"1"}},"metadata":{"name":"b",)"
                                R"("annotations":{"x":"2","y":"3","x":"4"}},"spec":{"ingressClassName":"nginx"}})",
                                &ing, &err))
      << err.ToString();
  EXPECT_EQ(ing.name, "b");
  ASSERT_EQ(ing.annotations.size(), 2u);
  EXPECT_EQ(ing.annotations[0], (std::pair<std::string, std::string>{"y", "3"}));
  EXPECT_EQ(ing.annotations[1], (std::pair<std::string, std::string>{"x", "4"}));
  EXPECT_EQ(ing.ingress_class, "nginx");
}

TEST(IngressJson, ManyDuplicatesAreCollapsed) {
  std::string json = R"({"metadata":{"annotations":{)";
  for (int i = 0; i < 40; ++i) json += (i ? "," : "") + std::string("\"k") + std::to_string(i % 20) + "\":\"" + std::to_string(i) + "\"";
  json += "}}}";
  Ingress ing;
  DecodeError err;
  ASSERT_TRUE(DecodeIngressJson(json, &ing, &err));
  ASSERT_EQ(ing.annotations.size(), 20u);
  for (const auto& [k, v] : ing.annotations) EXPECT_GE(std::stoi(v), 20) << k << " keeps its last value";
}

TEST(IngressJson, NullIsAbsentAndUnknownFieldsAreIgnored) {
  Ingress ing;
  DecodeError err;
  ASSERT_TRUE(DecodeIngressJson(R"({"metadata":{"name":null,"annotations":{"a":null},"labels":{"x":1}},)"
                                R"("spec":{"rules":[null,{"host":"h","http":{"paths":[null,{"path":"/","pathType":null}]}}],)"
                                R"("tls":null,"defaultBackend":{"service":{"port":{"number":80}}}},"status":7})",
                                &ing, &err))
      << err.ToString();
  ASSERT_EQ(ing.annotations.size(), 1u);
  EXPECT_EQ(ing.annotations[0].second, "");
  ASSERT_EQ(ing.rules.size(), 1u);
  ASSERT_EQ(ing.rules[0].paths.size(), 1u);
  EXPECT_EQ(ing.rules[0].paths[0].path, "/");
}

TEST(IngressJson, WrongTypesNameTheFieldPath) {
  struct Case {
    const char* json;
    const char* error;
  } cases[] = {
      {R"([])", "must be an object"},
      {R"({"metadata":{"annotations":{"a":true}}})", "metadata.annotations[\"a\"] must be a string"},
      {R"({"spec":{"rules":[{"http":{"paths":[{"pathType":3}]}}]}})", "spec.rules[0].http.paths[0].pathType must be a string"},
      {R"({"spec":{"tls":[{"hosts":"h"}]}})", "spec.tls[0].hosts must be an array"},
      {R"({"metadata":[]})", "metadata must be an object"},
      {R"({"metadata":)", "malformed JSON"},
  };
  for (const auto& c : cases) {
    Ingress ing;
    DecodeError err;
    EXPECT_FALSE(DecodeIngressJson(c.json, &ing, &err)) << c.json;
    EXPECT_NE(err.ToString().find(c.error), std::string::npos) << c.json << " -> " << err.ToString();
  }
  ConfigMap cm;
  DecodeError err;
  EXPECT_FALSE(DecodeConfigMapJson(R"({"data":{"X-A":5}})", &cm, &err));
  EXPECT_EQ(err.ToString(), "data[\"X-A\"] must be a string");
}

}  // namespace
}  // namespace riposte::core
