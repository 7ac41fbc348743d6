#include "webhook/admission.h"

#include <simdjson.h>

#include <algorithm>

#include "common/http_server.h"
#include "common/json.h"
#include "core/ingress_json.h"
#include "common/log.h"

namespace riposte::webhook {

namespace dom = simdjson::dom;

namespace {

// Field access that treats JSON null like an absent field (as Kubernetes does) and reports
// wrong types with the field's path.
class Reader {
 public:
  std::string error;

  // `path` names the field in errors only; it is copied only when there is one.
  bool Object(dom::element parent, std::string_view key, std::string_view path, dom::object* out, bool* present) {
    *present = false;
    dom::element e;
    if (!Child(parent, key, &e)) return true;
    if (!e.is_object()) return Fail(path, " must be an object");
    *out = e.get_object().value_unsafe();
    *present = true;
    return true;
  }

  bool Array(dom::element parent, std::string_view key, std::string_view path, dom::array* out, bool* present) {
    *present = false;
    dom::element e;
    if (!Child(parent, key, &e)) return true;
    if (!e.is_array()) return Fail(path, " must be an array");
    *out = e.get_array().value_unsafe();
    *present = true;
    return true;
  }

  bool String(dom::element parent, std::string_view key, std::string_view path, std::string* out) {
    dom::element e;
    if (!Child(parent, key, &e)) return true;
    return StringValue(e, path, out);
  }

  bool StringValue(dom::element e, std::string_view path, std::string* out) {
    if (e.is_null()) return true;
    if (!e.is_string()) return Fail(path, " must be a string");
    out->assign(e.get_string().value_unsafe());
    return true;
  }

  bool Bool(dom::element parent, std::string_view key, std::string_view path, bool* out) {
    dom::element e;
    if (!Child(parent, key, &e)) return true;
    if (!e.is_bool()) return Fail(path, " must be a boolean");
    *out = e.get_bool().value_unsafe();
    return true;
  }

  bool Fail(std::string message) {
    error = std::move(message);
    return false;
  }
  bool Fail(std::string_view path, std::string_view what) {
    error.assign(path);
    error.append(what);
    return false;
  }

 private:
  static bool Child(dom::element parent, std::string_view key, dom::element* out) {
    if (!parent.is_object()) return false;
    auto r = parent.get_object().value_unsafe()[key];
    if (r.error()) return false;
    *out = r.value_unsafe();
    return !out->is_null();
  }
};

}  // namespace

bool AdmissionRequest::IsIngress() const {
  return kind.kind == "Ingress" && (kind.group == "networking.k8s.io" || kind.group == "extensions");
}

bool AdmissionRequest::IsNginxResource() const { return core::FindResourceKind(kind.group, kind.kind) != nullptr; }

bool AdmissionRequest::IsConfigMap() const { return kind.kind == "ConfigMap" && kind.group.empty(); }

bool AdmissionRequest::NeedsJudgement() const {
  return (IsIngress() || IsNginxResource() || IsConfigMap()) && (operation == "CREATE" || operation == "UPDATE");
}

namespace {

// metadata.namespace/name/labels and data (string values; binaryData never reaches nginx).
bool DecodeConfigMap(dom::element obj, AdmissionRequest* req, std::string* error) {
  Reader rd;
  if (!obj.is_object()) {
    *error = "request.object must be an object";
    return false;
  }
  dom::object meta_obj;
  bool has_meta = false;
  if (!rd.Object(obj, "metadata", "request.object.metadata", &meta_obj, &has_meta)) return *error = rd.error, false;
  if (has_meta) {
    dom::element meta = obj["metadata"].value_unsafe();
    if (!rd.String(meta, "namespace", "request.object.metadata.namespace", &req->configmap.ns) ||
        !rd.String(meta, "name", "request.object.metadata.name", &req->configmap.name))
      return *error = rd.error, false;
    dom::object labels;
    bool has_labels = false;
    if (!rd.Object(meta, "labels", "request.object.metadata.labels", &labels, &has_labels)) return *error = rd.error, false;
    if (has_labels) {
      for (auto [k, v] : labels) {
        std::string value;
        if (!rd.StringValue(v, "request.object.metadata.labels", &value)) return *error = rd.error, false;
        req->labels.emplace_back(std::string(k), std::move(value));
      }
    }
  }
  dom::object data;
  bool has_data = false;
  if (!rd.Object(obj, "data", "request.object.data", &data, &has_data)) return *error = rd.error, false;
  if (has_data) {
    for (auto [k, v] : data) {
      std::string value;
      if (!rd.StringValue(v, "request.object.data", &value)) return *error = rd.error, false;
      req->configmap.data.emplace_back(std::string(k), std::move(value));
    }
  }
  return true;
}

}  // namespace

ParseResult ParseAdmissionReview(std::string_view body, size_t readable_after) {
  ParseResult out;
  auto bad = [&](ParseStatus s, std::string msg) {
    out.status = s;
    out.error = std::move(msg);
    return out;
  };
  // One parser per thread: reuses its buffers across requests without locking.
  thread_local dom::parser parser;
  dom::element root;
  const bool in_place = readable_after >= simdjson::SIMDJSON_PADDING;
  auto err = parser.parse(body.data(), body.size(), /*realloc_if_needed=*/!in_place).get(root);
  if (err) return bad(ParseStatus::kBadRequest, std::string("malformed JSON: ") + simdjson::error_message(err));
  if (!root.is_object()) return bad(ParseStatus::kBadRequest, "body must be a JSON object (AdmissionReview)");

  Reader rd;
  AdmissionRequest& req = out.request;
  std::string review_kind;
  if (!rd.String(root, "apiVersion", "apiVersion", &req.api_version) || !rd.String(root, "kind", "kind", &review_kind))
    return bad(ParseStatus::kBadRequest, rd.error);
  if (review_kind != "AdmissionReview")
    return bad(ParseStatus::kBadRequest, "kind must be AdmissionReview");
  if (req.api_version != "admission.k8s.io/v1" && req.api_version != "admission.k8s.io/v1beta1")
    return bad(ParseStatus::kBadRequest, "apiVersion must be admission.k8s.io/v1");

  dom::object request_obj;
  bool has_request = false;
  if (!rd.Object(root, "request", "request", &request_obj, &has_request)) return bad(ParseStatus::kBadRequest, rd.error);
  if (!has_request) return bad(ParseStatus::kBadRequest, "missing request");
  dom::element request = root["request"].value_unsafe();
  if (!rd.String(request, "uid", "request.uid", &req.uid)) return bad(ParseStatus::kBadRequest, rd.error);
  if (req.uid.empty()) return bad(ParseStatus::kBadRequest, "missing request.uid");

  // From here on the uid is known: every problem is answered inside a review.
  dom::object kind_obj;
  bool has_kind = false;
  if (!rd.Object(request, "kind", "request.kind", &kind_obj, &has_kind)) return bad(ParseStatus::kInvalidObject, rd.error);
  if (has_kind) {
    dom::element k = request["kind"].value_unsafe();
    if (!rd.String(k, "group", "request.kind.group", &req.kind.group) ||
        !rd.String(k, "version", "request.kind.version", &req.kind.version) ||
        !rd.String(k, "kind", "request.kind.kind", &req.kind.kind))
      return bad(ParseStatus::kInvalidObject, rd.error);
  }
  if (!rd.String(request, "operation", "request.operation", &req.operation) ||
      !rd.String(request, "namespace", "request.namespace", &req.ns) ||
      !rd.String(request, "name", "request.name", &req.name) ||
      !rd.Bool(request, "dryRun", "request.dryRun", &req.dry_run))
    return bad(ParseStatus::kInvalidObject, rd.error);
  dom::object user;
  bool has_user = false;
  if (!rd.Object(request, "userInfo", "request.userInfo", &user, &has_user)) return bad(ParseStatus::kInvalidObject, rd.error);
  if (has_user && !rd.String(request["userInfo"].value_unsafe(), "username", "request.userInfo.username", &req.username))
    return bad(ParseStatus::kInvalidObject, rd.error);

  if (!req.NeedsJudgement()) return out;  // DELETE/CONNECT and other kinds are never judged
  auto obj = request["object"];
  if (obj.error() || obj.value_unsafe().is_null())
    return bad(ParseStatus::kInvalidObject, "request.object is missing for " + req.operation);
  req.has_object = true;
  if (req.IsConfigMap()) {
    std::string error;
    if (!DecodeConfigMap(obj.value_unsafe(), &req, &error)) return bad(ParseStatus::kInvalidObject, error);
    if (req.configmap.ns.empty()) req.configmap.ns = req.ns;
    if (req.configmap.name.empty()) req.configmap.name = req.name;
    if (req.name.empty()) req.name = req.configmap.name;
    if (req.ns.empty()) req.ns = req.configmap.ns;
    return out;
  }
  core::DecodeError decode_error;
  if (!req.IsIngress()) {
    // Routed by kind: the profiles' resources have their own decoder (core/nginx_resource.h),
    // shared with `riposte scan`.
    if (!core::DecodeNginxResource(obj.value_unsafe(), &req.resource, &decode_error)) {
      const std::string where = decode_error.PathString();
      return bad(ParseStatus::kInvalidObject,
                 "request.object" + (where.empty() ? std::string() : "." + where) + " " + decode_error.message);
    }
    if (req.resource.ns.empty()) req.resource.ns = req.ns;
    if (req.name.empty()) req.name = req.resource.name;
    if (req.ns.empty()) req.ns = req.resource.ns;
    return out;
  }
  // The same decoder as `riposte scan` and the audit (core/ingress_json.h).
  if (!core::DecodeIngress(obj.value_unsafe(), &req.ingress, &decode_error)) {
    const std::string where = decode_error.PathString();
    return bad(ParseStatus::kInvalidObject,
               "request.object" + (where.empty() ? std::string() : "." + where) + " " + decode_error.message);
  }
  if (req.operation == "UPDATE") {
    auto old = request["oldObject"];
    req.ingress.previous_class = old.error() ? std::string() : core::IngressClassOf(old.value_unsafe());
  }
  if (req.ingress.ns.empty()) req.ingress.ns = req.ns;
  if (req.name.empty()) req.name = req.ingress.name;
  if (req.ns.empty()) req.ns = req.ingress.ns;
  return out;
}

std::string Truncate(std::string_view s, size_t max) {
  if (s.size() <= max) return std::string(s);
  size_t cut = max >= 3 ? max - 3 : 0;
  // Step back over UTF-8 continuation bytes so a multi-byte character is never split.
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
  return std::string(s.substr(0, cut)) + "...";
}

std::string BuildResponse(const ReviewResponse& r) {
  // Appended in place: a review's answer is built for every request, and temporaries for each
  // piece cost more than the escaping itself.
  auto quoted = [](std::string* out, std::string_view v) {
    out->push_back('"');
    json::AppendEscaped(*out, v);
    out->push_back('"');
  };
  std::string out;
  out.reserve(256 + r.message.size());
  out += "{\"apiVersion\":";
  quoted(&out, r.api_version);
  out += ",\"kind\":\"AdmissionReview\",\"response\":{\"uid\":";
  quoted(&out, r.uid);
  out += r.allowed ? ",\"allowed\":true" : ",\"allowed\":false";
  if (!r.allowed || r.code != 0) {
    int code = r.code != 0 ? r.code : 403;
    const char* reason = code == 403 ? "Forbidden" : code == 400 ? "BadRequest" : "InternalError";
    out += ",\"status\":{\"status\":\"Failure\",\"code\":";
    out += std::to_string(code);
    out += ",\"reason\":\"";
    out += reason;
    out += "\",\"message\":";
    if (r.message.size() <= kMaxMessageBytes) quoted(&out, r.message);
    else quoted(&out, Truncate(r.message, kMaxMessageBytes));
    out += '}';
  }
  if (!r.warnings.empty()) {
    out += ",\"warnings\":[";
    size_t n = std::min(r.warnings.size(), kMaxWarnings);
    for (size_t i = 0; i < n; ++i) {
      if (i) out += ',';
      if (i + 1 == kMaxWarnings && r.warnings.size() > kMaxWarnings) {
        quoted(&out, "... and " + std::to_string(r.warnings.size() - i) + " more findings");
      } else if (r.warnings[i].size() <= kMaxWarningBytes) {
        quoted(&out, r.warnings[i]);
      } else {
        quoted(&out, Truncate(r.warnings[i], kMaxWarningBytes));
      }
    }
    out += ']';
  }
  out += "}}";
  return out;
}

}  // namespace riposte::webhook
