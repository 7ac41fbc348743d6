// The kube/ client against riposte-test-apiserver (a real HTTPS process on a random loopback
// port, started per fixture): CRUD and typed errors, paging, watches and bookmarks, informer
// convergence after dropped watches / 410 / restarts, retries without duplicate side effects,
// token rotation, TLS pinning and leader election.
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include "kube/config.h"
#include "kube/informer.h"
#include "kube/leader_election.h"
#include "common/json_value.h"
#include "tests/apiserver/test_apiserver_process.h"
#include "tests/support/certs.h"
#include "tests/support/files.h"
#include "tests/kube/test_util.h"
#include "tests/support/eventually.h"

namespace riposte::kube {
namespace {
namespace json = web::json;
using std::chrono::milliseconds;
using riposte::testing::Eventually;
using testing::MakePod;

std::string Str(const json::value& v, std::initializer_list<std::string_view> path) {
  return riposte::json::GetString(v, path).value_or("");
}

class KubeClientIT : public ::testing::Test {
 protected:
  void SetUp() override { client_ = NewClient(); }

  ClientConfig Config(const std::string& token_override = "") {
    KubeconfigOptions o;
    o.path = server_.WriteKubeconfig(server_.dir() + "/kubeconfig-" + std::to_string(++configs_), token_override);
    auto cfg = LoadKubeconfig(o);
    EXPECT_TRUE(cfg.ok()) << cfg.error().message;
    ClientConfig c = cfg.value();
    c.retry.base_backoff = milliseconds(10);
    c.retry.max_backoff = milliseconds(50);
    c.qps = 0;  // tests measure behaviour, not throttling
    return c;
  }
  KubeClientPtr NewClient(ClientConfig c) {
    auto r = NewKubeClient(c);
    EXPECT_TRUE(r.ok()) << r.error().message;
    return r.value();
  }
  KubeClientPtr NewClient() { return NewClient(Config()); }

  int64_t Stat(const std::string& key) { return server_.StatCount(key); }

  testapi::TestApiServerProcess server_;
  KubeClientPtr client_;
  int configs_ = 0;
};

TEST_F(KubeClientIT, CrudWithTypedErrors) {
  const Resource& pods = resources::kPods;
  auto created = client_->Create(pods, "default", MakePod("default", "web-1", {{"app", "web"}}));
  ASSERT_TRUE(created.ok()) << created.error().ToString();
  json::value pod = created.value();
  EXPECT_FALSE(Str(pod, {"metadata", "uid"}).empty());
  EXPECT_FALSE(Str(pod, {"metadata", "resourceVersion"}).empty());

  auto again = client_->Create(pods, "default", MakePod("default", "web-1"));
  ASSERT_FALSE(again.ok());
  EXPECT_TRUE(IsAlreadyExists(again.error())) << again.error().ToString();
  EXPECT_EQ(again.error().code, 409);

  auto missing = client_->Get(pods, "default", "nope");
  ASSERT_FALSE(missing.ok());
  EXPECT_TRUE(IsNotFound(missing.error()));
  EXPECT_EQ(missing.error().details.name, "nope");

  // Optimistic concurrency: a write based on a stale copy conflicts.
  json::value fresh = client_->Get(pods, "default", "web-1").value();
  riposte::json::Mutable(fresh, {"metadata", "labels", "tier"}) = json::value::string("front");
  ASSERT_TRUE(client_->Update(pods, "default", fresh).ok());
  riposte::json::Mutable(pod, {"metadata", "labels", "tier"}) = json::value::string("stale");
  auto stale = client_->Update(pods, "default", pod);
  ASSERT_FALSE(stale.ok());
  EXPECT_TRUE(IsConflict(stale.error())) << stale.error().ToString();

  // Invalid object: 422 with causes naming the field.
  json::value bad = MakePod("default", "bad");
  bad["spec"]["containers"] = json::value::array();
  auto invalid = client_->Create(pods, "default", bad);
  ASSERT_FALSE(invalid.ok());
  EXPECT_TRUE(IsInvalid(invalid.error())) << invalid.error().ToString();
  EXPECT_FALSE(invalid.error().details.causes.empty());

  // Names are validated before anything is sent.
  const int64_t before = Stat("get pods");
  auto traversal = client_->Get(pods, "default", "../secrets/x");
  ASSERT_FALSE(traversal.ok());
  EXPECT_EQ(traversal.error().kind, ErrorKind::kInvalidArgument);
  EXPECT_FALSE(client_->Get(pods, "Default", "x").ok());
  EXPECT_FALSE(client_->Get(pods, "", "x").ok());
  EXPECT_FALSE(client_->Get(resources::kNodes, "default", "x").ok());
  EXPECT_EQ(Stat("get pods"), before);

  DeleteOptions del;
  del.grace_period_seconds = 0;
  del.precondition_uid = "not-the-uid";
  auto wrong_uid = client_->Delete(pods, "default", "web-1", del);
  ASSERT_FALSE(wrong_uid.ok());
  EXPECT_TRUE(IsConflict(wrong_uid.error())) << wrong_uid.error().ToString();
  del.precondition_uid = Str(pod, {"metadata", "uid"});
  ASSERT_TRUE(client_->Delete(pods, "default", "web-1", del).ok());
  EXPECT_TRUE(Eventually([&] {
    auto g = client_->Get(pods, "default", "web-1");
    return !g.ok() && IsNotFound(g.error());
  }));
}

TEST_F(KubeClientIT, MergePatchesWithPreconditionAndStatus) {
  const Resource& pods = resources::kPods;
  ASSERT_TRUE(client_->Create(pods, "default", MakePod("default", "p", {{"app", "web"}})).ok());

  auto merged = client_->Patch(pods, "default", "p",
                               json::value::parse(R"({"metadata":{"labels":{"riposte.io/quarantined":"true","app":null}}})"));
  ASSERT_TRUE(merged.ok()) << merged.error().ToString();
  EXPECT_EQ(riposte::json::GetStringMap(merged.value(), {"metadata", "labels"}),
            (std::map<std::string, std::string>{{"riposte.io/quarantined", "true"}}));

  // A resourceVersion in the patch is a precondition: the same patch again conflicts.
  auto guarded = json::value::parse(R"({"metadata":{"annotations":{"riposte.io/action":"isolate"}}})");
  guarded["metadata"]["resourceVersion"] = json::value::string(Str(merged.value(), {"metadata", "resourceVersion"}));
  auto patched = client_->Patch(pods, "default", "p", guarded);
  ASSERT_TRUE(patched.ok()) << patched.error().ToString();
  EXPECT_EQ(Str(patched.value(), {"metadata", "annotations", "riposte.io/action"}), "isolate");
  auto replay = client_->Patch(pods, "default", "p", guarded);
  ASSERT_FALSE(replay.ok());
  EXPECT_TRUE(IsConflict(replay.error())) << replay.error().ToString();

  // Not an object: refused before anything is sent.
  EXPECT_EQ(client_->Patch(pods, "default", "p", json::value::parse("[1]")).error().kind, ErrorKind::kInvalidArgument);

  // Status subresource: spec changes through /status are ignored.
  json::value withstatus = client_->Get(pods, "default", "p").value();
  withstatus["status"]["phase"] = json::value::string("Running");
  withstatus["spec"]["containers"][0]["image"] = json::value::string("ignored:1");
  auto st = client_->UpdateStatus(pods, "default", withstatus);
  ASSERT_TRUE(st.ok()) << st.error().ToString();
  EXPECT_EQ(Str(st.value(), {"status", "phase"}), "Running");
  EXPECT_EQ(st.value().at("spec").at("containers").at(0).at("image").as_string(), "nginx:1.25");
  auto status_patch = client_->Patch(pods, "default", "p", json::value::parse(R"({"status":{"phase":"Failed"}})"), {}, "status");
  ASSERT_TRUE(status_patch.ok()) << status_patch.error().ToString();
  EXPECT_EQ(Str(status_patch.value(), {"status", "phase"}), "Failed");
}

TEST_F(KubeClientIT, EvictionAndDryRun) {
  ASSERT_TRUE(client_->Create(resources::kPods, "default", MakePod("default", "victim")).ok());
  DeleteOptions dry;
  dry.dry_run = true;
  ASSERT_TRUE(client_->Delete(resources::kPods, "default", "victim", dry).ok());
  EXPECT_TRUE(client_->Get(resources::kPods, "default", "victim").ok());
  auto ev = client_->Evict("default", "victim", {});
  ASSERT_TRUE(ev.ok()) << ev.error().ToString();
  EXPECT_EQ(Stat("create pods/eviction default/victim"), 1);
  auto none = client_->Evict("default", "ghost", {});
  ASSERT_FALSE(none.ok());
  EXPECT_TRUE(IsNotFound(none.error()));
}

TEST_F(KubeClientIT, PaginationWithLimitAndContinue) {
  for (int i = 0; i < 25; ++i) {
    json::value cm = json::value::parse(R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"namespace":"default"}})");
    cm["metadata"]["name"] = json::value::string("cm-" + std::to_string(i));
    cm["metadata"]["labels"] = json::value::object();
    cm["metadata"]["labels"]["batch"] = json::value::string(i % 2 == 0 ? "even" : "odd");
    ASSERT_TRUE(client_->Create(resources::kConfigMaps, "default", cm).ok());
  }
  ListOptions lo;
  lo.limit = 10;
  auto page = client_->List(resources::kConfigMaps, "default", lo);
  ASSERT_TRUE(page.ok()) << page.error().ToString();
  EXPECT_EQ(page->items.size(), 10u);
  EXPECT_FALSE(page->continue_token.empty());
  EXPECT_EQ(page->kind, "ConfigMapList");
  auto all = ListAll(*client_, resources::kConfigMaps, "default", {}, 7);
  ASSERT_TRUE(all.ok()) << all.error().ToString();
  std::set<std::string> names;
  for (const auto& o : all->items) names.insert(Str(o, {"metadata", "name"}));
  EXPECT_EQ(names.size(), 25u);
  EXPECT_FALSE(all->resource_version.empty());
  ListOptions sel;
  sel.label_selector = "batch=even";
  auto even = client_->List(resources::kConfigMaps, "default", sel);
  ASSERT_TRUE(even.ok());
  EXPECT_EQ(even->items.size(), 13u);
  ListOptions bad_sel;
  bad_sel.label_selector = "batch in even";
  auto bad = client_->List(resources::kConfigMaps, "default", bad_sel);
  ASSERT_FALSE(bad.ok());
  EXPECT_TRUE(IsBadRequest(bad.error())) << bad.error().ToString();
}

TEST_F(KubeClientIT, WatchDeliversEventsAndBookmarksThenStops) {
  server_.SetBookmarkInterval(100);
  const std::string rv = client_->List(resources::kPods, "default").value().resource_version;
  std::vector<WatchEvent> events;
  bool saw_bookmark = false;
  std::thread writer([&] {
    for (int i = 0; i < 3; ++i) (void)client_->Create(resources::kPods, "default", MakePod("default", "w" + std::to_string(i)));
    (void)client_->Delete(resources::kPods, "default", "w0", DeleteOptions{0, "", "", PropagationPolicy::kDefault, false});
  });
  WatchOptions wo;
  wo.resource_version = rv;
  wo.timeout_seconds = 30;
  auto end = client_->Watch(resources::kPods, "default", wo, [&](WatchEvent&& ev) {
    if (ev.type == WatchEventType::kBookmark) {
      saw_bookmark = true;
    } else {
      events.push_back(std::move(ev));
    }
    int deleted = 0;
    for (const auto& e : events) deleted += e.type == WatchEventType::kDeleted;
    return !(saw_bookmark && deleted > 0);
  });
  writer.join();
  ASSERT_TRUE(end.ok()) << end.error().ToString();
  EXPECT_EQ(end->reason, WatchEnd::Reason::kHandlerStopped);
  EXPECT_TRUE(saw_bookmark);
  ASSERT_GE(events.size(), 4u);
  EXPECT_EQ(events[0].type, WatchEventType::kAdded);
  EXPECT_EQ(Str(events[0].object, {"metadata", "name"}), "w0");
  EXPECT_FALSE(end->resource_version.empty());
}

TEST_F(KubeClientIT, WatchCancelAndTimeoutAnd410) {
  const std::string rv = client_->List(resources::kPods, "default").value().resource_version;
  std::stop_source stop;
  std::thread canceller([&] {
    ASSERT_TRUE(Eventually([&] { return Stat("watch pods") >= 1; }));
    stop.request_stop();
  });
  WatchOptions wo;
  wo.resource_version = rv;
  const auto t0 = std::chrono::steady_clock::now();
  auto cancelled = client_->Watch(resources::kPods, "default", wo, [](WatchEvent&&) { return true; }, stop.get_token());
  canceller.join();
  ASSERT_FALSE(cancelled.ok());
  EXPECT_TRUE(IsCancelled(cancelled.error())) << cancelled.error().ToString();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(10));

  wo.timeout_seconds = 1;  // server ends the stream: a normal end, not an error
  auto timed = client_->Watch(resources::kPods, "default", wo, [](WatchEvent&&) { return true; });
  ASSERT_TRUE(timed.ok()) << timed.error().ToString();
  EXPECT_EQ(timed->reason, WatchEnd::Reason::kServerClosed);

  for (int i = 0; i < 3; ++i) ASSERT_TRUE(client_->Create(resources::kPods, "default", MakePod("default", "g" + std::to_string(i))).ok());
  server_.ExpireHistory();
  auto gone = client_->Watch(resources::kPods, "default", wo, [](WatchEvent&&) { return true; });
  ASSERT_FALSE(gone.ok());
  EXPECT_TRUE(IsGone(gone.error())) << gone.error().ToString();
}

// Waits until the informer's cache equals the server's pods (names and resourceVersions).
bool ConvergedWithServer(KubeClient& c, const Informer& inf) {
  std::set<std::string> last_want, last_have;
  const bool ok = Eventually([&] {
    auto list = c.List(resources::kPods, "");
    if (!list.ok()) return false;
    std::set<std::string> want, have;
    for (const auto& o : list->items) want.insert(ObjectKey(o) + "@" + Str(o, {"metadata", "resourceVersion"}));
    for (const auto& o : inf.List()) have.insert(ObjectKey(*o) + "@" + Str(*o, {"metadata", "resourceVersion"}));
    last_want = want;
    last_have = have;
    return want == have;
  }, std::chrono::seconds(30));
  if (!ok) {
    std::string w, h;
    for (const auto& k : last_want) w += k + " ";
    for (const auto& k : last_have) h += k + " ";
    const auto st = inf.Stats();
    ADD_FAILURE() << "server: " << w << "\ninformer: " << h << "\nlists=" << st.lists << " watches=" << st.watches
                  << " events=" << st.events << " gone=" << st.gone << " errors=" << st.errors
                  << " rv=" << inf.LastSyncResourceVersion();
  }
  return ok;
}

// Requests share keep-alive connections; one the server has closed meanwhile is replaced
// before anything is written on it, so even a request that is never retried (one attempt,
// a create) goes through.
TEST_F(KubeClientIT, ConnectionsClosedByTheServerAreReplacedBeforeUse) {
  ClientConfig c = Config();
  c.retry.max_attempts = 1;
  auto client = NewClient(c);
  ASSERT_TRUE(client->Create(resources::kPods, "default", MakePod("default", "k1")).ok());
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(client->Get(resources::kPods, "default", "k1").ok());
  server_.DropConnections();
  server_.ResetStats();
  auto created = client->Create(resources::kPods, "default", MakePod("default", "k2"));
  ASSERT_TRUE(created.ok()) << created.error().ToString();
  EXPECT_EQ(Stat("create pods"), 1);
  auto got = client->Get(resources::kPods, "default", "k2");
  ASSERT_TRUE(got.ok()) << got.error().ToString();
}

TEST_F(KubeClientIT, InformerConvergesAfterDropsExpiryAndRestarts) {
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(client_->Create(resources::kPods, "default", MakePod("default", "i" + std::to_string(i))).ok());
  InformerOptions io;
  io.min_backoff = milliseconds(20);
  io.max_backoff = milliseconds(200);
  io.page_size = 2;
  Informer inf(client_, resources::kPods, io);
  std::atomic<int> tombstones{0};
  inf.AddEventHandler({nullptr, nullptr, [&](const ObjectPtr&, bool unknown) { tombstones += unknown; }});
  inf.Start();
  ASSERT_TRUE(inf.WaitForSync(std::chrono::seconds(30)));
  EXPECT_EQ(inf.Size(), 5u);

  // Dropped watch: resumes from its resourceVersion.
  ASSERT_TRUE(Eventually([&] { return Stat("watch pods") >= 1; }));
  server_.DropWatches();
  ASSERT_TRUE(client_->Create(resources::kPods, "default", MakePod("default", "after-drop")).ok());
  ASSERT_TRUE(ConvergedWithServer(*client_, inf));

  // History expired while disconnected: a relist, either on the 410 or already because the
  // watch failed twice in a row (which comes first depends on how fast the retries run).
  const uint64_t lists_before = inf.Stats().lists;
  server_.InjectError("/api/v1/pods", 503, -1, 0, "watch");
  server_.DropWatches();
  ASSERT_TRUE(client_->Delete(resources::kPods, "default", "i0", DeleteOptions{0, "", "", PropagationPolicy::kDefault, false}).ok());
  ASSERT_TRUE(client_->Create(resources::kPods, "default", MakePod("default", "during-outage")).ok());
  server_.ExpireHistory();
  server_.ClearFaults();
  ASSERT_TRUE(ConvergedWithServer(*client_, inf));
  EXPECT_GT(inf.Stats().lists, lists_before);
  EXPECT_GE(tombstones.load(), 1);

  // Restart in place keeping the data: the listener is down for a while.
  server_.RestartInPlace(true, 300);
  ASSERT_TRUE(Eventually([&] { return client_->Create(resources::kPods, "default", MakePod("default", "after-restart")).ok(); }));
  ASSERT_TRUE(ConvergedWithServer(*client_, inf));

  // Process crash and restart on the same port: fresh storage whose resourceVersions start
  // over, so resuming is impossible; the resume check gets "too large" and relists.
  // (An in-place wipe that keeps resourceVersions increasing is invisible to any client.)
  ASSERT_TRUE(client_->Create(resources::kPods, "default", MakePod("default", "before-crash")).ok());
  ASSERT_TRUE(ConvergedWithServer(*client_, inf));
  server_.Restart();
  ASSERT_TRUE(Eventually([&] { return client_->Create(resources::kPods, "default", MakePod("default", "after-crash")).ok(); }));
  ASSERT_TRUE(ConvergedWithServer(*client_, inf));
  EXPECT_EQ(inf.Size(), 1u);
  EXPECT_EQ(inf.Get("default", "before-crash"), nullptr);
  inf.Stop();
}

TEST_F(KubeClientIT, RetriesHonourRetryAfterAndDoNotDuplicateCreates) {
  ASSERT_TRUE(client_->Create(resources::kPods, "default", MakePod("default", "r")).ok());
  server_.ResetStats();
  server_.InjectError("/api/v1/namespaces/default/pods/r", 429, 2, 1);
  const auto t0 = std::chrono::steady_clock::now();
  auto got = client_->Get(resources::kPods, "default", "r");
  ASSERT_TRUE(got.ok()) << got.error().ToString();
  EXPECT_GE(std::chrono::steady_clock::now() - t0, milliseconds(2000));  // two Retry-After: 1
  EXPECT_EQ(Stat("get pods default/r"), 3);

  // 500 on create (rejected before storage): retried once, one object.
  server_.ResetStats();
  server_.InjectError("/api/v1/namespaces/default/pods", 500, 1, 0, "create");
  auto c = client_->Create(resources::kPods, "default", MakePod("default", "c1"));
  ASSERT_TRUE(c.ok()) << c.error().ToString();
  EXPECT_EQ(Stat("create pods"), 2);

  // The response is lost after the server stored the object (client timeout): the replay
  // gets AlreadyExists, finds the same content and reports success; one object exists.
  ClientConfig slow = Config();
  slow.request_timeout = milliseconds(1000);
  auto impatient = NewClient(slow);
  server_.ResetStats();
  server_.InjectDelay("/api/v1/namespaces/default/pods", 2500, 1, "create");
  auto lost = impatient->Create(resources::kPods, "default", MakePod("default", "c2", {{"k", "v"}}));
  ASSERT_TRUE(lost.ok()) << lost.error().ToString();
  EXPECT_EQ(Str(lost.value(), {"metadata", "labels", "k"}), "v");
  EXPECT_EQ(Stat("create pods"), 2);
  ListOptions lo;
  lo.field_selector = "metadata.name=c2";
  EXPECT_EQ(client_->List(resources::kPods, "default", lo).value().items.size(), 1u);

  // generateName creates are not replayed after an ambiguous failure.
  server_.ResetStats();
  server_.InjectError("/api/v1/namespaces/default/pods", 500, 1, 0, "create");
  json::value gen = MakePod("default", "");
  gen["metadata"].erase("name");
  gen["metadata"]["generateName"] = json::value::string("gen-");
  auto g = client_->Create(resources::kPods, "default", gen);
  ASSERT_FALSE(g.ok());
  EXPECT_TRUE(IsServerError(g.error()));
  EXPECT_EQ(Stat("create pods"), 1);

  // A Retry-After beyond the cap is returned to the caller instead of being waited for.
  ClientConfig capped = Config();
  capped.retry.max_retry_after = std::chrono::seconds(1);
  auto cc = NewClient(capped);
  server_.InjectError("/api/v1/namespaces/default/pods/r", 429, 1, 30);
  auto throttled = cc->Get(resources::kPods, "default", "r");
  ASSERT_FALSE(throttled.ok());
  EXPECT_TRUE(IsTooManyRequests(throttled.error()));
  ASSERT_TRUE(throttled.error().retry_after.has_value());
  EXPECT_EQ(throttled.error().retry_after->count(), 30);

  // Evictions are never retried (a PDB-blocked eviction answers 429 too).
  ASSERT_TRUE(client_->Create(resources::kPods, "default", MakePod("default", "ev")).ok());
  server_.ResetStats();
  server_.InjectError("/api/v1/namespaces/default/pods/ev/eviction", 429, 1, 1);
  auto ev = client_->Evict("default", "ev", {});
  ASSERT_FALSE(ev.ok());
  EXPECT_TRUE(IsTooManyRequests(ev.error()));
  EXPECT_EQ(Stat("create pods/eviction default/ev"), 1);
}

TEST_F(KubeClientIT, AuthenticationAndTls) {
  auto wrong = NewClient(Config("not-the-token"));
  auto r = wrong->Get(resources::kNamespaces, "", "default");
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(IsUnauthorized(r.error())) << r.error().ToString();

  ClientConfig other_ca = Config();
  other_ca.ca_pem = riposte::testing::Pki().other.cert_pem;
  auto untrusted = NewClient(other_ca)->Get(resources::kNamespaces, "", "default");
  ASSERT_FALSE(untrusted.ok());
  EXPECT_TRUE(IsTransport(untrusted.error())) << untrusted.error().ToString();

  // Token rotation: the file is re-read when it changes.
  const std::string token_file = server_.dir() + "/rotating-token";
  std::ofstream(token_file) << "stale-token\n";
  ClientConfig rot = Config();
  rot.token.clear();
  rot.token_file = token_file;
  auto rc = NewClient(rot);
  auto before = rc->Get(resources::kNamespaces, "", "default");
  ASSERT_FALSE(before.ok());
  EXPECT_TRUE(IsUnauthorized(before.error()));
  std::ofstream(token_file, std::ios::trunc) << server_.token() << "\n";
  auto after = rc->Get(resources::kNamespaces, "", "default");
  EXPECT_TRUE(after.ok()) << after.error().ToString();
}

LeaderElectionConfig ElectionConfig(const std::string& id, std::atomic<int>* stopped) {
  LeaderElectionConfig c;
  c.lease_namespace = "default";
  c.lease_name = "riposte-it";
  c.identity = id;
  // Long enough that the bounds below hold on a loaded 2-core machine (the observed times
  // are a few retry periods), short enough that each bound still tells the behaviours apart.
  c.lease_duration = milliseconds(6000);
  c.renew_deadline = milliseconds(4000);
  c.retry_period = milliseconds(200);
  c.on_stopped_leading = [stopped] { ++*stopped; };
  return c;
}

TEST_F(KubeClientIT, LeaderElectionTakeoverAndRelease) {
  std::atomic<int> stopped_a{0}, stopped_b{0};
  LeaderElector a(client_, ElectionConfig("a", &stopped_a));
  LeaderElector b(NewClient(), ElectionConfig("b", &stopped_b));
  a.Start();
  ASSERT_TRUE(Eventually([&] { return a.IsLeader(); }));
  b.Start();
  ASSERT_TRUE(Eventually([&] { return b.Leader() == "a"; }));
  EXPECT_FALSE(b.IsLeader());

  // Another identity writes the Lease: a stops acting within the renew deadline.
  // a renews every retry period, so the write can meet a newer resourceVersion (409): read
  // and write again, as any other writer of the Lease would.
  auto taken = std::chrono::steady_clock::now();
  ASSERT_TRUE(Eventually([&] {
    auto got = client_->Get(resources::kLeases, "default", "riposte-it");
    if (!got.ok()) return false;
    json::value lease = got.value();
    lease["spec"]["holderIdentity"] = json::value::string("intruder");
    lease["spec"]["leaseDurationSeconds"] = 3;
    taken = std::chrono::steady_clock::now();
    return client_->Update(resources::kLeases, "default", lease).ok();
  }));
  ASSERT_TRUE(Eventually([&] { return stopped_a.load() == 1; }, milliseconds(8000)));
  EXPECT_LT(std::chrono::steady_clock::now() - taken, a.config().renew_deadline);
  EXPECT_FALSE(a.IsLeader());

  // The intruder never renews: after expiry one of a/b leads again.
  ASSERT_TRUE(Eventually([&] { return a.IsLeader() || b.IsLeader(); }, milliseconds(10000)));
  LeaderElector* leader = a.IsLeader() ? &a : &b;
  LeaderElector* follower = leader == &a ? &b : &a;
  ASSERT_TRUE(Eventually([&] { return follower->Leader() == leader->config().identity; }));
  const auto stop_at = std::chrono::steady_clock::now();
  leader->Stop();  // releases: the follower takes over well before the 6 s lease would expire
  ASSERT_TRUE(Eventually([&] { return follower->IsLeader(); }, milliseconds(10000)));
  EXPECT_LT(std::chrono::steady_clock::now() - stop_at, milliseconds(5000));
  follower->Stop();
}

}  // namespace
}  // namespace riposte::kube
