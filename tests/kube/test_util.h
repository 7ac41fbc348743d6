#pragma once
// Small object builders for kube/ tests (waiting on conditions: tests/support/eventually.h).

#include <map>
#include <string>

#include <cpprest/json.h>

namespace riposte::kube::testing {

inline web::json::value MakePod(const std::string& ns, const std::string& name,
                                const std::map<std::string, std::string>& labels = {},
                                const std::string& node = "node-1") {
  web::json::value pod = web::json::value::object();
  pod["apiVersion"] = web::json::value::string("v1");
  pod["kind"] = web::json::value::string("Pod");
  pod["metadata"] = web::json::value::object();
  pod["metadata"]["name"] = web::json::value::string(name);
  pod["metadata"]["namespace"] = web::json::value::string(ns);
  if (!labels.empty()) {
    pod["metadata"]["labels"] = web::json::value::object();
    for (const auto& [k, v] : labels) pod["metadata"]["labels"][k] = web::json::value::string(v);
  }
  pod["spec"] = web::json::value::object();
  pod["spec"]["nodeName"] = web::json::value::string(node);
  pod["spec"]["containers"] = web::json::value::array();
  pod["spec"]["containers"][0] = web::json::value::object();
  pod["spec"]["containers"][0]["name"] = web::json::value::string("app");
  pod["spec"]["containers"][0]["image"] = web::json::value::string("nginx:1.25");
  return pod;
}

}  // namespace riposte::kube::testing
