#include "controller/names.h"

#include <cstdint>
#include <cstdio>

namespace riposte::controller {
namespace {

bool IsLowerAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

}  // namespace

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

std::string TruncateUtf8(const std::string& s, size_t max) {
  if (s.size() <= max) return s;
  size_t n = max;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  return s.substr(0, n);
}

}  // namespace riposte::controller
