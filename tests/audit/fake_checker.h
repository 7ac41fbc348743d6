#pragma once
// A deterministic stand-in for core::Engine so the audit's plumbing (which Ingresses are
// judged, how ConfigMaps are looked up, how findings become report entries) is tested with
// stable golden files independent of the engine's rule set.

#include <string>
#include <vector>

#include "audit/ingress_checker.h"

namespace riposte::audit::testing {

class FakeChecker : public IngressChecker {
 public:
  // Any annotation value with a newline, ';' or '<' -> critical "FAKE-INJECTION" on that key.
  // auth-proxy-set-headers naming a ConfigMap whose values contain a quote or newline ->
  // high "FAKE-CONFIGMAP" on "configmap ns/name: key".
  std::vector<core::Finding> Check(const core::Ingress& ingress, const core::ConfigMapLookup* configmaps) const override {
    std::vector<core::Finding> out;
    for (const auto& [key, value] : ingress.annotations) {
      if (value.find_first_of("\n;<") != std::string::npos) {
        out.push_back({"FAKE-INJECTION", {"CVE-2025-24514"}, core::Severity::kCritical, key,
                       "annotation " + key + " injects nginx configuration: \"" + value + "\"",
                       "remove the annotation; upgrade ingress-nginx to v1.12.1 or later"});
      }
      if (key == "nginx.ingress.kubernetes.io/auth-proxy-set-headers" && configmaps != nullptr) {
        std::string ns = ingress.ns, name = value;
        if (auto slash = value.find('/'); slash != std::string::npos) {
          ns = value.substr(0, slash);
          name = value.substr(slash + 1);
        }
        if (const core::ConfigMap* cm = configmaps->Find(ns, name)) {
          for (const auto& [hk, hv] : cm->data) {
            if (hv.find_first_of("'\n") != std::string::npos) {
              out.push_back({"FAKE-CONFIGMAP", {"CVE-2025-15566"}, core::Severity::kHigh,
                             "configmap " + ns + "/" + name + ": " + hk, "header value injects nginx configuration",
                             "fix the ConfigMap value; upgrade ingress-nginx to v1.13.1 or later"});
            }
          }
        }
      }
    }
    return out;
  }
};

}  // namespace riposte::audit::testing
