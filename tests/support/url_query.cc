#include "tests/support/url_query.h"

#include <cctype>

namespace riposte::testing {

std::string UrlDecode(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      out += static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else if (s[i] == '+') {
      out += ' ';
    } else {
      out += s[i];
    }
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> ParseQuery(const std::string& target) {
  std::vector<std::pair<std::string, std::string>> out;
  const auto q = target.find('?');
  if (q == std::string::npos) return out;
  const std::string qs = target.substr(q + 1);
  size_t i = 0;
  while (i <= qs.size()) {
    size_t amp = qs.find('&', i);
    if (amp == std::string::npos) amp = qs.size();
    const std::string kv = qs.substr(i, amp - i);
    if (!kv.empty()) {
      const auto eq = kv.find('=');
      out.emplace_back(UrlDecode(kv.substr(0, eq)), eq == std::string::npos ? "" : UrlDecode(kv.substr(eq + 1)));
    }
    i = amp + 1;
  }
  return out;
}

}  // namespace riposte::testing
