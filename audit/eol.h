#pragma once
// Community ingress-nginx is retired: Kubernetes SIG Network and the Security Response
// Committee ended its best-effort maintenance in March 2026; there are no releases, bug fixes or
// security fixes after v1.15.1 / v1.14.5 / v1.13.9. These are the facts (with their sources)
// and the end-of-life finding every controller the audit finds gets. Works on an analysed
// report, so it does not depend on how the snapshot was collected.

#include <optional>
#include <span>
#include <string_view>

#include "audit/report.h"
#include "audit/version.h"

namespace riposte::audit {

namespace eol {
// Kubernetes blog, 2025-11-11, "Ingress NGINX Retirement: What You Need to Know".
inline constexpr std::string_view kAnnouncementUrl = "https://kubernetes.io/blog/2025/11/11/ingress-nginx-retirement/";
// Kubernetes blog, 2026-01-29, statement of the Steering and Security Response Committees.
inline constexpr std::string_view kStatementUrl = "https://kubernetes.io/blog/2026/01/29/ingress-nginx-statement/";
// Gateway API's guide for ingress-nginx users (recommends ingress2gateway).
inline constexpr std::string_view kMigrationGuideUrl =
    "https://gateway-api.sigs.k8s.io/guides/getting-started/migrating-from-ingress-nginx/";
inline constexpr std::string_view kIngressControllersUrl =
    "https://kubernetes.io/docs/concepts/services-networking/ingress-controllers/";
inline constexpr std::string_view kMaintenanceEnded = "March 2026";
// NGINX bundled in every last release; NGINX fixes published later never reach them.
inline constexpr std::string_view kBundledNginx = "1.27.1";
}  // namespace eol

struct ReleaseLine {
  int major = 1;
  int minor = 0;
  Version last;                 // last release of the line
  std::string_view released;    // date of that release
  bool final_fixes = false;     // part of the March 2026 release that closed the project
};

// Lines whose last release is known, newest first (1.15, 1.14, 1.13: the March 2026 release;
// 1.12, 1.11, 1.10 ended earlier).
std::span<const ReleaseLine> ReleaseLines();

// The retirement as it applies to a controller version (nullopt = unknown).
EndOfLife EndOfLifeFor(const std::optional<Version>& version);

// Adds the end-of-life finding of every controller in `report` (one each, category eol, rule
// AUD-EOL). Its severity is high unless Riposte's webhook covers the controller completely
// (Controller::virtual_patch mitigated): then medium, because the injection family that future
// unfixed bugs would most likely belong to is stopped at admission. Run after mitigation.
void AddEndOfLifeFindings(Report& report);

}  // namespace riposte::audit
