#pragma once
// A JSON-schema / OpenAPI v3 validator over YAML nodes, for the chart's values.schema.json, the
// project's CRDs and the vendored Prometheus Operator CRDs.
//
// Supported: type (or a list of types), properties, additionalProperties (bool or schema),
// required, items, enum, const, minimum/maximum, exclusiveMinimum/exclusiveMaximum (numbers),
// minLength/maxLength, pattern (ECMAScript; a leading Go `(?i)` becomes case-insensitive),
// minItems/maxItems/uniqueItems, minProperties, propertyNames, $ref to "#/...", allOf, anyOf,
// oneOf, not, if/then/else, x-kubernetes-int-or-string, x-kubernetes-preserve-unknown-fields.
// Not evaluated: format, default, x-kubernetes-validations (CEL), list-type/map-type markers.

#include <yaml-cpp/yaml.h>

#include <string>
#include <vector>

namespace riposte::deploy_test {

enum class SchemaDialect {
  // Structural CRD schemas: a field that `properties` does not declare is an error (the API
  // server prunes it, or rejects it under strict field validation).
  kKubernetes,
  // JSON Schema draft-07 (values.schema.json): objects are open unless additionalProperties
  // says otherwise, as Helm evaluates them.
  kJsonSchema,
};

// One message per problem, each starting with `where` and the field path
// (e.g. "values.webhook.port: expected integer").
std::vector<std::string> ValidateAgainstSchema(const YAML::Node& value, const YAML::Node& schema,
                                               const std::string& where,
                                               SchemaDialect dialect = SchemaDialect::kKubernetes);

}  // namespace riposte::deploy_test
