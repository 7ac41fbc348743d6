#include "core/scanners.h"

#include <algorithm>
#include <array>
#include <cstdint>
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

std::string_view UrlHost(std::string_view url, size_t* offset) {
  const size_t scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return {};
  const size_t start = scheme_end + 3;
  size_t end = url.find_first_of("/?#\\", start);
  if (end == std::string_view::npos) end = url.size();
  std::string_view authority = url.substr(start, end - start);
  size_t host_start = start;
  if (const size_t at = authority.rfind('@'); at != std::string_view::npos) {
    host_start += at + 1;
    authority.remove_prefix(at + 1);
  }
  if (!authority.empty() && authority[0] == '[') {
    const size_t close = authority.find(']');
    if (close == std::string_view::npos) return {};
    if (offset != nullptr) *offset = host_start + 1;
    return authority.substr(1, close - 1);
  }
  if (const size_t colon = authority.rfind(':'); colon != std::string_view::npos) authority = authority.substr(0, colon);
  if (offset != nullptr) *offset = host_start;
  return authority;
}

namespace {

// inet_aton (glibc): 1 to 4 parts, each decimal, 0x-hex or 0-octal; the last part fills the
// remaining bytes (a, a.b with 24 bits, a.b.c with 16 bits).
std::optional<uint32_t> InetAton(std::string_view s) {
  if (s.empty()) return std::nullopt;
  uint64_t parts[4];
  size_t n = 0;
  size_t i = 0;
  while (true) {
    if (n == 4 || i >= s.size()) return std::nullopt;
    int base = 10;
    if (s[i] == '0') {
      base = 8;
      if (i + 1 < s.size() && (s[i + 1] == 'x' || s[i + 1] == 'X')) base = 16, i += 2;
    }
    uint64_t v = 0;
    size_t digits = 0;
    while (i < s.size() && s[i] != '.') {
      const char c = s[i];
      int d;
      if (IsDigit(c)) {
        d = c - '0';
      } else if (base == 16 && IsHex(c)) {
        d = AsciiLower(c) - 'a' + 10;
      } else {
        return std::nullopt;
      }
      if (d >= base) return std::nullopt;
      v = v * static_cast<uint64_t>(base) + static_cast<uint64_t>(d);
      if (v > 0xFFFFFFFFull) return std::nullopt;
      ++digits, ++i;
    }
    if (digits == 0 && base != 8) return std::nullopt;  // "0x" alone; a lone "0" is octal zero
    parts[n++] = v;
    if (i >= s.size()) break;
    ++i;  // '.'
  }
  const uint64_t max_last[] = {0xFFFFFFFFull, 0xFFFFFFull, 0xFFFFull, 0xFFull};
  for (size_t k = 0; k + 1 < n; ++k) {
    if (parts[k] > 0xFF) return std::nullopt;
  }
  if (parts[n - 1] > max_last[n - 1]) return std::nullopt;
  uint64_t addr = 0;
  for (size_t k = 0; k + 1 < n; ++k) addr |= parts[k] << (24 - 8 * k);
  addr |= parts[n - 1];
  return static_cast<uint32_t>(addr);
}

// inet_pton(AF_INET6), with an optional zone ("%eth0" or "%25eth0") dropped.
bool ParseIPv6Bytes(std::string_view s, uint8_t out[16]) {
  if (const size_t pct = s.find('%'); pct != std::string_view::npos) s = s.substr(0, pct);
  uint16_t groups[8] = {};
  int count = 0;
  int gap = -1;
  size_t i = 0;
  if (s.substr(0, 2) == "::") {
    gap = 0;
    i = 2;
    if (i == s.size()) {
      std::fill(out, out + 16, 0);
      return true;
    }
  } else if (!s.empty() && s[0] == ':') {
    return false;
  }
  while (i < s.size()) {
    if (count == 8) return false;
    // Embedded dotted IPv4 in the last 32 bits.
    const size_t next_colon = s.find(':', i);
    std::string_view token = s.substr(i, next_colon == std::string_view::npos ? std::string_view::npos : next_colon - i);
    if (token.find('.') != std::string_view::npos) {
      if (next_colon != std::string_view::npos || count > 6) return false;
      int octets[4];
      int k = 0;
      size_t j = 0;
      while (k < 4) {
        size_t d = 0;
        int v = 0;
        while (j < token.size() && IsDigit(token[j]) && d < 3) v = v * 10 + (token[j++] - '0'), ++d;
        if (d == 0 || v > 255) return false;
        octets[k++] = v;
        if (k < 4) {
          if (j >= token.size() || token[j] != '.') return false;
          ++j;
        }
      }
      if (j != token.size()) return false;
      groups[count++] = static_cast<uint16_t>((octets[0] << 8) | octets[1]);
      groups[count++] = static_cast<uint16_t>((octets[2] << 8) | octets[3]);
      i = s.size();
      break;
    }
    if (token.empty() || token.size() > 4) return false;
    uint16_t v = 0;
    for (char c : token) {
      if (!IsHex(c)) return false;
      v = static_cast<uint16_t>(v * 16 + (IsDigit(c) ? c - '0' : AsciiLower(c) - 'a' + 10));
    }
    groups[count++] = v;
    i += token.size();
    if (i == s.size()) break;
    ++i;  // ':'
    if (i < s.size() && s[i] == ':') {
      if (gap >= 0) return false;
      gap = count;
      ++i;
      if (i == s.size()) break;
    } else if (i == s.size()) {
      return false;
    }
  }
  if (gap < 0 && count != 8) return false;
  if (gap >= 0 && count > 7) return false;
  uint16_t full[8] = {};
  if (gap < 0) {
    std::copy(groups, groups + 8, full);
  } else {
    const int tail = count - gap;
    std::copy(groups, groups + gap, full);
    std::copy(groups + gap, groups + count, full + 8 - tail);
  }
  for (int k = 0; k < 8; ++k) {
    out[2 * k] = static_cast<uint8_t>(full[k] >> 8);
    out[2 * k + 1] = static_cast<uint8_t>(full[k] & 0xFF);
  }
  return true;
}

std::optional<std::string> MetadataIPv4(uint32_t a) {
  if ((a >> 16) == 0xA9FE) return std::string("link-local / cloud metadata address 169.254.0.0/16");
  if (a == 0x646464C8) return std::string("Alibaba Cloud metadata address 100.100.100.200");
  if (a == 0xA83F8110) return std::string("Azure WireServer address 168.63.129.16");
  return std::nullopt;
}

}  // namespace

std::optional<std::string> MetadataHost(std::string_view host) {
  std::string h;
  h.reserve(host.size());
  for (char c : host) h.push_back(AsciiLower(c));
  while (!h.empty() && h.back() == '.') h.pop_back();
  static constexpr std::array<std::string_view, 7> kNames = {
      "metadata.google.internal", "metadata.goog", "metadata", "instance-data", "instance-data.ec2.internal",
      "metadata.tencentyun.com", "metadata.platformequinix.com"};
  for (auto name : kNames) {
    if (h == name) return "cloud metadata host name " + std::string(name);
  }
  if (h.find(':') != std::string::npos) {
    uint8_t b[16];
    if (!ParseIPv6Bytes(h, b)) return std::nullopt;
    if (b[0] == 0xFE && (b[1] & 0xC0) == 0x80) return std::string("IPv6 link-local address fe80::/10");
    static constexpr uint8_t kAwsV6[16] = {0xfd, 0x00, 0x0e, 0xc2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02, 0x54};
    if (std::equal(b, b + 16, kAwsV6)) return std::string("AWS IPv6 metadata address fd00:ec2::254");
    const bool zero80 = std::all_of(b, b + 10, [](uint8_t x) { return x == 0; });
    const bool mapped = zero80 && b[10] == 0xFF && b[11] == 0xFF;
    const bool compatible = zero80 && b[10] == 0 && b[11] == 0;
    static constexpr uint8_t kNat64[12] = {0x00, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0};
    const bool nat64 = std::equal(b, b + 12, kNat64);
    if (mapped || compatible || nat64) {
      const uint32_t v4 = (static_cast<uint32_t>(b[12]) << 24) | (static_cast<uint32_t>(b[13]) << 16) |
                          (static_cast<uint32_t>(b[14]) << 8) | b[15];
      if (auto what = MetadataIPv4(v4)) return *what + " (embedded in IPv6)";
    }
    return std::nullopt;
  }
  if (auto v4 = InetAton(h)) return MetadataIPv4(*v4);
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
