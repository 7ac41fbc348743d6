#pragma once
// The Gateway API migration inventory of a report (audit/migration.h fills it): for every
// Ingress served by ingress-nginx, the ingress-nginx annotations it uses and how each one
// carries over to Gateway API. Kept apart from report.h so that header stays about exposure.

#include <array>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace riposte::audit {

// Ordered from easiest to hardest; an Ingress is as hard as its hardest annotation.
enum class GatewayClass {
  kCore,                    // Core HTTPRoute / Gateway fields
  kExtended,                // an Extended feature of Gateway API's standard channel
  kImplementationSpecific,  // an implementation's own policy (or an experimental feature)
  kNone,                    // no equivalent: a migration blocker
  kUnrecognized,            // not an annotation ingress-nginx reads (ignored by it too)
};
inline constexpr size_t kGatewayClassCount = 5;
// "core", "extended", "implementation-specific", "none", "unrecognized".
std::string_view GatewayClassName(GatewayClass c);

struct AnnotationUse {
  std::string annotation;      // name without the prefix ("rewrite-target")
  GatewayClass gateway_class = GatewayClass::kUnrecognized;
  std::string reason;          // set when the value decided the class (capture groups, AJP, 308...)
};

// One annotation across the inventory: what carries it over and how often it is used (the
// feature text is kept here once, not per use).
struct AnnotationSummary {
  std::string annotation;
  GatewayClass gateway_class = GatewayClass::kUnrecognized;  // the table's class for the key
  std::string gateway_feature;
  size_t uses = 0;
};

struct MigrationIngress {
  std::string ns;
  std::string name;
  std::string ingress_class;
  std::vector<std::string> controllers;  // workloads serving it ("controller not found" when none seen)
  std::vector<AnnotationUse> annotations;  // sorted by name
  GatewayClass hardest = GatewayClass::kCore;  // over recognized annotations; kCore when none
};

struct MigrationNamespace {
  std::string ns;
  size_t ingresses = 0;
  std::array<size_t, kGatewayClassCount> ingresses_by_hardest{};   // index = GatewayClass
  std::array<size_t, kGatewayClassCount> annotations_by_class{};   // annotation uses
  size_t blockers = 0;  // annotation uses of class none
};

struct MigrationBlocker {
  std::string ns;
  std::string ingress;
  std::string annotation;
  std::string reason;  // why there is no equivalent
};

struct MigrationInventory {
  std::string mapping_basis;  // Gateway API and ingress2gateway versions the table was built from
  std::vector<MigrationIngress> ingresses;     // sorted by namespace/name
  std::vector<MigrationNamespace> namespaces;  // sorted by name
  std::vector<MigrationBlocker> blockers;      // sorted by namespace/ingress/annotation
  std::vector<AnnotationSummary> annotations;  // every annotation used, sorted by name
  std::array<size_t, kGatewayClassCount> ingresses_by_hardest{};
  std::array<size_t, kGatewayClassCount> annotations_by_class{};
};

}  // namespace riposte::audit
