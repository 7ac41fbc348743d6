#pragma once
// Status bodies shaped exactly like k8s.io/apimachinery metav1.Status, and the error type the
// handlers throw so every failure path answers with the same shape.

#include <cpprest/json.h>

#include <stdexcept>
#include <string>
#include <vector>

namespace riposte::testapi {

struct StatusCause {
  std::string reason;  // e.g. FieldValueInvalid; empty is omitted
  std::string message;
  std::string field;
};

class ApiError : public std::runtime_error {
 public:
  ApiError(int code, std::string reason, std::string message);

  int code() const { return code_; }
  const std::string& reason() const { return reason_; }
  // Details; set only the ones the real server sets for this error.
  std::string name, group, kind, uid;
  std::vector<StatusCause> causes;
  int retry_after_seconds = 0;
  bool has_details = false;  // emit "details" even when every field is empty
  std::string list_continue;  // metadata.continue (410 for an expired continue token)

  web::json::value ToStatus() const;

 private:
  int code_;
  std::string reason_;
};

// The qualified resource as apimachinery prints it: "pods", "deployments.apps".
std::string QualifiedResource(const std::string& resource, const std::string& group);

ApiError NotFound(const std::string& resource, const std::string& group, const std::string& name);
ApiError AlreadyExists(const std::string& resource, const std::string& group,
                       const std::string& name);
ApiError Conflict(const std::string& resource, const std::string& group, const std::string& name,
                  const std::string& why);
ApiError ConflictModified(const std::string& resource, const std::string& group,
                          const std::string& name);
ApiError BadRequest(const std::string& message);
ApiError Invalid(const std::string& kind, const std::string& group, const std::string& name,
                 const std::vector<StatusCause>& causes);
ApiError Forbidden(const std::string& resource, const std::string& group, const std::string& name,
                   const std::string& why);
ApiError MethodNotAllowed(const std::string& method);
ApiError UnsupportedMediaType(const std::vector<std::string>& accepted);
ApiError Expired(const std::string& message);
ApiError Gone(const std::string& message);
ApiError TooManyRequests(const std::string& message, int retry_after_seconds);
ApiError InternalError(const std::string& cause);
ApiError Unauthorized();
ApiError RequestEntityTooLarge(const std::string& message);

// Field-error helpers mirroring k8s.io/apimachinery/pkg/util/validation/field.
StatusCause FieldRequired(const std::string& field, const std::string& detail = "");
StatusCause FieldInvalid(const std::string& field, const std::string& value,
                         const std::string& detail);

web::json::value SuccessStatus(int code);

// Parses a request body as JSON; 400 BadRequest on syntax errors and on nesting deeper than
// the limit (the recursive parser would otherwise overflow the stack on "[[[[...").
web::json::value ParseJsonBody(const std::string& body, const std::string& what);
constexpr int kMaxJsonDepth = 1000;

}  // namespace riposte::testapi
