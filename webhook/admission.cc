#include "webhook/admission.h"

#include <simdjson.h>

#include <algorithm>

#include "common/http_server.h"
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

bool ParseIngress(Reader& rd, dom::element obj, core::Ingress* ing) {
  if (!obj.is_object()) return rd.Fail("request.object must be an object");
  dom::object meta_obj;
  bool has_meta = false;
  if (!rd.Object(obj, "metadata", "metadata", &meta_obj, &has_meta)) return false;
  if (has_meta) {
    dom::element meta = obj["metadata"].value_unsafe();
    if (!rd.String(meta, "name", "metadata.name", &ing->name) ||
        !rd.String(meta, "namespace", "metadata.namespace", &ing->ns) ||
        !rd.String(meta, "uid", "metadata.uid", &ing->uid))
      return false;
    dom::object ann;
    bool has_ann = false;
    if (!rd.Object(meta, "annotations", "metadata.annotations", &ann, &has_ann)) return false;
    if (has_ann) {
      for (auto [key, value] : ann) {
        std::string v;
        std::string path = "metadata.annotations[" + http::JsonQuote(key) + "]";
        if (!rd.StringValue(value, path, &v)) return false;
        ing->annotations.emplace_back(std::string(key), std::move(v));
      }
    }
  }
  dom::object spec_obj;
  bool has_spec = false;
  if (!rd.Object(obj, "spec", "spec", &spec_obj, &has_spec)) return false;
  if (!has_spec) return true;
  dom::element spec = obj["spec"].value_unsafe();
  if (!rd.String(spec, "ingressClassName", "spec.ingressClassName", &ing->ingress_class)) return false;

  dom::array rules;
  bool has_rules = false;
  if (!rd.Array(spec, "rules", "spec.rules", &rules, &has_rules)) return false;
  if (has_rules) {
    size_t i = 0;
    for (dom::element rule : rules) {
      std::string rp = "spec.rules[" + std::to_string(i++) + "]";
      if (rule.is_null()) continue;
      if (!rule.is_object()) return rd.Fail(rp + " must be an object");
      core::IngressRule r;
      if (!rd.String(rule, "host", rp + ".host", &r.host)) return false;
      dom::object http_obj;
      bool has_http = false;
      if (!rd.Object(rule, "http", rp + ".http", &http_obj, &has_http)) return false;
      if (has_http) {
        dom::element http = rule["http"].value_unsafe();
        dom::array paths;
        bool has_paths = false;
        if (!rd.Array(http, "paths", rp + ".http.paths", &paths, &has_paths)) return false;
        if (has_paths) {
          size_t j = 0;
          for (dom::element p : paths) {
            std::string pp = rp + ".http.paths[" + std::to_string(j++) + "]";
            if (p.is_null()) continue;
            if (!p.is_object()) return rd.Fail(pp + " must be an object");
            core::IngressPath ip;
            if (!rd.String(p, "path", pp + ".path", &ip.path) || !rd.String(p, "pathType", pp + ".pathType", &ip.path_type))
              return false;
            r.paths.push_back(std::move(ip));
          }
        }
      }
      ing->rules.push_back(std::move(r));
    }
  }

  dom::array tls;
  bool has_tls = false;
  if (!rd.Array(spec, "tls", "spec.tls", &tls, &has_tls)) return false;
  if (has_tls) {
    size_t i = 0;
    for (dom::element t : tls) {
      std::string tp = "spec.tls[" + std::to_string(i++) + "]";
      if (t.is_null()) continue;
      if (!t.is_object()) return rd.Fail(tp + " must be an object");
      core::IngressTls entry;
      if (!rd.String(t, "secretName", tp + ".secretName", &entry.secret_name)) return false;
      dom::array hosts;
      bool has_hosts = false;
      if (!rd.Array(t, "hosts", tp + ".hosts", &hosts, &has_hosts)) return false;
      if (has_hosts) {
        size_t j = 0;
        for (dom::element h : hosts) {
          std::string host;
          if (!rd.StringValue(h, tp + ".hosts[" + std::to_string(j++) + "]", &host)) return false;
          entry.hosts.push_back(std::move(host));
        }
      }
      ing->tls.push_back(std::move(entry));
    }
  }
  return true;
}

}  // namespace

bool AdmissionRequest::IsIngress() const {
  return kind.kind == "Ingress" && (kind.group == "networking.k8s.io" || kind.group == "extensions");
}

bool AdmissionRequest::NeedsJudgement() const {
  return IsIngress() && (operation == "CREATE" || operation == "UPDATE");
}

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
  if (!ParseIngress(rd, obj.value_unsafe(), &req.ingress))
    return bad(ParseStatus::kInvalidObject, "request.object." + rd.error);
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
    log::AppendJsonEscaped(out, v);
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
