#include "controller/response_action.h"

#include "controller/codec.h"
#include "controller/names.h"

namespace riposte::controller {
namespace {

// Copies a bounded, valid-UTF-8-preserving prefix (cuts on a character boundary).
std::string Truncate(const std::string& s, size_t max) {
  if (s.size() <= max) return s;
  size_t n = max;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  return s.substr(0, n);
}

}  // namespace

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
  al.rule = Truncate(a.rule, 512);
  al.priority = std::string(PriorityName(a.priority));
  al.source = Truncate(a.source, 64);
  al.time = FormatRfc3339(a.time);
  al.hostname = Truncate(a.hostname, 253);
  al.output = Truncate(a.output, 4096);
  al.tags.assign(a.tags.begin(), a.tags.begin() + static_cast<long>(std::min<size_t>(a.tags.size(), 64)));
  spec.alert = std::move(al);
  return ra;
}

web::json::value BuildResponseAction(const ResponseRequest& req) { return EncodeNewResponseAction(NewResponseAction(req)); }

}  // namespace riposte::controller
