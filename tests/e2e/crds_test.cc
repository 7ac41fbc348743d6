// The CRDs for real: kube-apiserver's structural schema and CEL rules refuse malformed
// ResponsePolicies and ResponseActions with messages a user can act on, apply the defaults,
// and kubectl shows the printer columns.

#include <gtest/gtest.h>

#include "tests/e2e/fixtures.h"
#include "tests/e2e/suite.h"

namespace riposte::e2e {
namespace {

using web::json::value;

struct BadSpec {
  const char* name;
  const char* kind;  // ResponsePolicy | ResponseAction
  const char* spec;  // JSON; "" = no spec at all
  const char* message;  // expected part of the server's message
  int code = 422;       // 400 when the body cannot even be decoded (strict field validation)
};

// Each is refused on create. The messages are kube-apiserver's (schema) or the CRDs' own (CEL).
const BadSpec kBadSpecs[] = {
    {"no-spec", "ResponsePolicy", "", "spec: Required value"},
    {"no-actions", "ResponsePolicy", R"({"match":{"rules":["x"]}})", "spec.actions: Required value"},
    {"empty-actions", "ResponsePolicy", R"({"match":{},"actions":[]})", "spec.actions: Invalid value: 0: spec.actions in body should have at least 1 items"},
    {"unknown-action", "ResponsePolicy", R"({"match":{},"actions":[{"type":"reboot"}]})",
     "spec.actions[0].type: Unsupported value: \"reboot\""},
    {"annotate-without-annotations", "ResponsePolicy", R"({"match":{},"actions":[{"type":"annotate"}]})",
     "annotations is required for, and only allowed on, type annotate"},
    {"label-without-labels", "ResponsePolicy", R"({"match":{},"actions":[{"type":"label"}]})",
     "label needs labels, removeLabels or detach"},
    {"grace-on-isolate", "ResponsePolicy", R"({"match":{},"actions":[{"type":"isolate","gracePeriodSeconds":5}]})",
     "gracePeriodSeconds is only allowed on terminate and evict"},
    {"negative-grace", "ResponsePolicy", R"({"match":{},"actions":[{"type":"terminate","gracePeriodSeconds":-1}]})",
     "spec.actions[0].gracePeriodSeconds: Invalid value: -1: spec.actions[0].gracePeriodSeconds in body should be greater than or equal to 0"},
    {"dns-on-terminate", "ResponsePolicy", R"({"match":{},"actions":[{"type":"terminate","allowDNS":true}]})",
     "allowEgressCIDRs, allowNamespaces and allowDNS are only allowed on type isolate"},
    {"reason-on-annotate", "ResponsePolicy",
     R"({"match":{},"actions":[{"type":"annotate","annotations":{"a":"b"},"reason":"X"}]})",
     "reason, message and eventType are only allowed on type event"},
    {"bad-priority", "ResponsePolicy", R"({"match":{"minPriority":"Loud"},"actions":[{"type":"event"}]})",
     "spec.match.minPriority: Unsupported value: \"Loud\""},
    {"namespaces-and-selector", "ResponsePolicy",
     R"({"match":{"namespaces":["a"],"namespaceSelector":{"matchLabels":{"x":"y"}}},"actions":[{"type":"event"}]})",
     "set namespaces or namespaceSelector, not both"},
    {"equals-two-values", "ResponsePolicy",
     R"({"match":{"outputFields":[{"field":"proc.name","operator":"Equals","values":["a","b"]}]},"actions":[{"type":"event"}]})",
     "Equals, NotEquals and Prefix take exactly one value"},
    {"in-without-values", "ResponsePolicy",
     R"({"match":{"outputFields":[{"field":"proc.name","operator":"In"}]},"actions":[{"type":"event"}]})",
     "values are required for every operator except Exists"},
    {"exists-with-values", "ResponsePolicy",
     R"({"match":{"outputFields":[{"field":"proc.name","operator":"Exists","values":["sh"]}]},"actions":[{"type":"event"}]})",
     "Exists takes no values"},
    {"bad-mode", "ResponsePolicy", R"({"mode":"yolo","match":{},"actions":[{"type":"event"}]})",
     "spec.mode: Unsupported value: \"yolo\""},
    {"huge-cooldown", "ResponsePolicy", R"({"match":{},"actions":[{"type":"event"}],"guards":{"cooldownSeconds":999999}})",
     "spec.guards.cooldownSeconds in body should be less than or equal to 86400"},
    {"bad-namespace-name", "ResponsePolicy", R"({"match":{"namespaces":["Not_A_Namespace"]},"actions":[{"type":"event"}]})",
     "spec.match.namespaces[0] in body should match"},
    {"cidr-without-prefix", "ResponsePolicy", R"({"match":{},"actions":[{"type":"isolate","allowEgressCIDRs":["10.0.0.0"]}]})",
     "spec.actions[0].allowEgressCIDRs[0] in body should match"},
    {"bad-event-reason", "ResponsePolicy", R"({"match":{},"actions":[{"type":"event","reason":"not a reason"}]})",
     "spec.actions[0].reason in body should match"},
    {"too-many-actions", "ResponsePolicy",
     R"({"match":{},"actions":[{"type":"event"},{"type":"event"},{"type":"event"},{"type":"event"},{"type":"event"},
        {"type":"event"},{"type":"event"},{"type":"event"},{"type":"event"},{"type":"event"},{"type":"event"},
        {"type":"event"},{"type":"event"},{"type":"event"},{"type":"event"},{"type":"event"},{"type":"event"}]})",
     "spec.actions: Too many: 17: must have at most 16 items"},
    {"in-selector-without-values", "ResponsePolicy",
     R"({"match":{"namespaceSelector":{"matchExpressions":[{"key":"team","operator":"In"}]}},"actions":[{"type":"event"}]})",
     "In and NotIn need values; Exists and DoesNotExist take none"},
    {"bad-selector-operator", "ResponsePolicy",
     R"({"match":{"namespaceSelector":{"matchExpressions":[{"key":"team","operator":"Like","values":["a"]}]}},"actions":[{"type":"event"}]})",
     "Unsupported value: \"Like\""},
    {"bad-label-key", "ResponsePolicy", R"({"match":{},"actions":[{"type":"label","labels":{"not a key!":"x"}}]})",
     "label keys must be qualified names"},
    {"bad-label-value", "ResponsePolicy", R"({"match":{},"actions":[{"type":"label","labels":{"team":"not a value!"}}]})",
     "in body should match"},
    {"bad-remove-label", "ResponsePolicy", R"({"match":{},"actions":[{"type":"label","removeLabels":["bad key!"]}]})",
     "spec.actions[0].removeLabels[0] in body should match"},
    {"bad-annotation-key", "ResponsePolicy", R"({"match":{},"actions":[{"type":"annotate","annotations":{"/x":"y"}}]})",
     "annotation keys must be qualified names"},
    {"bad-selector-label", "ResponsePolicy",
     R"({"match":{"namespaceSelector":{"matchLabels":{"team":"a b"}}},"actions":[{"type":"event"}]})", "in body should match"},
    {"unknown-field", "ResponsePolicy", R"({"match":{},"actoins":[{"type":"event"}],"actions":[{"type":"event"}]})",
     "unknown field \"spec.actoins\"", 400},
    {"ra-no-target", "ResponseAction", R"({"actions":[{"type":"event"}]})", "spec.target: Required value"},
    {"ra-bad-pod-name", "ResponseAction", R"({"target":{"pod":"Web_1"},"actions":[{"type":"event"}]})",
     "spec.target.pod in body should match"},
    {"ra-no-actions", "ResponseAction", R"({"target":{"pod":"web"},"actions":[]})", "should have at least 1 items"},
    {"ra-dns-on-evict", "ResponseAction", R"({"target":{"pod":"web"},"actions":[{"type":"evict","allowDNS":true}]})",
     "allowEgressCIDRs, allowNamespaces and allowDNS are only allowed on type isolate"},
    {"ra-bad-dry-run", "ResponseAction", R"({"target":{"pod":"web"},"dryRun":"yes","actions":[{"type":"event"}]})",
     "spec.dryRun: Invalid value: \"string\": spec.dryRun in body must be of type boolean"},
};

std::string Body(const BadSpec& c, const std::string& name) {
  auto obj = value::object();
  obj["apiVersion"] = value::string("riposte.io/v1alpha1");
  obj["kind"] = value::string(c.kind);
  obj["metadata"] = value::object();
  obj["metadata"]["name"] = value::string(name);
  if (*c.spec != '\0') obj["spec"] = value::parse(c.spec);
  return obj.serialize();
}

class Crds : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { CreateNamespace("crds"); }
  // No controller runs during these tests (no finalizers yet): leave nothing for later ones.
  static void TearDownTestSuite() {
    auto& c = Suite::Get().cluster();
    c.Api("DELETE", RaPath("crds"));
    for (const char* p : {"defaults", "columns"}) c.Api("DELETE", PolicyPath(p));
  }
};

TEST_F(Crds, MalformedSpecsAreRefusedWithReadableMessages) {
  auto& c = Suite::Get().cluster();
  static_assert(sizeof kBadSpecs / sizeof kBadSpecs[0] >= 15);
  for (const auto& bad : kBadSpecs) {
    std::string name = std::string("bad-") + bad.name;
    std::string path = std::string(bad.kind) == "ResponsePolicy" ? PolicyPath() : RaPath("crds");
    // fieldValidation=Strict is what kubectl sends by default.
    auto r = c.Api("POST", path + "?fieldValidation=Strict", Body(bad, name));
    EXPECT_EQ(r.status, bad.code) << bad.name << ": " << r.body;
    if (r.status < 300) c.Api("DELETE", path + "/" + name);  // accepted: do not leave it for the controller tests
    if (r.status != bad.code) continue;
    std::string msg = Str(r.Json(), {"message"});
    EXPECT_NE(msg.find(bad.message), std::string::npos) << bad.name << ": " << msg;
    if (bad.code == 422) {
      EXPECT_NE(msg.find(std::string(bad.kind) + ".riposte.io \"" + name + "\" is invalid"), std::string::npos) << msg;
    }
  }
  // The same refusal through kubectl, as a user sees it.
  auto k = Suite::Get().Kubectl({"apply", "-f", "-"}, Body(kBadSpecs[5], "kubectl-bad"));
  EXPECT_NE(k.exit_code, 0);
  EXPECT_NE(k.err.find("label needs labels, removeLabels or detach"), std::string::npos) << k.Describe();
}

TEST_F(Crds, TargetAndActionsOfAResponseActionAreImmutable) {
  CreateResponseAction("crds", "immutable", R"({"target":{"pod":"web"},"dryRun":true,"actions":[{"type":"event"}]})");
  auto r = Suite::Get().cluster().Api("PATCH", RaPath("crds", "immutable"), R"({"spec":{"target":{"pod":"other"}}})",
                                      "application/merge-patch+json");
  EXPECT_EQ(r.status, 422) << r.body;
  EXPECT_NE(r.body.find("target and actions are immutable; create a new ResponseAction instead"), std::string::npos) << r.body;
  // spec.revert is the one field meant to change.
  EXPECT_EQ(Suite::Get().cluster().Api("PATCH", RaPath("crds", "immutable"), R"({"spec":{"revert":true}})",
                                       "application/merge-patch+json").status, 200);
}

TEST_F(Crds, TheServerAppliesTheDefaults) {
  auto p = CreateResponsePolicy("defaults", R"({"match":{"rules":["x"]},"actions":[{"type":"event"}]})");
  EXPECT_EQ(Str(p, {"spec", "mode"}), "enforce");
  EXPECT_EQ(Str(p, {"spec", "match", "tagsMatch"}), "any");
  const auto* g = Find(p, {"spec", "guards"});
  ASSERT_NE(g, nullptr) << "guards defaulted as a whole, so the effective values show: " << p.serialize();
  EXPECT_EQ(g->at("cooldownSeconds").as_integer(), 300);
  EXPECT_EQ(g->at("maxActionsPerMinute").as_integer(), 10);
  EXPECT_EQ(g->at("minHealthyReplicas").as_integer(), 1);
  EXPECT_TRUE(g->at("skipStandalonePods").as_bool());
  EXPECT_TRUE(g->at("skipDaemonSetPods").as_bool());
  EXPECT_FALSE(g->at("skipStatefulSetPods").as_bool());
  EXPECT_FALSE(g->has_field("maxDestructivePerMinute")) << "no default: the controller-wide cap applies";
  auto ra = CreateResponseAction("crds", "defaults", R"({"target":{"pod":"web"},"actions":[{"type":"event"}]})");
  EXPECT_FALSE(ra.at("spec").at("dryRun").as_bool());
  EXPECT_FALSE(ra.at("spec").at("revert").as_bool());
}

TEST_F(Crds, KubectlShowsThePrinterColumns) {
  auto& s = Suite::Get();
  CreateResponsePolicy("columns", R"({"mode":"dryRun","match":{"rules":["x"]},"actions":[{"type":"isolate"},{"type":"event"}]})");
  auto get = s.Kubectl({"get", "responsepolicies", "columns"});
  ASSERT_EQ(get.exit_code, 0) << get.Describe();
  EXPECT_EQ(get.out.substr(0, get.out.find('\n')).find("NAME"), 0u) << get.out;
  for (const char* col : {"MODE", "READY", "MATCHED", "SUPPRESSED", "AGE"}) EXPECT_NE(get.out.find(col), std::string::npos) << get.out;
  EXPECT_EQ(get.out.find("FIRST ACTION"), std::string::npos) << "wide only: " << get.out;
  EXPECT_NE(get.out.find("dryRun"), std::string::npos) << get.out;
  auto wide = s.Kubectl({"get", "rpol", "columns", "-o", "wide"});
  EXPECT_NE(wide.out.find("FIRST ACTION"), std::string::npos) << wide.out;
  EXPECT_NE(wide.out.find("isolate"), std::string::npos) << wide.out;

  CreateResponseAction("crds", "columns", R"({"target":{"pod":"web-1"},"dryRun":true,"policyRef":{"name":"columns"},
      "actions":[{"type":"cordonNode"},{"type":"event"}]})");
  auto ract = s.Kubectl({"-n", "crds", "get", "ract", "columns", "-o", "wide"});
  ASSERT_EQ(ract.exit_code, 0) << ract.Describe();
  for (const char* col : {"PHASE", "TARGET", "FIRST ACTION", "DRYRUN", "POLICY", "AGE", "web-1", "cordonNode", "true"})
    EXPECT_NE(ract.out.find(col), std::string::npos) << col << " in\n" << ract.out;
  // The category groups both kinds.
  auto all = s.Kubectl({"get", "riposte", "-A"});
  EXPECT_NE(all.out.find("responsepolicy.riposte.io/columns"), std::string::npos) << all.Describe();
}

}  // namespace
}  // namespace riposte::e2e
