// Request building of every action against fixture objects, plus the consistency of the
// registry with the CRD schema and the generated docs.

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <fstream>
#include <set>
#include <sstream>

#include "controller/actions/describe.h"
#include "controller/actions/isolate.h"
#include "controller/actions/pod_patch.h"
#include "controller/actions/registry.h"
#include "common/json_value.h"

namespace riposte::controller {
namespace {

using web::json::value;

value Pod(const std::string& owner_kind, bool ready = true) {
  auto pod = value::parse(R"({
    "metadata": {"name": "web-7d9c8f-abcde", "namespace": "shop", "uid": "pod-uid-1", "resourceVersion": "41",
                 "labels": {"app": "web", "pod-template-hash": "7d9c8f", "tier": "front"}},
    "spec": {"nodeName": "node-1"},
    "status": {"conditions": [{"type": "Ready", "status": "True"}]}})");
  if (!ready) pod["status"]["conditions"][0]["status"] = value::string("False");
  if (!owner_kind.empty()) {
    auto ref = value::object();
    ref["kind"] = value::string(owner_kind);
    ref["name"] = value::string("web-7d9c8f");
    ref["controller"] = value::boolean(true);
    pod["metadata"]["ownerReferences"] = value::array({ref});
  }
  return pod;
}

value ReplicaSet(int ready) {
  auto rs = value::parse(R"({"metadata": {"name": "web-7d9c8f"},
    "spec": {"selector": {"matchLabels": {"app": "web", "pod-template-hash": "7d9c8f"}}}})");
  rs["status"] = value::object();
  rs["status"]["readyReplicas"] = ready;
  return rs;
}

struct Fixture {
  value pod, owner, node, item, np;
  ActionParamsPtr params;
  ActionContext ctx;
  explicit Fixture(const std::string& item_json, const std::string& owner_kind = "ReplicaSet")
      : pod(Pod(owner_kind)), owner(ReplicaSet(3)),
        node(value::parse(R"({"metadata":{"name":"node-1","labels":{}},"spec":{}})")),
        item(value::parse(item_json)) {
    json::Errors errors;
    params = action()->Decode(json::Reader(item, &errors, "spec.actions[0]"));
    EXPECT_TRUE(errors.empty()) << errors.Join();
    ctx.ns = "shop";
    ctx.pod_name = "web-7d9c8f-abcde";
    ctx.pod = &pod;
    ctx.owner = owner_kind.empty() ? nullptr : &owner;
    ctx.node = &node;
    ctx.params = params.get();
    ctx.response_action_name = "contain-shells-1a2b3c";
    ctx.response_action_uid = "ra-uid-1";
    ctx.now = "2026-11-20T10:15:30Z";
  }
  ActionPtr action() const { return BuiltinActions().Find(json::GetString(item, {"type"}).value()); }
  Plan Build() const { return action()->Build(ctx); }
  Plan Undo(const value& undo) const { return action()->Undo(ctx, undo); }
  // Applies a metadata request to the fixture pod or node, as the API server would.
  void Apply(const Request& r) {
    if (const auto* p = std::get_if<PatchPod>(&r)) {
      MergePatch(pod, EncodeMetadataPatch(p->change));
    } else if (const auto* n = std::get_if<PatchNode>(&r)) {
      MergePatch(node, EncodeMetadataPatch(n->change));
      if (n->unschedulable) node["spec"]["unschedulable"] = value::boolean(*n->unschedulable);
    } else {
      ADD_FAILURE() << "not a metadata request: " << Describe(r);
    }
  }
  static void MergePatch(value& target, const value& patch) {
    for (const auto& [k, v] : patch.as_object()) {
      if (v.is_null()) {
        if (target.is_object()) target.erase(k);
      } else if (v.is_object()) {
        if (!target.has_field(k) || !target[k].is_object()) target[k] = value::object();
        MergePatch(target[k], v);
      } else {
        target[k] = v;
      }
    }
  }
};

// The labels (or annotations) a pod request sets (value) or removes (nullopt).
const std::map<std::string, std::optional<std::string>>& Labels(const Request& r) {
  return std::get<PatchPod>(r).change.labels;
}

TEST(ActionRegistry, HasEveryBuiltinActionOnce) {
  std::vector<std::string> names;
  for (const auto& a : BuiltinActions().All()) names.push_back(a->Name());
  EXPECT_EQ(names, (std::vector<std::string>{"terminate", "label", "isolate", "cordonNode", "evict",
                                             "annotate", "event"}));
  ActionRegistry r;
  r.Register(BuiltinActions().Find("label"));
  EXPECT_THROW(r.Register(BuiltinActions().Find("label")), std::logic_error);
  EXPECT_EQ(BuiltinActions().Find("nuke"), nullptr);
}

TEST(ActionRegistry, EveryActionParameterIsInBothCrdSchemas) {
  for (const char* file : {"responsepolicies.riposte.io.yaml", "responseactions.riposte.io.yaml"}) {
    SCOPED_TRACE(file);
    auto crd = YAML::LoadFile(std::string(RIPOSTE_SOURCE_DIR) + "/manifests/crds/" + file);
    auto item = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]
                   ["properties"]["actions"]["items"];
    std::set<std::string> enum_names;
    for (const auto& n : item["properties"]["type"]["enum"]) enum_names.insert(n.as<std::string>());
    std::set<std::string> registry_names;
    for (const auto& a : BuiltinActions().All()) {
      registry_names.insert(a->Name());
      for (const auto& p : a->Parameters())
        EXPECT_TRUE(item["properties"][p.name].IsDefined()) << a->Name() << "." << p.name;
    }
    EXPECT_EQ(enum_names, registry_names);
  }
}

TEST(ActionRegistry, GeneratedDocsAreUpToDate) {
  std::ifstream in(std::string(RIPOSTE_SOURCE_DIR) + "/docs/actions.md");
  std::stringstream ss;
  ss << in.rdbuf();
  EXPECT_EQ(ss.str(), ActionsMarkdown(BuiltinActions()))
      << "regenerate with: riposte actions --format markdown > docs/actions.md";
}

TEST(ActionRegistry, RbacYamlHasBasePlusOneEntryPerAction) {
  auto doc = YAML::Load(ActionsRbacYaml(BuiltinActions()));
  ASSERT_TRUE(doc.IsMap());
  EXPECT_EQ(doc.size(), BuiltinActions().All().size() + 1);
  EXPECT_TRUE(doc["base"].IsSequence());
  for (const auto& a : BuiltinActions().All()) {
    ASSERT_TRUE(doc[a->Name()].IsSequence()) << a->Name();
    for (const auto& rule : doc[a->Name()]) {
      EXPECT_TRUE(rule["apiGroups"].IsSequence());
      EXPECT_GT(rule["verbs"].size(), 0u);
    }
  }
  EXPECT_EQ(ActionsRbacYaml(BuiltinActions()), ActionsRbacYaml(BuiltinActions()));
  auto json = value::parse(ActionsJson(BuiltinActions()));
  ASSERT_TRUE(json.is_array());
  for (const auto& a : json.as_array()) {
    for (const char* k : {"name", "description", "parameters", "rbac", "reversible", "example"})
      EXPECT_TRUE(a.has_field(k)) << k;
    // The example must itself be a valid action.
    auto action = BuiltinActions().Find(a.at("name").as_string());
    EXPECT_EQ(action->Validate(a.at("example")), std::nullopt) << a.at("name").as_string();
  }
}

TEST(ActionValidate, RejectsUnknownParametersAndWrongTypes) {
  auto term = BuiltinActions().Find("terminate");
  EXPECT_EQ(term->Validate(value::parse(R"({"type":"terminate","labels":{}})")),
            "labels: unknown parameter for action terminate");
  EXPECT_EQ(term->Validate(value::parse(R"({"type":"terminate","gracePeriodSeconds":"0"})")),
            "gracePeriodSeconds: expected integer, got string");
  EXPECT_NE(term->Validate(value::parse(R"([1])")), std::nullopt);
  auto label = BuiltinActions().Find("label");
  EXPECT_NE(label->Validate(value::parse(R"({"type":"label"})")), std::nullopt);
  EXPECT_NE(label->Validate(value::parse(R"({"type":"label","labels":{"a":"has space"}})")), std::nullopt);
  EXPECT_EQ(label->Validate(value::parse(R"({"type":"label","labels":{"bad key!":"x"}})")),
            R"(labels["bad key!"]: invalid key)");
  EXPECT_NE(BuiltinActions().Find("annotate")->Validate(value::parse(R"({"type":"annotate"})")),
            std::nullopt);
  EXPECT_NE(BuiltinActions().Find("annotate")->Validate(
                value::parse(R"({"type":"annotate","annotations":{"undo.riposte.io/x":"y"}})")),
            std::nullopt)
      << "undo records are Riposte's";
  EXPECT_EQ(BuiltinActions().Find("isolate")->Validate(
                value::parse(R"({"type":"isolate","allowNamespaces":["ok","../x"]})")),
            R"(allowNamespaces[1]: "../x" is not a namespace name)");
  EXPECT_NE(BuiltinActions().Find("event")->Validate(value::parse(R"({"type":"event","eventType":"Bad"})")),
            std::nullopt);
}

TEST(ActionValidate, ErrorsNameThePathInTheSpec) {
  json::Errors errors;
  auto item = value::parse(R"({"type":"terminate","gracePeriodSeconds":"now","allowDaemonSet":1})");
  EXPECT_EQ(BuiltinActions().Find("terminate")->Decode(json::Reader(item, &errors, "spec.actions[2]")), nullptr);
  ASSERT_EQ(errors.messages().size(), 2u);
  EXPECT_EQ(errors.messages()[0], "spec.actions[2].allowDaemonSet: expected boolean, got integer");
  EXPECT_EQ(errors.messages()[1], "spec.actions[2].gracePeriodSeconds: expected integer, got string");
}

TEST(TerminateAction, DeletesWithUidPreconditionAndGracePeriod) {
  Fixture f(R"({"type":"terminate","gracePeriodSeconds":5})");
  auto plan = f.Build();
  ASSERT_EQ(plan.requests.size(), 1u);
  const auto& d = std::get<DeletePod>(plan.requests[0]);
  EXPECT_EQ(Describe(plan.requests[0]), "DELETE /api/v1/namespaces/shop/pods/web-7d9c8f-abcde");
  EXPECT_EQ(d.grace_period_seconds, 5);
  EXPECT_EQ(d.uid, "pod-uid-1");
  EXPECT_FALSE(plan.skipped);
}

TEST(TerminateAction, GuardsStandaloneDaemonSetAndMinHealthy) {
  EXPECT_TRUE(Fixture(R"({"type":"terminate"})", "").Build().skipped);
  EXPECT_FALSE(Fixture(R"({"type":"terminate","allowStandalone":true})", "").Build().skipped);
  EXPECT_TRUE(Fixture(R"({"type":"terminate"})", "DaemonSet").Build().skipped);
  EXPECT_TRUE(Fixture(R"({"type":"terminate"})", "StatefulSet").Build().skipped);
  Fixture low(R"({"type":"terminate","minHealthyReplicas":3})");
  auto plan = low.Build();
  EXPECT_TRUE(plan.skipped);
  EXPECT_NE(plan.message.find("minHealthyReplicas=3"), std::string::npos) << plan.message;
  EXPECT_TRUE(plan.requests.empty());
  Fixture ok(R"({"type":"terminate","minHealthyReplicas":2})");
  EXPECT_FALSE(ok.Build().skipped);
}

TEST(TerminateAction, IsANoOpWhenPodIsGoneOrTerminating) {
  Fixture f(R"({"type":"terminate"})");
  f.ctx.pod = nullptr;
  EXPECT_TRUE(f.Build().requests.empty());
  Fixture g(R"({"type":"terminate"})");
  g.pod["metadata"]["deletionTimestamp"] = value::string("2026-11-20T10:15:31Z");
  EXPECT_TRUE(g.Build().requests.empty());
}

TEST(EvictAction, PostsEvictionWithPreconditions) {
  Fixture f(R"({"type":"evict","gracePeriodSeconds":30})");
  auto plan = f.Build();
  ASSERT_EQ(plan.requests.size(), 1u);
  EXPECT_EQ(Describe(plan.requests[0]), "POST /api/v1/namespaces/shop/pods/web-7d9c8f-abcde/eviction");
  const auto& e = std::get<EvictPod>(plan.requests[0]);
  EXPECT_EQ(e.grace_period_seconds, 30);
  EXPECT_EQ(e.uid, "pod-uid-1");
}

TEST(LabelAction, DetachRemovesOwnerSelectorLabelsIdempotentlyAndUndoRestores) {
  Fixture f(R"({"type":"label","labels":{"riposte.io/quarantined":"true"},"detach":true})");
  auto plan = f.Build();
  ASSERT_EQ(plan.requests.size(), 1u);
  EXPECT_EQ(Describe(plan.requests[0]), "PATCH /api/v1/namespaces/shop/pods/web-7d9c8f-abcde");
  const auto& labels = Labels(plan.requests[0]);
  EXPECT_EQ(labels.at("riposte.io/quarantined"), "true");
  EXPECT_EQ(labels.at("app"), std::nullopt);
  EXPECT_EQ(labels.at("pod-template-hash"), std::nullopt);
  EXPECT_EQ(labels.count("tier"), 0u);
  // Planned against this version of the pod: a concurrent change makes it conflict.
  EXPECT_EQ(std::get<PatchPod>(plan.requests[0]).resource_version, "41");
  f.Apply(plan.requests[0]);
  auto again = f.Build();
  EXPECT_TRUE(again.requests.empty()) << "second run must not patch again";
  EXPECT_EQ(again.undo, plan.undo) << "a retry recovers the undo record from the pod";

  auto undo = f.Undo(plan.undo);
  ASSERT_EQ(undo.requests.size(), 1u);
  f.Apply(undo.requests[0]);
  auto now = json::GetStringMap(f.pod, {"metadata", "labels"});
  EXPECT_EQ(now, (std::map<std::string, std::string>{{"app", "web"}, {"pod-template-hash", "7d9c8f"},
                                                    {"tier", "front"}}));
  EXPECT_TRUE(json::GetStringMap(f.pod, {"metadata", "annotations"}).empty()) << "undo record removed";
  EXPECT_TRUE(f.Undo(plan.undo).requests.empty()) << "undo is idempotent too";
}

// The side effect and its undo record are one write: a controller that dies before writing
// the result to status still reverts exactly, from the record on the pod.
TEST(LabelAction, UndoRecordOnThePodSurvivesALostStatusWrite) {
  Fixture f(R"({"type":"label","detach":true})");
  auto plan = f.Build();
  ASSERT_EQ(plan.requests.size(), 1u);
  const auto& annotations = std::get<PatchPod>(plan.requests[0]).change.annotations;
  const std::string key = UndoRecordKey("contain-shells-1a2b3c", 0);
  ASSERT_EQ(annotations.count(key), 1u);
  f.Apply(plan.requests[0]);
  // Nothing from the first run reached status: undo gets no data and reads the pod.
  auto undo = f.Undo(value());
  ASSERT_EQ(undo.requests.size(), 1u);
  f.Apply(undo.requests[0]);
  EXPECT_EQ(json::GetStringMap(f.pod, {"metadata", "labels"}),
            (std::map<std::string, std::string>{{"app", "web"}, {"pod-template-hash", "7d9c8f"}, {"tier", "front"}}));
  EXPECT_EQ(json::GetStringMap(f.pod, {"metadata", "annotations"}).count(key), 0u);
}

TEST(LabelAction, UndoLeavesLabelsSomeoneElseChanged) {
  Fixture f(R"({"type":"label","labels":{"riposte.io/quarantined":"true"}})");
  auto plan = f.Build();
  f.Apply(plan.requests[0]);
  f.pod["metadata"]["labels"]["riposte.io/quarantined"] = value::string("by-human");
  auto undo = f.Undo(plan.undo);
  for (const auto& r : undo.requests) EXPECT_TRUE(Labels(r).empty()) << "only the undo record is removed";
  for (const auto& r : undo.requests) f.Apply(r);
  EXPECT_EQ(json::GetString(f.pod, {"metadata", "labels", "riposte.io/quarantined"}), "by-human");
}

TEST(IsolateAction, CreatesDenyAllPolicyThenLabelsPod) {
  Fixture f(R"({"type":"isolate"})");
  auto plan = f.Build();
  ASSERT_EQ(plan.requests.size(), 2u);
  EXPECT_EQ(Describe(plan.requests[0]), "POST /apis/networking.k8s.io/v1/namespaces/shop/networkpolicies");
  const auto body = EncodeNetworkPolicy(std::get<CreateNetworkPolicy>(plan.requests[0]).policy);
  const auto& spec = body.at("spec");
  EXPECT_EQ(spec.at("podSelector").at("matchLabels").at("riposte.io/quarantine").as_string(),
            IsolateAction::LabelValue("contain-shells-1a2b3c"));
  EXPECT_EQ(spec.at("policyTypes").serialize(), R"(["Ingress","Egress"])");
  EXPECT_EQ(spec.at("ingress").size(), 0u);
  EXPECT_EQ(spec.at("egress").size(), 0u);
  const auto& owner = body.at("metadata").at("ownerReferences").at(0);
  EXPECT_EQ(owner.at("kind").as_string(), "ResponseAction");
  EXPECT_EQ(owner.at("uid").as_string(), "ra-uid-1");
  EXPECT_EQ(Labels(plan.requests[1]).at("riposte.io/quarantine"), IsolateAction::LabelValue("contain-shells-1a2b3c"));
}

TEST(IsolateAction, AllowListsBecomeRules) {
  Fixture f(R"({"type":"isolate","allowDNS":true,"allowNamespaces":["forensics"],"allowEgressCIDRs":["10.0.0.0/8"]})");
  auto spec = EncodeNetworkPolicySpec(std::get<CreateNetworkPolicy>(f.Build().requests[0]).policy);
  ASSERT_EQ(spec.at("ingress").size(), 1u);
  EXPECT_EQ(spec.at("ingress").at(0).at("from").at(0).at("namespaceSelector").at("matchExpressions")
                .at(0).at("values").at(0).as_string(), "forensics");
  ASSERT_EQ(spec.at("egress").size(), 3u);
  EXPECT_EQ(spec.at("egress").at(1).at("ports").at(0).at("port").as_integer(), 53);
  EXPECT_EQ(spec.at("egress").at(2).at("to").at(0).at("ipBlock").at("cidr").as_string(), "10.0.0.0/8");
}

TEST(IsolateAction, SecondRunIsANoOpAndUndoRemovesPolicyAndLabel) {
  Fixture f(R"({"type":"isolate"})");
  auto plan = f.Build();
  f.np = EncodeNetworkPolicy(std::get<CreateNetworkPolicy>(plan.requests[0]).policy);
  f.np["metadata"]["resourceVersion"] = value::string("7");
  f.ctx.network_policy = &f.np;
  f.Apply(plan.requests[1]);
  EXPECT_TRUE(f.Build().requests.empty());
  // A policy edited by hand is put back.
  f.np["spec"]["ingress"] = value::parse(R"([{"from":[{"ipBlock":{"cidr":"0.0.0.0/0"}}]}])");
  auto fix = f.Build();
  ASSERT_EQ(fix.requests.size(), 1u);
  EXPECT_EQ(Describe(fix.requests[0]).rfind("PUT ", 0), 0u);
  EXPECT_EQ(std::get<ReplaceNetworkPolicy>(fix.requests[0]).resource_version, "7");

  auto undo = f.Undo(plan.undo);
  ASSERT_EQ(undo.requests.size(), 2u);
  EXPECT_EQ(Describe(undo.requests[0]), "DELETE /apis/networking.k8s.io/v1/namespaces/shop/networkpolicies/" +
                                            IsolateAction::PolicyName("contain-shells-1a2b3c"));
  EXPECT_EQ(Labels(undo.requests[1]).at("riposte.io/quarantine"), std::nullopt);
}

TEST(CordonNodeAction, CordonsAndUndoUncordonsOnlyItsOwnCordon) {
  Fixture f(R"({"type":"cordonNode"})");
  auto plan = f.Build();
  ASSERT_EQ(plan.requests.size(), 1u);
  EXPECT_EQ(Describe(plan.requests[0]), "PATCH /api/v1/nodes/node-1");
  EXPECT_EQ(std::get<PatchNode>(plan.requests[0]).unschedulable, true);
  f.Apply(plan.requests[0]);
  auto again = f.Build();
  EXPECT_TRUE(again.requests.empty());
  EXPECT_FALSE(again.undo.at("wasUnschedulable").as_bool()) << "a retry must remember the node was schedulable";
  auto undo = f.Undo(plan.undo);
  ASSERT_EQ(undo.requests.size(), 1u);
  EXPECT_EQ(std::get<PatchNode>(undo.requests[0]).unschedulable, false);

  Fixture pre(R"({"type":"cordonNode"})");
  pre.node["spec"]["unschedulable"] = value::boolean(true);
  auto p2 = pre.Build();
  ASSERT_EQ(p2.requests.size(), 1u);  // label only, records it was already cordoned
  EXPECT_TRUE(p2.undo.at("wasUnschedulable").as_bool());
  pre.Apply(p2.requests[0]);
  auto u2 = pre.Undo(p2.undo);
  ASSERT_EQ(u2.requests.size(), 1u);
  EXPECT_EQ(std::get<PatchNode>(u2.requests[0]).unschedulable, std::nullopt)
      << "must not uncordon a node cordoned by someone else";
}

TEST(CordonNodeAction, SkipsUnscheduledPod) {
  Fixture f(R"({"type":"cordonNode"})");
  f.pod["spec"].erase("nodeName");
  f.ctx.node = nullptr;
  EXPECT_TRUE(f.Build().skipped);
}

TEST(AnnotateAndEventActions, BuildRequests) {
  Fixture a(R"({"type":"annotate","annotations":{"riposte.io/incident":"x"}})");
  auto plan = a.Build();
  ASSERT_EQ(plan.requests.size(), 1u);
  EXPECT_EQ(std::get<PatchPod>(plan.requests[0]).change.annotations.at("riposte.io/incident"), "x");
  a.Apply(plan.requests[0]);
  EXPECT_TRUE(a.Build().requests.empty());

  Fixture e(R"({"type":"event","reason":"ShellContained"})");
  e.ctx.message = "Terminal shell in container (uuid 5a0c)";
  e.ctx.index = 2;
  auto ev = e.Build();
  ASSERT_EQ(ev.requests.size(), 1u);
  EXPECT_EQ(Describe(ev.requests[0]), "POST /api/v1/namespaces/shop/events");
  const auto body = EncodeEvent(std::get<CreateEvent>(ev.requests[0]).event);
  EXPECT_EQ(body.at("involvedObject").at("uid").as_string(), "pod-uid-1");
  EXPECT_EQ(body.at("reason").as_string(), "ShellContained");
  EXPECT_EQ(body.at("type").as_string(), "Warning");
  EXPECT_EQ(body.at("message").as_string(), "Terminal shell in container (uuid 5a0c)");
  EXPECT_EQ(body.at("metadata").at("name").as_string(), "contain-shells-1a2b3c-event-2");
}

}  // namespace
}  // namespace riposte::controller
