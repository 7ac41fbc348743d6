#include "controller/names.h"

#include <cstdint>
#include <cstdio>

namespace riposte::controller {
namespace {

bool IsLowerAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
bool IsAlnum(char c) { return IsLowerAlnum(c) || (c >= 'A' && c <= 'Z'); }

}  // namespace

bool IsDnsLabel(std::string_view s) {
  if (s.empty() || s.size() > 63) return false;
  if (!IsLowerAlnum(s.front()) || !IsLowerAlnum(s.back())) return false;
  for (char c : s)
    if (!IsLowerAlnum(c) && c != '-') return false;
  return true;
}

bool IsDnsSubdomain(std::string_view s) {
  if (s.empty() || s.size() > 253) return false;
  size_t start = 0;
  while (true) {
    size_t dot = s.find('.', start);
    std::string_view part = s.substr(start, dot == std::string_view::npos ? s.npos : dot - start);
    if (!IsDnsLabel(part)) return false;
    if (dot == std::string_view::npos) return true;
    start = dot + 1;
  }
}

bool IsLabelValue(std::string_view s) {
  if (s.empty()) return true;
  if (s.size() > 63 || !IsAlnum(s.front()) || !IsAlnum(s.back())) return false;
  for (char c : s)
    if (!IsAlnum(c) && c != '-' && c != '_' && c != '.') return false;
  return true;
}

bool IsQualifiedName(std::string_view s) {
  size_t slash = s.find('/');
  std::string_view name = s;
  if (slash != std::string_view::npos) {
    if (!IsDnsSubdomain(s.substr(0, slash))) return false;
    name = s.substr(slash + 1);
  }
  return !name.empty() && IsLabelValue(name);
}

std::string HashHex(std::string_view s) {
  uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

std::string DerivedName(std::string_view prefix, std::string_view base) {
  std::string name;
  name.reserve(prefix.size() + base.size() + 1);
  name.append(prefix);
  if (!prefix.empty() && !base.empty()) name.push_back('-');
  for (char c : base) name.push_back(IsLowerAlnum(c) || c == '-' ? c : '-');
  if (name.size() <= 63 && IsDnsLabel(name)) return name;
  // Keep a readable head and make it unique with a hash of the full input.
  std::string hash = HashHex(std::string(prefix) + "/" + std::string(base)).substr(0, 10);
  std::string head = name.substr(0, 63 - hash.size() - 1);
  while (!head.empty() && !IsLowerAlnum(head.back())) head.pop_back();
  while (!head.empty() && !IsLowerAlnum(head.front())) head.erase(head.begin());
  return head.empty() ? "r-" + hash : head + "-" + hash;
}

}  // namespace riposte::controller
