#include "common/k8s_names.h"

namespace riposte::k8s {
namespace {

bool IsLowerAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
bool IsAlnum(char c) { return IsLowerAlnum(c) || (c >= 'A' && c <= 'Z'); }

// [a-z0-9]([-a-z0-9]*[a-z0-9])? without a length limit.
bool IsLabelShape(std::string_view s) {
  if (s.empty() || !IsLowerAlnum(s.front()) || !IsLowerAlnum(s.back())) return false;
  for (char c : s)
    if (!IsLowerAlnum(c) && c != '-') return false;
  return true;
}

std::string Quoted(std::string_view name) {
  std::string out = "\"";
  for (char c : name.substr(0, 64)) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f || c == '"' || c == '\\') {
      static const char kHex[] = "0123456789abcdef";
      out += "\\x";
      out += kHex[u >> 4];
      out += kHex[u & 15];
    } else {
      out += c;
    }
  }
  out += name.size() > 64 ? "...\"" : "\"";
  return out;
}

}  // namespace

bool IsDns1123Label(std::string_view s) { return s.size() <= 63 && IsLabelShape(s); }

bool IsDns1123Subdomain(std::string_view s) {
  if (s.empty() || s.size() > 253) return false;
  size_t start = 0;
  while (true) {
    size_t dot = s.find('.', start);
    if (!IsLabelShape(s.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start)))
      return false;
    if (dot == std::string_view::npos) return true;
    start = dot + 1;
  }
}

bool IsDns1035Label(std::string_view s) { return IsDns1123Label(s) && s.front() >= 'a' && s.front() <= 'z'; }

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
    if (!IsDns1123Subdomain(s.substr(0, slash))) return false;
    name = s.substr(slash + 1);
  }
  return !name.empty() && IsLabelValue(name);
}

const char* NameKindName(NameKind kind) {
  switch (kind) {
    case NameKind::kNamespace: return "namespace";
    case NameKind::kPod: return "pod";
    case NameKind::kNode: return "node";
    case NameKind::kContainer: return "container";
    case NameKind::kService: return "service";
    case NameKind::kObject: return "object";
  }
  return "object";
}

std::string ValidateName(NameKind kind, std::string_view name) {
  std::string what = std::string(NameKindName(kind)) + " name ";
  if (name.empty()) return what + "is empty";
  switch (kind) {
    case NameKind::kNamespace:
    case NameKind::kContainer:
      if (IsDns1123Label(name)) return "";
      return what + Quoted(name) +
             " must be a DNS-1123 label: at most 63 lower-case letters, digits and '-', starting and ending "
             "with a letter or digit";
    case NameKind::kService:
      if (IsDns1035Label(name)) return "";
      return what + Quoted(name) +
             " must be a DNS-1035 label: at most 63 lower-case letters, digits and '-', starting with a "
             "letter and ending with a letter or digit";
    case NameKind::kPod:
    case NameKind::kNode:
    case NameKind::kObject:
      if (IsDns1123Subdomain(name)) return "";
      return what + Quoted(name) +
             " must be a DNS-1123 subdomain: at most 253 lower-case letters, digits, '-' and '.', each "
             "dot-separated part starting and ending with a letter or digit";
  }
  return what + Quoted(name) + " is not valid";
}

}  // namespace riposte::k8s
