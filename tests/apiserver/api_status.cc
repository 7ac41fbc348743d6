#include "tests/apiserver/api_status.h"

namespace riposte::testapi {

using web::json::value;

ApiError::ApiError(int code, std::string reason, std::string message)
    : std::runtime_error(message), code_(code), reason_(std::move(reason)) {}

value ApiError::ToStatus() const {
  value s = value::object();
  s["kind"] = value::string("Status");
  s["apiVersion"] = value::string("v1");
  s["metadata"] = value::object();
  if (!list_continue.empty()) s["metadata"]["continue"] = value::string(list_continue);
  s["status"] = value::string("Failure");
  s["message"] = value::string(what());
  if (!reason_.empty()) s["reason"] = value::string(reason_);
  bool any = has_details || !name.empty() || !group.empty() || !kind.empty() || !uid.empty() ||
             !causes.empty() || retry_after_seconds > 0;
  if (any) {
    value d = value::object();
    if (!name.empty()) d["name"] = value::string(name);
    if (!group.empty()) d["group"] = value::string(group);
    if (!kind.empty()) d["kind"] = value::string(kind);
    if (!uid.empty()) d["uid"] = value::string(uid);
    if (!causes.empty()) {
      value arr = value::array();
      size_t i = 0;
      for (const auto& c : causes) {
        value cv = value::object();
        if (!c.reason.empty()) cv["reason"] = value::string(c.reason);
        if (!c.message.empty()) cv["message"] = value::string(c.message);
        if (!c.field.empty()) cv["field"] = value::string(c.field);
        arr[i++] = cv;
      }
      d["causes"] = arr;
    }
    if (retry_after_seconds > 0) d["retryAfterSeconds"] = value::number(retry_after_seconds);
    s["details"] = d;
  }
  s["code"] = value::number(code_);
  return s;
}

std::string QualifiedResource(const std::string& resource, const std::string& group) {
  return group.empty() ? resource : resource + "." + group;
}

static ApiError WithDetails(ApiError e, const std::string& resource, const std::string& group,
                            const std::string& name) {
  e.name = name;
  e.group = group;
  e.kind = resource;
  e.has_details = true;
  return e;
}

ApiError NotFound(const std::string& resource, const std::string& group, const std::string& name) {
  return WithDetails(ApiError(404, "NotFound",
                              QualifiedResource(resource, group) + " \"" + name + "\" not found"),
                     resource, group, name);
}

ApiError AlreadyExists(const std::string& resource, const std::string& group,
                       const std::string& name) {
  return WithDetails(
      ApiError(409, "AlreadyExists",
               QualifiedResource(resource, group) + " \"" + name + "\" already exists"),
      resource, group, name);
}

ApiError Conflict(const std::string& resource, const std::string& group, const std::string& name,
                  const std::string& why) {
  return WithDetails(ApiError(409, "Conflict",
                              "Operation cannot be fulfilled on " +
                                  QualifiedResource(resource, group) + " \"" + name + "\": " + why),
                     resource, group, name);
}

ApiError ConflictModified(const std::string& resource, const std::string& group,
                          const std::string& name) {
  return Conflict(resource, group, name,
                  "the object has been modified; please apply your changes to the latest version "
                  "and try again");
}

ApiError BadRequest(const std::string& message) { return ApiError(400, "BadRequest", message); }

ApiError Invalid(const std::string& kind, const std::string& group, const std::string& name,
                 const std::vector<StatusCause>& causes) {
  std::string msg;
  if (causes.size() == 1) {
    msg = causes[0].field + ": " + causes[0].message;
  } else {
    msg = "[";
    for (size_t i = 0; i < causes.size(); ++i) {
      if (i) msg += ", ";
      msg += causes[i].field + ": " + causes[i].message;
    }
    msg += "]";
  }
  std::string qualified_kind = group.empty() ? kind : kind + "." + group;
  ApiError e(422, "Invalid", qualified_kind + " \"" + name + "\" is invalid: " + msg);
  e.name = name;
  e.group = group;
  e.kind = kind;
  e.causes = causes;
  e.has_details = true;
  return e;
}

ApiError Forbidden(const std::string& resource, const std::string& group, const std::string& name,
                   const std::string& why) {
  std::string subject = QualifiedResource(resource, group);
  if (!name.empty()) subject += " \"" + name + "\"";
  return WithDetails(ApiError(403, "Forbidden", subject + " is forbidden: " + why), resource, group,
                     name);
}

ApiError MethodNotAllowed(const std::string& method) {
  ApiError e(405, "MethodNotAllowed",
             "the server does not allow this method on the requested resource");
  (void)method;
  e.has_details = true;
  return e;
}

ApiError UnsupportedMediaType(const std::vector<std::string>& accepted) {
  std::string msg = "the body of the request was in an unknown format - accepted media types include: ";
  for (size_t i = 0; i < accepted.size(); ++i) {
    if (i) msg += ", ";
    msg += accepted[i];
  }
  return ApiError(415, "UnsupportedMediaType", msg);
}

ApiError Expired(const std::string& message) { return ApiError(410, "Expired", message); }
ApiError Gone(const std::string& message) { return ApiError(410, "Gone", message); }

ApiError TooManyRequests(const std::string& message, int retry_after_seconds) {
  ApiError e(429, "TooManyRequests", message);
  e.retry_after_seconds = retry_after_seconds;
  e.has_details = true;
  return e;
}

ApiError InternalError(const std::string& cause) {
  ApiError e(500, "InternalError", "Internal error occurred: " + cause);
  e.causes.push_back({"", cause, ""});
  return e;
}

ApiError Unauthorized() { return ApiError(401, "Unauthorized", "Unauthorized"); }

ApiError RequestEntityTooLarge(const std::string& message) {
  return ApiError(413, "RequestEntityTooLarge", "Request entity too large: " + message);
}

StatusCause FieldRequired(const std::string& field, const std::string& detail) {
  return {"FieldValueRequired", detail.empty() ? "Required value" : "Required value: " + detail,
          field};
}

StatusCause FieldInvalid(const std::string& field, const std::string& value,
                         const std::string& detail) {
  return {"FieldValueInvalid", "Invalid value: \"" + value + "\": " + detail, field};
}

value ParseJsonBody(const std::string& body, const std::string& what) {
  int depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < body.size(); ++i) {
    char c = body[i];
    if (in_string) {
      if (c == '\\') ++i;
      else if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > kMaxJsonDepth) throw BadRequest(what + ": exceeded max depth of " + std::to_string(kMaxJsonDepth));
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  std::error_code ec;
  value v = value::parse(body, ec);
  if (ec) throw BadRequest(what + ": " + ec.message());
  return v;
}

value SuccessStatus(int code) {
  value s = value::object();
  s["kind"] = value::string("Status");
  s["apiVersion"] = value::string("v1");
  s["metadata"] = value::object();
  s["status"] = value::string("Success");
  s["code"] = value::number(code);
  return s;
}

}  // namespace riposte::testapi
