#include "audit/version.h"

#include <algorithm>
#include <charconv>

namespace riposte::audit {

std::string Version::ToString() const {
  return "v" + std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(patch);
}

namespace {

bool ReadNumber(std::string_view& s, int* out) {
  if (s.empty() || s.front() < '0' || s.front() > '9') return false;
  const char* begin = s.data();
  auto [ptr, ec] = std::from_chars(begin, begin + s.size(), *out);
  if (ec != std::errc() || *out > 100000) return false;
  s.remove_prefix(static_cast<size_t>(ptr - begin));
  return true;
}

}  // namespace

std::optional<Version> ParseVersion(std::string_view s) {
  if (s.starts_with("controller-")) s.remove_prefix(11);
  if (!s.empty() && (s.front() == 'v' || s.front() == 'V')) s.remove_prefix(1);
  Version v;
  if (!ReadNumber(s, &v.major)) return std::nullopt;
  if (s.empty() || s.front() != '.') return std::nullopt;
  s.remove_prefix(1);
  if (!ReadNumber(s, &v.minor)) return std::nullopt;
  if (!s.empty() && s.front() == '.') {
    s.remove_prefix(1);
    if (!ReadNumber(s, &v.patch)) return std::nullopt;
  }
  if (!s.empty() && s.front() != '-' && s.front() != '+' && s.front() != '_' && s.front() != '@') {
    return std::nullopt;
  }
  return v;
}

namespace {
const Version* BranchFix(const Version& v, const std::vector<Version>& fixed_in) {
  for (const auto& f : fixed_in) {
    if (f.major == v.major && f.minor == v.minor) return &f;
  }
  return nullptr;
}
}  // namespace

bool IsBelowFix(const Version& v, const std::vector<Version>& fixed_in) {
  if (fixed_in.empty()) return false;
  if (v >= *std::max_element(fixed_in.begin(), fixed_in.end())) return false;
  const Version* branch = BranchFix(v, fixed_in);
  if (branch != nullptr) return v < *branch;
  return true;
}

std::optional<Version> UpgradeTarget(const Version& v, const std::vector<Version>& fixed_in) {
  if (!IsBelowFix(v, fixed_in)) return std::nullopt;
  if (const Version* branch = BranchFix(v, fixed_in)) return *branch;
  std::optional<Version> best;
  for (const auto& f : fixed_in) {
    if (f > v && (!best || f < *best)) best = f;
  }
  return best;
}

}  // namespace riposte::audit
