// ConfigMapIndex: ConfigMap -> referencing Ingresses, kept in step with Ingress adds, updates
// and deletes, and safe to read while the informer thread writes.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "webhook/configmap_index.h"

namespace riposte::webhook {
namespace {

constexpr const char* kProxy = "nginx.ingress.kubernetes.io/auth-proxy-set-headers";
constexpr const char* kCustom = "nginx.ingress.kubernetes.io/custom-headers";

TEST(ConfigMapIndex, UnknownConfigMapIsNotReferenced) {
  ConfigMapIndex index;
  EXPECT_FALSE(index.Referenced("team/hdrs"));
  EXPECT_TRUE(index.Referrers("team/hdrs").empty());
  EXPECT_EQ(index.ConfigMapCount(), 0u);
}

TEST(ConfigMapIndex, AddThenUpdateMovesTheReference) {
  ConfigMapIndex index;
  index.Set("team/app", {{"team/hdrs", kProxy}});
  EXPECT_TRUE(index.Referenced("team/hdrs"));
  EXPECT_EQ(index.Referrers("team/hdrs"), (std::vector<ConfigMapReferrer>{{"team/app", kProxy}}));
  index.Set("team/app", {{"team/other", kProxy}});
  EXPECT_FALSE(index.Referenced("team/hdrs"));
  EXPECT_TRUE(index.Referenced("team/other"));
  EXPECT_EQ(index.IngressCount(), 1u);
  EXPECT_EQ(index.ConfigMapCount(), 1u);
}

TEST(ConfigMapIndex, SharedConfigMapStaysReferencedUntilItsLastIngressGoes) {
  ConfigMapIndex index;
  index.Set("team/b", {{"shared/hdrs", kCustom}});
  index.Set("team/a", {{"shared/hdrs", kProxy}, {"shared/hdrs", kCustom}});
  auto refs = index.Referrers("shared/hdrs");
  ASSERT_EQ(refs.size(), 3u);
  EXPECT_EQ(refs[0], (ConfigMapReferrer{"team/a", kProxy}));  // sorted by Ingress, then annotation
  EXPECT_EQ(refs[1], (ConfigMapReferrer{"team/a", kCustom}));
  EXPECT_EQ(refs[2], (ConfigMapReferrer{"team/b", kCustom}));
  index.Remove("team/a");
  EXPECT_EQ(index.Referrers("shared/hdrs"), (std::vector<ConfigMapReferrer>{{"team/b", kCustom}}));
  index.Remove("team/b");
  EXPECT_FALSE(index.Referenced("shared/hdrs"));
  EXPECT_EQ(index.IngressCount(), 0u);
}

TEST(ConfigMapIndex, DuplicateReferencesAreStoredOnce) {
  ConfigMapIndex index;
  index.Set("team/a", {{"team/h", kProxy}, {"team/h", kProxy}});
  EXPECT_EQ(index.Referrers("team/h").size(), 1u);
}

TEST(ConfigMapIndex, EmptyReferencesRemoveAndRemovingUnknownIsHarmless) {
  ConfigMapIndex index;
  index.Remove("team/never");
  index.Set("team/a", {{"team/h", kProxy}});
  index.Set("team/a", {});
  EXPECT_FALSE(index.Referenced("team/h"));
  EXPECT_EQ(index.IngressCount(), 0u);
}

TEST(ConfigMapIndex, ClearForgetsEverything) {
  ConfigMapIndex index;
  index.Set("team/a", {{"team/h", kProxy}});
  index.Clear();
  EXPECT_FALSE(index.Referenced("team/h"));
  EXPECT_EQ(index.IngressCount(), 0u);
}

// One writer churning while readers look up: every read sees either the whole reference or
// none of it, and the final state is exact (run under ASan/TSan for the race part).
TEST(ConfigMapIndex, ConcurrentReadersSeeConsistentState) {
  ConfigMapIndex index;
  index.Set("team/stable", {{"team/stable-cm", kProxy}});
  std::atomic<bool> done{false};
  std::atomic<int> bad{0};
  std::thread reader([&] {
    while (!done.load()) {
      if (!index.Referenced("team/stable-cm")) bad.fetch_add(1);
      auto refs = index.Referrers("team/churn-cm");
      if (refs.size() > 1) bad.fetch_add(1);
    }
  });
  for (int i = 0; i < 20000; ++i) {
    index.Set("team/churn", {{"team/churn-cm", kCustom}});
    index.Remove("team/churn");
  }
  done = true;
  reader.join();
  EXPECT_EQ(bad.load(), 0);
  EXPECT_FALSE(index.Referenced("team/churn-cm"));
  EXPECT_EQ(index.IngressCount(), 1u);
}

}  // namespace
}  // namespace riposte::webhook
