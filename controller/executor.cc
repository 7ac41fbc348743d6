#include "controller/executor.h"

namespace riposte::controller {
namespace {

template <typename R>
std::optional<kube::ApiError> Done(const R& result, bool not_found_ok, bool exists_ok, bool conflict_ok = false) {
  if (result.ok()) return std::nullopt;
  const auto& err = result.error();
  if (not_found_ok && kube::IsNotFound(err)) return std::nullopt;
  if (exists_ok && kube::IsAlreadyExists(err)) return std::nullopt;
  if (conflict_ok && kube::IsConflict(err)) return std::nullopt;
  return err;
}

kube::DeleteOptions PodDelete(const std::string& uid, std::optional<int64_t> grace) {
  kube::DeleteOptions o;
  o.precondition_uid = uid;
  o.grace_period_seconds = grace;
  return o;
}

}  // namespace

std::optional<kube::ApiError> Execute(kube::KubeClient& client, const Request& request) {
  namespace res = kube::resources;
  struct {
    kube::KubeClient& c;
    std::optional<kube::ApiError> operator()(const DeletePod& d) const {
      // A failed uid precondition (409) means a replacement pod: ours is gone.
      return Done(c.Delete(res::kPods, d.ns, d.name, PodDelete(d.uid, d.grace_period_seconds)), true, false, true);
    }
    std::optional<kube::ApiError> operator()(const EvictPod& e) const {
      return Done(c.Evict(e.ns, e.name, PodDelete(e.uid, e.grace_period_seconds)), true, false);
    }
    std::optional<kube::ApiError> operator()(const PatchPod& p) const {
      return Done(c.Patch(res::kPods, p.ns, p.name, 
                          EncodeMetadataPatch(p.change, p.resource_version)),
                  true, false);
    }
    std::optional<kube::ApiError> operator()(const PatchNode& p) const {
      auto body = EncodeMetadataPatch(p.change);
      if (p.unschedulable) {
        body["spec"] = web::json::value::object();
        body["spec"]["unschedulable"] = web::json::value::boolean(*p.unschedulable);
      }
      return Done(c.Patch(res::kNodes, "", p.name, body), true, false);
    }
    std::optional<kube::ApiError> operator()(const CreateNetworkPolicy& n) const {
      return Done(c.Create(res::kNetworkPolicies, n.policy.ns, EncodeNetworkPolicy(n.policy)), false, true);
    }
    std::optional<kube::ApiError> operator()(const ReplaceNetworkPolicy& n) const {
      auto body = EncodeNetworkPolicy(n.policy);
      if (!n.resource_version.empty()) body["metadata"]["resourceVersion"] = web::json::value::string(n.resource_version);
      return Done(c.Update(res::kNetworkPolicies, n.policy.ns, body), false, false);
    }
    std::optional<kube::ApiError> operator()(const DeleteNetworkPolicy& d) const {
      return Done(c.Delete(res::kNetworkPolicies, d.ns, d.name), true, false);
    }
    std::optional<kube::ApiError> operator()(const CreateEvent& e) const {
      return Done(c.Create(res::kEvents, e.event.ns, EncodeEvent(e.event)), false, true);
    }
  } visit{client};
  return std::visit(visit, request);
}

}  // namespace riposte::controller
