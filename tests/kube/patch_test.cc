#include "kube/patch.h"

#include <gtest/gtest.h>

namespace riposte::kube {
namespace {
namespace json = web::json;

json::value J(const std::string& s) { return json::value::parse(s); }

TEST(PatchTest, PointerEscaping) {
  EXPECT_EQ(EscapeJsonPointerToken("riposte.io/quarantined"), "riposte.io~1quarantined");
  EXPECT_EQ(EscapeJsonPointerToken("a~b/c"), "a~0b~1c");
  EXPECT_EQ(JsonPointer({"metadata", "labels", "app.kubernetes.io/name"}), "/metadata/labels/app.kubernetes.io~1name");
  EXPECT_EQ(JsonPointer({}), "");
}

TEST(PatchTest, JsonPatchBuildsOpsInOrder) {
  JsonPatch p;
  p.Test("/metadata/resourceVersion", json::value::string("5"))
      .Add(JsonPointer({"metadata", "labels", "riposte.io/quarantined"}), json::value::string("true"))
      .Remove("/metadata/labels/app")
      .Replace("/spec/unschedulable", json::value::boolean(true));
  EXPECT_TRUE(p.HasTest());
  json::value ops = p.Build();
  ASSERT_EQ(ops.size(), 4u);
  EXPECT_EQ(ops[0]["op"].as_string(), "test");
  EXPECT_EQ(ops[1]["path"].as_string(), "/metadata/labels/riposte.io~1quarantined");
  EXPECT_EQ(ops[2]["op"].as_string(), "remove");
  EXPECT_FALSE(ops[2].has_field("value"));
}

TEST(PatchTest, ApplyJsonPatchRoundTripsEscapedKeys) {
  json::value obj = J(R"({"metadata":{"labels":{"app":"web"},"resourceVersion":"5"},"spec":{"list":[1,2]}})");
  JsonPatch p;
  p.Test("/metadata/resourceVersion", json::value::string("5"))
      .Add(JsonPointer({"metadata", "labels", "riposte.io/q"}), json::value::string("true"))
      .Remove("/metadata/labels/app")
      .Add("/spec/list/-", json::value::number(3))
      .Add("/spec/list/0", json::value::number(0));
  std::string err;
  ASSERT_TRUE(ApplyJsonPatch(obj, p.Build(), &err)) << err;
  EXPECT_EQ(obj["metadata"]["labels"].serialize(), R"({"riposte.io/q":"true"})");
  EXPECT_EQ(obj["spec"]["list"].serialize(), "[0,1,2,3]");
}

TEST(PatchTest, FailedTestLeavesTargetUntouched) {
  json::value obj = J(R"({"metadata":{"resourceVersion":"6","labels":{"a":"b"}}})");
  const json::value before = obj;
  JsonPatch p;
  p.Remove("/metadata/labels/a").Test("/metadata/resourceVersion", json::value::string("5"));
  std::string err;
  EXPECT_FALSE(ApplyJsonPatch(obj, p.Build(), &err));
  EXPECT_NE(err.find("op 1"), std::string::npos);
  EXPECT_EQ(obj, before);
  EXPECT_FALSE(ApplyJsonPatch(obj, J(R"([{"op":"remove","path":"/nope"}])"), &err));
  EXPECT_FALSE(ApplyJsonPatch(obj, J(R"([{"op":"add","path":"bad"}])"), &err));
  EXPECT_FALSE(ApplyJsonPatch(obj, J(R"({"op":"add"})"), &err));
}

TEST(PatchTest, MergePatchFromDiff) {
  json::value a = J(R"({"metadata":{"labels":{"app":"web","old":"x"},"name":"p"},"spec":{"c":[1,2]},"keep":1})");
  json::value b = J(R"({"metadata":{"labels":{"app":"db","new":"y"},"name":"p"},"spec":{"c":[1]},"keep":1})");
  json::value patch = CreateMergePatch(a, b);
  EXPECT_EQ(patch.serialize(), R"({"metadata":{"labels":{"app":"db","new":"y","old":null}},"spec":{"c":[1]}})");
  EXPECT_EQ(ApplyMergePatch(a, patch), b);
  EXPECT_EQ(CreateMergePatch(a, a).size(), 0u);
}

TEST(PatchTest, LabelsMergePatchRemovesWithNull) {
  json::value p = LabelsMergePatch({{"riposte.io/quarantined", std::string("true")}, {"app", std::nullopt}});
  EXPECT_EQ(p.serialize(), R"({"metadata":{"labels":{"app":null,"riposte.io/quarantined":"true"}}})");
}

TEST(PatchTest, JsonSubsetIgnoresServerAddedFields) {
  json::value sent = J(R"({"metadata":{"name":"x","labels":{"a":"b"}},"spec":{"containers":[{"name":"c"}]}})");
  json::value got = J(R"({"metadata":{"name":"x","uid":"u","labels":{"a":"b"}},"spec":{"containers":[{"name":"c","imagePullPolicy":"Always"}],"dnsPolicy":"ClusterFirst"}})");
  EXPECT_TRUE(JsonSubset(sent, got));
  got["metadata"]["labels"]["a"] = json::value::string("c");
  EXPECT_FALSE(JsonSubset(sent, got));
}

}  // namespace
}  // namespace riposte::kube
