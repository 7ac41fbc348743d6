#include "controller/actions/request.h"

#include "common/json_value.h"

namespace riposte::controller {

using web::json::value;

namespace {

std::string PodPath(const std::string& ns, const std::string& pod) { return "/api/v1/namespaces/" + ns + "/pods/" + pod; }

std::string PolicyPath(const std::string& ns, const std::string& name) {
  return "/apis/networking.k8s.io/v1/namespaces/" + ns + "/networkpolicies" + (name.empty() ? "" : "/" + name);
}

value Changes(const std::map<std::string, std::optional<std::string>>& m) {
  auto o = value::object();
  for (const auto& [k, v] : m) o[k] = v ? value::string(*v) : value::null();
  return o;
}

value NamespacesPeer(const std::vector<std::string>& namespaces) {
  auto expr = value::object();
  expr["key"] = value::string("kubernetes.io/metadata.name");
  expr["operator"] = value::string("In");
  expr["values"] = json::FromList(namespaces);
  auto peer = value::object();
  peer["namespaceSelector"] = value::object();
  peer["namespaceSelector"]["matchExpressions"] = value::array({expr});
  return peer;
}

}  // namespace

std::string Describe(const Request& r) {
  struct {
    std::string operator()(const DeletePod& d) const { return "DELETE " + PodPath(d.ns, d.name); }
    std::string operator()(const EvictPod& e) const { return "POST " + PodPath(e.ns, e.name) + "/eviction"; }
    std::string operator()(const PatchPod& p) const { return "PATCH " + PodPath(p.ns, p.name); }
    std::string operator()(const PatchNode& p) const { return "PATCH /api/v1/nodes/" + p.name; }
    std::string operator()(const CreateNetworkPolicy& c) const { return "POST " + PolicyPath(c.policy.ns, ""); }
    std::string operator()(const ReplaceNetworkPolicy& c) const { return "PUT " + PolicyPath(c.policy.ns, c.policy.name); }
    std::string operator()(const DeleteNetworkPolicy& d) const { return "DELETE " + PolicyPath(d.ns, d.name); }
    std::string operator()(const CreateEvent& c) const { return "POST /api/v1/namespaces/" + c.event.ns + "/events"; }
  } describe;
  return std::visit(describe, r);
}

value EncodeMetadataPatch(const MetadataChange& change, const std::string& resource_version) {
  auto md = value::object();
  if (!change.labels.empty()) md["labels"] = Changes(change.labels);
  if (!change.annotations.empty()) md["annotations"] = Changes(change.annotations);
  if (!resource_version.empty()) md["resourceVersion"] = value::string(resource_version);
  auto patch = value::object();
  patch["metadata"] = std::move(md);
  return patch;
}

value EncodeNetworkPolicySpec(const QuarantinePolicy& p) {
  auto spec = value::object();
  spec["podSelector"] = value::object();
  spec["podSelector"]["matchLabels"] = json::FromMap(p.pod_selector);
  spec["policyTypes"] = json::FromList({"Ingress", "Egress"});
  auto ingress = value::array();
  auto egress = value::array();
  if (!p.allow_namespaces.empty()) {
    auto in_rule = value::object();
    in_rule["from"] = value::array({NamespacesPeer(p.allow_namespaces)});
    ingress[0] = in_rule;
    auto out_rule = value::object();
    out_rule["to"] = value::array({NamespacesPeer(p.allow_namespaces)});
    egress[egress.size()] = out_rule;
  }
  if (p.allow_dns) {
    auto peer = NamespacesPeer({"kube-system"});
    peer["podSelector"] = value::object();
    peer["podSelector"]["matchLabels"] = json::FromMap({{"k8s-app", "kube-dns"}});
    auto rule = value::object();
    rule["to"] = value::array({peer});
    auto udp = value::object();
    udp["protocol"] = value::string("UDP");
    udp["port"] = 53;
    auto tcp = value::object();
    tcp["protocol"] = value::string("TCP");
    tcp["port"] = 53;
    rule["ports"] = value::array({udp, tcp});
    egress[egress.size()] = rule;
  }
  if (!p.allow_egress_cidrs.empty()) {
    auto to = value::array();
    for (const auto& c : p.allow_egress_cidrs) {
      auto peer = value::object();
      peer["ipBlock"] = value::object();
      peer["ipBlock"]["cidr"] = value::string(c);
      to[to.size()] = peer;
    }
    auto rule = value::object();
    rule["to"] = to;
    egress[egress.size()] = rule;
  }
  spec["ingress"] = ingress;
  spec["egress"] = egress;
  return spec;
}

value EncodeNetworkPolicy(const QuarantinePolicy& p) {
  auto np = value::object();
  np["apiVersion"] = value::string("networking.k8s.io/v1");
  np["kind"] = value::string("NetworkPolicy");
  auto& md = np["metadata"] = value::object();
  md["name"] = value::string(p.name);
  md["namespace"] = value::string(p.ns);
  md["labels"] = json::FromMap(p.labels);
  if (!p.response_action_uid.empty()) {
    auto owner = value::object();
    owner["apiVersion"] = value::string("riposte.io/v1alpha1");
    owner["kind"] = value::string("ResponseAction");
    owner["name"] = value::string(p.response_action);
    owner["uid"] = value::string(p.response_action_uid);
    md["ownerReferences"] = value::array({owner});
  }
  np["spec"] = EncodeNetworkPolicySpec(p);
  return np;
}

value EncodeEvent(const EventRecord& e) {
  auto ev = value::object();
  ev["apiVersion"] = value::string("v1");
  ev["kind"] = value::string("Event");
  ev["metadata"] = value::object();
  ev["metadata"]["name"] = value::string(e.name);
  ev["metadata"]["namespace"] = value::string(e.ns);
  auto obj = value::object();
  obj["apiVersion"] = value::string(e.involved_api_version);
  obj["kind"] = value::string(e.involved_kind);
  obj["name"] = value::string(e.involved_name);
  obj["namespace"] = value::string(e.ns);
  if (!e.involved_uid.empty()) obj["uid"] = value::string(e.involved_uid);
  ev["involvedObject"] = obj;
  ev["reason"] = value::string(e.reason);
  ev["message"] = value::string(e.message.size() > 1024 ? e.message.substr(0, 1024) : e.message);
  ev["type"] = value::string(e.type);
  ev["source"] = value::object();
  ev["source"]["component"] = value::string("riposte-controller");
  ev["reportingComponent"] = value::string("riposte.io/controller");
  ev["firstTimestamp"] = value::string(e.time);
  ev["lastTimestamp"] = value::string(e.time);
  ev["count"] = 1;
  return ev;
}

}  // namespace riposte::controller
