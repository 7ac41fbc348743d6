#include "controller/executor.h"

#include <algorithm>

#include "common/json_value.h"

namespace riposte::controller {
namespace {

const kube::Resource& ResourceFor(Kind kind) {
  switch (kind) {
    case Kind::kPod: return kube::resources::kPods;
    case Kind::kNode: return kube::resources::kNodes;
    case Kind::kNetworkPolicy: return kube::resources::kNetworkPolicies;
    case Kind::kEvent: return kube::resources::kEvents;
  }
  return kube::resources::kPods;
}

kube::DeleteOptions DeleteOptionsFrom(const web::json::value& body) {
  kube::DeleteOptions opts;
  if (body.is_null()) return opts;
  if (auto g = json::GetInt(body, {"gracePeriodSeconds"})) opts.grace_period_seconds = *g;
  opts.precondition_uid = json::GetString(body, {"preconditions", "uid"}).value_or("");
  return opts;
}

template <typename R>
std::optional<kube::ApiError> Check(const R& result, const ApiRequest& req) {
  if (result.ok()) return std::nullopt;
  const auto& err = result.error();
  if (std::find(req.ok_statuses.begin(), req.ok_statuses.end(), err.code) != req.ok_statuses.end())
    return std::nullopt;
  return err;
}

}  // namespace

std::optional<kube::ApiError> Execute(kube::KubeClient& client, const ApiRequest& req) {
  const auto& res = ResourceFor(req.kind);
  if (req.subresource == "eviction") {
    const auto* opts = json::Find(req.body, {"deleteOptions"});
    return Check(client.Evict(req.ns, req.name, opts ? DeleteOptionsFrom(*opts) : kube::DeleteOptions{}), req);
  }
  if (req.method == "POST") return Check(client.Create(res, req.ns, req.body), req);
  if (req.method == "PUT") return Check(client.Update(res, req.ns, req.body), req);
  if (req.method == "PATCH")
    return Check(client.Patch(res, req.ns, req.name, kube::PatchType::kMergePatch, req.body), req);
  if (req.method == "DELETE") return Check(client.Delete(res, req.ns, req.name, DeleteOptionsFrom(req.body)), req);
  return kube::MakeError(kube::ErrorKind::kInvalidArgument, "unsupported request " + req.Describe());
}

}  // namespace riposte::controller
