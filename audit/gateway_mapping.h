#pragma once
// How each ingress-nginx annotation carries over to Gateway API. The data is
// audit/data/gateway_mapping.json (built from Gateway API v1.6.1's types and feature lists and
// ingress2gateway's ingress-nginx provider; sources per entry), compiled into the binary and
// parsed once. docs/migration.md is its readable twin.

#include <string>
#include <string_view>
#include <vector>

#include "audit/migration_report.h"

namespace riposte::audit {

struct GatewayMapping {
  std::string annotation;        // name without prefix
  GatewayClass gateway_class = GatewayClass::kUnrecognized;
  std::string gateway_feature;   // the Gateway API field / feature, or the kind of policy needed
  std::string ingress2gateway;   // "parsed", "not parsed", "converted (not in parsedAnnotations)"
  std::string notes;
  std::string source;
};

// Every entry of the compiled-in table, in file order. Empty only if the embedded JSON is
// malformed (GatewayMappingError() says why; tests guard against it).
const std::vector<GatewayMapping>& GatewayMappingTable();
const std::string& GatewayMappingError();
const GatewayMapping* FindGatewayMapping(std::string_view annotation);
// "Gateway API v1.6.1 (...); ingress2gateway ..." from the file's header.
const std::string& GatewayMappingBasis();

// The class of one annotation use, refined by its value where the value decides (rewrite-target
// with capture groups, backend-protocol AJP/FCGI or HTTPS, 303/307/308 redirect codes,
// use-regex "false"). `reason` explains a refinement and stays "" otherwise.
GatewayClass ClassifyAnnotation(const GatewayMapping& mapping, std::string_view value, std::string* reason);

}  // namespace riposte::audit
