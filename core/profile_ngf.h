#pragma once
// The NGINX Gateway Fabric profile (nginx/nginx-gateway-fabric, gateway.nginx.org):
// SnippetsFilter and SnippetsPolicy (raw configuration for the main, http, http.server and
// http.server.location contexts), and the AuthenticationFilter and NginxProxy fields that its
// 2026 advisories showed reaching nginx.conf unescaped. docs/profiles.md lists them.

#include <vector>

#include "core/finding.h"
#include "core/nginx_resource.h"
#include "core/policy.h"

namespace riposte::core {

// Enabled and not in an exempt namespace (these objects carry no class of their own).
bool NgfServesResource(const Policy& policy, const NginxResource& r);
void JudgeNgfResource(const Policy& policy, const NginxResource& r, std::vector<Finding>* out);

}  // namespace riposte::core
