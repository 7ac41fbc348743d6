#include "controller/actions/capture_evidence.h"

#include <cpprest/asyncrt_utils.h>

#include "controller/names.h"

namespace riposte::controller {
namespace {

using State = Outcome::State;
using web::json::value;

// Secret data is limited to 1 MiB in total (decoded); the manifest, index and alert need
// room next to the logs.
constexpr int64_t kMaxTotalBytes = 768 * 1024;

struct CaptureEvidenceParams final : ActionParams {
  int64_t tail_lines = 200;
  int64_t limit_bytes = 64 * 1024;  // per log
  int64_t max_bytes = 512 * 1024;   // all entries together
  bool previous = true;
  bool process_list = false;
};

std::vector<std::string> ContainerNames(const value& pod) {
  std::vector<std::string> names;
  for (const char* list : {"initContainers", "containers"}) {
    json::Reader(pod)["spec"][list].Items([&](const json::Reader& c) {
      auto n = c["name"].StringOr("");
      if (kube::ValidateContainerName(n).empty()) names.push_back(n);
    });
  }
  return names;
}

// The container restarted at least once, so a previous instance's log may exist.
bool HasPrevious(const value& pod, const std::string& container) {
  bool prev = false;
  for (const char* list : {"initContainerStatuses", "containerStatuses"}) {
    json::Reader(pod)["status"][list].Items([&](const json::Reader& c) {
      if (c["name"].StringOr("") != container) return;
      if (c["restartCount"].IntOr(0) > 0 || c["lastState"]["terminated"].Object()) prev = true;
    });
  }
  return prev;
}

value AlertJson(const AlertRef& a) {
  value v = value::object();
  v["uuid"] = value::string(a.uuid);
  v["rule"] = value::string(a.rule);
  v["priority"] = value::string(a.priority);
  v["source"] = value::string(a.source);
  v["time"] = value::string(a.time);
  v["hostname"] = value::string(a.hostname);
  v["output"] = value::string(a.output);
  v["tags"] = json::FromList(a.tags);
  v["fields"] = json::FromMap(a.fields);
  return v;
}

}  // namespace

std::string CaptureEvidenceAction::SecretName(const std::string& response_action, int index) {
  return DerivedName(response_action, "evidence-" + std::to_string(index));
}

std::string CaptureEvidenceAction::Description() const {
  return "Store the pod manifest, the last lines of each container's log (and of the previous instance), the "
         "triggering alert and optionally a process listing in an immutable Secret owned by the ResponseAction "
         "(label riposte.io/evidence=true). Put it before destructive actions: they run in order.";
}

std::vector<ParamSpec> CaptureEvidenceAction::Parameters() const {
  return {
      {"tailLines", "integer", "200", "log lines per container (0..10000)"},
      {"limitBytes", "integer", "65536", "bytes per container log (1..262144)"},
      {"maxBytes", "integer", "524288", "bytes of evidence in all (at most 786432: a Secret holds 1 MiB)"},
      {"previous", "boolean", "true", "also the log of the previous instance of restarted containers"},
      {"processList", "boolean", "false", "run ps -ef in the container (needs the pods/exec grant of an exec action)"},
  };
}

std::vector<RbacRule> CaptureEvidenceAction::Rbac() const {
  return {{{""}, {"pods/log"}, {"get"}}, {{""}, {"secrets"}, {"get", "create"}}};
}

web::json::value CaptureEvidenceAction::Example() const {
  return value::parse(R"({"type":"captureEvidence","tailLines":200,"limitBytes":65536,"processList":true})");
}

std::string CaptureEvidenceAction::UndoNote() const {
  return "evidence is kept; it goes when the ResponseAction that owns its Secret is deleted";
}

ActionParamsPtr CaptureEvidenceAction::DecodeParams(const json::Reader& item) const {
  auto p = std::make_shared<CaptureEvidenceParams>();
  p->tail_lines = item["tailLines"].IntOr(200);
  if (p->tail_lines < 0 || p->tail_lines > 10000) item["tailLines"].Error("must be between 0 and 10000");
  p->limit_bytes = item["limitBytes"].IntOr(64 * 1024);
  if (p->limit_bytes < 1 || p->limit_bytes > 256 * 1024) item["limitBytes"].Error("must be between 1 and 262144");
  p->max_bytes = item["maxBytes"].IntOr(512 * 1024);
  if (p->max_bytes < 1 || p->max_bytes > kMaxTotalBytes) item["maxBytes"].Error("must be between 1 and 786432");
  p->previous = item["previous"].BoolOr(true);
  p->process_list = item["processList"].BoolOr(false);
  return p;
}

std::string CaptureEvidenceAction::Describe(const ActionContext& ctx) const {
  const auto& params = ParamsOf<CaptureEvidenceParams>(ctx);
  return "capture the pod manifest, " + std::to_string(params.tail_lines) + " log lines per container" +
         (params.process_list ? ", a process listing" : "") + " and the alert into Secret " +
         SecretName(ctx.response_action_name, ctx.index);
}

Outcome CaptureEvidenceAction::Run(const InContainerEnv& env, const ActionContext& ctx) const {
  const auto& params = ParamsOf<CaptureEvidenceParams>(ctx);
  auto& client = *env.client;
  const std::string name = SecretName(ctx.response_action_name, ctx.index);
  value record = value::object();
  record["secret"] = value::string(name);
  auto existing = client.Get(kube::resources::kSecrets, ctx.ns, name);
  if (existing.ok()) return {State::kSucceeded, "evidence already in Secret " + name, record};
  if (!kube::IsNotFound(existing.error())) {
    return {existing.error().Retryable() ? State::kRetry : State::kFailed, "reading Secret " + name + ": " + existing.error().ToString(), {}};
  }

  // Entries in order of importance: what does not fit the budget is cut, and says so.
  struct Entry {
    std::string key, data;
  };
  std::vector<Entry> entries;
  value index = value::object();
  index["pod"] = value::string(ctx.pod_name);
  index["capturedAt"] = value::string(ctx.now);
  index["responseAction"] = value::string(ctx.response_action_name);
  value notes = value::array();
  auto note = [&](const std::string& n) { notes[notes.size()] = value::string(n.substr(0, 512)); };
  if (ctx.alert != nullptr) entries.push_back({"alert.json", AlertJson(*ctx.alert).serialize()});
  if (ctx.pod != nullptr) {
    value pod = *ctx.pod;
    if (pod.has_field("metadata") && pod.at("metadata").has_field("managedFields")) pod["metadata"].erase("managedFields");
    entries.push_back({"pod.json", pod.serialize()});
  } else {
    note("the pod is gone: no manifest, no logs");
  }
  std::vector<Entry> previous_logs;
  if (ctx.pod != nullptr) {
    for (const auto& c : ContainerNames(*ctx.pod)) {
      for (bool prev : {false, true}) {
        if (prev && (!params.previous || !HasPrevious(*ctx.pod, c))) continue;
        kube::LogOptions lo;
        lo.container = c;
        lo.tail_lines = params.tail_lines;
        lo.limit_bytes = params.limit_bytes;
        lo.previous = prev;
        const std::string key = "log." + c + (prev ? ".previous" : "");
        auto r = client.Logs(ctx.ns, ctx.pod_name, lo);
        if (!r.ok()) {
          note(key + ": " + r.error().ToString());
          continue;
        }
        if (r->unscheduled || r->no_previous) {
          note(key + ": " + (r->unscheduled ? "the pod has no node" : "no previous instance"));
          continue;
        }
        if (r->truncated) note(key + ": cut at limitBytes");
        (prev ? previous_logs : entries).push_back({key, std::move(r->data)});
      }
    }
  }
  for (auto& e : previous_logs) entries.push_back(std::move(e));
  if (params.process_list && ctx.pod != nullptr) {
    std::string why;
    auto container = ResolveContainer(ctx, &why);
    if (!container) {
      note("processes: " + why);
    } else {
      auto r = RunIn(env, ctx, *container, {"ps", "-ef"});
      if (kube::ExecCommandNotFound(r)) note("processes: the image has no ps");
      else if (!r.ok()) note("processes: " + r.error().ToString());
      else entries.push_back({"processes." + *container + ".txt", r->stdout_data});
    }
  }

  int64_t budget = params.max_bytes;
  value sizes = value::object();
  value data = value::object();
  int64_t total = 0;
  bool cut = false;
  for (auto& e : entries) {
    if (static_cast<int64_t>(e.data.size()) > budget) {
      note(e.key + ": cut from " + std::to_string(e.data.size()) + " bytes to fit maxBytes");
      e.data.resize(static_cast<size_t>(std::max<int64_t>(budget, 0)));
      cut = true;
    }
    budget -= static_cast<int64_t>(e.data.size());
    total += static_cast<int64_t>(e.data.size());
    sizes[e.key] = value::number(static_cast<int64_t>(e.data.size()));
    data[e.key] = value::string(utility::conversions::to_base64(std::vector<unsigned char>(e.data.begin(), e.data.end())));
  }
  index["sizes"] = sizes;
  index["notes"] = notes;
  index["truncated"] = value::boolean(cut);
  const std::string index_text = index.serialize();
  data["index.json"] = value::string(utility::conversions::to_base64(std::vector<unsigned char>(index_text.begin(), index_text.end())));

  value secret = value::object();
  secret["apiVersion"] = value::string("v1");
  secret["kind"] = value::string("Secret");
  secret["type"] = value::string("Opaque");
  secret["immutable"] = value::boolean(true);  // evidence is not edited after the fact
  auto& md = secret["metadata"] = value::object();
  md["name"] = value::string(name);
  md["namespace"] = value::string(ctx.ns);
  md["labels"] = json::FromMap({{"app.kubernetes.io/managed-by", "riposte"},
                                {"riposte.io/evidence", "true"},
                                {"riposte.io/response-action", DerivedName("", ctx.response_action_name)},
                                {"riposte.io/target-pod", DerivedName("", ctx.pod_name)}});
  if (!ctx.response_action_uid.empty()) {
    value owner = value::object();
    owner["apiVersion"] = value::string("riposte.io/v1alpha1");
    owner["kind"] = value::string("ResponseAction");
    owner["name"] = value::string(ctx.response_action_name);
    owner["uid"] = value::string(ctx.response_action_uid);
    md["ownerReferences"] = value::array({owner});
  }
  secret["data"] = data;
  auto created = client.Create(kube::resources::kSecrets, ctx.ns, secret);
  if (!created.ok() && !kube::IsAlreadyExists(created.error())) {
    const auto& e = created.error();
    return {e.Retryable() ? State::kRetry : State::kFailed, "creating Secret " + name + ": " + e.ToString(), {}};
  }
  record["bytes"] = value::number(total);
  record["truncated"] = value::boolean(cut);
  return {State::kSucceeded,
          "evidence in Secret " + name + " (" + std::to_string(entries.size()) + " entries, " + std::to_string(total) +
              " bytes" + (cut ? ", cut to maxBytes" : "") + (notes.size() > 0 ? "; " + std::to_string(notes.size()) + " note(s)" : "") + ")",
          record};
}

}  // namespace riposte::controller
