#pragma once
// Patch builders: RFC 6902 JSON patch with RFC 6901 pointer escaping, and RFC 7386 merge
// patches computed from two versions of an object.

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <cpprest/json.h>

namespace riposte::kube {

// Escapes one reference token: "~" -> "~0", "/" -> "~1" (e.g. label keys like
// "riposte.io/quarantined").
std::string EscapeJsonPointerToken(const std::string& token);
// "/metadata/labels/riposte.io~1quarantined" from {"metadata","labels","riposte.io/quarantined"}.
std::string JsonPointer(const std::vector<std::string>& tokens);

class JsonPatch {
 public:
  JsonPatch& Add(const std::string& pointer, web::json::value value);
  JsonPatch& Remove(const std::string& pointer);
  JsonPatch& Replace(const std::string& pointer, web::json::value value);
  // Makes the whole patch fail unless the value matches (e.g. test metadata.resourceVersion),
  // which also makes the patch safe to retry.
  JsonPatch& Test(const std::string& pointer, web::json::value value);
  JsonPatch& Move(const std::string& from, const std::string& pointer);
  JsonPatch& Copy(const std::string& from, const std::string& pointer);
  bool HasTest() const { return has_test_; }
  bool empty() const { return ops_.size() == 0; }
  web::json::value Build() const { return ops_; }

 private:
  JsonPatch& Op(const char* op, const std::string& pointer, const web::json::value* value, const std::string* from);
  web::json::value ops_ = web::json::value::array();
  bool has_test_ = false;
};

// Merge patch turning `original` into `modified`: changed/added fields carry the new value,
// removed fields are null, arrays are replaced whole. Returns {} when nothing changed.
web::json::value CreateMergePatch(const web::json::value& original, const web::json::value& modified);
// Applies an RFC 7386 merge patch (used by the fake client and by tests).
web::json::value ApplyMergePatch(const web::json::value& target, const web::json::value& patch);
// Applies an RFC 6902 patch; returns false with a message on a failing op.
bool ApplyJsonPatch(web::json::value& target, const web::json::value& ops, std::string* error);

// True when every field of `want` is present in `got` with an equal value (objects compared
// recursively, arrays element-wise with equal length). Used to recognise that a retried write
// had already been applied although the server added defaults and metadata.
bool JsonSubset(const web::json::value& want, const web::json::value& got);

// {"metadata":{"labels":{k:v or null}}} for adding (value) / removing (nullopt) labels.
web::json::value LabelsMergePatch(const std::vector<std::pair<std::string, std::optional<std::string>>>& changes);

}  // namespace riposte::kube
