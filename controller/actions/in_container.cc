#include "controller/actions/in_container.h"

#include <algorithm>
#include <charconv>

#include "controller/alert.h"

namespace riposte::controller {

Plan InContainerAction::Build(const ActionContext& ctx) const {
  Plan plan;
  if (auto why = Refusal(ctx)) {
    plan.skipped = true;
    plan.message = *why;
    return plan;
  }
  plan.message = Describe(ctx);
  return plan;
}

Outcome InContainerAction::Revert(const InContainerEnv&, const ActionContext&, const web::json::value&) const {
  return {Outcome::State::kSucceeded, Name() + " cannot be undone: " + UndoNote(), web::json::value()};
}

std::optional<std::string> AlertField(const ActionContext& ctx, const std::string& name) {
  if (ctx.alert == nullptr) return std::nullopt;
  auto it = ctx.alert->fields.find(name);
  if (it == ctx.alert->fields.end() || it->second.empty() || it->second == "<NA>") return std::nullopt;
  return it->second;
}

std::optional<int> ParsePid(const std::string& text, std::string* why) {
  constexpr int kPidMaxLimit = 4194304;
  int pid = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), pid);
  if (text.empty() || ec != std::errc() || ptr != text.data() + text.size() || text[0] == '+' || text[0] == '-') {
    *why = "PID \"" + text.substr(0, 32) + "\" is not a decimal number";
    return std::nullopt;
  }
  if (pid < 1 || pid > kPidMaxLimit) {
    *why = "PID " + text + " is outside 1.." + std::to_string(kPidMaxLimit);
    return std::nullopt;
  }
  return pid;
}

std::optional<std::string> NormalisePath(const std::string& path, std::string* why) {
  constexpr size_t kPathMax = 4095, kNameMax = 255;
  if (path.find('\0') != std::string::npos) {
    *why = "path contains NUL";
    return std::nullopt;
  }
  if (path.empty() || path[0] != '/') {
    *why = "path \"" + path.substr(0, 64) + "\" is not absolute";
    return std::nullopt;
  }
  if (path.size() > kPathMax) {
    *why = "path is longer than 4095 bytes";
    return std::nullopt;
  }
  if (path == "/DIR_TOO_LONG/FILENAME_TOO_LONG") {
    *why = "Falco could not render the path (too long)";
    return std::nullopt;
  }
  std::string out;
  size_t i = 0;
  while (i < path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string::npos) j = path.size();
    const std::string part = path.substr(i, j - i);
    i = j + 1;
    if (part.empty()) continue;
    if (part == "." || part == "..") {
      // Falco already resolves these lexically; one left over did not come from Falco, and
      // resolving it here could be wrong across symlinked directories.
      *why = "path \"" + path.substr(0, 64) + "\" has a \"" + part + "\" component";
      return std::nullopt;
    }
    if (part.size() > kNameMax) {
      *why = "a path component is longer than 255 bytes";
      return std::nullopt;
    }
    out += "/" + part;
  }
  if (out.empty()) {
    *why = "path is the root directory";
    return std::nullopt;
  }
  for (const char* denied : {"/proc", "/sys", "/dev"}) {
    const std::string d(denied);
    if (out == d || out.compare(0, d.size() + 1, d + "/") == 0) {
      *why = "path is under " + d;
      return std::nullopt;
    }
  }
  return out;
}

std::optional<std::string> ResolveContainer(const ActionContext& ctx, std::string* why) {
  if (ctx.pod == nullptr) {
    *why = "the pod is gone";
    return std::nullopt;
  }
  const auto& pod = *ctx.pod;
  std::string name;
  if (auto id = AlertField(ctx, "container.id")) {
    if (*id == "host") {
      *why = "the process runs on the host, not in a container";
      return std::nullopt;
    }
    json::Reader st = json::Reader(pod)["status"];
    for (const char* list : {"containerStatuses", "initContainerStatuses", "ephemeralContainerStatuses"}) {
      st[list].Items([&](const json::Reader& c) {
        std::string cid = c["containerID"].StringOr("");
        const auto sep = cid.find("://");
        if (sep != std::string::npos) cid = cid.substr(sep + 3);
        if (name.empty() && id->size() >= 12 && cid.compare(0, id->size(), *id) == 0) name = c["name"].StringOr("");
      });
    }
    if (name.empty() && ctx.container.empty()) {
      *why = "no container of the pod has the alert's container.id " + id->substr(0, 64);
      return std::nullopt;
    }
    if (!name.empty() && !ctx.container.empty() && name != ctx.container) {
      *why = "the alert's container.id is container " + name + ", not " + ctx.container;
      return std::nullopt;
    }
  }
  if (name.empty()) name = ctx.container;
  if (name.empty()) {
    std::vector<std::string> names;
    json::Reader(pod)["spec"]["containers"].Items([&](const json::Reader& c) { names.push_back(c["name"].StringOr("")); });
    if (names.size() != 1) {
      *why = "the alert names no container and the pod has " + std::to_string(names.size());
      return std::nullopt;
    }
    name = names[0];
  }
  if (auto msg = kube::ValidateContainerName(name); !msg.empty()) {
    *why = msg;
    return std::nullopt;
  }
  return name;
}

std::optional<ProcStat> ParseProcStat(const std::string& line) {
  const auto open = line.find('(');
  const auto close = line.rfind(')');
  if (open == std::string::npos || close == std::string::npos || close < open) return std::nullopt;
  ProcStat st;
  st.comm = line.substr(open + 1, close - open - 1);
  // After ") ": field 3 (state) is the first, field 22 (starttime) the twentieth.
  std::vector<std::string> fields;
  size_t i = close + 1;
  while (i < line.size() && fields.size() < 20) {
    while (i < line.size() && line[i] == ' ') ++i;
    size_t j = line.find_first_of(" \n", i);
    if (j == std::string::npos) j = line.size();
    if (j > i) fields.push_back(line.substr(i, j - i));
    i = j;
  }
  if (fields.size() < 20 || fields[0].size() != 1) return std::nullopt;
  st.state = fields[0][0];
  st.starttime = fields[19];
  for (char c : st.starttime)
    if (c < '0' || c > '9') return std::nullopt;
  return st;
}

kube::Result<kube::ExecResult> RunIn(const InContainerEnv& env, const ActionContext& ctx, const std::string& container,
                                     const std::vector<std::string>& argv) {
  kube::ExecOptions opts;
  opts.timeout = env.exec_timeout;
  opts.max_stdout_bytes = 256 * 1024;
  opts.max_stderr_bytes = 16 * 1024;
  return env.client->Exec(ctx.ns, ctx.pod_name, container, argv, opts);
}

std::optional<std::string> PidNamespaceRefusal(const web::json::value& pod) {
  json::Reader spec = json::Reader(pod)["spec"];
  if (spec["hostPID"].BoolOr(false)) return std::string("the pod uses hostPID: its PIDs are the node's");
  if (spec["shareProcessNamespace"].BoolOr(false)) {
    return std::string("the pod shares one process namespace: PID 1 is the pod's pause process");
  }
  return std::nullopt;
}

std::optional<std::string> PendingStep(const web::json::value& record) { return json::GetString(record, {"step"}); }

std::chrono::system_clock::time_point DeadlineIn(const InContainerEnv& env, int64_t seconds) {
  const auto now = env.now();
  if (seconds <= 0) return now;
  return std::chrono::ceil<std::chrono::seconds>(now + std::chrono::seconds(seconds));
}

Outcome Waiting(const InContainerEnv& env, std::string message, web::json::value record,
                std::chrono::system_clock::time_point deadline) {
  Outcome o{Outcome::State::kWaiting, std::move(message), std::move(record)};
  const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - env.now());
  o.after = std::clamp<std::chrono::milliseconds>(left, std::chrono::milliseconds(1), kPendingPoll);
  return o;
}

Outcome CannotResume(const web::json::value& record, const std::string& deadline_field) {
  return {Outcome::State::kFailed, "cannot resume from status.results[].undo: step \"" + PendingStep(record).value_or("") +
                                       "\", " + deadline_field + " \"" + json::GetString(record, {deadline_field}).value_or("") + "\"",
          {}};
}

}  // namespace riposte::controller
