#include "kube/selector.h"

#include "common/json_value.h"

#include <algorithm>
#include <cctype>

namespace riposte::kube {
namespace json = web::json;
namespace {

bool IsAlnum(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }

// Qualified-name part: [A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?, at most 63 characters.
bool ValidName(const std::string& s) {
  if (s.empty() || s.size() > 63 || !IsAlnum(s.front()) || !IsAlnum(s.back())) return false;
  return std::all_of(s.begin(), s.end(), [](char c) { return IsAlnum(c) || c == '-' || c == '_' || c == '.'; });
}

bool ValidDnsSubdomain(const std::string& s) {
  if (s.empty() || s.size() > 253) return false;
  size_t start = 0;
  while (start <= s.size()) {
    size_t dot = s.find('.', start);
    if (dot == std::string::npos) dot = s.size();
    const std::string label = s.substr(start, dot - start);
    if (label.empty() || label.size() > 63) return false;
    for (char c : label) {
      if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
    }
    if (label.front() == '-' || label.back() == '-') return false;
    start = dot + 1;
  }
  return true;
}

}  // namespace

std::string ValidateLabelKey(const std::string& key) {
  const size_t slash = key.find('/');
  if (slash != std::string::npos) {
    const std::string prefix = key.substr(0, slash);
    if (!ValidDnsSubdomain(prefix)) return "label key \"" + key + "\": prefix must be a DNS subdomain";
    if (!ValidName(key.substr(slash + 1))) return "label key \"" + key + "\": name part is not a valid label name";
    return "";
  }
  if (!ValidName(key)) return "label key \"" + key + "\" is not a valid label name";
  return "";
}

std::string ValidateLabelValue(const std::string& value) {
  if (value.empty() || ValidName(value)) return "";
  return "label value \"" + value + "\" must be at most 63 alphanumerics, '-', '_' or '.', beginning and ending with an alphanumeric";
}

LabelSelector& LabelSelector::AddPart(Part p) {
  if (error_.empty()) {
    error_ = ValidateLabelKey(p.key);
    for (const auto& v : p.values) {
      if (error_.empty()) error_ = ValidateLabelValue(v);
    }
    if (error_.empty() && (p.op == Op::kIn || p.op == Op::kNotIn) && p.values.empty()) {
      error_ = "label selector: \"" + p.key + "\" set operator needs at least one value";
    }
  }
  std::sort(p.values.begin(), p.values.end());
  p.values.erase(std::unique(p.values.begin(), p.values.end()), p.values.end());
  parts_.push_back(std::move(p));
  return *this;
}

LabelSelector& LabelSelector::Eq(const std::string& k, const std::string& v) { return AddPart({k, Op::kEq, {v}}); }
LabelSelector& LabelSelector::NotEq(const std::string& k, const std::string& v) { return AddPart({k, Op::kNotEq, {v}}); }
LabelSelector& LabelSelector::In(const std::string& k, const std::vector<std::string>& v) { return AddPart({k, Op::kIn, v}); }
LabelSelector& LabelSelector::NotIn(const std::string& k, const std::vector<std::string>& v) {
  return AddPart({k, Op::kNotIn, v});
}
LabelSelector& LabelSelector::Exists(const std::string& k) { return AddPart({k, Op::kExists, {}}); }
LabelSelector& LabelSelector::DoesNotExist(const std::string& k) { return AddPart({k, Op::kNotExists, {}}); }

std::string LabelSelector::String() const {
  std::string out;
  for (const auto& p : parts_) {
    if (!out.empty()) out += ",";
    auto set = [&] {
      std::string s = "(";
      for (size_t i = 0; i < p.values.size(); ++i) s += (i ? "," : "") + p.values[i];
      return s + ")";
    };
    switch (p.op) {
      case Op::kEq: out += p.key + "=" + p.values[0]; break;
      case Op::kNotEq: out += p.key + "!=" + p.values[0]; break;
      case Op::kIn: out += p.key + " in " + set(); break;
      case Op::kNotIn: out += p.key + " notin " + set(); break;
      case Op::kExists: out += p.key; break;
      case Op::kNotExists: out += "!" + p.key; break;
    }
  }
  return out;
}

LabelSelector LabelSelector::FromJson(const json::value& sel) {
  LabelSelector out;
  if (sel.is_null()) return out;
  if (!sel.is_object()) {
    out.error_ = "label selector must be an object";
    return out;
  }
  if (sel.has_field("matchLabels") && sel.at("matchLabels").is_object()) {
    for (const auto& [k, v] : sel.at("matchLabels").as_object()) {
      if (!v.is_string()) {
        if (out.error_.empty()) out.error_ = "matchLabels." + k + " must be a string";
        continue;
      }
      out.Eq(k, v.as_string());
    }
  }
  size_t i = 0;
  riposte::json::Reader(sel)["matchExpressions"].Items([&](const riposte::json::Reader& e) {
    const std::string where = "matchExpressions[" + std::to_string(i++) + "]";
    const std::vector<std::string> values = e["values"].StringList();
    const std::string op = e["operator"].StringOr("");
    const std::string key = e["key"].StringOr("");
    if (op == "In") {
      out.In(key, values);
    } else if (op == "NotIn") {
      out.NotIn(key, values);
    } else if (op == "Exists") {
      out.Exists(key);
    } else if (op == "DoesNotExist") {
      out.DoesNotExist(key);
    } else if (out.error_.empty()) {
      out.error_ = where + ".operator \"" + op + "\" is not In, NotIn, Exists or DoesNotExist";
    }
  });
  return out;
}

bool LabelSelector::Matches(const std::map<std::string, std::string>& labels) const {
  for (const auto& p : parts_) {
    auto it = labels.find(p.key);
    const bool has = it != labels.end();
    const bool in = has && std::binary_search(p.values.begin(), p.values.end(), it->second);
    switch (p.op) {
      case Op::kEq:
      case Op::kIn:
        if (!in) return false;
        break;
      case Op::kNotEq:
      case Op::kNotIn:
        if (in) return false;
        break;
      case Op::kExists:
        if (!has) return false;
        break;
      case Op::kNotExists:
        if (has) return false;
        break;
    }
  }
  return true;
}

bool LabelSelector::Parse(const std::string& text, LabelSelector* out, std::string* error) {
  *out = LabelSelector();
  // Split on commas outside parentheses.
  std::vector<std::string> terms;
  std::string cur;
  int depth = 0;
  for (char c : text) {
    if (c == '(') ++depth;
    if (c == ')') --depth;
    if (c == ',' && depth == 0) {
      terms.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (!cur.empty() || !terms.empty()) terms.push_back(cur);
  auto trim = [](std::string s) {
    while (!s.empty() && s.front() == ' ') s.erase(s.begin());
    while (!s.empty() && s.back() == ' ') s.pop_back();
    return s;
  };
  for (auto term : terms) {
    term = trim(term);
    if (term.empty()) {
      *error = "empty term in selector \"" + text + "\"";
      return false;
    }
    size_t pos;
    if (term[0] == '!') {
      out->DoesNotExist(trim(term.substr(1)));
    } else if ((pos = term.find("!=")) != std::string::npos) {
      out->NotEq(trim(term.substr(0, pos)), trim(term.substr(pos + 2)));
    } else if ((pos = term.find("==")) != std::string::npos) {
      out->Eq(trim(term.substr(0, pos)), trim(term.substr(pos + 2)));
    } else if ((pos = term.find('=')) != std::string::npos) {
      out->Eq(trim(term.substr(0, pos)), trim(term.substr(pos + 1)));
    } else if ((pos = term.find(" notin ")) != std::string::npos || (pos = term.find(" in ")) != std::string::npos) {
      const bool notin = term.compare(pos, 7, " notin ") == 0;
      const std::string key = trim(term.substr(0, pos));
      std::string set = trim(term.substr(pos + (notin ? 7 : 4)));
      if (set.size() < 2 || set.front() != '(' || set.back() != ')') {
        *error = "set in \"" + term + "\" must be parenthesised";
        return false;
      }
      std::vector<std::string> values;
      std::string v;
      for (char c : set.substr(1, set.size() - 2)) {
        if (c == ',') {
          values.push_back(trim(v));
          v.clear();
        } else {
          v += c;
        }
      }
      values.push_back(trim(v));
      if (notin) {
        out->NotIn(key, values);
      } else {
        out->In(key, values);
      }
    } else {
      out->Exists(term);
    }
  }
  if (!out->error().empty()) {
    *error = out->error();
    return false;
  }
  return true;
}

}  // namespace riposte::kube
