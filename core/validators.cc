#include "core/validators.h"

#include <array>

#include "core/text.h"

namespace riposte::core {

namespace {

constexpr size_t npos = std::string_view::npos;

Violation At(size_t pos, std::string reason) { return Violation{pos, std::move(reason)}; }

std::string CharName(char c) {
  switch (c) {
    case ' ': return "a space";
    case '\t': return "a tab";
    case '\n': return "a newline";
    case '\r': return "a carriage return";
    default: break;
  }
  const auto uc = static_cast<unsigned char>(c);
  if (uc < 0x20 || uc >= 0x7F) return "a non-printable or non-ASCII byte";
  return std::string("'") + c + "'";
}

Check BadChar(std::string_view v, size_t i, std::string_view what) {
  return At(i, CharName(v[i]) + " is not allowed in " + std::string(what));
}

bool IsUrlChar(char c) {
  if (IsAlnum(c)) return true;
  switch (c) {
    case '-': case '.': case '_': case '~': case ':': case '/': case '?': case '[': case ']':
    case '@': case '!': case '&': case '(': case ')': case '*': case '+': case ',': case '=':
      return true;
    default: return false;
  }
}

int HexValue(char c) {
  if (IsDigit(c)) return c - '0';
  return AsciiLower(c) - 'a' + 10;
}

// A %XX escape whose decoded byte would be harmless if some later stage decoded it.
Check CheckPercent(std::string_view v, size_t i, std::string_view what) {
  if (i + 2 >= v.size()) return At(i, "incomplete %-escape in " + std::string(what));
  if (!IsHex(v[i + 1]) || !IsHex(v[i + 2])) return At(i, "malformed %-escape in " + std::string(what));
  const int b = HexValue(v[i + 1]) * 16 + HexValue(v[i + 2]);
  const char d = static_cast<char>(b);
  if (b < 0x20 || b >= 0x7F || d == '"' || d == '\'' || d == '`' || d == '\\' || d == ';' || d == '{' ||
      d == '}' || d == '#' || d == '$') {
    return At(i, "%-escape " + std::string(v.substr(i, 3)) + " decodes to " + CharName(d) + ", not allowed in " +
                     std::string(what));
  }
  return std::nullopt;
}

// Walks v[start,end) allowing chars for which `ok` holds, nginx variables and %-escapes.
template <typename Pred>
Check Walk(std::string_view v, size_t start, size_t end, Pred ok, std::string_view what, bool percent = true) {
  if (end > v.size()) end = v.size();
  for (size_t i = start; i < end;) {
    const char c = v[i];
    if (c == '$') {
      const size_t n = NginxVariableLength(v, i);
      if (n == 0) return At(i, "'$' does not start a valid nginx variable in " + std::string(what));
      i += n;
      continue;
    }
    if (c == '%' && percent) {
      if (auto bad = CheckPercent(v, i, what)) return bad;
      i += 3;
      continue;
    }
    if (!ok(c)) return BadChar(v, i, what);
    ++i;
  }
  return std::nullopt;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (AsciiLower(a[i]) != AsciiLower(b[i])) return false;
  }
  return true;
}

std::string_view Trim(std::string_view s, size_t& offset) {
  size_t b = 0;
  while (b < s.size() && s[b] == ' ') ++b;
  size_t e = s.size();
  while (e > b && s[e - 1] == ' ') --e;
  offset += b;
  return s.substr(b, e - b);
}

// Calls item(text, offset) for every separator-delimited item; stops at the first violation.
template <typename F>
Check ForEachItem(std::string_view v, std::string_view separators, bool allow_empty, F item) {
  size_t start = 0;
  while (start <= v.size()) {
    size_t end = v.find_first_of(separators, start);
    if (end == npos) end = v.size();
    size_t offset = start;
    std::string_view part = Trim(v.substr(start, end - start), offset);
    if (part.empty()) {
      if (!allow_empty) return At(offset, "empty list item");
    } else if (auto bad = item(part, offset)) {
      return bad;
    }
    start = end + 1;
  }
  return std::nullopt;
}

Check Shift(Check c, size_t offset) {
  if (c) c->pos += offset;
  return c;
}

bool ParseIPv4(std::string_view s) {
  int parts = 0;
  size_t i = 0;
  while (true) {
    size_t digits = 0;
    int value = 0;
    while (i < s.size() && IsDigit(s[i]) && digits < 4) {
      value = value * 10 + (s[i] - '0');
      ++i, ++digits;
    }
    if (digits == 0 || digits > 3 || value > 255) return false;
    ++parts;
    if (i == s.size()) break;
    if (s[i] != '.' || parts == 4) return false;
    ++i;
  }
  return parts == 4;
}

bool ParseIPv6(std::string_view s) {
  if (s.size() < 2 || s.size() > 45 || s.find(':') == npos) return false;
  size_t dots = 0;
  for (char c : s) {
    if (!(IsHex(c) || c == ':' || c == '.')) return false;
    if (c == '.') ++dots;
  }
  if (dots != 0) {
    const size_t last = s.rfind(':');
    return ParseIPv4(s.substr(last + 1));
  }
  return true;
}

// DNS name (labels of letters, digits and '-', case-insensitive), optional "*." prefix.
bool IsHostName(std::string_view s, bool allow_wildcard, bool lowercase_only) {
  if (allow_wildcard && s.size() > 2 && s[0] == '*' && s[1] == '.') s.remove_prefix(2);
  if (s.empty() || s.size() > 253) return false;
  size_t label = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '.') {
      if (label == 0 || s[i - 1] == '-') return false;
      label = 0;
      continue;
    }
    const bool upper = c >= 'A' && c <= 'Z';
    if (!(IsAlnum(c) || c == '-') || (upper && lowercase_only)) return false;
    if (c == '-' && label == 0) return false;
    if (++label > 63) return false;
  }
  return label != 0 && s.back() != '-';
}

Check CheckHostPort(std::string_view v, size_t offset, bool allow_wildcard, std::string_view what) {
  std::string_view host = v;
  if (!host.empty() && host.front() == '[') {
    const size_t close = host.find(']');
    if (close == npos || !ParseIPv6(host.substr(1, close - 1))) return At(offset, "malformed IPv6 address in " + std::string(what));
    host.remove_prefix(close + 1);
    if (host.empty()) return std::nullopt;
    if (host.front() != ':') return At(offset + close + 1, "unexpected text after IPv6 address in " + std::string(what));
    host.remove_prefix(1);
    if (host.empty() || host.size() > 5) return At(offset, "malformed port in " + std::string(what));
    for (char c : host) {
      if (!IsDigit(c)) return At(offset, "malformed port in " + std::string(what));
    }
    return std::nullopt;
  }
  const size_t colon = host.rfind(':');
  if (colon != npos) {
    std::string_view port = host.substr(colon + 1);
    if (port.empty() || port.size() > 5) return At(offset + colon, "malformed port in " + std::string(what));
    for (size_t i = 0; i < port.size(); ++i) {
      if (!IsDigit(port[i])) return At(offset + colon + 1 + i, "malformed port in " + std::string(what));
    }
    host = host.substr(0, colon);
  }
  if (ParseIPv4(host) || IsHostName(host, allow_wildcard, false)) return std::nullopt;
  for (size_t i = 0; i < host.size(); ++i) {
    const char c = host[i];
    if (!(IsAlnum(c) || c == '-' || c == '.' || (c == '*' && allow_wildcard))) return BadChar(v, i, what);
  }
  return At(offset, "\"" + std::string(host.substr(0, 64)) + "\" is not a valid host name in " + std::string(what));
}

}  // namespace

bool IsDnsLabel(std::string_view s) {
  return s.size() <= 63 && s.find('.') == npos && IsHostName(s, false, true);
}

bool IsDnsSubdomain(std::string_view s) { return IsHostName(s, false, true); }

bool IsIngressHost(std::string_view s) { return IsHostName(s, true, true); }

bool IsUuid(std::string_view s) {
  if (s.size() != 36) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (s[i] != '-') return false;
    } else if (!IsHex(s[i])) {
      return false;
    }
  }
  return true;
}

size_t NginxVariableLength(std::string_view s, size_t i) {
  if (i >= s.size() || s[i] != '$') return 0;
  size_t j = i + 1;
  const bool braced = j < s.size() && s[j] == '{';
  if (braced) ++j;
  const size_t name_start = j;
  while (j < s.size() && (IsAlnum(s[j]) || s[j] == '_')) ++j;
  if (j == name_start) return 0;
  if (braced) {
    if (j >= s.size() || s[j] != '}') return 0;
    ++j;
  }
  return j - i;
}

Check CheckUrl(std::string_view v, bool http_only) {
  constexpr std::string_view what = "a URL";
  if (v.empty()) return At(0, "empty URL");
  size_t i = 0;
  if (v[0] == '$') {
    // "$scheme://..." keeps the scheme dynamic; the rest is judged like any URL.
    i = NginxVariableLength(v, 0);
    if (i == 0) return At(0, "'$' does not start a valid nginx variable in a URL");
  } else {
    while (i < v.size() && (IsAlnum(v[i]) || v[i] == '+' || v[i] == '-' || v[i] == '.')) ++i;
    if (i == 0 || !IsAlpha(v[0])) return At(0, "URL must start with a scheme such as https://");
    if (http_only && !EqualsIgnoreCase(v.substr(0, i), "http") && !EqualsIgnoreCase(v.substr(0, i), "https")) {
      return At(0, "URL scheme must be http or https");
    }
  }
  if (v.substr(i, 3) != "://") return At(i, "URL must start with a scheme such as https://");
  i += 3;
  if (i >= v.size() || v[i] == '/') return At(i, "URL has no host");
  return Walk(v, i, v.size(), IsUrlChar, what);
}

// ingress-nginx (cors/main.go) validates the list with spaces removed against
// ^((((([a-z]+://)?(\*\.)?[A-Za-z0-9\-.]*(:\d+)?,?)|null)+)|\*)?$ and renders only the
// origins that match ^([a-z]+://(\*\.)?[A-Za-z0-9\-.]*(:\d+)?|\*|null)?$; empty items are
// skipped. The scheme may be any word (myprotocol://).
Check CheckOriginList(std::string_view v) {
  return ForEachItem(v, ",", true, [](std::string_view item, size_t off) -> Check {
    if (item == "*" || item == "null") return std::nullopt;
    size_t i = 0;
    if (const size_t sep = item.find("://"); sep != npos) {
      for (i = 0; i < sep; ++i) {
        const char c = item[i];
        if (!(IsAlnum(c) || c == '+' || c == '-' || c == '.')) return BadChar(item.substr(0, sep), i, "a CORS origin scheme");
      }
      if (sep == 0) return At(off, "CORS origin has an empty scheme");
      i = sep + 3;
    }
    std::string_view host = item.substr(i);
    if (host.substr(0, 2) == "*.") host.remove_prefix(2), i += 2;
    if (host.empty()) return std::nullopt;
    return Shift(CheckHostPort(host, i, false, "a CORS origin"), off);
  });
}

Check CheckHost(std::string_view v, bool allow_variables) {
  if (v.empty()) return At(0, "empty host");
  if (allow_variables && v.find('$') != npos) {
    return Walk(v, 0, v.size(), [](char c) { return IsAlnum(c) || c == '-' || c == '.' || c == ':' || c == '_'; },
                "a host", false);
  }
  return CheckHostPort(v, 0, false, "a host");
}

// server-alias: ingress-nginx splits on ',', trims and skips empty items (alias/main.go).
Check CheckHostList(std::string_view v) {
  return ForEachItem(v, ", ", true, [](std::string_view item, size_t off) -> Check {
    if (IsHostName(item, true, false)) return std::nullopt;
    if (item.size() > 1 && item[0] == '~') {  // server_name regex form
      return Shift(CheckRegex(item, 1, false), off);
    }
    return Shift(CheckHostPort(item, 0, true, "a host name list"), off);
  });
}

Check CheckRegex(std::string_view v, size_t start, bool allow_space) {
  constexpr std::string_view what = "this regular expression";
  int parens = 0;
  bool in_class = false;
  size_t class_start = 0;
  size_t last_open = start;
  for (size_t i = start; i < v.size(); ++i) {
    const char c = v[i];
    const auto uc = static_cast<unsigned char>(c);
    if (uc < 0x20 || uc >= 0x7F) return BadChar(v, i, what);
    if (c == '"' || c == '\'' || c == '`' || c == ';' || c == '#') return BadChar(v, i, what);
    if (c == ' ' && !allow_space) return BadChar(v, i, what);
    if (c == '\\') {
      if (i + 1 >= v.size()) return At(i, "a trailing backslash would escape the closing quote");
      const char n = v[i + 1];
      if (n == '"' || n == '\'' || n == '`' || n == ';' || n == '#' || n == ' ' || n == '{' || n == '}' ||
          static_cast<unsigned char>(n) < 0x21 || static_cast<unsigned char>(n) >= 0x7F) {
        return At(i, "escaped " + CharName(n) + " is not allowed in " + std::string(what));
      }
      ++i;
      continue;
    }
    if (in_class) {
      if (c == ']' && i > class_start + 1 && !(i == class_start + 2 && v[class_start + 1] == '^')) in_class = false;
      if (c == '{' || c == '}') return BadChar(v, i, what);
      continue;
    }
    switch (c) {
      case '[': in_class = true, class_start = i; break;
      case '(': ++parens, last_open = i; break;
      case ')':
        if (--parens < 0) return At(i, "unbalanced ')' in " + std::string(what));
        break;
      case '{': {
        // Only a quantifier {n}, {n,} or {n,m}.
        size_t j = i + 1;
        size_t digits = 0;
        while (j < v.size() && IsDigit(v[j])) ++j, ++digits;
        if (j < v.size() && v[j] == ',') {
          ++j;
          while (j < v.size() && IsDigit(v[j])) ++j;
        }
        if (digits == 0 || j >= v.size() || v[j] != '}') return At(i, "'{' is only allowed as a {m,n} quantifier");
        i = j;
        break;
      }
      case '}': return At(i, "'}' is only allowed to close a {m,n} quantifier");
      default: break;
    }
  }
  if (in_class) return At(class_start, "unterminated '[' in " + std::string(what));
  if (parens != 0) return At(last_open, "unbalanced '(' in " + std::string(what));
  return std::nullopt;
}

Check CheckCommonName(std::string_view v) {
  if (v.substr(0, 3) != "CN=") return At(0, "must start with CN=");
  if (v.size() == 3) return At(3, "empty common name");
  return CheckRegex(v, 3, true);
}

Check CheckHeaderName(std::string_view v, size_t start, size_t end) {
  if (end > v.size()) end = v.size();
  if (start >= end) return At(start, "empty header name");
  for (size_t i = start; i < end; ++i) {
    const char c = v[i];
    if (!(IsAlnum(c) || c == '-' || c == '_' || c == '.')) return BadChar(v, i, "a header name");
  }
  return std::nullopt;
}

Check CheckHeaderList(std::string_view v, bool allow_star) {
  return ForEachItem(v, ",", false, [allow_star](std::string_view item, size_t off) -> Check {
    if (allow_star && item == "*") return std::nullopt;
    return Shift(CheckHeaderName(item), off);
  });
}

Check CheckMethod(std::string_view v) {
  static constexpr std::array<std::string_view, 9> kMethods = {"GET", "HEAD", "POST", "PUT", "PATCH",
                                                                "DELETE", "CONNECT", "OPTIONS", "TRACE"};
  for (auto m : kMethods) {
    if (v == m) return std::nullopt;
  }
  for (size_t i = 0; i < v.size(); ++i) {
    if (!(v[i] >= 'A' && v[i] <= 'Z')) return BadChar(v, i, "an HTTP method");
  }
  return At(0, "not an HTTP method (GET, HEAD, POST, PUT, PATCH, DELETE, CONNECT, OPTIONS, TRACE)");
}

// cors-allow-methods: ingress-nginx accepts any letters (^([A-Za-z]+,?\s?)+$), so WebDAV and
// custom methods are fine; they land inside a single-quoted more_set_headers value.
Check CheckMethodList(std::string_view v) {
  return ForEachItem(v, ", ", true, [](std::string_view item, size_t off) -> Check {
    if (item == "*") return std::nullopt;
    for (size_t i = 0; i < item.size(); ++i) {
      if (!IsAlpha(item[i])) return Shift(BadChar(item, i, "an HTTP method"), off);
    }
    return std::nullopt;
  });
}

Check CheckSize(std::string_view v) {
  if (v.empty()) return At(0, "empty size");
  size_t i = 0;
  while (i < v.size() && IsDigit(v[i])) ++i;
  if (i == 0 || i > 12) return At(0, "size must be digits with an optional unit (k, m, g)");
  if (i < v.size() && v[i] == '.') {
    ++i;
    const size_t frac = i;
    while (i < v.size() && IsDigit(v[i])) ++i;
    if (i == frac) return At(i, "malformed size");
  }
  if (i < v.size() && std::string_view("bBkKmMgG").find(v[i]) != npos) ++i;
  if (i != v.size()) return BadChar(v, i, "a size");
  return std::nullopt;
}

Check CheckDuration(std::string_view v, size_t start, size_t end) {
  if (end > v.size()) end = v.size();
  if (start >= end) return At(start, "empty duration");
  size_t i = start;
  while (i < end) {
    const size_t digits = i;
    while (i < end && IsDigit(v[i])) ++i;
    if (i == digits || i - digits > 10) return At(digits, "duration must look like 30, 30s, 5m or 1h30m");
    if (i < end && v.substr(i, 2) == "ms") {
      i += 2;
    } else if (i < end && std::string_view("smhdwMy").find(v[i]) != npos) {
      ++i;
    } else if (i < end) {
      return BadChar(v, i, "a duration");
    }
  }
  return std::nullopt;
}

Check CheckInteger(std::string_view v) {
  if (v.empty()) return At(0, "empty number");
  size_t i = (v[0] == '-') ? 1 : 0;
  if (i == v.size() || v.size() - i > 10) return At(0, "not an integer");
  for (; i < v.size(); ++i) {
    if (!IsDigit(v[i])) return BadChar(v, i, "an integer");
  }
  return std::nullopt;
}

Check CheckBool(std::string_view v) {
  // strconv.ParseBool, which ingress-nginx uses.
  for (std::string_view ok : {"1", "t", "T", "TRUE", "true", "True", "0", "f", "F", "FALSE", "false", "False"}) {
    if (v == ok) return std::nullopt;
  }
  return At(0, "not a boolean (true or false)");
}

Check CheckEnum(std::string_view v, std::span<const std::string_view> values, bool list) {
  auto one = [&values](std::string_view item, size_t off) -> Check {
    for (auto ok : values) {
      if (EqualsIgnoreCase(item, ok)) return std::nullopt;
    }
    std::string allowed;
    for (auto ok : values) allowed += (allowed.empty() ? "" : ", ") + std::string(ok);
    return At(off, "\"" + EscapeForDisplay(item.substr(0, 40)) + "\" is not one of " + allowed);
  };
  if (!list) return one(v, 0);
  return ForEachItem(v, " ,", true, one);
}

Check CheckCidrList(std::string_view v) {
  return ForEachItem(v, ",", false, [](std::string_view item, size_t off) -> Check {
    std::string_view addr = item;
    const size_t slash = item.find('/');
    int max_bits = 32;
    if (slash != npos) addr = item.substr(0, slash);
    if (ParseIPv4(addr)) {
      max_bits = 32;
    } else if (ParseIPv6(addr)) {
      max_bits = 128;
    } else {
      return At(off, "\"" + EscapeForDisplay(item.substr(0, 48)) + "\" is not an IP address or CIDR");
    }
    if (slash != npos) {
      std::string_view bits = item.substr(slash + 1);
      if (bits.empty() || bits.size() > 3) return At(off + slash, "malformed prefix length");
      int n = 0;
      for (size_t i = 0; i < bits.size(); ++i) {
        if (!IsDigit(bits[i])) return At(off + slash + 1 + i, "malformed prefix length");
        n = n * 10 + (bits[i] - '0');
      }
      if (n > max_bits) return At(off + slash, "prefix length out of range");
    }
    return std::nullopt;
  });
}

Check CheckVariableExpression(std::string_view v) {
  if (v.empty()) return At(0, "empty expression");
  return Walk(v, 0, v.size(), [](char c) {
    return IsAlnum(c) || c == '_' || c == '-' || c == '.' || c == ':' || c == '/' || c == ',' || c == '=' ||
           c == '@' || c == '+' || c == '|';
  }, "an nginx variable expression", false);
}

Check CheckPathValue(std::string_view v) {
  if (v.empty()) return At(0, "empty path");
  if (v.find("://") != npos) return CheckUrl(v, false);
  if (v[0] != '/' && v[0] != '$') return At(0, "path must start with '/'");
  return Walk(v, 0, v.size(), [](char c) { return IsUrlChar(c) && c != '[' && c != ']'; }, "a path");
}

Check CheckReference(std::string_view v) {
  const size_t slash = v.find('/');
  if (slash != npos) {
    if (!IsDnsLabel(v.substr(0, slash))) return At(0, "namespace part is not a valid namespace name");
    if (!IsDnsSubdomain(v.substr(slash + 1))) return At(slash + 1, "name part is not a valid object name");
    return std::nullopt;
  }
  if (!IsDnsSubdomain(v)) return At(0, "not a valid object name (namespace/name or name)");
  return std::nullopt;
}

Check CheckStatusCodeList(std::string_view v) {
  return ForEachItem(v, ",", false, [](std::string_view item, size_t off) -> Check {
    if (item.size() != 3 || !IsDigit(item[0]) || !IsDigit(item[1]) || !IsDigit(item[2]) || item[0] < '1' ||
        item[0] > '5') {
      return At(off, "\"" + EscapeForDisplay(item.substr(0, 40)) + "\" is not an HTTP status code");
    }
    return std::nullopt;
  });
}

Check CheckCacheDuration(std::string_view v) {
  // "[code ...] duration", e.g. "200 202 401 5m"; "any 5m"; several groups separated by ','.
  return ForEachItem(v, ",", false, [](std::string_view group, size_t off) -> Check {
    return ForEachItem(group, " ", true, [off](std::string_view item, size_t inner) -> Check {
      if (item == "any") return std::nullopt;
      if (item.size() == 3 && IsDigit(item[0]) && IsDigit(item[1]) && IsDigit(item[2])) return std::nullopt;
      return Shift(CheckDuration(item), off + inner);
    });
  });
}

Check CheckCipherList(std::string_view v) {
  if (v.empty()) return At(0, "empty cipher list");
  for (size_t i = 0; i < v.size(); ++i) {
    const char c = v[i];
    if (!(IsAlnum(c) || c == '_' || c == ':' || c == '+' || c == '!' || c == '@' || c == '.' || c == '=' ||
          c == '-')) {
      return BadChar(v, i, "an OpenSSL cipher list");
    }
  }
  return std::nullopt;
}

Check CheckToken(std::string_view v) {
  if (v.empty()) return At(0, "empty value");
  for (size_t i = 0; i < v.size(); ++i) {
    const char c = v[i];
    const auto uc = static_cast<unsigned char>(c);
    if (uc <= 0x20 || uc >= 0x7F || c == '"' || c == '\'' || c == '`' || c == '\\' || c == ';' || c == '{' ||
        c == '}' || c == '#' || c == '$') {
      return BadChar(v, i, "this value");
    }
  }
  return std::nullopt;
}

Check CheckText(std::string_view v) {
  for (size_t i = 0; i < v.size(); ++i) {
    const char c = v[i];
    if (c == '"' || c == '\'' || c == '`' || c == '\\' || c == ';' || c == '{' || c == '}' || c == '#') {
      return BadChar(v, i, "this text value");
    }
  }
  return std::nullopt;
}

Check CheckRewritePair(std::string_view v) {
  if (v == "off" || v == "default") return std::nullopt;
  const size_t space = v.find(' ');
  auto part = [](std::string_view s, size_t off) -> Check {
    if (s.empty()) return At(off, "empty value");
    return Shift(Walk(s, 0, s.size(), IsUrlChar, "this value"), off);
  };
  if (space == npos) return part(v, 0);
  if (auto bad = part(v.substr(0, space), 0)) return bad;
  return part(v.substr(space + 1), space + 1);
}

Check CheckCookieDomain(std::string_view v) {
  if (v.empty()) return At(0, "empty domain");
  std::string_view host = v;
  size_t off = 0;
  if (host[0] == '.') host.remove_prefix(1), off = 1;  // RFC 6265 allows a leading dot
  return Shift(CheckHostPort(host, 0, false, "a cookie domain"), off);
}

// auth-tls-error-page: ^(@[A-Za-z0-9_-]+|((https?://)?[A-Za-z0-9\-.]+(:\d+)?)?(/[A-Za-z0-9\-_.]+)*/?)$
Check CheckErrorPage(std::string_view v) {
  if (v.empty()) return At(0, "empty error page");
  if (v[0] == '@') {
    if (v.size() == 1) return At(0, "empty named location");
    for (size_t i = 1; i < v.size(); ++i) {
      if (!(IsAlnum(v[i]) || v[i] == '_' || v[i] == '-')) return BadChar(v, i, "a named location");
    }
    return std::nullopt;
  }
  if (v.find("://") != npos) return CheckUrl(v, false);
  return CheckPathValue(v);
}

Check CheckNginxSyntax(std::string_view v) {
  size_t dq = npos, sq = npos;
  size_t dq_count = 0, sq_count = 0;
  for (size_t i = 0; i < v.size(); ++i) {
    const char c = v[i];
    if (c == '$' && i + 1 < v.size() && v[i + 1] == '{') {
      const size_t n = NginxVariableLength(v, i);
      if (n != 0) {
        i += n - 1;
        continue;
      }
    }
    switch (c) {
      case ';': case '{': case '}': case '#':
        return At(i, CharName(c) + " ends the nginx directive or block");
      case '"': ++dq_count, dq = i; break;
      case '\'': ++sq_count, sq = i; break;
      default: break;
    }
  }
  if (dq_count % 2 != 0) return At(dq, "unbalanced '\"' would break out of nginx quoting");
  if (sq_count % 2 != 0) return At(sq, "unbalanced \"'\" would break out of nginx quoting");
  return std::nullopt;
}

}  // namespace riposte::core
