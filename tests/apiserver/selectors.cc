#include "tests/apiserver/selectors.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <set>

#include "tests/apiserver/api_status.h"

namespace riposte::testapi {

using web::json::value;

namespace {

std::string Trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return "";
  size_t e = s.find_last_not_of(" \t");
  return s.substr(b, e - b + 1);
}

bool IsAlnum(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }

bool IsNamePart(const std::string& s) {
  if (s.empty() || s.size() > 63) return false;
  if (!IsAlnum(s.front()) || !IsAlnum(s.back())) return false;
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return IsAlnum(c) || c == '-' || c == '_' || c == '.'; });
}

bool IsDns1123Subdomain(const std::string& s) {
  if (s.empty() || s.size() > 253) return false;
  if (!IsAlnum(s.front()) || !IsAlnum(s.back())) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) ||
            c == '-' || c == '.');
  });
}

[[noreturn]] void ParseError(const std::string& detail) {
  throw BadRequest("unable to parse requirement: " + detail);
}

// Splits on commas that are not inside parentheses.
std::vector<std::string> SplitTop(const std::string& text) {
  std::vector<std::string> parts;
  std::string cur;
  int depth = 0;
  for (char c : text) {
    if (c == '(') ++depth;
    if (c == ')') --depth;
    if (c == ',' && depth == 0) {
      parts.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  parts.push_back(cur);
  return parts;
}

std::string LabelOf(const value& object, const std::string& key, bool* present) {
  *present = false;
  if (!object.is_object() || !object.has_field("metadata")) return "";
  const auto& md = object.at("metadata");
  if (!md.is_object() || !md.has_field("labels")) return "";
  const auto& labels = md.at("labels");
  if (!labels.is_object() || !labels.has_field(key)) return "";
  const auto& v = labels.at(key);
  if (!v.is_string()) return "";
  *present = true;
  return v.as_string();
}

void CheckKey(const std::string& key) {
  if (!IsQualifiedName(key))
    ParseError("Invalid value: \"" + key +
               "\": name part must consist of alphanumeric characters, '-', '_' or '.', and must "
               "start and end with an alphanumeric character");
}

void CheckValue(const std::string& v) {
  if (!IsValidLabelValue(v))
    ParseError("Invalid value: \"" + v +
               "\": a valid label must be an empty string or consist of alphanumeric characters, "
               "'-', '_' or '.', and must start and end with an alphanumeric character");
}

}  // namespace

bool IsQualifiedName(const std::string& key) {
  auto slash = key.find('/');
  if (slash == std::string::npos) return IsNamePart(key);
  if (key.find('/', slash + 1) != std::string::npos) return false;
  return IsDns1123Subdomain(key.substr(0, slash)) && IsNamePart(key.substr(slash + 1));
}

bool IsValidLabelValue(const std::string& v) { return v.empty() || IsNamePart(v); }

LabelSelector LabelSelector::Parse(const std::string& text) {
  LabelSelector sel;
  if (Trim(text).empty()) return sel;
  for (const auto& raw : SplitTop(text)) {
    std::string part = Trim(raw);
    if (part.empty()) ParseError("found '', expected: identifier");
    Requirement r;
    auto set_op = [&](const std::string& word, Op op) -> bool {
      // "key in (a,b)" / "key notin (a,b)"
      auto pos = part.find(" " + word + " ");
      if (pos == std::string::npos) {
        pos = part.find(" " + word + "(");
        if (pos == std::string::npos) return false;
      }
      r.key = Trim(part.substr(0, pos));
      std::string rest = Trim(part.substr(pos + word.size() + 1));
      if (rest.size() < 2 || rest.front() != '(' || rest.back() != ')')
        ParseError("found '" + rest + "', expected: '('");
      std::string inner = rest.substr(1, rest.size() - 2);
      for (const auto& v : SplitTop(inner)) {
        auto tv = Trim(v);
        CheckValue(tv);
        r.values.push_back(tv);
      }
      if (r.values.empty() || (r.values.size() == 1 && r.values[0].empty() && inner.find(',') == std::string::npos && Trim(inner).empty()))
        ParseError("for 'in', 'notin' operators, values set can't be empty");
      r.op = op;
      return true;
    };
    if (set_op("notin", Op::kNotIn) || set_op("in", Op::kIn)) {
      CheckKey(r.key);
    } else if (part[0] == '!') {
      r.key = Trim(part.substr(1));
      r.op = Op::kNotExists;
      CheckKey(r.key);
    } else {
      size_t pos;
      if ((pos = part.find("!=")) != std::string::npos) {
        r.op = Op::kNotEq;
        r.key = Trim(part.substr(0, pos));
        r.values = {Trim(part.substr(pos + 2))};
      } else if ((pos = part.find("==")) != std::string::npos) {
        r.op = Op::kEq;
        r.key = Trim(part.substr(0, pos));
        r.values = {Trim(part.substr(pos + 2))};
      } else if ((pos = part.find('=')) != std::string::npos) {
        r.op = Op::kEq;
        r.key = Trim(part.substr(0, pos));
        r.values = {Trim(part.substr(pos + 1))};
      } else if ((pos = part.find_first_of("<>")) != std::string::npos) {
        r.op = part[pos] == '>' ? Op::kGt : Op::kLt;
        r.key = Trim(part.substr(0, pos));
        r.values = {Trim(part.substr(pos + 1))};
        const auto& v = r.values[0];
        if (v.empty() || !std::all_of(v.begin() + (v[0] == '-' ? 1 : 0), v.end(),
                                      [](char c) { return std::isdigit(static_cast<unsigned char>(c)); }))
          ParseError("for 'Gt', 'Lt' operators, the value must be an integer");
      } else {
        r.op = Op::kExists;
        r.key = part;
      }
      CheckKey(r.key);
      if (r.op == Op::kEq || r.op == Op::kNotEq) CheckValue(r.values[0]);
    }
    sel.reqs_.push_back(std::move(r));
  }
  return sel;
}

LabelSelector LabelSelector::FromObject(const value& selector) {
  LabelSelector sel;
  if (!selector.is_object()) return sel;
  if (selector.has_field("matchLabels") && selector.at("matchLabels").is_object()) {
    for (const auto& [k, v] : selector.at("matchLabels").as_object())
      sel.reqs_.push_back({k, Op::kEq, {v.is_string() ? v.as_string() : v.serialize()}});
  }
  if (selector.has_field("matchExpressions") && selector.at("matchExpressions").is_array()) {
    for (const auto& e : selector.at("matchExpressions").as_array()) {
      if (!e.is_object() || !e.has_field("key") || !e.has_field("operator")) continue;
      Requirement r;
      r.key = e.at("key").as_string();
      std::string op = e.at("operator").as_string();
      if (op == "In") r.op = Op::kIn;
      else if (op == "NotIn") r.op = Op::kNotIn;
      else if (op == "Exists") r.op = Op::kExists;
      else if (op == "DoesNotExist") r.op = Op::kNotExists;
      else throw BadRequest("\"" + op + "\" is not a valid label selector operator");
      if (e.has_field("values") && e.at("values").is_array())
        for (const auto& v : e.at("values").as_array())
          if (v.is_string()) r.values.push_back(v.as_string());
      sel.reqs_.push_back(std::move(r));
    }
  }
  return sel;
}

bool LabelSelector::Matches(const value& object) const {
  for (const auto& r : reqs_) {
    bool present;
    std::string v = LabelOf(object, r.key, &present);
    bool in = present && std::find(r.values.begin(), r.values.end(), v) != r.values.end();
    switch (r.op) {
      case Op::kEq:
      case Op::kIn:
        if (!in) return false;
        break;
      case Op::kNotEq:
      case Op::kNotIn:
        if (in) return false;
        break;
      case Op::kExists:
        if (!present) return false;
        break;
      case Op::kNotExists:
        if (present) return false;
        break;
      case Op::kGt:
      case Op::kLt: {
        if (!present) return false;
        try {
          long long have = std::stoll(v), want = std::stoll(r.values[0]);
          if (r.op == Op::kGt ? !(have > want) : !(have < want)) return false;
        } catch (...) {
          return false;
        }
        break;
      }
    }
  }
  return true;
}

namespace {

// Selectable fields per resource, as registered by each kind's field label conversion.
const std::map<std::string, std::set<std::string>>& KindFields() {
  static const std::map<std::string, std::set<std::string>> fields = {
      {"pods",
       {"spec.nodeName", "spec.restartPolicy", "spec.schedulerName", "spec.serviceAccountName",
        "spec.hostNetwork", "status.phase", "status.podIP", "status.nominatedNodeName"}},
      {"events",
       {"involvedObject.kind", "involvedObject.namespace", "involvedObject.name",
        "involvedObject.uid", "involvedObject.apiVersion", "involvedObject.resourceVersion",
        "involvedObject.fieldPath", "reason", "reportingComponent", "source", "type"}},
      {"nodes", {"spec.unschedulable"}},
      {"namespaces", {"status.phase"}},
      {"secrets", {"type"}},
      {"replicasets.apps", {"status.replicas"}},
  };
  return fields;
}

}  // namespace

std::string FieldValue(const value& object, const std::string& field) {
  if (field == "source") {  // events: source.component
    return FieldValue(object, "source.component");
  }
  const value* cur = &object;
  size_t start = 0;
  while (start <= field.size()) {
    size_t dot = field.find('.', start);
    std::string part = field.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    if (!cur->is_object() || !cur->has_field(part)) return "";
    cur = &cur->at(part);
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  if (cur->is_string()) return cur->as_string();
  if (cur->is_boolean()) return cur->as_bool() ? "true" : "false";
  if (cur->is_number()) return cur->serialize();
  if (cur->is_null()) return "";
  return cur->serialize();
}

FieldSelector FieldSelector::Parse(const std::string& text, const ResourceInfo& resource) {
  FieldSelector sel;
  if (Trim(text).empty()) return sel;
  const auto& table = KindFields();
  auto it = table.find(resource.GroupResource());
  for (const auto& raw : SplitTop(text)) {
    std::string part = Trim(raw);
    Requirement r;
    size_t pos;
    if ((pos = part.find("!=")) != std::string::npos) {
      r.equal = false;
      r.field = part.substr(0, pos);
      r.value = part.substr(pos + 2);
    } else if ((pos = part.find("==")) != std::string::npos) {
      r.equal = true;
      r.field = part.substr(0, pos);
      r.value = part.substr(pos + 2);
    } else if ((pos = part.find('=')) != std::string::npos) {
      r.equal = true;
      r.field = part.substr(0, pos);
      r.value = part.substr(pos + 1);
    } else {
      throw BadRequest("invalid selector: '" + text + "'; can't understand '" + part + "'");
    }
    bool generic = r.field == "metadata.name" || r.field == "metadata.namespace";
    bool known = generic || (it != table.end() && it->second.count(r.field));
    if (!known) {
      if (resource.custom)
        throw BadRequest("\"" + r.field +
                         "\" is not a known field selector: only \"metadata.name\", "
                         "\"metadata.namespace\"");
      throw BadRequest("field label not supported: " + r.field);
    }
    sel.reqs_.push_back(std::move(r));
  }
  return sel;
}

bool FieldSelector::Matches(const value& object) const {
  for (const auto& r : reqs_) {
    bool eq = FieldValue(object, r.field) == r.value;
    if (eq != r.equal) return false;
  }
  return true;
}

}  // namespace riposte::testapi
