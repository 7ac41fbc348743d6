#include "kube/objects.h"
#include "common/json_value.h"

#include <cstdio>
#include <ctime>
#include <random>

namespace riposte::kube {
namespace json = web::json;

std::string FormatTime(std::chrono::system_clock::time_point t, bool micro) {
  const auto secs = std::chrono::time_point_cast<std::chrono::seconds>(t);
  const time_t tt = std::chrono::system_clock::to_time_t(secs);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  std::string out(buf);
  if (micro) {
    const auto us = std::chrono::duration_cast<std::chrono::microseconds>(t - secs).count();
    std::snprintf(buf, sizeof buf, ".%06lld", static_cast<long long>(us));
    out += buf;
  }
  return out + "Z";
}

std::optional<std::chrono::system_clock::time_point> ParseTime(const std::string& text) {
  std::tm tm{};
  const char* rest = strptime(text.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
  if (rest == nullptr) return std::nullopt;
  long long micros = 0;
  if (*rest == '.') {
    ++rest;
    int digits = 0;
    while (*rest >= '0' && *rest <= '9') {
      if (digits < 6) micros = micros * 10 + (*rest - '0');
      ++digits;
      ++rest;
    }
    if (digits == 0) return std::nullopt;
    for (int i = digits; i < 6; ++i) micros *= 10;
  }
  long offset = 0;
  if (*rest == 'Z') {
    ++rest;
  } else if (*rest == '+' || *rest == '-') {
    int hh = 0, mm = 0;
    if (std::sscanf(rest + 1, "%2d:%2d", &hh, &mm) != 2) return std::nullopt;
    offset = (hh * 60L + mm) * 60L * (*rest == '-' ? -1 : 1);
    rest += 6;
  } else {
    return std::nullopt;
  }
  if (*rest != '\0') return std::nullopt;
  const time_t tt = timegm(&tm) - offset;
  return std::chrono::system_clock::from_time_t(tt) + std::chrono::microseconds(micros);
}

std::string ObjectView::label(const std::string& key) const {
  const json::value* p = riposte::json::Find(obj_, {"metadata", "labels", key.c_str()});
  return p != nullptr && p->is_string() ? p->as_string() : std::string();
}

std::string ObjectView::annotation(const std::string& key) const {
  const json::value* p = riposte::json::Find(obj_, {"metadata", "annotations", key.c_str()});
  return p != nullptr && p->is_string() ? p->as_string() : std::string();
}

std::vector<OwnerReference> ObjectView::owner_references() const {
  std::vector<OwnerReference> out;
  const json::value* p = riposte::json::Find(obj_, {"metadata", "ownerReferences"});
  if (p == nullptr || !p->is_array()) return out;
  for (const auto& r : p->as_array()) {
    OwnerReference o;
    o.api_version = riposte::json::GetString(r, {"apiVersion"}).value_or("");
    o.kind = riposte::json::GetString(r, {"kind"}).value_or("");
    o.name = riposte::json::GetString(r, {"name"}).value_or("");
    o.uid = riposte::json::GetString(r, {"uid"}).value_or("");
    o.controller = riposte::json::GetBool(r, {"controller"}).value_or(false);
    o.block_owner_deletion = riposte::json::GetBool(r, {"blockOwnerDeletion"}).value_or(false);
    out.push_back(std::move(o));
  }
  return out;
}

std::optional<OwnerReference> ObjectView::controller_ref() const {
  for (auto& r : owner_references()) {
    if (r.controller) return r;
  }
  return std::nullopt;
}

std::vector<std::string> ObjectView::finalizers() const {
  std::vector<std::string> out;
  const json::value* p = riposte::json::Find(obj_, {"metadata", "finalizers"});
  if (p == nullptr || !p->is_array()) return out;
  for (const auto& f : p->as_array()) {
    if (f.is_string()) out.push_back(f.as_string());
  }
  return out;
}

ObjectView& ObjectView::set_api_version(const std::string& v) { riposte::json::Mutable(obj_, {"apiVersion"}) = json::value::string(v); return *this; }
ObjectView& ObjectView::set_kind(const std::string& v) { riposte::json::Mutable(obj_, {"kind"}) = json::value::string(v); return *this; }
ObjectView& ObjectView::set_name(const std::string& v) { riposte::json::Mutable(obj_, {"metadata", "name"}) = json::value::string(v); return *this; }
ObjectView& ObjectView::set_namespace(const std::string& v) { riposte::json::Mutable(obj_, {"metadata", "namespace"}) = json::value::string(v); return *this; }
ObjectView& ObjectView::set_resource_version(const std::string& v) {
  riposte::json::Mutable(obj_, {"metadata", "resourceVersion"}) = json::value::string(v);
  return *this;
}
ObjectView& ObjectView::set_label(const std::string& k, const std::string& v) {
  riposte::json::Mutable(obj_, {"metadata", "labels", k.c_str()}) = json::value::string(v);
  return *this;
}
ObjectView& ObjectView::remove_label(const std::string& k) {
  json::value& labels = riposte::json::Mutable(obj_, {"metadata", "labels"});
  if (labels.is_object()) labels.erase(k);
  return *this;
}
ObjectView& ObjectView::set_annotation(const std::string& k, const std::string& v) {
  riposte::json::Mutable(obj_, {"metadata", "annotations", k.c_str()}) = json::value::string(v);
  return *this;
}
ObjectView& ObjectView::remove_annotation(const std::string& k) {
  json::value& a = riposte::json::Mutable(obj_, {"metadata", "annotations"});
  if (a.is_object()) a.erase(k);
  return *this;
}

namespace {
bool ConditionTrue(const json::value& obj, const char* type) {
  const json::value* conds = riposte::json::Find(obj, {"status", "conditions"});
  if (conds == nullptr || !conds->is_array()) return false;
  for (const auto& c : conds->as_array()) {
    if (riposte::json::GetString(c, {"type"}).value_or("") == type) return riposte::json::GetString(c, {"status"}).value_or("") == "True";
  }
  return false;
}
}  // namespace

bool Pod::IsReady() const { return ConditionTrue(obj_, "Ready"); }

std::vector<ContainerInfo> Pod::containers() const {
  std::vector<ContainerInfo> out;
  for (const char* field : {"initContainers", "containers"}) {
    const json::value* list = riposte::json::Find(obj_, {"spec", field});
    if (list == nullptr || !list->is_array()) continue;
    for (const auto& c : list->as_array()) {
      out.push_back({riposte::json::GetString(c, {"name"}).value_or(""), riposte::json::GetString(c, {"image"}).value_or(""), field[0] == 'i'});
    }
  }
  return out;
}

std::vector<ContainerStatusInfo> Pod::container_statuses() const {
  std::vector<ContainerStatusInfo> out;
  const json::value* list = riposte::json::Find(obj_, {"status", "containerStatuses"});
  if (list == nullptr || !list->is_array()) return out;
  for (const auto& c : list->as_array()) {
    out.push_back({riposte::json::GetString(c, {"name"}).value_or(""), riposte::json::GetBool(c, {"ready"}).value_or(false), riposte::json::GetInt(c, {"restartCount"}).value_or(0),
                   riposte::json::GetString(c, {"containerID"}).value_or("")});
  }
  return out;
}

Node& Node::set_unschedulable(bool v) {
  riposte::json::Mutable(obj_, {"spec", "unschedulable"}) = json::value::boolean(v);
  return *this;
}
bool Node::IsReady() const { return ConditionTrue(obj_, "Ready"); }

Lease& Lease::set_holder_identity(const std::string& v) {
  if (v.empty()) {
    riposte::json::Mutable(obj_, {"spec", "holderIdentity"}) = json::value::null();
  } else {
    riposte::json::Mutable(obj_, {"spec", "holderIdentity"}) = json::value::string(v);
  }
  return *this;
}
Lease& Lease::set_lease_duration_seconds(int64_t v) {
  riposte::json::Mutable(obj_, {"spec", "leaseDurationSeconds"}) = json::value::number(v);
  return *this;
}
Lease& Lease::set_lease_transitions(int64_t v) {
  riposte::json::Mutable(obj_, {"spec", "leaseTransitions"}) = json::value::number(v);
  return *this;
}
Lease& Lease::set_acquire_time(std::chrono::system_clock::time_point t) {
  riposte::json::Mutable(obj_, {"spec", "acquireTime"}) = json::value::string(FormatTime(t, true));
  return *this;
}
Lease& Lease::set_renew_time(std::chrono::system_clock::time_point t) {
  riposte::json::Mutable(obj_, {"spec", "renewTime"}) = json::value::string(FormatTime(t, true));
  return *this;
}

namespace {
json::value StringMapJson(const std::map<std::string, std::string>& m) {
  json::value out = json::value::object();
  for (const auto& [k, v] : m) out[k] = json::value::string(v);
  return out;
}
json::value PortsJson(std::optional<int> port, const std::string& protocol) {
  json::value ports = json::value::array();
  if (port) {
    json::value p = json::value::object();
    p["port"] = json::value::number(*port);
    p["protocol"] = json::value::string(protocol);
    ports[0] = p;
  }
  return ports;
}
void Append(json::value& arr, json::value v) { arr[arr.size()] = std::move(v); }
}  // namespace

NetworkPolicyBuilder::NetworkPolicyBuilder(std::string ns, std::string name) {
  obj_ = json::value::object();
  obj_["apiVersion"] = json::value::string("networking.k8s.io/v1");
  obj_["kind"] = json::value::string("NetworkPolicy");
  riposte::json::Mutable(obj_, {"metadata", "name"}) = json::value::string(name);
  riposte::json::Mutable(obj_, {"metadata", "namespace"}) = json::value::string(ns);
  riposte::json::Mutable(obj_, {"spec", "podSelector"}) = json::value::object();
  json::value types = json::value::array();
  types[0] = json::value::string("Ingress");
  types[1] = json::value::string("Egress");
  riposte::json::Mutable(obj_, {"spec", "policyTypes"}) = types;
}

NetworkPolicyBuilder& NetworkPolicyBuilder::PodSelector(const std::map<std::string, std::string>& match_labels) {
  riposte::json::Mutable(obj_, {"spec", "podSelector", "matchLabels"}) = StringMapJson(match_labels);
  return *this;
}
NetworkPolicyBuilder& NetworkPolicyBuilder::Label(const std::string& k, const std::string& v) {
  riposte::json::Mutable(obj_, {"metadata", "labels", k.c_str()}) = json::value::string(v);
  return *this;
}
NetworkPolicyBuilder& NetworkPolicyBuilder::Annotation(const std::string& k, const std::string& v) {
  riposte::json::Mutable(obj_, {"metadata", "annotations", k.c_str()}) = json::value::string(v);
  return *this;
}
NetworkPolicyBuilder& NetworkPolicyBuilder::OwnerReference(const struct OwnerReference& ref) {
  json::value& refs = riposte::json::Mutable(obj_, {"metadata", "ownerReferences"});
  if (!refs.is_array()) refs = json::value::array();
  json::value r = json::value::object();
  r["apiVersion"] = json::value::string(ref.api_version);
  r["kind"] = json::value::string(ref.kind);
  r["name"] = json::value::string(ref.name);
  r["uid"] = json::value::string(ref.uid);
  if (ref.controller) r["controller"] = json::value::boolean(true);
  if (ref.block_owner_deletion) r["blockOwnerDeletion"] = json::value::boolean(true);
  Append(refs, r);
  return *this;
}
NetworkPolicyBuilder& NetworkPolicyBuilder::AllowIngressFromCidr(const std::string& cidr) {
  json::value peer = json::value::object();
  riposte::json::Mutable(peer, {"ipBlock", "cidr"}) = json::value::string(cidr);
  json::value rule = json::value::object();
  rule["from"] = json::value::array();
  rule["from"][0] = peer;
  Append(ingress_, rule);
  return *this;
}
NetworkPolicyBuilder& NetworkPolicyBuilder::AllowEgressToCidr(const std::string& cidr, std::optional<int> port,
                                                              const std::string& protocol) {
  json::value peer = json::value::object();
  riposte::json::Mutable(peer, {"ipBlock", "cidr"}) = json::value::string(cidr);
  json::value rule = json::value::object();
  rule["to"] = json::value::array();
  rule["to"][0] = peer;
  if (port) rule["ports"] = PortsJson(port, protocol);
  Append(egress_, rule);
  return *this;
}
NetworkPolicyBuilder& NetworkPolicyBuilder::AllowEgressToNamespace(const std::map<std::string, std::string>& ns_labels,
                                                                   std::optional<int> port,
                                                                   const std::string& protocol) {
  json::value peer = json::value::object();
  riposte::json::Mutable(peer, {"namespaceSelector", "matchLabels"}) = StringMapJson(ns_labels);
  json::value rule = json::value::object();
  rule["to"] = json::value::array();
  rule["to"][0] = peer;
  if (port) rule["ports"] = PortsJson(port, protocol);
  Append(egress_, rule);
  return *this;
}
json::value NetworkPolicyBuilder::Build() const {
  json::value out = obj_;
  // Empty rule lists with both policy types = deny all in both directions.
  riposte::json::Mutable(out, {"spec", "ingress"}) = ingress_;
  riposte::json::Mutable(out, {"spec", "egress"}) = egress_;
  return out;
}

EventBuilder::EventBuilder(const json::value& involved, std::string reason, std::string message)
    : involved_(involved), reason_(std::move(reason)), message_(std::move(message)) {}
EventBuilder& EventBuilder::Type(const std::string& type) { type_ = type; return *this; }
EventBuilder& EventBuilder::Component(const std::string& c) { component_ = c; return *this; }
EventBuilder& EventBuilder::Instance(const std::string& i) { instance_ = i; return *this; }
EventBuilder& EventBuilder::Action(const std::string& a) { action_ = a; return *this; }
EventBuilder& EventBuilder::Time(std::chrono::system_clock::time_point t) { time_ = t; return *this; }

std::string EventBuilder::ns() const {
  std::string ns = riposte::json::GetString(involved_, {"metadata", "namespace"}).value_or("");
  return ns.empty() ? "default" : ns;
}

json::value EventBuilder::Build() const {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  char suffix[17];
  std::snprintf(suffix, sizeof suffix, "%016llx", static_cast<unsigned long long>(rng()));
  json::value ev = json::value::object();
  ev["apiVersion"] = json::value::string("v1");
  ev["kind"] = json::value::string("Event");
  std::string involved_name = riposte::json::GetString(involved_, {"metadata", "name"}).value_or("");
  // Names are limited to 253 characters; keep room for the suffix.
  if (involved_name.size() > 200) involved_name.resize(200);
  riposte::json::Mutable(ev, {"metadata", "name"}) = json::value::string(involved_name + "." + suffix);
  riposte::json::Mutable(ev, {"metadata", "namespace"}) = json::value::string(ns());
  json::value inv = json::value::object();
  inv["apiVersion"] = json::value::string(riposte::json::GetString(involved_, {"apiVersion"}).value_or(""));
  inv["kind"] = json::value::string(riposte::json::GetString(involved_, {"kind"}).value_or(""));
  inv["name"] = json::value::string(riposte::json::GetString(involved_, {"metadata", "name"}).value_or(""));
  const std::string ins = riposte::json::GetString(involved_, {"metadata", "namespace"}).value_or("");
  if (!ins.empty()) inv["namespace"] = json::value::string(ins);
  const std::string uid = riposte::json::GetString(involved_, {"metadata", "uid"}).value_or("");
  if (!uid.empty()) inv["uid"] = json::value::string(uid);
  const std::string rv = riposte::json::GetString(involved_, {"metadata", "resourceVersion"}).value_or("");
  if (!rv.empty()) inv["resourceVersion"] = json::value::string(rv);
  ev["involvedObject"] = inv;
  ev["reason"] = json::value::string(reason_);
  // The API server rejects messages over 1 KiB in events.k8s.io; keep core events as short.
  ev["message"] = json::value::string(message_.size() > 1024 ? message_.substr(0, 1024) : message_);
  ev["type"] = json::value::string(type_);
  const std::string ts = FormatTime(time_);
  ev["firstTimestamp"] = json::value::string(ts);
  ev["lastTimestamp"] = json::value::string(ts);
  ev["eventTime"] = json::value::string(FormatTime(time_, true));
  ev["count"] = json::value::number(1);
  riposte::json::Mutable(ev, {"source", "component"}) = json::value::string(component_);
  ev["reportingComponent"] = json::value::string(component_);
  ev["reportingInstance"] = json::value::string(instance_.empty() ? component_ : instance_);
  if (!action_.empty()) ev["action"] = json::value::string(action_);
  return ev;
}

}  // namespace riposte::kube
