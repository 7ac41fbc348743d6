#include "controller/response_action.h"

#include "common/json_value.h"
#include "controller/names.h"

namespace riposte::controller {

using web::json::value;

namespace {

// Copies a bounded, valid-UTF-8-preserving prefix (cuts on a character boundary).
std::string Truncate(const std::string& s, size_t max) {
  if (s.size() <= max) return s;
  size_t n = max;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  return s.substr(0, n);
}

}  // namespace

value BuildResponseAction(const ResponseRequest& req) {
  const Policy& p = *req.policy;
  const Alert& a = *req.alert;
  const AlertTarget& target = *a.target;
  auto ra = value::object();
  ra["apiVersion"] = value::string("riposte.io/v1alpha1");
  ra["kind"] = value::string("ResponseAction");
  auto& md = ra["metadata"] = value::object();
  md["name"] = value::string(req.name);
  md["namespace"] = value::string(target.ns);
  md["labels"] = json::FromMap({{"app.kubernetes.io/managed-by", "riposte"},
                                {kLabelPolicy, DerivedName("", p.name)},
                                {kLabelTargetPod, DerivedName("", target.pod)}});
  md["annotations"] = json::FromMap({{kAnnotationAlertUuid, AlertId(a)},
                                     {kAnnotationReceivedAt, FormatRfc3339(req.received)},
                                     {kAnnotationCooldown, std::to_string(p.guards.cooldown_seconds)}});
  md["finalizers"] = json::FromList({kFinalizer});
  auto& spec = ra["spec"] = value::object();
  spec["target"] = value::object();
  spec["target"]["pod"] = value::string(target.pod);
  if (!target.container.empty()) spec["target"]["container"] = value::string(target.container);
  spec["actions"] = p.actions;
  spec["dryRun"] = value::boolean(p.dry_run || req.global_dry_run);
  spec["revert"] = value::boolean(false);
  spec["policyRef"] = value::object();
  spec["policyRef"]["name"] = value::string(p.name);
  auto& al = spec["alert"] = value::object();
  if (!a.uuid.empty()) al["uuid"] = value::string(a.uuid);
  al["rule"] = value::string(Truncate(a.rule, 512));
  al["priority"] = value::string(std::string(PriorityName(a.priority)));
  al["source"] = value::string(Truncate(a.source, 64));
  al["time"] = value::string(FormatRfc3339(a.time));
  if (!a.hostname.empty()) al["hostname"] = value::string(Truncate(a.hostname, 253));
  if (!a.output.empty()) al["output"] = value::string(Truncate(a.output, 4096));
  std::vector<std::string> tags(a.tags.begin(), a.tags.begin() + static_cast<long>(std::min<size_t>(a.tags.size(), 64)));
  al["tags"] = json::FromList(tags);
  return ra;
}

}  // namespace riposte::controller
