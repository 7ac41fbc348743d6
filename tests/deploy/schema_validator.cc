#include "tests/deploy/schema_validator.h"

#include <map>
#include <regex>
#include <set>

namespace riposte::deploy_test {
namespace {

bool ScalarIs(const YAML::Node& value, const std::string& type) {
  static const std::regex kInteger(R"(-?[0-9]+)");
  static const std::regex kNumber(R"(-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?)");
  const std::string s = value.as<std::string>();
  if (type == "boolean") return s == "true" || s == "false";
  if (type == "integer") return std::regex_match(s, kInteger);
  if (type == "number") return std::regex_match(s, kNumber);
  return false;
}

bool IsType(const YAML::Node& value, const std::string& type) {
  if (type == "object") return value.IsMap();
  if (type == "array") return value.IsSequence();
  if (type == "null") return value.IsNull();
  if (!value.IsScalar()) return false;
  const bool quoted = value.Tag() == "!";  // yaml-cpp tags quoted scalars "!"
  if (type == "string") {
    // An unquoted true/false/number is not a string to a JSON-schema validator.
    return quoted || !(ScalarIs(value, "boolean") || ScalarIs(value, "number"));
  }
  return !quoted && ScalarIs(value, type);
}

// Type name as a JSON-schema validator would see the value.
std::string TypeOf(const YAML::Node& value) {
  for (const char* t : {"object", "array", "null", "boolean", "integer", "number", "string"}) {
    if (IsType(value, t)) return t;
  }
  return "unknown";
}

// Structural equality for enum/const/uniqueItems, comparing scalars by their JSON type and text.
bool Equal(const YAML::Node& a, const YAML::Node& b) {
  if (a.Type() != b.Type()) return false;
  if (a.IsScalar()) {
    std::string ta = TypeOf(a), tb = TypeOf(b);
    if (ta == "integer") ta = "number";
    if (tb == "integer") tb = "number";
    if (ta != tb) return false;
    if (ta == "number") return a.as<double>() == b.as<double>();
    return a.as<std::string>() == b.as<std::string>();
  }
  if (a.IsSequence()) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i)
      if (!Equal(a[i], b[i])) return false;
    return true;
  }
  if (a.IsMap()) {
    if (a.size() != b.size()) return false;
    for (const auto& kv : a) {
      const auto other = b[kv.first.as<std::string>()];
      if (!other || !Equal(kv.second, other)) return false;
    }
    return true;
  }
  return true;  // both null
}

std::string Text(const YAML::Node& n) {
  if (n.IsScalar()) return n.as<std::string>();
  YAML::Emitter e;
  e << YAML::Flow << n;
  return e.c_str();
}

class Validator {
 public:
  Validator(const YAML::Node& root, SchemaDialect dialect) : root_(root), dialect_(dialect) {}

  void Validate(const YAML::Node& value, const YAML::Node& schema, const std::string& where,
                std::vector<std::string>& errors) {
    if (!schema) return;
    if (schema.IsScalar()) {  // boolean schema
      if (!schema.as<bool>(true)) errors.push_back(where + ": no value is allowed here");
      return;
    }
    if (!schema.IsMap()) return;
    if (schema["$ref"]) {
      const auto target = Resolve(schema["$ref"].as<std::string>());
      if (!target) {
        errors.push_back(where + ": schema error: cannot resolve $ref " + schema["$ref"].as<std::string>());
        return;
      }
      Validate(value, target, where, errors);
      return;  // draft-07: siblings of $ref are ignored
    }
    Combinators(value, schema, where, errors);
    if (schema["x-kubernetes-preserve-unknown-fields"].as<bool>(false) && !schema["properties"]) return;

    std::vector<std::string> types;
    if (schema["type"] && schema["type"].IsSequence()) {
      for (const auto& t : schema["type"]) types.push_back(t.as<std::string>());
    } else if (schema["type"]) {
      types.push_back(schema["type"].as<std::string>());
    } else if (schema["x-kubernetes-int-or-string"].as<bool>(false)) {
      types = {"integer", "string"};
    }
    std::string type;
    for (const auto& t : types) {
      if (IsType(value, t)) {
        type = t;
        break;
      }
      if (t == "number" && IsType(value, "integer")) {
        type = "number";
        break;
      }
    }
    if (!types.empty() && type.empty()) {
      std::string expected;
      for (const auto& t : types) expected += (expected.empty() ? "" : " or ") + t;
      errors.push_back(where + ": expected " + expected + ", got " + TypeOf(value));
      return;
    }
    if (type.empty()) type = TypeOf(value);

    if (schema["enum"]) {
      bool found = false;
      for (const auto& e : schema["enum"]) found = found || Equal(e, value);
      if (!found) errors.push_back(where + ": '" + Text(value) + "' is not one of the allowed values");
    }
    if (schema["const"] && !Equal(schema["const"], value)) {
      errors.push_back(where + ": must be " + Text(schema["const"]));
    }
    if (type == "object") Object(value, schema, where, errors);
    else if (type == "array") Array(value, schema, where, errors);
    else if (type == "integer" || type == "number") Number(value, schema, where, errors);
    else if (type == "string") String(value.as<std::string>(), schema, where, errors);
  }

 private:
  YAML::Node Resolve(const std::string& ref) {
    if (ref.rfind("#/", 0) != 0) return {};
    YAML::Node node = root_;
    size_t pos = 2;
    while (pos <= ref.size()) {
      size_t end = ref.find('/', pos);
      if (end == std::string::npos) end = ref.size();
      const std::string key = ref.substr(pos, end - pos);
      if (!node.IsMap() || !node[key]) return {};
      node.reset(node[key]);  // operator= would overwrite the referenced schema node
      pos = end + 1;
    }
    return node;
  }

  bool Valid(const YAML::Node& value, const YAML::Node& schema, std::vector<std::string>* why = nullptr) {
    std::vector<std::string> errors;
    Validate(value, schema, "", errors);
    if (why) *why = errors;
    return errors.empty();
  }

  void Combinators(const YAML::Node& value, const YAML::Node& schema, const std::string& where,
                   std::vector<std::string>& errors) {
    for (const auto& sub : schema["allOf"]) Validate(value, sub, where, errors);
    if (schema["anyOf"]) {
      std::vector<std::string> reasons;
      bool any = false;
      for (const auto& sub : schema["anyOf"]) {
        std::vector<std::string> why;
        if (Valid(value, sub, &why)) {
          any = true;
          break;
        }
        reasons.insert(reasons.end(), why.begin(), why.end());
      }
      if (!any) errors.push_back(where + ": matches none of anyOf (" + JoinReasons(reasons) + ")");
    }
    if (schema["oneOf"]) {
      int matches = 0;
      for (const auto& sub : schema["oneOf"]) matches += Valid(value, sub) ? 1 : 0;
      if (matches != 1) errors.push_back(where + ": matches " + std::to_string(matches) + " of oneOf, not exactly 1");
    }
    if (schema["not"] && Valid(value, schema["not"])) errors.push_back(where + ": matches a forbidden schema (not)");
    if (schema["if"]) {
      if (Valid(value, schema["if"])) {
        if (schema["then"]) Validate(value, schema["then"], where, errors);
      } else if (schema["else"]) {
        Validate(value, schema["else"], where, errors);
      }
    }
  }

  static std::string JoinReasons(const std::vector<std::string>& reasons) {
    std::string out;
    for (const auto& r : reasons) out += (out.empty() ? "" : "; ") + (r.rfind(": ", 0) == 0 ? r.substr(2) : r);
    return out;
  }

  void Object(const YAML::Node& value, const YAML::Node& schema, const std::string& where,
              std::vector<std::string>& errors) {
    const auto props = schema["properties"];
    const auto extra = schema["additionalProperties"];
    const bool preserve = schema["x-kubernetes-preserve-unknown-fields"].as<bool>(false);
    for (const auto& kv : value) {
      const std::string key = kv.first.as<std::string>();
      const std::string path = where + "." + key;
      if (schema["propertyNames"]) {
        YAML::Node name(key);
        name.SetTag("!");
        std::vector<std::string> why;
        if (!Valid(name, schema["propertyNames"], &why))
          errors.push_back(where + ": invalid key '" + key + "' (" + JoinReasons(why) + ")");
      }
      if (props && props[key]) {
        Validate(kv.second, props[key], path, errors);
      } else if (extra && extra.IsMap()) {
        Validate(kv.second, extra, path, errors);
      } else if (extra && !extra.as<bool>(true)) {
        errors.push_back(where + ": unknown field '" + key + "'");
      } else if (!extra && props && !preserve && dialect_ == SchemaDialect::kKubernetes) {
        errors.push_back(where + ": unknown field '" + key + "'");
      }
    }
    for (const auto& r : schema["required"]) {
      if (!value[r.as<std::string>()]) {
        errors.push_back(where + ": required field '" + r.as<std::string>() + "' missing");
      }
    }
    if (schema["minProperties"] && value.size() < schema["minProperties"].as<size_t>()) {
      errors.push_back(where + ": fewer than " + schema["minProperties"].as<std::string>() + " properties");
    }
  }

  void Array(const YAML::Node& value, const YAML::Node& schema, const std::string& where,
             std::vector<std::string>& errors) {
    for (size_t i = 0; i < value.size(); ++i) {
      Validate(value[i], schema["items"], where + "[" + std::to_string(i) + "]", errors);
    }
    if (schema["minItems"] && value.size() < schema["minItems"].as<size_t>()) {
      errors.push_back(where + ": fewer than " + schema["minItems"].as<std::string>() + " items");
    }
    if (schema["maxItems"] && value.size() > schema["maxItems"].as<size_t>()) {
      errors.push_back(where + ": more than " + schema["maxItems"].as<std::string>() + " items");
    }
    if (schema["uniqueItems"].as<bool>(false)) {
      for (size_t i = 0; i < value.size(); ++i)
        for (size_t j = i + 1; j < value.size(); ++j)
          if (Equal(value[i], value[j]))
            errors.push_back(where + "[" + std::to_string(j) + "]: duplicate of item " + std::to_string(i));
    }
  }

  static void Number(const YAML::Node& value, const YAML::Node& schema, const std::string& where,
                     std::vector<std::string>& errors) {
    const double v = value.as<double>();
    const std::string s = value.as<std::string>();
    if (schema["minimum"] && v < schema["minimum"].as<double>())
      errors.push_back(where + ": " + s + " is below minimum " + schema["minimum"].as<std::string>());
    if (schema["maximum"] && v > schema["maximum"].as<double>())
      errors.push_back(where + ": " + s + " is above maximum " + schema["maximum"].as<std::string>());
    if (schema["exclusiveMinimum"] && schema["exclusiveMinimum"].IsScalar() &&
        !ScalarIs(schema["exclusiveMinimum"], "boolean") && v <= schema["exclusiveMinimum"].as<double>())
      errors.push_back(where + ": " + s + " must be above " + schema["exclusiveMinimum"].as<std::string>());
    if (schema["exclusiveMaximum"] && schema["exclusiveMaximum"].IsScalar() &&
        !ScalarIs(schema["exclusiveMaximum"], "boolean") && v >= schema["exclusiveMaximum"].as<double>())
      errors.push_back(where + ": " + s + " must be below " + schema["exclusiveMaximum"].as<std::string>());
  }

  void String(const std::string& s, const YAML::Node& schema, const std::string& where,
              std::vector<std::string>& errors) {
    if (schema["minLength"] && s.size() < schema["minLength"].as<size_t>())
      errors.push_back(where + ": shorter than " + schema["minLength"].as<std::string>() + " characters");
    if (schema["maxLength"] && s.size() > schema["maxLength"].as<size_t>())
      errors.push_back(where + ": longer than " + schema["maxLength"].as<std::string>() + " characters");
    if (schema["pattern"]) {
      const std::string pattern = schema["pattern"].as<std::string>();
      if (!std::regex_search(s, Regex(pattern))) errors.push_back(where + ": '" + s + "' does not match " + pattern);
    }
  }

  // Go RE2 patterns as ECMAScript: a `(?i)` flag group (anywhere, as Kubernetes CRDs write it
  // after ^) becomes the icase option.
  const std::regex& Regex(const std::string& pattern) {
    auto it = regexes_.find(pattern);
    if (it != regexes_.end()) return it->second;
    std::string p = pattern;
    auto flags = std::regex::ECMAScript;
    for (size_t pos; (pos = p.find("(?i)")) != std::string::npos;) {
      p.erase(pos, 4);
      flags |= std::regex::icase;
    }
    return regexes_.emplace(pattern, std::regex(p, flags)).first->second;
  }

  YAML::Node root_;
  SchemaDialect dialect_;
  std::map<std::string, std::regex> regexes_;
};

}  // namespace

std::vector<std::string> ValidateAgainstSchema(const YAML::Node& value, const YAML::Node& schema,
                                               const std::string& where, SchemaDialect dialect) {
  std::vector<std::string> errors;
  Validator(schema, dialect).Validate(value, schema, where, errors);
  return errors;
}

}  // namespace riposte::deploy_test
