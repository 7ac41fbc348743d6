#pragma once
// ingress-nginx controller versions as they appear in image tags ("v1.11.4",
// "controller-v1.12.1", "1.13.0-chroot", "v1.11.4@sha256:..."), and the per-branch
// "fixed in" test used by the CVE table.

#include <compare>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace riposte::audit {

struct Version {
  int major = 0;
  int minor = 0;
  int patch = 0;
  auto operator<=>(const Version&) const = default;
  std::string ToString() const;  // "v1.11.4"
};

// Accepts an optional "controller-" prefix and "v", then MAJOR.MINOR[.PATCH], then an optional
// suffix starting with '-', '+' or '_' (e.g. "-chroot", "-amd64"). Returns nullopt otherwise.
std::optional<Version> ParseVersion(std::string_view text);

// A CVE fixed in several release branches: `fixed_in` holds the first fixed release of each
// branch (e.g. v1.11.5 and v1.12.1). A version is exposed when it is below the fix of its own
// branch, or when its branch has no fix and it is below the newest fixed release (old
// branches that never got a backport). Versions at or above the newest fix are safe.
bool IsBelowFix(const Version& v, const std::vector<Version>& fixed_in);

// The release that fixes `v`: the fix of its branch when there is one, else the lowest fix
// above it. Returns nullopt when `v` is not below any fix.
std::optional<Version> UpgradeTarget(const Version& v, const std::vector<Version>& fixed_in);

}  // namespace riposte::audit
