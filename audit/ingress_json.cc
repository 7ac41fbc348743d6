// The audit reads Ingresses and ConfigMaps with the same decoder as the webhook and
// `riposte scan` (core/ingress_json.h), so one object yields the same findings on every path.
#include "audit/ingress_checker.h"
#include "core/ingress_json.h"

namespace riposte::audit {

core::Ingress IngressFromJson(const web::json::value& obj) {
  core::Ingress ing;
  core::DecodeError error;
  // Objects come from the API server, which has already decoded them into these types; on
  // the impossible error the fields read so far are judged.
  core::DecodeIngressJson(obj.serialize(), &ing, &error);
  return ing;
}

core::ConfigMap ConfigMapFromJson(const web::json::value& obj) {
  core::ConfigMap cm;
  core::DecodeError error;
  core::DecodeConfigMapJson(obj.serialize(), &cm, &error);
  return cm;
}

}  // namespace riposte::audit
