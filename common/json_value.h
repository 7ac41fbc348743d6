#pragma once
// Reading JSON documents (web::json::value, as the Kubernetes client delivers them).
//
// One reader for two needs:
//  - decoding our own resources (ResponsePolicy, ResponseAction) strictly: a Reader made
//    with an error list reports every wrongly typed field with its path,
//      spec.actions[2].gracePeriodSeconds: expected integer, got string
//  - reading other objects (pods, nodes, leases) leniently: a Reader made without one treats
//    missing, null and wrongly typed fields alike as absent, so untrusted shapes never throw.
// Missing and null fields are never an error by themselves; callers decide what is required
// (Reader::Required).
//
// Text goes out through common/json.h (Serialize writes a value with the project escaper).

#include <cpprest/json.h>

#include <cstdint>
#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/json.h"

namespace riposte::json {

using Value = web::json::value;

// "string", "integer", "number", "boolean", "object", "array" or "null".
std::string_view TypeName(const Value& v);

// Where strict decoding collects its messages ("path: problem"). Capped so a hostile
// document with a million bad items cannot make a million messages.
class Errors {
 public:
  static constexpr size_t kMax = 64;
  void Add(std::string message);
  bool empty() const { return messages_.empty(); }
  size_t size() const { return messages_.size() + dropped_; }
  const std::vector<std::string>& messages() const { return messages_; }
  // "a; b; c (and 3 more)"
  std::string Join(std::string_view sep = "; ") const;

 private:
  std::vector<std::string> messages_;
  size_t dropped_ = 0;
};

class Reader {
 public:
  // Lenient: nothing is reported.
  explicit Reader(const Value& v) : v_(&v) {}
  // Strict: type mismatches are added to `errors` with their path ("" = the document root).
  Reader(const Value& v, Errors* errors, std::string path = "") : v_(&v), errors_(errors), path_(std::move(path)) {}

  // Child by key or index; a missing step yields an absent reader (still carrying the path).
  Reader operator[](std::string_view key) const;
  Reader operator[](size_t index) const;
  Reader At(std::initializer_list<std::string_view> path) const;

  const Value* get() const { return v_; }
  bool exists() const { return v_ != nullptr && !v_->is_null(); }
  const std::string& path() const { return path_; }
  bool strict() const { return errors_ != nullptr; }
  Errors* errors() const { return errors_; }

  // Values: nullopt when absent or (reported when strict) of another type.
  std::optional<std::string> String() const;
  std::optional<int64_t> Int() const;
  std::optional<bool> Bool() const;
  // Defaults for absent values.
  std::string StringOr(std::string_view def) const { return String().value_or(std::string(def)); }
  int64_t IntOr(int64_t def) const { return Int().value_or(def); }
  bool BoolOr(bool def) const { return Bool().value_or(def); }

  // Containers. Object()/Array() check the type (reported when strict) and say whether
  // there is something to iterate.
  bool Object() const;
  bool Array() const;
  size_t size() const;  // array length or object member count; 0 otherwise
  // string -> string maps (labels, annotations); non-string values are reported (strict) or
  // skipped (lenient).
  std::map<std::string, std::string> StringMap() const;
  std::vector<std::string> StringList() const;

  // Calls f(Reader) for each array item; returns false when this is not an array.
  template <typename F>
  bool Items(F&& f) const {
    if (!Array()) return false;
    const auto& arr = v_->as_array();
    for (size_t i = 0; i < arr.size(); ++i) f((*this)[i]);
    return true;
  }
  // Calls f(key, Reader) for each object member; returns false when this is not an object.
  template <typename F>
  bool Fields(F&& f) const {
    if (!Object()) return false;
    for (const auto& [k, val] : v_->as_object()) f(k, Child(val, k));
    return true;
  }

  // Reports "path: message" (strict readers only).
  void Error(std::string_view message) const;
  // Reports "path: required" when absent; returns exists().
  bool Required() const;

 private:
  Reader(const Value* v, Errors* errors, std::string path) : v_(v), errors_(errors), path_(std::move(path)) {}
  Reader Child(const Value& v, std::string_view key) const;
  void Mismatch(std::string_view expected) const;

  const Value* v_ = nullptr;
  Errors* errors_ = nullptr;
  std::string path_;
};

// Appends a member name to a path: "spec" + "actions" -> "spec.actions"; keys that are not
// plain identifiers are bracketed and quoted: metadata.labels["riposte.io/x"].
std::string JoinPath(std::string_view path, std::string_view key);
std::string JoinPath(std::string_view path, size_t index);

// Lenient one-shot reads by path (shorthand for Reader(v).At(path)...). A null value reads
// as absent.
const Value* Find(const Value& v, std::initializer_list<std::string_view> path);
std::optional<std::string> GetString(const Value& v, std::initializer_list<std::string_view> path);
std::optional<int64_t> GetInt(const Value& v, std::initializer_list<std::string_view> path);
std::optional<bool> GetBool(const Value& v, std::initializer_list<std::string_view> path);
std::map<std::string, std::string> GetStringMap(const Value& v, std::initializer_list<std::string_view> path);
std::vector<std::string> GetStringList(const Value& v, std::initializer_list<std::string_view> path);

// Building values. Mutable creates intermediate objects as needed (replacing non-objects).
Value& Mutable(Value& v, std::initializer_list<std::string_view> path);
Value FromMap(const std::map<std::string, std::string>& m);
Value FromList(const std::vector<std::string>& l);

// Writes `v` with the project's escaper (object members in stored order).
void Write(Writer& w, const Value& v);
std::string Serialize(const Value& v);

}  // namespace riposte::json
