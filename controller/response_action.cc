#include "controller/response_action.h"

#include "controller/codec.h"
#include "controller/names.h"

namespace riposte::controller {
ResponseAction NewResponseAction(const ResponseRequest& req) {
  const Policy& p = *req.policy;
  const Alert& a = *req.alert;
  const AlertTarget& target = *a.target;
  ResponseAction ra;
  auto& md = ra.metadata;
  md.name = req.name;
  md.ns = target.ns;
  md.labels = {{"app.kubernetes.io/managed-by", "riposte"},
               {kLabelPolicy, DerivedName("", p.name)},
               {kLabelTargetPod, DerivedName("", target.pod)}};
  md.annotations = {{kAnnotationAlertUuid, AlertId(a)},
                    {kAnnotationReceivedAt, FormatRfc3339(req.received)},
                    {kAnnotationCooldown, std::to_string(p.guards.cooldown_seconds)}};
  md.finalizers = {kFinalizer};
  auto& spec = ra.spec;
  spec.target.pod = target.pod;
  spec.target.container = target.container;
  spec.actions = p.actions;
  spec.dry_run = p.dry_run || req.global_dry_run;
  spec.revert = false;
  spec.policy_ref = p.name;
  AlertRef al;
  al.uuid = a.uuid;
  al.rule = TruncateUtf8(a.rule, 512);
  al.priority = std::string(PriorityName(a.priority));
  al.source = TruncateUtf8(a.source, 64);
  al.time = FormatRfc3339(a.time);
  al.hostname = TruncateUtf8(a.hostname, 253);
  al.output = TruncateUtf8(a.output, 4096);
  al.tags.assign(a.tags.begin(), a.tags.begin() + static_cast<long>(std::min<size_t>(a.tags.size(), 64)));
  for (const char* f : kActionAlertFields) {
    if (const std::string* v = a.Field(f)) al.fields[f] = TruncateUtf8(*v, 4096);
  }
  spec.alert = std::move(al);
  return ra;
}

web::json::value BuildResponseAction(const ResponseRequest& req) { return EncodeNewResponseAction(NewResponseAction(req)); }

}  // namespace riposte::controller
