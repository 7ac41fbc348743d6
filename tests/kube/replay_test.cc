// Recognising that a replayed write had already been applied (kube/replay.h).
#include "kube/replay.h"

#include <gtest/gtest.h>

namespace riposte::kube::internal {
namespace {
namespace json = web::json;

json::value J(const char* s) { return json::value::parse(s); }

TEST(ReplayTest, JsonSubsetIgnoresServerAddedFields) {
  json::value sent = J(R"({"metadata":{"name":"x","labels":{"a":"b"}},"spec":{"containers":[{"name":"c"}]}})");
  json::value got = J(R"({"metadata":{"name":"x","uid":"u","labels":{"a":"b"}},"spec":{"containers":[{"name":"c","imagePullPolicy":"Always"}],"dnsPolicy":"ClusterFirst"}})");
  EXPECT_TRUE(JsonSubset(sent, got));
  got["metadata"]["labels"]["a"] = json::value::string("c");
  EXPECT_FALSE(JsonSubset(sent, got));
}

TEST(ReplayTest, JsonSubsetComparesArraysWholeAndTreatsNullAsAbsent) {
  EXPECT_FALSE(JsonSubset(J(R"({"a":[1,2]})"), J(R"({"a":[1,2,3]})")));
  EXPECT_TRUE(JsonSubset(J(R"({"a":[{"x":1}]})"), J(R"({"a":[{"x":1,"y":2}]})")));
  EXPECT_TRUE(JsonSubset(J(R"({"gone":null})"), J(R"({})")));
  EXPECT_FALSE(JsonSubset(J(R"({"a":1})"), J(R"([1])")));
}

}  // namespace
}  // namespace riposte::kube::internal
