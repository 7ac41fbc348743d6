#pragma once
// Label and field selectors with the apiserver's syntax and matching rules.

#include <cpprest/json.h>

#include <string>
#include <vector>

#include "tests/apiserver/resource_registry.h"

namespace riposte::testapi {

class LabelSelector {
 public:
  // Throws ApiError(400) on a malformed selector.
  static LabelSelector Parse(const std::string& text);
  // Builds a selector from a metav1.LabelSelector object (matchLabels / matchExpressions), as
  // used by PodDisruptionBudgets; throws ApiError(400) on bad operators.
  static LabelSelector FromObject(const web::json::value& selector);
  bool Matches(const web::json::value& object) const;  // reads metadata.labels
  bool Empty() const { return reqs_.empty(); }

 private:
  enum class Op { kEq, kNotEq, kIn, kNotIn, kExists, kNotExists, kGt, kLt };
  struct Requirement {
    std::string key;
    Op op;
    std::vector<std::string> values;
  };
  std::vector<Requirement> reqs_;
};

class FieldSelector {
 public:
  // Throws ApiError(400) for bad syntax or a field the resource does not support.
  static FieldSelector Parse(const std::string& text, const ResourceInfo& resource);
  bool Matches(const web::json::value& object) const;
  bool Empty() const { return reqs_.empty(); }

 private:
  struct Requirement {
    std::string field;
    bool equal;
    std::string value;
  };
  std::vector<Requirement> reqs_;
};

// The value of a selectable field ("" when absent), rendered as the apiserver renders it.
std::string FieldValue(const web::json::value& object, const std::string& field);

// Label key / value validity (k8s.io/apimachinery/pkg/util/validation).
bool IsQualifiedName(const std::string& key);
bool IsValidLabelValue(const std::string& v);

}  // namespace riposte::testapi
