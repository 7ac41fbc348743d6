#pragma once
// Typed views over web::json::value. A view holds the whole object, so reading a few fields,
// changing one and sending it back (Update) keeps every field this code does not know about.

#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <cpprest/json.h>

#include "common/json_value.h"

namespace riposte::kube {

// RFC 3339 in UTC: "2024-01-02T03:04:05Z"; micro = "…05.123456Z" (metav1.MicroTime).
std::string FormatTime(std::chrono::system_clock::time_point t, bool micro = false);
std::optional<std::chrono::system_clock::time_point> ParseTime(const std::string& text);

struct OwnerReference {
  std::string api_version, kind, name, uid;
  bool controller = false;
  bool block_owner_deletion = false;
};

class ObjectView {
 public:
  ObjectView() : obj_(web::json::value::object()) {}
  explicit ObjectView(web::json::value obj) : obj_(std::move(obj)) {}

  const web::json::value& json() const { return obj_; }
  web::json::value& mutable_json() { return obj_; }
  web::json::value Release() && { return std::move(obj_); }

  std::string api_version() const { return riposte::json::GetString(obj_, {"apiVersion"}).value_or(""); }
  std::string kind() const { return riposte::json::GetString(obj_, {"kind"}).value_or(""); }
  std::string name() const { return riposte::json::GetString(obj_, {"metadata", "name"}).value_or(""); }
  std::string namespace_() const { return riposte::json::GetString(obj_, {"metadata", "namespace"}).value_or(""); }
  std::string uid() const { return riposte::json::GetString(obj_, {"metadata", "uid"}).value_or(""); }
  std::string resource_version() const { return riposte::json::GetString(obj_, {"metadata", "resourceVersion"}).value_or(""); }
  int64_t generation() const { return riposte::json::GetInt(obj_, {"metadata", "generation"}).value_or(0); }
  std::string creation_timestamp() const { return riposte::json::GetString(obj_, {"metadata", "creationTimestamp"}).value_or(""); }
  bool being_deleted() const { return riposte::json::Find(obj_, {"metadata", "deletionTimestamp"}) != nullptr; }
  std::map<std::string, std::string> labels() const { return riposte::json::GetStringMap(obj_, {"metadata", "labels"}); }
  std::map<std::string, std::string> annotations() const { return riposte::json::GetStringMap(obj_, {"metadata", "annotations"}); }
  std::string label(const std::string& key) const;
  std::string annotation(const std::string& key) const;
  std::vector<OwnerReference> owner_references() const;
  std::optional<OwnerReference> controller_ref() const;
  std::vector<std::string> finalizers() const;

  ObjectView& set_api_version(const std::string& v);
  ObjectView& set_kind(const std::string& v);
  ObjectView& set_name(const std::string& v);
  ObjectView& set_namespace(const std::string& v);
  ObjectView& set_resource_version(const std::string& v);
  ObjectView& set_label(const std::string& k, const std::string& v);
  ObjectView& remove_label(const std::string& k);
  ObjectView& set_annotation(const std::string& k, const std::string& v);
  ObjectView& remove_annotation(const std::string& k);

 protected:
  web::json::value obj_;
};

struct ContainerInfo {
  std::string name;
  std::string image;
  bool init = false;
};

struct ContainerStatusInfo {
  std::string name;
  bool ready = false;
  int64_t restart_count = 0;
  std::string container_id;
};

class Pod : public ObjectView {
 public:
  using ObjectView::ObjectView;
  std::string node_name() const { return riposte::json::GetString(obj_, {"spec", "nodeName"}).value_or(""); }
  std::string phase() const { return riposte::json::GetString(obj_, {"status", "phase"}).value_or(""); }
  std::string service_account() const { return riposte::json::GetString(obj_, {"spec", "serviceAccountName"}).value_or(""); }
  std::string pod_ip() const { return riposte::json::GetString(obj_, {"status", "podIP"}).value_or(""); }
  bool host_network() const { return riposte::json::GetBool(obj_, {"spec", "hostNetwork"}).value_or(false); }
  // The Ready condition is "True".
  bool IsReady() const;
  bool IsTerminal() const { auto p = phase(); return p == "Succeeded" || p == "Failed"; }
  std::vector<ContainerInfo> containers() const;  // init containers included, flagged
  std::vector<ContainerStatusInfo> container_statuses() const;
};

class Node : public ObjectView {
 public:
  using ObjectView::ObjectView;
  bool unschedulable() const { return riposte::json::GetBool(obj_, {"spec", "unschedulable"}).value_or(false); }
  Node& set_unschedulable(bool v);
  bool IsReady() const;
};

class Namespace : public ObjectView {
 public:
  using ObjectView::ObjectView;
  std::string phase() const { return riposte::json::GetString(obj_, {"status", "phase"}).value_or(""); }
};

class Lease : public ObjectView {
 public:
  using ObjectView::ObjectView;
  std::string holder_identity() const { return riposte::json::GetString(obj_, {"spec", "holderIdentity"}).value_or(""); }
  int64_t lease_duration_seconds() const { return riposte::json::GetInt(obj_, {"spec", "leaseDurationSeconds"}).value_or(0); }
  int64_t lease_transitions() const { return riposte::json::GetInt(obj_, {"spec", "leaseTransitions"}).value_or(0); }
  std::string acquire_time() const { return riposte::json::GetString(obj_, {"spec", "acquireTime"}).value_or(""); }
  std::string renew_time() const { return riposte::json::GetString(obj_, {"spec", "renewTime"}).value_or(""); }
  Lease& set_holder_identity(const std::string& v);
  Lease& set_lease_duration_seconds(int64_t v);
  Lease& set_lease_transitions(int64_t v);
  Lease& set_acquire_time(std::chrono::system_clock::time_point t);
  Lease& set_renew_time(std::chrono::system_clock::time_point t);
};

// NetworkPolicy that selects pods by labels in one namespace; with no rules added it denies
// all ingress and egress (policyTypes lists both).
class NetworkPolicyBuilder {
 public:
  NetworkPolicyBuilder(std::string ns, std::string name);
  NetworkPolicyBuilder& PodSelector(const std::map<std::string, std::string>& match_labels);
  NetworkPolicyBuilder& Label(const std::string& k, const std::string& v);
  NetworkPolicyBuilder& Annotation(const std::string& k, const std::string& v);
  NetworkPolicyBuilder& OwnerReference(const struct OwnerReference& ref);
  // Allow-lists (optional): peers as CIDRs or namespace label selectors.
  NetworkPolicyBuilder& AllowIngressFromCidr(const std::string& cidr);
  NetworkPolicyBuilder& AllowEgressToCidr(const std::string& cidr, std::optional<int> port = std::nullopt,
                                          const std::string& protocol = "TCP");
  NetworkPolicyBuilder& AllowEgressToNamespace(const std::map<std::string, std::string>& ns_labels,
                                               std::optional<int> port = std::nullopt,
                                               const std::string& protocol = "TCP");
  web::json::value Build() const;

 private:
  web::json::value obj_;
  web::json::value ingress_ = web::json::value::array();
  web::json::value egress_ = web::json::value::array();
};

// core/v1 Event about an object (involvedObject taken from the object itself).
class EventBuilder {
 public:
  EventBuilder(const web::json::value& involved, std::string reason, std::string message);
  EventBuilder& Type(const std::string& type);  // "Normal" (default) or "Warning"
  EventBuilder& Component(const std::string& component);  // source.component / reportingController
  EventBuilder& Instance(const std::string& instance);    // reportingInstance
  EventBuilder& Action(const std::string& action);
  EventBuilder& Time(std::chrono::system_clock::time_point t);
  // metadata.name is "<involved name>.<unique hex suffix>", as kubectl/client-go do.
  web::json::value Build() const;
  std::string ns() const;

 private:
  web::json::value involved_;
  std::string reason_, message_, type_ = "Normal", component_ = "riposte", instance_, action_;
  std::chrono::system_clock::time_point time_ = std::chrono::system_clock::now();
};

}  // namespace riposte::kube
