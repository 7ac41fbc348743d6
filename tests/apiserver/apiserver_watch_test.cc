// Watch semantics: event order, initial ADDED events, bookmarks, 410 Expired as an ERROR
// event, timeouts, selector transitions.

#include <gtest/gtest.h>

#include "tests/apiserver/apiserver_test_util.h"

namespace riposte::testapi {
namespace {

using namespace std::chrono_literals;
using web::json::value;

class ApiServerWatchTest : public ApiServerSuite {
 protected:
  std::unique_ptr<WatchStream> Watch(const std::string& target) {
    auto w = std::make_unique<WatchStream>("127.0.0.1", S().port(), S().ca_pem(), target, S().token());
    EXPECT_EQ(w->WaitStatus(10s), 200);
    return w;
  }
  static std::string Type(const std::optional<value>& ev) { return ev ? ev->at("type").as_string() : "<none>"; }
  static std::string Name(const std::optional<value>& ev) {
    return ev ? ev->at("object").at("metadata").at("name").as_string() : "<none>";
  }
};

TEST_F(ApiServerWatchTest, EventsFromResourceVersionInOrder) {
  auto ns = NewNamespace("w");
  auto created = CreatePod(ns, "a").Json();
  std::string rv = created.at("metadata").at("resourceVersion").as_string();
  auto w = Watch("/api/v1/namespaces/" + ns + "/pods?watch=true&resourceVersion=" + rv);
  ASSERT_EQ(CreatePod(ns, "b").status, 201);
  ASSERT_EQ(Call("PATCH", "/api/v1/namespaces/" + ns + "/pods/a", R"({"metadata":{"labels":{"x":"y"}}})",
                 "application/merge-patch+json").status, 200);
  ASSERT_EQ(Call("DELETE", "/api/v1/namespaces/" + ns + "/pods/b").status, 200);
  auto e1 = w->Next(10s), e2 = w->Next(10s), e3 = w->Next(10s);
  EXPECT_EQ(Type(e1), "ADDED");
  EXPECT_EQ(Name(e1), "b");
  EXPECT_EQ(Type(e2), "MODIFIED");
  EXPECT_EQ(Name(e2), "a");
  EXPECT_EQ(Type(e3), "DELETED");
  EXPECT_EQ(Name(e3), "b");
  auto rv1 = std::stoull(e1->at("object").at("metadata").at("resourceVersion").as_string());
  auto rv3 = std::stoull(e3->at("object").at("metadata").at("resourceVersion").as_string());
  EXPECT_GT(rv3, rv1);
}

TEST_F(ApiServerWatchTest, NoResourceVersionStartsWithSyntheticAdds) {
  auto ns = NewNamespace("w0");
  ASSERT_EQ(CreatePod(ns, "a").status, 201);
  ASSERT_EQ(CreatePod(ns, "b").status, 201);
  auto w = Watch("/api/v1/namespaces/" + ns + "/pods?watch=1");
  EXPECT_EQ(Name(w->Next(10s)), "a");
  EXPECT_EQ(Name(w->Next(10s)), "b");
  EXPECT_FALSE(w->Next(100ms).has_value());
}

TEST_F(ApiServerWatchTest, BookmarksCarryOnlyResourceVersion) {
  auto ns = NewNamespace("wb");
  S().SetBookmarkInterval(100);
  auto w = Watch("/api/v1/namespaces/" + ns + "/pods?watch=true&allowWatchBookmarks=true");
  auto ev = w->Next(10s);
  S().SetBookmarkInterval(60000);
  ASSERT_EQ(Type(ev), "BOOKMARK");
  const auto& obj = ev->at("object");
  EXPECT_EQ(obj.at("kind").as_string(), "Pod");
  EXPECT_FALSE(obj.at("metadata").at("resourceVersion").as_string().empty());
  EXPECT_FALSE(obj.at("metadata").has_field("name"));
  auto plain = Watch("/api/v1/namespaces/" + ns + "/pods?watch=true");
  EXPECT_FALSE(plain->Next(300ms).has_value());  // no bookmarks unless asked for
}

TEST_F(ApiServerWatchTest, TooOldResourceVersionYieldsExpiredErrorEvent) {
  auto ns = NewNamespace("w410");
  auto first = CreatePod(ns, "a").Json();
  std::string old_rv = first.at("metadata").at("resourceVersion").as_string();
  ASSERT_EQ(CreatePod(ns, "b").status, 201);
  S().ExpireHistory();  // revisions before "b" are gone; watching from "b" on would still work
  auto w = Watch("/api/v1/namespaces/" + ns + "/pods?watch=true&resourceVersion=" + old_rv);
  auto ev = w->Next(10s);
  ASSERT_EQ(Type(ev), "ERROR");
  const auto& st = ev->at("object");
  EXPECT_EQ(st.at("kind").as_string(), "Status");
  EXPECT_EQ(st.at("code").as_integer(), 410);
  EXPECT_EQ(st.at("reason").as_string(), "Expired");
  EXPECT_EQ(st.at("message").as_string().rfind("too old resource version: " + old_rv + " (", 0), 0u);
  EXPECT_TRUE(w->WaitEnded(10s));
  EXPECT_TRUE(w->ended_cleanly());
  auto list = Call("GET", "/api/v1/namespaces/" + ns + "/pods?resourceVersion=" + old_rv + "&resourceVersionMatch=Exact");
  EXPECT_EQ(list.status, 410);
}

TEST_F(ApiServerWatchTest, BoundedHistoryExpiresOldWatchers) {
  auto ns = NewNamespace("whist");
  std::string rv = CreatePod(ns, "a").Json().at("metadata").at("resourceVersion").as_string();
  S().SetHistorySize(3);
  for (int i = 0; i < 5; ++i) ASSERT_EQ(CreatePod(ns, "x" + std::to_string(i)).status, 201);
  S().SetHistorySize(1000);
  auto w = Watch("/api/v1/namespaces/" + ns + "/pods?watch=true&resourceVersion=" + rv);
  EXPECT_EQ(Type(w->Next(10s)), "ERROR");
}

TEST_F(ApiServerWatchTest, TimeoutSecondsEndsTheStreamCleanly) {
  auto ns = NewNamespace("wt");
  auto w = Watch("/api/v1/namespaces/" + ns + "/pods?watch=true&timeoutSeconds=1");
  EXPECT_TRUE(w->WaitEnded(10s));
  EXPECT_TRUE(w->ended_cleanly());
}

TEST_F(ApiServerWatchTest, ObjectLeavingTheSelectorIsDeleted) {
  auto ns = NewNamespace("wsel");
  auto created = CreatePod(ns, "a", R"({"role":"target"})").Json();
  std::string rv = created.at("metadata").at("resourceVersion").as_string();
  auto w = Watch("/api/v1/namespaces/" + ns + "/pods?watch=true&labelSelector=role%3Dtarget&resourceVersion=" + rv);
  ASSERT_EQ(CreatePod(ns, "other").status, 201);  // never matches: no event
  ASSERT_EQ(Call("PATCH", "/api/v1/namespaces/" + ns + "/pods/a", R"({"metadata":{"labels":{"role":null}}})",
                 "application/merge-patch+json").status, 200);
  ASSERT_EQ(Call("PATCH", "/api/v1/namespaces/" + ns + "/pods/a", R"({"metadata":{"labels":{"role":"target"}}})",
                 "application/merge-patch+json").status, 200);
  auto e1 = w->Next(10s), e2 = w->Next(10s);
  EXPECT_EQ(Type(e1), "DELETED");
  EXPECT_EQ(Name(e1), "a");
  EXPECT_EQ(e1->at("object").at("metadata").at("labels").at("role").as_string(), "target");  // previous state
  EXPECT_EQ(Type(e2), "ADDED");
  EXPECT_FALSE(w->Next(200ms).has_value());
}

TEST_F(ApiServerWatchTest, FieldSelectorWatchAndClusterWideWatch) {
  auto ns = NewNamespace("wf");
  auto w = Watch("/api/v1/pods?watch=true&fieldSelector=metadata.namespace%3D" + ns);
  ASSERT_EQ(CreatePod(ns, "a").status, 201);
  auto ev = w->Next(10s);
  EXPECT_EQ(Type(ev), "ADDED");
  EXPECT_EQ(Name(ev), "a");
}

TEST_F(ApiServerWatchTest, ManyConcurrentWatchesDoNotBlockRequests) {
  auto ns = NewNamespace("wmany");
  std::vector<std::unique_ptr<WatchStream>> watches;
  for (int i = 0; i < 40; ++i) watches.push_back(Watch("/api/v1/namespaces/" + ns + "/pods?watch=true"));
  ASSERT_EQ(CreatePod(ns, "a").status, 201);
  for (auto& w : watches) EXPECT_EQ(Name(w->Next(10s)), "a");
}

}  // namespace
}  // namespace riposte::testapi
