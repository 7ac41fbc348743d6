// Informer semantics against the in-memory fake client: initial sync, event delivery,
// convergence after dropped watches and 410s, tombstones, indexes, resync.
#include "kube/informer.h"
#include "common/json_value.h"

#include <gtest/gtest.h>

#include <atomic>
#include <set>

#include "common/json_value.h"
#include "tests/fakes/fake_kube_client.h"
#include "tests/kube/test_util.h"
#include "tests/support/eventually.h"

namespace riposte::kube {
namespace {
using riposte::testing::Eventually;
using testing::MakePod;

struct Recorder {
  std::mutex mu;
  std::vector<std::string> log;
  std::atomic<int> adds{0}, updates{0}, deletes{0}, tombstones{0};
  EventHandlers Handlers() {
    return {[this](const ObjectPtr& o) {
              ++adds;
              Push("add " + ObjectKey(*o));
            },
            [this](const ObjectPtr&, const ObjectPtr& n) {
              ++updates;
              Push("update " + ObjectKey(*n));
            },
            [this](const ObjectPtr& o, bool unknown) {
              ++deletes;
              if (unknown) ++tombstones;
              Push(std::string(unknown ? "tombstone " : "delete ") + ObjectKey(*o));
            }};
  }
  void Push(std::string s) {
    std::lock_guard<std::mutex> lock(mu);
    log.push_back(std::move(s));
  }
};

class InformerTest : public ::testing::Test {
 protected:
  InformerOptions Opts() {
    InformerOptions o;
    o.page_size = 2;  // exercise paging
    o.min_backoff = std::chrono::milliseconds(5);
    o.max_backoff = std::chrono::milliseconds(20);
    return o;
  }
  // The informer's keys must equal the fake's current objects.
  bool Converged(const Informer& inf) {
    auto list = fake_->List(resources::kPods, "", {});
    if (!list.ok()) return false;
    std::set<std::string> want;
    for (const auto& o : list->items) want.insert(ObjectKey(o) + "@" + riposte::json::GetString(o, {"metadata", "resourceVersion"}).value_or(""));
    std::set<std::string> have;
    for (const auto& o : inf.List()) have.insert(ObjectKey(*o) + "@" + riposte::json::GetString(*o, {"metadata", "resourceVersion"}).value_or(""));
    return want == have;
  }
  std::shared_ptr<fakes::FakeKubeClient> fake_ = std::make_shared<fakes::FakeKubeClient>();
};

TEST_F(InformerTest, SyncsThenFollowsEvents) {
  for (int i = 0; i < 5; ++i) fake_->Seed(resources::kPods, MakePod("shop", "p" + std::to_string(i)));
  Informer inf(fake_, resources::kPods, Opts());
  Recorder rec;
  inf.AddEventHandler(rec.Handlers());
  EXPECT_FALSE(inf.HasSynced());
  inf.Start();
  ASSERT_TRUE(inf.WaitForSync(std::chrono::seconds(10)));
  EXPECT_EQ(inf.Size(), 5u);
  EXPECT_EQ(rec.adds, 5);
  ASSERT_TRUE(fake_->WaitForWatches(1, std::chrono::seconds(10)));

  ASSERT_TRUE(fake_->Create(resources::kPods, "shop", MakePod("shop", "new")).ok());
  auto p0 = fake_->Get(resources::kPods, "shop", "p0");
  ASSERT_TRUE(p0.ok());
  auto v = p0.value();
  riposte::json::Mutable(v, {"metadata", "labels", "x"}) = web::json::value::string("y");
  ASSERT_TRUE(fake_->Update(resources::kPods, "shop", v).ok());
  ASSERT_TRUE(fake_->Delete(resources::kPods, "shop", "p1").ok());
  ASSERT_TRUE(Eventually([&] { return Converged(inf); }));
  // Handlers run after the cache is written: wait for them before counting exactly.
  EXPECT_TRUE(Eventually([&] { return rec.adds >= 6 && rec.updates >= 1 && rec.deletes >= 1; }));
  EXPECT_EQ(rec.adds, 6);
  EXPECT_EQ(rec.updates, 1);
  EXPECT_EQ(rec.deletes, 1);
  EXPECT_EQ(rec.tombstones, 0);
  EXPECT_EQ(inf.Get("shop", "p0")->at("metadata").at("labels").at("x").as_string(), "y");
  EXPECT_EQ(inf.Get("shop/p1"), nullptr);
  inf.Stop();
}

TEST_F(InformerTest, ConvergesAfterDroppedWatchWithoutRelisting) {
  fake_->Seed(resources::kPods, MakePod("shop", "a"));
  Informer inf(fake_, resources::kPods, Opts());
  inf.Start();
  ASSERT_TRUE(inf.WaitForSync(std::chrono::seconds(10)));
  ASSERT_TRUE(fake_->WaitForWatches(1, std::chrono::seconds(10)));
  fake_->DropWatches();
  ASSERT_TRUE(fake_->Create(resources::kPods, "shop", MakePod("shop", "b")).ok());
  ASSERT_TRUE(Eventually([&] { return Converged(inf); }));
  const auto stats = inf.Stats();
  EXPECT_EQ(stats.lists, 1u);  // resumed from the last resourceVersion
  EXPECT_GE(stats.watches, 2u);
  EXPECT_GE(stats.errors, 1u);
}

TEST_F(InformerTest, RelistsOn410AndDeliversTombstones) {
  fake_->Seed(resources::kPods, MakePod("shop", "a"));
  fake_->Seed(resources::kPods, MakePod("shop", "b"));
  Informer inf(fake_, resources::kPods, Opts());
  Recorder rec;
  inf.AddEventHandler(rec.Handlers());
  inf.Start();
  ASSERT_TRUE(inf.WaitForSync(std::chrono::seconds(10)));
  ASSERT_TRUE(fake_->WaitForWatches(1, std::chrono::seconds(10)));
  // Changes happen while the informer cannot watch, then history is compacted: resuming
  // gets 410 and only a relist can notice that "a" is gone.
  std::atomic<bool> block{true};
  fake_->AddReactor([&block](const fakes::Action& a) -> std::optional<Result<web::json::value>> {
    if (a.verb == "watch" && block) return Result<web::json::value>(MakeError(ErrorKind::kTransport, "down"));
    return std::nullopt;
  });
  fake_->DropWatches();
  ASSERT_TRUE(fake_->Delete(resources::kPods, "shop", "a").ok());
  ASSERT_TRUE(fake_->Create(resources::kPods, "shop", MakePod("shop", "c")).ok());
  fake_->ExpireHistory();
  block = false;
  ASSERT_TRUE(Eventually([&] {
    auto keys = inf.Keys();
    return std::set<std::string>(keys.begin(), keys.end()) == std::set<std::string>{"shop/b", "shop/c"};
  }));
  // Handlers run after the cache is replaced: wait for them before counting exactly.
  EXPECT_TRUE(Eventually([&] { return rec.tombstones >= 1 && rec.adds >= 3; }))
      << "tombstones " << rec.tombstones << ", adds " << rec.adds;
  inf.Stop();
  EXPECT_GE(inf.Stats().gone, 1u);
  EXPECT_EQ(inf.Stats().lists, 2u);
  EXPECT_EQ(rec.tombstones, 1);
  EXPECT_EQ(rec.adds, 3);
  std::lock_guard<std::mutex> lock(rec.mu);
  EXPECT_NE(std::find(rec.log.begin(), rec.log.end(), "tombstone shop/a"), rec.log.end());
}

// Objects are cached without managedFields: often the larger part of an object, read by
// nothing here. Everything else is kept.
TEST_F(InformerTest, CachedObjectsHaveNoManagedFields) {
  auto pod = MakePod("shop", "a", {{"app", "web"}});
  pod["metadata"]["managedFields"] = web::json::value::parse(
      R"([{"manager":"kubectl","operation":"Apply","fieldsType":"FieldsV1","fieldsV1":{"f:metadata":{}}}])");
  fake_->Seed(resources::kPods, pod);
  Informer inf(fake_, resources::kPods, Opts());
  inf.Start();
  ASSERT_TRUE(inf.WaitForSync(std::chrono::seconds(10)));
  auto cached = inf.Get("shop", "a");
  ASSERT_NE(cached, nullptr);
  EXPECT_EQ(riposte::json::Find(*cached, {"metadata", "managedFields"}), nullptr);
  EXPECT_EQ(riposte::json::GetString(*cached, {"metadata", "labels", "app"}), "web");
  // Watch events too.
  ASSERT_TRUE(fake_->WaitForWatches(1, std::chrono::seconds(10)));
  auto b = MakePod("shop", "b");
  b["metadata"]["managedFields"] = pod["metadata"]["managedFields"];
  ASSERT_TRUE(fake_->Create(resources::kPods, "shop", b).ok());
  ASSERT_TRUE(Eventually([&] { return inf.Get("shop", "b") != nullptr; }));
  EXPECT_EQ(riposte::json::Find(*inf.Get("shop", "b"), {"metadata", "managedFields"}), nullptr);
  inf.Stop();
  // Kept when asked for.
  InformerOptions keep = Opts();
  keep.strip_managed_fields = false;
  Informer full(fake_, resources::kPods, keep);
  full.Start();
  ASSERT_TRUE(full.WaitForSync(std::chrono::seconds(10)));
  EXPECT_NE(riposte::json::Find(*full.Get("shop", "a"), {"metadata", "managedFields"}), nullptr);
  full.Stop();
}

TEST_F(InformerTest, LateHandlerGetsTheCacheReplayedAsAdds) {
  fake_->Seed(resources::kPods, MakePod("shop", "a"));
  fake_->Seed(resources::kPods, MakePod("shop", "b"));
  Informer inf(fake_, resources::kPods, Opts());
  inf.Start();
  ASSERT_TRUE(inf.WaitForSync(std::chrono::seconds(10)));
  Recorder rec;
  const int id = inf.AddEventHandler(rec.Handlers());
  EXPECT_EQ(rec.adds, 2);
  inf.RemoveEventHandler(id);
  ASSERT_TRUE(fake_->WaitForWatches(1, std::chrono::seconds(10)));
  ASSERT_TRUE(fake_->Delete(resources::kPods, "shop", "a").ok());
  ASSERT_TRUE(Eventually([&] { return inf.Get("shop", "a") == nullptr; }));
  EXPECT_EQ(rec.deletes, 0) << "a removed handler hears nothing";
  inf.Stop();
}

TEST_F(InformerTest, ListErrorsAreRetriedUntilSynced) {
  fake_->Seed(resources::kPods, MakePod("shop", "a"));
  fake_->FailNext("list", "pods", MakeError(ErrorKind::kServiceUnavailable, "etcd down"), 3);
  Informer inf(fake_, resources::kPods, Opts());
  inf.Start();
  ASSERT_TRUE(inf.WaitForSync(std::chrono::seconds(10)));
  EXPECT_EQ(inf.Size(), 1u);
  EXPECT_GE(inf.Stats().errors, 3u);
}

TEST_F(InformerTest, StopWhileWatchingReturnsPromptlyAndWaitForSyncFailsWhenStopped) {
  fake_->FailNext("list", "pods", MakeError(ErrorKind::kServiceUnavailable, "down"), 1000000);
  Informer inf(fake_, resources::kPods, Opts());
  inf.Start();
  EXPECT_FALSE(inf.WaitForSync(std::chrono::milliseconds(50)));
  inf.Stop();
  EXPECT_FALSE(inf.WaitForSync(std::chrono::seconds(5)));
}

TEST_F(InformerTest, SharedFactoryReturnsOneInformerPerResourceAndNamespace) {
  SharedInformerFactory f(fake_, Opts());
  auto a = f.For(resources::kPods);
  auto b = f.For(resources::kPods);
  auto c = f.For(resources::kPods, "shop");
  auto d = f.For(resources::kNodes);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  EXPECT_NE(a, d);
  f.Start();
  EXPECT_TRUE(f.WaitForCacheSync(std::chrono::seconds(10)));
  f.Stop();
}

TEST(ObjectKeyTest, SplitAndJoin) {
  EXPECT_EQ(ObjectKey("shop", "a"), "shop/a");
  EXPECT_EQ(ObjectKey("", "node-1"), "node-1");
  EXPECT_EQ(SplitObjectKey("shop/a"), (std::pair<std::string, std::string>{"shop", "a"}));
  EXPECT_EQ(SplitObjectKey("node-1"), (std::pair<std::string, std::string>{"", "node-1"}));
}

}  // namespace
}  // namespace riposte::kube
