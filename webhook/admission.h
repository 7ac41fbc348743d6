#pragma once
// AdmissionReview (admission.k8s.io/v1) parsing into core::Ingress and response building.
// The parser never throws: envelope problems (not JSON, not an AdmissionReview, no
// request.uid) are HTTP 400s; problems inside the object once the uid is known become a
// denial carrying that uid, because the API server can only act on a well-formed review.

#include <string>
#include <string_view>
#include <vector>

#include "core/ingress.h"
#include "core/nginx_resource.h"

namespace riposte::webhook {

struct GroupVersionKind {
  std::string group;
  std::string version;
  std::string kind;
};

struct AdmissionRequest {
  std::string api_version;  // of the review; echoed in the response
  std::string uid;
  GroupVersionKind kind;
  std::string operation;  // CREATE, UPDATE, DELETE, CONNECT
  std::string ns;
  std::string name;
  std::string username;
  bool dry_run = false;
  bool has_object = false;
  core::Ingress ingress;          // filled from request.object when IsIngress()
  core::NginxResource resource;  // filled from request.object when IsNginxResource()
  core::ConfigMap configmap;     // filled from request.object (data only) when IsConfigMap()
  core::KeyValues labels;        // metadata.labels of a ConfigMap


  // networking.k8s.io (v1, v1beta1) or the legacy extensions group.
  bool IsIngress() const;
  // A successor controller's resource a profile judges (core/nginx_resource.h: VirtualServer,
  // SnippetsFilter, ...), by group and kind.
  bool IsNginxResource() const;
  // A core/v1 ConfigMap (ingress-nginx reads the ones Ingresses reference, and its own).
  bool IsConfigMap() const;
  // Only CREATE and UPDATE carry a new object to judge. On UPDATE only `object` (the new
  // state) is judged: oldObject is what is already admitted.
  bool NeedsJudgement() const;
};

enum class ParseStatus {
  kOk,
  kBadRequest,     // HTTP 400, no uid to answer with
  kInvalidObject,  // uid known; answer with a denial (code 400) carrying it
};

struct ParseResult {
  ParseStatus status = ParseStatus::kOk;
  std::string error;  // for kBadRequest / kInvalidObject, names the offending field
  AdmissionRequest request;
};

// `readable_after`: bytes that may be read (not used) past the end of `body`, e.g. a string's
// spare capacity. With at least simdjson's padding (64 bytes) the body is parsed where it is
// instead of being copied first (a review can be 3 MiB).
ParseResult ParseAdmissionReview(std::string_view body, size_t readable_after = 0);

struct ReviewResponse {
  std::string api_version = "admission.k8s.io/v1";
  std::string uid;
  bool allowed = true;
  int code = 0;  // status.code when denying
  std::string message;
  std::vector<std::string> warnings;
};

// Bounds applied when building responses: the API server stores messages in events/audit
// logs and truncates warnings longer than 256 characters.
inline constexpr size_t kMaxMessageBytes = 4096;
inline constexpr size_t kMaxWarningBytes = 256;
inline constexpr size_t kMaxWarnings = 16;

std::string BuildResponse(const ReviewResponse& r);

// Truncates at a UTF-8 boundary and appends "..." when `s` is longer than `max` bytes.
std::string Truncate(std::string_view s, size_t max);

}  // namespace riposte::webhook
