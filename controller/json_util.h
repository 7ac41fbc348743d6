#pragma once
// Null-safe readers over web::json values: Kubernetes objects and alerts are untrusted and
// any field may be missing or of the wrong type.

#include <cpprest/json.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace riposte::controller::json {

// Walks object keys; returns null when any step is missing or not an object.
const web::json::value* Find(const web::json::value& v, std::initializer_list<const char*> path);
std::optional<std::string> String(const web::json::value& v, std::initializer_list<const char*> path);
std::optional<bool> Bool(const web::json::value& v, std::initializer_list<const char*> path);
std::optional<int64_t> Int(const web::json::value& v, std::initializer_list<const char*> path);
// String map (labels, annotations); non-string values are skipped.
std::map<std::string, std::string> StringMap(const web::json::value& v,
                                             std::initializer_list<const char*> path);
std::vector<std::string> StringList(const web::json::value& v,
                                    std::initializer_list<const char*> path);
web::json::value FromMap(const std::map<std::string, std::string>& m);
web::json::value FromList(const std::vector<std::string>& l);

}  // namespace riposte::controller::json
