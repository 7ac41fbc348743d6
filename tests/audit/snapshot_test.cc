#include "audit/snapshot.h"

#include <gtest/gtest.h>

namespace riposte::audit {
namespace {

std::string ParseError(const std::string& text) {
  ClusterSnapshot snap;
  std::string error;
  EXPECT_FALSE(ParseSnapshot(text, "snap.json", &snap, &error)) << text;
  return error;
}

TEST(ParseSnapshot, SnapshotForm) {
  ClusterSnapshot snap;
  std::string error;
  ASSERT_TRUE(ParseSnapshot(R"({"source":"prod","namespace":"shop",
    "resources":{"pods":[{"metadata":{"name":"a"}}],"services":{"kind":"ServiceList","items":[{}]}},
    "errors":{"networkpolicies":{"reason":"Forbidden","code":403,"message":"no"}}})",
                            "snap.json", &snap, &error))
      << error;
  EXPECT_EQ(snap.source, "prod");
  EXPECT_EQ(snap.namespace_scope, "shop");
  EXPECT_EQ(snap.Objects("pods").size(), 1u);
  EXPECT_EQ(snap.Objects("services").size(), 1u);
  EXPECT_TRUE(snap.Objects("nodes").empty());
  EXPECT_FALSE(snap.Readable("networkpolicies"));
  EXPECT_EQ(snap.errors.at("networkpolicies").code, 403);
}

TEST(ParseSnapshot, KubectlListForm) {
  ClusterSnapshot snap;
  std::string error;
  ASSERT_TRUE(ParseSnapshot(R"({"apiVersion":"v1","kind":"List","items":[
      {"kind":"Pod","metadata":{"name":"p"}},{"kind":"Ingress","metadata":{"name":"i"}},
      {"kind":"Secret","metadata":{"name":"ignored"}}]})",
                            "dump.json", &snap, &error))
      << error;
  EXPECT_EQ(snap.Objects(res::kPods).size(), 1u);
  EXPECT_EQ(snap.Objects(res::kIngresses).size(), 1u);
  EXPECT_TRUE(snap.errors.empty());
}

TEST(ParseSnapshot, NamedErrors) {
  EXPECT_NE(ParseError("{").find("snap.json: invalid JSON"), std::string::npos);
  EXPECT_NE(ParseError("[]").find("top level must be an object"), std::string::npos);
  EXPECT_NE(ParseError(R"({"resourcez":{}})").find("unknown field \"resourcez\""), std::string::npos);
  EXPECT_NE(ParseError(R"({"resources":{"pods":5}})").find("resources.pods: must be an array"), std::string::npos);
  EXPECT_NE(ParseError(R"({"resources":{"pods":[1]}})").find("resources.pods[0]: must be an object"), std::string::npos);
  EXPECT_NE(ParseError(R"({"source":null})").find("source: must be a string"), std::string::npos);
  EXPECT_NE(ParseError(R"({"items":[{"metadata":{}}]})").find("items[0]: must be an object with a kind"),
            std::string::npos);
}

TEST(SnapshotToJson, RoundTrips) {
  ClusterSnapshot snap;
  snap.source = "s";
  snap.objects["pods"].push_back(web::json::value::parse(R"({"metadata":{"name":"p"}})"));
  snap.errors["nodes"] = {"Forbidden", 403, "denied"};
  ClusterSnapshot back;
  std::string error;
  ASSERT_TRUE(ParseSnapshot(SnapshotToJson(snap).serialize(), "x", &back, &error)) << error;
  EXPECT_EQ(back.Objects("pods").size(), 1u);
  EXPECT_EQ(back.errors.at("nodes").message, "denied");
}

TEST(LoadSnapshotFile, MissingFile) {
  ClusterSnapshot snap;
  std::string error;
  EXPECT_FALSE(LoadSnapshotFile("/nonexistent/x.json", &snap, &error));
  EXPECT_EQ(error, "/nonexistent/x.json: cannot open");
}

}  // namespace
}  // namespace riposte::audit
