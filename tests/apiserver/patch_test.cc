#include <gtest/gtest.h>

// After gtest: cpprestsdk defines a U() macro that breaks gtest headers included later.
#include "tests/apiserver/patch.h"

#include "tests/apiserver/api_status.h"

namespace riposte::testapi {
namespace {

using web::json::value;

value J(const std::string& s) { return value::parse(s); }

TEST(MergePatchTest, NullRemovesAndObjectsMergeArraysReplace) {
  value target = J(R"({"metadata":{"labels":{"a":"1","b":"2"}},"spec":{"list":[1,2]}})");
  value out = ApplyMergePatch(target, J(R"({"metadata":{"labels":{"a":null,"c":"3"}},"spec":{"list":[9]}})"));
  EXPECT_EQ(out, J(R"({"metadata":{"labels":{"b":"2","c":"3"}},"spec":{"list":[9]}})"));
}

TEST(JsonPatchTest, AddReplaceRemoveMoveCopyAndAppend) {
  value doc = J(R"({"a":{"b":1},"l":[1,2]})");
  value out = ApplyJsonPatch(doc, J(R"([
    {"op":"add","path":"/a/c","value":2},
    {"op":"replace","path":"/a/b","value":5},
    {"op":"add","path":"/l/-","value":3},
    {"op":"add","path":"/l/0","value":0},
    {"op":"remove","path":"/l/1"},
    {"op":"copy","from":"/a/b","path":"/x"},
    {"op":"move","from":"/a/c","path":"/y"},
    {"op":"test","path":"/x","value":5}])"));
  EXPECT_EQ(out, J(R"({"a":{"b":5},"l":[0,2,3],"x":5,"y":2})"));
}

TEST(JsonPatchTest, EscapedPointerTokens) {
  value doc = J(R"({"metadata":{"labels":{"app.kubernetes.io/name":"x","t~1":"y"}}})");
  value out = ApplyJsonPatch(doc, J(R"([{"op":"remove","path":"/metadata/labels/app.kubernetes.io~1name"},
                                       {"op":"remove","path":"/metadata/labels/t~01"}])"));
  EXPECT_EQ(out, J(R"({"metadata":{"labels":{}}})"));
}

TEST(JsonPatchTest, FailedTestAndMissingPathAre422) {
  value doc = J(R"({"a":1})");
  try {
    ApplyJsonPatch(doc, J(R"([{"op":"test","path":"/a","value":2}])"));
    FAIL() << "test op should fail";
  } catch (const ApiError& e) {
    EXPECT_EQ(e.code(), 422);
    EXPECT_EQ(e.reason(), "Invalid");
  }
  try {
    ApplyJsonPatch(doc, J(R"([{"op":"replace","path":"/missing","value":2}])"));
    FAIL() << "replace of a missing path should fail";
  } catch (const ApiError& e) {
    EXPECT_EQ(e.code(), 422);
  }
}

TEST(JsonPatchTest, NonArrayPatchIs400) {
  try {
    ApplyJsonPatch(J(R"({})"), J(R"({"op":"add"})"));
    FAIL();
  } catch (const ApiError& e) {
    EXPECT_EQ(e.code(), 400);
  }
}

TEST(StrategicMergeTest, ContainersMergeByNameAndLabelsRemoveWithNull) {
  value pod = J(R"({"metadata":{"labels":{"app":"x","tier":"web"}},
    "spec":{"containers":[{"name":"a","image":"a:1","ports":[{"containerPort":80,"name":"http"}]},
                          {"name":"b","image":"b:1"}]}})");
  value out = ApplyStrategicMergePatch(pod, J(R"({"metadata":{"labels":{"tier":null,"new":"1"}},
    "spec":{"containers":[{"name":"b","image":"b:2"},{"name":"c","image":"c:1"},
                          {"name":"a","ports":[{"containerPort":443,"name":"https"}]}]}})"));
  EXPECT_EQ(out.at("metadata").at("labels"), J(R"({"app":"x","new":"1"})"));
  auto cs = out.at("spec").at("containers");
  ASSERT_EQ(cs.size(), 3u);
  EXPECT_EQ(cs.at(0).at("name").as_string(), "a");
  EXPECT_EQ(cs.at(0).at("image").as_string(), "a:1");
  EXPECT_EQ(cs.at(0).at("ports").size(), 2u);  // ports merged by containerPort
  EXPECT_EQ(cs.at(1).at("image").as_string(), "b:2");
  EXPECT_EQ(cs.at(2).at("name").as_string(), "c");
}

TEST(StrategicMergeTest, DeleteAndReplaceDirectives) {
  value pod = J(R"({"spec":{"containers":[{"name":"a","image":"a"},{"name":"b","image":"b"}],
                            "tolerations":[{"key":"x"}]}})");
  value out = ApplyStrategicMergePatch(pod, J(R"({"spec":{"containers":[{"name":"a","$patch":"delete"}]}})"));
  ASSERT_EQ(out.at("spec").at("containers").size(), 1u);
  EXPECT_EQ(out.at("spec").at("containers").at(0).at("name").as_string(), "b");
  // Lists without a patch strategy are replaced.
  out = ApplyStrategicMergePatch(pod, J(R"({"spec":{"tolerations":[{"key":"y"}]}})"));
  EXPECT_EQ(out.at("spec").at("tolerations"), J(R"([{"key":"y"}])"));
  out = ApplyStrategicMergePatch(pod, J(R"({"spec":{"$patch":"replace","containers":[{"name":"z","image":"z"}]}})"));
  EXPECT_EQ(out.at("spec"), J(R"({"containers":[{"name":"z","image":"z"}]})"));
}

TEST(StrategicMergeTest, FinalizersMergeAsSetAndDeleteFromPrimitiveList) {
  value obj = J(R"({"metadata":{"finalizers":["a","b"],"ownerReferences":[{"uid":"1","name":"x"}]}})");
  value out = ApplyStrategicMergePatch(obj, J(R"({"metadata":{"finalizers":["b","c"],
      "$deleteFromPrimitiveList/finalizers":["a"],"ownerReferences":[{"uid":"2","name":"y"}]}})"));
  EXPECT_EQ(out.at("metadata").at("finalizers"), J(R"(["b","c"])"));
  EXPECT_EQ(out.at("metadata").at("ownerReferences").size(), 2u);
}

TEST(StrategicMergeTest, MissingMergeKeyIs400) {
  value pod = J(R"({"spec":{"containers":[{"name":"a"}]}})");
  try {
    ApplyStrategicMergePatch(pod, J(R"({"spec":{"containers":[{"image":"x"}]}})"));
    FAIL();
  } catch (const ApiError& e) {
    EXPECT_EQ(e.code(), 400);
  }
}

}  // namespace
}  // namespace riposte::testapi
