#pragma once
// Reading Kubernetes objects (as cpprest JSON from a snapshot) without ever throwing on a wrong
// shape, and reading container flags the way Go's flag package parses them. Shared by the
// audit's analysis files.

#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <cpprest/json.h>

namespace riposte::audit::k8s {

// The value at `path` (object keys), or nullptr when a step is missing or not an object.
const web::json::value* At(const web::json::value& v, std::initializer_list<const char*> path);
// The string at `path`, "" when absent or not a string.
std::string Str(const web::json::value& v, std::initializer_list<const char*> path);
const web::json::array* Arr(const web::json::value& v, std::initializer_list<const char*> path);
// metadata.<field> as a string.
std::string Meta(const web::json::value& obj, const char* field);
// The string entries of a JSON object (labels, ConfigMap data); others are skipped.
std::map<std::string, std::string> Labels(const web::json::value* v);
// A LabelSelector (matchLabels / matchExpressions) against labels; false when it is malformed.
bool Selects(const web::json::value* selector_json, const std::map<std::string, std::string>& labels);
// A Service's spec.selector (a plain map) against pod labels; an empty selector selects nothing.
bool ServiceSelects(const web::json::value& svc, const std::map<std::string, std::string>& labels);

// command + args of a container, strings only.
std::vector<std::string> CommandAndArgs(const web::json::value& container);
// "--flag=value" or "--flag value"; a single leading dash works too, as in Go's flag package.
// A boolean flag without value yields "true".
std::optional<std::string> FlagValue(const std::vector<std::string>& args, const std::string& flag);
// true/1/yes/on and false/0/no/off, any case.
std::optional<bool> ParseBool(std::string s);

// Replaces $(POD_NAMESPACE) the way the kubelet expands env references in args.
std::string ExpandNamespace(std::string s, const std::string& ns);

// An ingress-nginx controller's --configmap: as written with $(POD_NAMESPACE) expanded
// ("ns/name" or "name"), and resolved, a bare name being in the workload's namespace.
struct ConfigMapFlag {
  std::string ref;
  std::string ns, name;
};
// nullopt when the container has no --configmap.
std::optional<ConfigMapFlag> ControllerConfigMapFlag(const std::vector<std::string>& args,
                                                     const std::string& workload_ns);

}  // namespace riposte::audit::k8s
