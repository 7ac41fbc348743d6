#include "audit/migration.h"

#include <algorithm>
#include <map>
#include <tuple>

#include "audit/gateway_mapping.h"
#include "audit/k8s_read.h"

namespace riposte::audit {

namespace {

constexpr std::string_view kDefaultPrefix = "nginx.ingress.kubernetes.io";

size_t Index(GatewayClass c) { return static_cast<size_t>(c); }

// The annotation prefix the serving controllers read (the first one's; they normally agree).
std::string PrefixFor(const IngressResult& r, const Report& report) {
  for (const auto& name : r.controllers) {
    for (const auto& c : report.controllers) {
      if (c.workload.ToString() == name && !c.annotations_prefix.empty()) return c.annotations_prefix;
    }
  }
  return std::string(kDefaultPrefix);
}

bool HasDefaultPrefixAnnotation(const std::map<std::string, std::string>& annotations) {
  const std::string prefix = std::string(kDefaultPrefix) + "/";
  return std::any_of(annotations.begin(), annotations.end(), [&](const auto& kv) { return kv.first.starts_with(prefix); });
}

}  // namespace

MigrationInventory BuildMigrationInventory(const ClusterSnapshot& snapshot, const Report& report) {
  MigrationInventory inv;
  inv.mapping_basis = GatewayMappingBasis();
  std::map<std::pair<std::string, std::string>, const IngressResult*> results;
  for (const auto& r : report.ingresses) results[{r.ingress.ns, r.ingress.name}] = &r;
  const bool no_controller_seen = report.controllers.empty();

  std::map<std::string, MigrationNamespace> by_ns;
  std::map<std::string, AnnotationSummary> used;
  for (const auto& obj : snapshot.Objects(res::kIngresses)) {
    // Only annotation keys and a few values are needed: read them straight from the object
    // (the full decode is for judging, which the analysis has done already).
    auto it = results.find({k8s::Meta(obj, "namespace"), k8s::Meta(obj, "name")});
    if (it == results.end()) continue;
    const IngressResult& r = *it->second;
    const auto annotations = k8s::Labels(k8s::At(obj, {"metadata", "annotations"}));
    MigrationIngress mi;
    mi.ns = r.ingress.ns;
    mi.name = r.ingress.name;
    mi.ingress_class = r.ingress_class;
    mi.controllers = r.controllers;
    if (mi.controllers.empty()) {
      if (!no_controller_seen) continue;  // another controller's Ingress
      // Without a controller to compare with: class "nginx" (the default), or no class and
      // annotations only ingress-nginx reads.
      if (!(r.ingress_class == "nginx" || (r.ingress_class.empty() && HasDefaultPrefixAnnotation(annotations)))) continue;
      mi.controllers.push_back("controller not seen");
    }
    const std::string prefix = PrefixFor(r, report) + "/";
    for (const auto& [key, val] : annotations) {
      if (!key.starts_with(prefix)) continue;
      AnnotationUse use;
      use.annotation = key.substr(prefix.size());
      const GatewayMapping* m = FindGatewayMapping(use.annotation);
      AnnotationSummary& summary = used[use.annotation];
      if (summary.uses++ == 0) {
        summary.annotation = use.annotation;
        summary.gateway_class = m != nullptr ? m->gateway_class : GatewayClass::kUnrecognized;
        if (m != nullptr) summary.gateway_feature = m->gateway_feature;
      }
      if (m != nullptr) {
        use.gateway_class = ClassifyAnnotation(*m, val, &use.reason);
      } else {
        use.gateway_class = GatewayClass::kUnrecognized;
        use.reason = "not an annotation ingress-nginx reads; it ignores it, and so can the migration";
      }
      if (use.gateway_class != GatewayClass::kUnrecognized) mi.hardest = std::max(mi.hardest, use.gateway_class);
      if (use.gateway_class == GatewayClass::kNone) {
        std::string why = use.reason;
        if (why.empty()) why = m != nullptr && !m->notes.empty() ? m->notes : "no Gateway API equivalent";
        inv.blockers.push_back({mi.ns, mi.name, use.annotation, why});
      }
      mi.annotations.push_back(std::move(use));
    }
    std::sort(mi.annotations.begin(), mi.annotations.end(),
              [](const AnnotationUse& a, const AnnotationUse& b) { return a.annotation < b.annotation; });
    MigrationNamespace& ns = by_ns[mi.ns];
    ns.ns = mi.ns;
    ++ns.ingresses;
    ++ns.ingresses_by_hardest[Index(mi.hardest)];
    ++inv.ingresses_by_hardest[Index(mi.hardest)];
    for (const auto& a : mi.annotations) {
      ++ns.annotations_by_class[Index(a.gateway_class)];
      ++inv.annotations_by_class[Index(a.gateway_class)];
      if (a.gateway_class == GatewayClass::kNone) ++ns.blockers;
    }
    inv.ingresses.push_back(std::move(mi));
  }
  for (auto& [name, ns] : by_ns) inv.namespaces.push_back(std::move(ns));
  for (auto& [name, a] : used) inv.annotations.push_back(std::move(a));
  std::sort(inv.ingresses.begin(), inv.ingresses.end(), [](const MigrationIngress& a, const MigrationIngress& b) {
    return std::tie(a.ns, a.name) < std::tie(b.ns, b.name);
  });
  std::sort(inv.blockers.begin(), inv.blockers.end(), [](const MigrationBlocker& a, const MigrationBlocker& b) {
    return std::tie(a.ns, a.ingress, a.annotation) < std::tie(b.ns, b.ingress, b.annotation);
  });
  return inv;
}

}  // namespace riposte::audit
