#include "core/scanners.h"

#include <array>
#include <cstdio>
#include <vector>

#include "core/text.h"

namespace riposte::core {

namespace {

bool IsIdentChar(char c) { return IsAlnum(c) || c == '_'; }

bool StartsWithIgnoreCase(std::string_view s, size_t i, std::string_view prefix) {
  if (s.size() - i < prefix.size()) return false;
  for (size_t k = 0; k < prefix.size(); ++k) {
    if (AsciiLower(s[i + k]) != prefix[k]) return false;
  }
  return true;
}

// Finds `needle` (lowercase) in `s` ignoring ASCII case. Needles are short constants, so this
// stays linear in |s| for practical purposes (|s| * |needle| worst case, |needle| <= 32).
size_t FindIgnoreCase(std::string_view s, std::string_view needle, size_t from = 0) {
  if (needle.size() > s.size()) return std::string_view::npos;
  for (size_t i = from; i + needle.size() <= s.size(); ++i) {
    if (AsciiLower(s[i]) == needle[0] && StartsWithIgnoreCase(s, i, needle)) return i;
  }
  return std::string_view::npos;
}

std::string ControlName(int32_t cp) {
  switch (cp) {
    case '\n': return "a newline (LF)";
    case '\r': return "a carriage return (CR)";
    case '\t': return "a tab";
    case 0: return "a NUL byte";
    case 0x7F: return "a DEL character";
    case 0x2028: return "a Unicode line separator (U+2028)";
    case 0x2029: return "a Unicode paragraph separator (U+2029)";
    case 0x85: return "a Unicode next-line control (U+0085)";
    default: break;
  }
  char buf[48];
  if (cp < 0x20) {
    std::snprintf(buf, sizeof(buf), "a control character (0x%02x)", static_cast<unsigned>(cp));
  } else if (cp <= 0x9F) {
    std::snprintf(buf, sizeof(buf), "a C1 control character (U+%04X)", static_cast<unsigned>(cp));
  } else {
    std::snprintf(buf, sizeof(buf), "an invisible format character (U+%04X)", static_cast<unsigned>(cp));
  }
  return buf;
}

struct Directive {
  std::string_view text;
  bool word_start;  // must not be preceded by an identifier character
  bool needs_path;  // must be followed by whitespace and a path-like argument
};

constexpr std::array<Directive, 12> kDirectives = {{
    {"ssl_engine", true, false},
    {"load_module", true, false},
    {"_by_lua", false, false},
    {"lua_", true, false},
    {"perl_modules", true, false},
    {"perl_require", true, false},
    {"js_import", true, false},
    {"js_include", true, false},
    {"js_content", true, false},
    {"js_set", true, false},
    {"include", true, true},
    {"client_body_in_file_only", true, false},
}};

constexpr std::array<std::string_view, 2> kSafeIncludePrefixes = {
    "/etc/nginx/owasp-modsecurity-crs/", "/etc/nginx/modsecurity/"};

// Start of the argument of a directive at v[i..i+len) or npos when none follows.
size_t ArgumentStart(std::string_view v, size_t after) {
  size_t j = after;
  while (j < v.size() && (v[j] == ' ' || v[j] == '\t' || v[j] == '\n' || v[j] == '\r')) ++j;
  if (j == after || j >= v.size()) return std::string_view::npos;
  return j;
}

bool SafeInclude(std::string_view v, size_t arg) {
  size_t end = arg;
  while (end < v.size() && !IsSpace(v[end]) && v[end] != ';' && v[end] != '"' && v[end] != '\'') ++end;
  std::string_view target = v.substr(arg, end - arg);
  if (target.find("..") != std::string_view::npos) return false;
  for (auto prefix : kSafeIncludePrefixes) {
    if (target.substr(0, prefix.size()) == prefix) return true;
  }
  return false;
}

std::optional<ScanHit> FindDirectiveImpl(std::string_view v, bool allow_crs_include) {
  for (size_t i = 0; i < v.size(); ++i) {
    const char c = AsciiLower(v[i]);
    if (c != 's' && c != 'l' && c != '_' && c != 'p' && c != 'j' && c != 'i' && c != 'c') continue;
    for (const auto& d : kDirectives) {
      if (d.text[0] != c || !StartsWithIgnoreCase(v, i, d.text)) continue;
      if (d.word_start && i > 0 && IsIdentChar(v[i - 1])) continue;
      if (d.needs_path) {
        const size_t after = i + d.text.size();
        if (after < v.size() && IsIdentChar(v[after])) continue;
        const size_t arg = ArgumentStart(v, after);
        if (arg == std::string_view::npos) continue;
        const char a = v[arg];
        if (a != '/' && a != '.' && a != '"' && a != '\'' && a != '*') continue;
        if (allow_crs_include && SafeInclude(v, arg)) continue;
      }
      std::string name(d.text);
      if (name == "_by_lua") name = "*_by_lua* (Lua code)";
      if (name == "lua_") name = "lua_* (Lua configuration)";
      return ScanHit{i, name + " directive text"};
    }
  }
  return std::nullopt;
}

// Lowercased copy with //, /./ and /../ collapsed, plus the source offset of each byte.
void NormalisePath(std::string_view v, std::string& out, std::vector<size_t>& origin) {
  out.clear();
  origin.clear();
  out.reserve(v.size());
  origin.reserve(v.size());
  for (size_t i = 0; i < v.size(); ++i) {
    const char c = AsciiLower(v[i]);
    const bool at_segment_start = out.empty() || out.back() == '/';
    if (c == '/' && !out.empty() && out.back() == '/') continue;
    if (c == '.' && at_segment_start) {
      size_t dots = 1;
      if (i + 1 < v.size() && v[i + 1] == '.') dots = 2;
      const size_t next = i + dots;
      if (next == v.size() || v[next] == '/' || v[next] == '\\') {
        if (dots == 2 && out.size() > 1) {
          // "a/b/../" resolves to "a/": drop the previous segment, as the filesystem would.
          out.pop_back();
          origin.pop_back();
          while (!out.empty() && out.back() != '/') {
            out.pop_back();
            origin.pop_back();
          }
        }
        i = next - 1;
        continue;
      }
    }
    out.push_back(c);
    origin.push_back(i);
  }
}

constexpr std::array<std::string_view, 9> kSensitive = {
    "/run/secrets", "kubernetes.io/serviceaccount", "/etc/kubernetes", "/var/lib/kubelet", "/etc/passwd",
    "/etc/shadow",  "/etc/ingress-controller",     "/.kube/config",   "/proc/self",
};

constexpr std::array<std::string_view, 8> kProcEntries = {"fd", "environ", "root", "cwd", "mem", "maps", "cmdline",
                                                         "exe"};

}  // namespace

std::optional<ScanHit> FindControl(std::string_view v, bool allow_layout) {
  size_t i = 0;
  while (i < v.size()) {
    const auto uc = static_cast<unsigned char>(v[i]);
    if ((uc >= 0x20 && uc < 0x7F) || (allow_layout && (uc == '\n' || uc == '\r' || uc == '\t'))) {
      ++i;
      continue;
    }
    const size_t at = i;
    const int32_t cp = DecodeUtf8(v, i);
    if (cp < 0) return ScanHit{at, "invalid UTF-8"};
    if (cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp <= 0x9F) || cp == 0x2028 || cp == 0x2029 ||
        (cp >= 0x200B && cp <= 0x200F) || (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069) ||
        cp == 0xFEFF) {
      return ScanHit{at, ControlName(cp)};
    }
  }
  return std::nullopt;
}

std::optional<ScanHit> FindDirective(std::string_view v) { return FindDirectiveImpl(v, false); }

std::optional<ScanHit> FindSensitivePath(std::string_view v) {
  if (v.find('/') == std::string_view::npos) return std::nullopt;
  thread_local std::string norm;
  thread_local std::vector<size_t> origin;
  NormalisePath(v, norm, origin);
  size_t best = std::string_view::npos;
  std::string what;
  for (auto s : kSensitive) {
    const size_t p = norm.find(s);
    if (p != std::string::npos && p < best) best = p, what = std::string(s);
  }
  for (size_t p = norm.find("/proc/"); p != std::string::npos && p < best; p = norm.find("/proc/", p + 1)) {
    const size_t seg = p + 6;
    const size_t slash = norm.find('/', seg);
    if (slash == std::string::npos || slash == seg) break;
    for (auto entry : kProcEntries) {
      if (norm.compare(slash + 1, entry.size(), entry) == 0) {
        best = p, what = "/proc/<pid>/" + std::string(entry);
        break;
      }
    }
  }
  if (best == std::string_view::npos) return std::nullopt;
  return ScanHit{origin[best], "sensitive path " + what};
}

std::optional<ScanHit> FindMetadataAddress(std::string_view v) {
  static constexpr std::array<std::string_view, 5> kMetadata = {"169.254.", "metadata.google.internal",
                                                                "100.100.100.200", "fd00:ec2::254",
                                                                "metadata.tencentyun.com"};
  for (auto m : kMetadata) {
    const size_t p = FindIgnoreCase(v, m);
    if (p == std::string_view::npos) continue;
    if (m == "169.254." && p > 0 && (IsDigit(v[p - 1]) || v[p - 1] == '.')) continue;
    return ScanHit{p, "cloud metadata / link-local address"};
  }
  return std::nullopt;
}

std::optional<ScanHit> FindSnippetDanger(std::string_view v) {
  if (auto hit = FindDirectiveImpl(v, true)) return hit;
  if (auto hit = FindSensitivePath(v)) return hit;
  if (auto hit = FindMetadataAddress(v)) return hit;
  // A snippet is pasted inside a location/server block: a '}' without its '{' closes the
  // enclosing block and the rest lands in a context the snippet's owner does not control.
  int depth = 0;
  size_t last_open = 0;
  char quote = 0;
  for (size_t i = 0; i < v.size(); ++i) {
    const char c = v[i];
    if (quote != 0) {
      if (c == '\\') {
        ++i;
      } else if (c == quote) {
        quote = 0;
      }
      continue;
    }
    if (c == '"' || c == '\'') {
      quote = c;
    } else if (c == '#') {
      while (i < v.size() && v[i] != '\n') ++i;
    } else if (c == '{') {
      if (depth++ == 0) last_open = i;
    } else if (c == '}') {
      if (--depth < 0) return ScanHit{i, "a '}' that closes the enclosing nginx block"};
    }
  }
  if (depth > 0) return ScanHit{last_open, "an unclosed '{' that swallows the rest of the block"};
  if (quote != 0) return ScanHit{v.size() - 1, "an unterminated quoted string"};
  return std::nullopt;
}

}  // namespace riposte::core
