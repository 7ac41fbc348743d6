#pragma once
// Label selector strings for list/watch queries, built from parts or from a
// metav1.LabelSelector, with keys and values validated so a selector cannot be smuggled.

#include <map>
#include <string>
#include <vector>

#include <cpprest/json.h>

namespace riposte::kube {

class LabelSelector {
 public:
  LabelSelector& Eq(const std::string& key, const std::string& value);
  LabelSelector& NotEq(const std::string& key, const std::string& value);
  LabelSelector& In(const std::string& key, const std::vector<std::string>& values);
  LabelSelector& NotIn(const std::string& key, const std::vector<std::string>& values);
  LabelSelector& Exists(const std::string& key);
  LabelSelector& DoesNotExist(const std::string& key);
  // "" when every part is valid, else the first problem.
  const std::string& error() const { return error_; }
  // "app=web,tier!=db,env in (a,b),!legacy"; values are sorted inside sets for stable output.
  std::string String() const;
  bool empty() const { return parts_.empty(); }

  // From {"matchLabels":{...},"matchExpressions":[{key,operator,values}]}.
  static LabelSelector FromJson(const web::json::value& selector);
  // Evaluates the selector against labels (used by caches and the fake client).
  bool Matches(const std::map<std::string, std::string>& labels) const;
  // Parses the string form back (equality, set-based, existence). Returns false on error.
  static bool Parse(const std::string& text, LabelSelector* out, std::string* error);

 private:
  enum class Op { kEq, kNotEq, kIn, kNotIn, kExists, kNotExists };
  struct Part {
    std::string key;
    Op op;
    std::vector<std::string> values;
  };
  LabelSelector& AddPart(Part p);
  std::vector<Part> parts_;
  std::string error_;
};

// Validates a label key ([prefix/]name) and value per Kubernetes rules; "" when valid.
std::string ValidateLabelKey(const std::string& key);
std::string ValidateLabelValue(const std::string& value);

}  // namespace riposte::kube
