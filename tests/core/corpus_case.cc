#include "tests/core/corpus_case.h"

#include <cpprest/json.h>

#include <fstream>
#include <stdexcept>

namespace riposte::testing {

std::vector<CorpusCase> LoadCorpus(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::vector<CorpusCase> cases;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    const auto doc = web::json::value::parse(line);
    CorpusCase c;
    c.id = doc.at("id").as_string();
    c.expect = doc.at("expect").as_string();
    c.reason = doc.has_field("reason") ? doc.at("reason").as_string() : "";
    if (doc.has_field("assumes")) c.assumes = doc.at("assumes").as_string();
    // The cases name their objects as "default/..." (auth-tls-secret: default/ca-secret): they are
    // written for an Ingress in the default namespace.
    c.ingress.ns = "default";
    c.ingress.name = c.id;
    if (doc.has_field("annotations")) {
      for (const auto& kv : doc.at("annotations").as_object()) c.ingress.annotations.emplace_back(kv.first, kv.second.as_string());
    }
    if (doc.has_field("metadata_uid")) c.ingress.uid = doc.at("metadata_uid").as_string();
    if (doc.has_field("paths")) {
      core::IngressRule rule;
      rule.host = "app.example.com";
      for (const auto& p : doc.at("paths").as_array()) {
        rule.paths.push_back({p.at("path").as_string(), p.has_field("pathType") ? p.at("pathType").as_string() : ""});
      }
      c.ingress.rules.push_back(std::move(rule));
    }
    if (doc.has_field("referenced_configmaps")) {
      for (const auto& kv : doc.at("referenced_configmaps").as_object()) {
        core::ConfigMap cm;
        const auto slash = kv.first.find('/');
        cm.ns = slash == std::string::npos ? c.ingress.ns : kv.first.substr(0, slash);
        cm.name = slash == std::string::npos ? kv.first : kv.first.substr(slash + 1);
        for (const auto& d : kv.second.as_object()) cm.data.emplace_back(d.first, d.second.as_string());
        c.configmaps.push_back(std::move(cm));
      }
    }
    cases.push_back(std::move(c));
  }
  return cases;
}

}  // namespace riposte::testing
