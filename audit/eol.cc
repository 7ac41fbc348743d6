#include "audit/eol.h"

#include <string>
#include <vector>

namespace riposte::audit {

namespace {

// Tags of kubernetes/ingress-nginx: the final release commit "Release controller
// v1.15.1/v1.14.5/v1.13.9 & chart v4.15.1/v4.14.5/v4.13.9" (2026-03-19/20); earlier lines
// ended with their last tag.
const std::vector<ReleaseLine>& Lines() {
  static const std::vector<ReleaseLine> lines = {
      {1, 15, {1, 15, 1}, "2026-03-19", true},
      {1, 14, {1, 14, 5}, "2026-03-20", true},
      {1, 13, {1, 13, 9}, "2026-03-19", true},
      {1, 12, {1, 12, 8}, "2025-11-03", false},
      {1, 11, {1, 11, 8}, "2025-07-07", false},
      {1, 10, {1, 10, 6}, "2024-12-30", false},
  };
  return lines;
}

const ReleaseLine* LineOf(const Version& v) {
  for (const auto& l : Lines()) {
    if (l.major == v.major && l.minor == v.minor) return &l;
  }
  return nullptr;
}

std::string LastReleasesText() {
  std::string out;
  for (const auto& l : Lines()) {
    if (!l.final_fixes) continue;
    out += (out.empty() ? "" : ", ") + l.last.ToString();
  }
  return out;
}

}  // namespace

std::span<const ReleaseLine> ReleaseLines() { return Lines(); }

EndOfLife EndOfLifeFor(const std::optional<Version>& version) {
  EndOfLife e;
  const ReleaseLine& newest = Lines().front();
  if (!version) {
    e.upgrade_target = newest.last.ToString();
    return e;
  }
  const Version& v = *version;
  e.release_line = std::to_string(v.major) + "." + std::to_string(v.minor);
  const ReleaseLine* line = LineOf(v);
  if (line != nullptr) {
    e.line_last_release = line->last.ToString();
    e.line_got_final_release = line->final_fixes;
  }
  if (v > newest.last) {
    // A tag the community project never published: a fork or a distributor's rebuild.
    e.newer_than_community = true;
    return e;
  }
  if (line != nullptr && line->final_fixes) {
    e.on_last_release = v >= line->last;
    if (!e.on_last_release) e.upgrade_target = line->last.ToString();
    return e;
  }
  // Lines that ended before March 2026 miss the last fixes: step to the newest line.
  e.upgrade_target = newest.last.ToString();
  return e;
}

void AddEndOfLifeFindings(Report& report) {
  for (Controller& c : report.controllers) {
    c.eol = EndOfLifeFor(ParseVersion(c.version));
    // Every CVE of the table is fixed in the last release of each line that got the final fixes
    // (tested), so that release is the one upgrade that fixes everything the controller has.
    if (!c.recommended_version.empty() && !c.eol.upgrade_target.empty()) c.recommended_version = c.eol.upgrade_target;
    if (c.eol.upgrade_target.empty()) continue;
    const std::string id_prefix =
        c.workload.kind + "/" + c.workload.ns + "/" + c.workload.name + "/" + c.container + "/";
    for (AuditFinding& f : report.findings) {
      if (f.rule_id != "AUD-CVE" || !f.id.starts_with(id_prefix) || !f.remediation.starts_with("upgrade to ")) continue;
      f.remediation += " -- only a step: ingress-nginx is retired, so go on to " + c.eol.upgrade_target +
                       ", the last release there will be (it fixes every CVE in this report), and plan the "
                       "migration (end-of-life finding)";
    }
  }
  const std::string retired =
      "Kubernetes SIG Network and the Security Response Committee retired ingress-nginx: best-effort "
      "maintenance ended in " + std::string(eol::kMaintenanceEnded) +
      " and there will be no further releases, bug fixes or security fixes. The last releases are " +
      LastReleasesText() + ". ";
  for (const Controller& c : report.controllers) {
    const EndOfLife& e = c.eol;
    std::string where = c.workload.ToString() + " runs " + c.version;
    if (e.newer_than_community) {
      where += ", a version the community project never released (a fork or a distributor's build: its "
               "maintainer, not Kubernetes, decides about fixes)";
    } else if (e.on_last_release) {
      where += ", the last release of the " + e.release_line + " line";
    } else if (e.line_got_final_release) {
      where += "; the " + e.release_line + " line ended at " + e.line_last_release;
    } else if (!e.line_last_release.empty()) {
      where += "; the " + e.release_line + " line ended earlier, at " + e.line_last_release +
               ", without the 2026 fixes";
    } else if (!e.release_line.empty()) {
      where += "; the " + e.release_line + " line stopped receiving fixes long before the retirement";
    } else {
      where += " (version unknown)";
    }
    std::string detail = retired + where +
                         ". Vulnerabilities found from now on, in the controller or in the NGINX it bundles (NGINX " +
                         std::string(eol::kBundledNginx) +
                         " in the last releases, already affected by CVE-2026-42945), stay unfixed. Announcement: " +
                         std::string(eol::kAnnouncementUrl);
    const bool covered = c.virtual_patch == MitigationState::kMitigated;
    if (covered) {
      detail += ". Riposte's webhook enforces on every namespace this controller serves: new Ingresses carrying "
                "the injection classes it knows are rejected.";
    } else {
      std::string why;
      for (size_t i = 0; i < c.virtual_patch_reasons.size(); ++i) why += (i ? "; " : "") + c.virtual_patch_reasons[i];
      detail += ". Riposte's webhook does not cover this controller completely (" +
                (why.empty() ? std::string("see the Riposte webhook section") : why) + ").";
    }
    std::string fix = "migrate to a Gateway API implementation or another Ingress controller (" +
                      std::string(eol::kMigrationGuideUrl) +
                      "); `riposte audit --migration` lists what each Ingress needs. Until then: ";
    if (!e.upgrade_target.empty()) fix += "upgrade to " + e.upgrade_target + ", the last release there will be; ";
    fix += covered ? "keep Riposte's webhook enforcing on every namespace"
                   : "make Riposte's webhook enforce on every namespace (mode: enforce, failurePolicy: Fail, no "
                     "excluded namespaces)";
    report.findings.push_back({.id = c.workload.kind + "/" + c.workload.ns + "/" + c.workload.name + "/" + c.container +
                                     "/end-of-life",
                               .category = Category::kEndOfLife,
                               .severity = covered ? core::Severity::kMedium : core::Severity::kHigh,
                               .object = c.workload,
                               .cves = {},
                               .rule_id = "AUD-EOL",
                               .field = "image",
                               .title = "ingress-nginx is retired (end of life since " +
                                        std::string(eol::kMaintenanceEnded) + "): no security fixes will come",
                               .detail = detail,
                               .remediation = fix});
  }
}

}  // namespace riposte::audit
