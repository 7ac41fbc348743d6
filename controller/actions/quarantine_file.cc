#include "controller/actions/quarantine_file.h"

#include <sstream>

namespace riposte::controller {
namespace {

using State = Outcome::State;
using web::json::value;
constexpr const char* kStatFormat = "%s %a %u %g %i %d %F";

struct QuarantineFileParams final : ActionParams {
  std::string path;  // "" = the alert's fd.name
};

struct FileStat {
  int64_t size = 0;
  std::string mode, uid, gid, inode, device, type;
};

// "35664 755 0 0 10977333 64769 regular file"
std::optional<FileStat> ParseStat(const std::string& line) {
  std::istringstream in(line);
  FileStat s;
  if (!(in >> s.size >> s.mode >> s.uid >> s.gid >> s.inode >> s.device)) return std::nullopt;
  std::getline(in, s.type);
  while (!s.type.empty() && (s.type.front() == ' ')) s.type.erase(s.type.begin());
  while (!s.type.empty() && (s.type.back() == '\n' || s.type.back() == '\r')) s.type.pop_back();
  for (char c : s.mode)
    if (c < '0' || c > '7') return std::nullopt;
  return s;
}

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  return s;
}

std::optional<std::string> TargetPath(const ActionContext& ctx, std::string* why) {
  const auto& params = ParamsOf<QuarantineFileParams>(ctx);
  std::optional<std::string> raw = params.path.empty() ? AlertField(ctx, "fd.name") : std::optional<std::string>(params.path);
  if (!raw) {
    *why = "the alert has no fd.name and the action no path";
    return std::nullopt;
  }
  auto path = NormalisePath(*raw, why);
  if (path && path->find("/.riposte-quarantine/") != std::string::npos) {
    *why = "the file is already in a quarantine directory";
    return std::nullopt;
  }
  return path;
}

// Exit 126/127: the runtime's way of saying the binary is missing.
bool ExecCommandNotFoundOk(const kube::Result<kube::ExecResult>& r) { return r.ok() && kube::ExecCommandNotFound(r); }

// An exec that did not produce a result, as an outcome.
Outcome Problem(const kube::Result<kube::ExecResult>& r, const std::string& step) {
  if (kube::ExecCommandNotFound(r)) return {State::kFailed, "the image lacks a tool for " + step + " (distroless?): not quarantined", {}};
  const auto& e = r.error();
  if (kube::IsNotFound(e)) return {State::kFailed, step + ": the container is gone", {}};
  if (kube::IsForbidden(e)) return {State::kFailed, step + ": exec refused: grant pods/exec get and create (" + e.ToString() + ")", {}};
  if (e.Retryable() || e.reason == kube::kExecStreamClosed) return {State::kRetry, step + ": " + e.ToString(), {}};
  return {State::kFailed, step + ": " + e.ToString(), {}};
}

}  // namespace

std::string QuarantineFileAction::Description() const {
  return "Move the alert's file (fd.name, or path) into .riposte-quarantine next to it in the container and make it "
         "unreadable (mode 000), recording sha256, size, mode, owner and inode. Refuses symlinks, .. and anything "
         "but a regular file. Revert restores it with its mode.";
}

std::vector<ParamSpec> QuarantineFileAction::Parameters() const {
  return {{"path", "string", "", "absolute path in the container; default: the alert's fd.name"}};
}

std::vector<RbacRule> QuarantineFileAction::Rbac() const { return {{{""}, {"pods/exec"}, {"get", "create"}}}; }

web::json::value QuarantineFileAction::Example() const { return value::parse(R"({"type":"quarantineFile"})"); }

std::string QuarantineFileAction::UndoNote() const {
  return "restores the file with its mode if nothing took its place; a recreated container has lost it anyway";
}

ActionParamsPtr QuarantineFileAction::DecodeParams(const json::Reader& item) const {
  auto p = std::make_shared<QuarantineFileParams>();
  p->path = item["path"].StringOr("");
  if (!p->path.empty()) {
    std::string why;
    if (!NormalisePath(p->path, &why)) item["path"].Error(why);
  }
  return p;
}

std::optional<std::string> QuarantineFileAction::Refusal(const ActionContext& ctx) const {
  if (ctx.pod == nullptr) return std::nullopt;
  std::string why;
  if (!TargetPath(ctx, &why)) return "not quarantined: " + why;
  if (!ResolveContainer(ctx, &why)) return "not quarantined: " + why;
  return std::nullopt;
}

std::string QuarantineFileAction::Describe(const ActionContext& ctx) const {
  std::string why;
  auto path = TargetPath(ctx, &why);
  auto container = ResolveContainer(ctx, &why);
  return "move " + path.value_or("?") + " in container " + container.value_or("?") + " into .riposte-quarantine, mode 000";
}

Outcome QuarantineFileAction::Run(const InContainerEnv& env, const ActionContext& ctx) const {
  if (ctx.pod == nullptr) return {State::kSucceeded, "the pod is gone: nothing to quarantine", {}};
  if (auto why = Refusal(ctx)) return {State::kSkipped, *why, {}};
  std::string why;
  const std::string path = *TargetPath(ctx, &why);
  const std::string container = *ResolveContainer(ctx, &why);
  auto exec = [&](std::vector<std::string> argv) { return RunIn(env, ctx, container, argv); };

  // Symlinks: the canonical path must be the path itself (rename(2) would move a link, and a
  // linked directory can lead anywhere, volumes included).
  auto canonical = exec({"readlink", "-f", "--", path});
  if (!canonical.ok() || ExecCommandNotFoundOk(canonical)) return Problem(canonical, "resolving the path");
  if (canonical->exit_code != 0) return {State::kSucceeded, path + " does not exist: nothing to quarantine", {}};
  if (Trim(canonical->stdout_data) != path) {
    return {State::kSkipped, "not quarantined: " + path + " resolves to " + Trim(canonical->stdout_data).substr(0, 512) +
                                 " (a symlink on the path)", {}};
  }
  auto st = exec({"stat", "-c", kStatFormat, "--", path});
  if (!st.ok() || ExecCommandNotFoundOk(st)) return Problem(st, "stat");
  if (st->exit_code != 0) return {State::kSucceeded, path + " does not exist: nothing to quarantine", {}};
  auto before = ParseStat(st->stdout_data);
  if (!before) return {State::kFailed, "cannot parse stat output for " + path, {}};
  if (before->type != "regular file" && before->type != "regular empty file") {
    return {State::kSkipped, "not quarantined: " + path + " is a " + before->type + ", not a regular file", {}};
  }
  // Digest before chmod: afterwards a non-root exec user cannot read it.
  auto sum = exec({"sha256sum", "--", path});
  if (!sum.ok() || ExecCommandNotFoundOk(sum)) return Problem(sum, "sha256sum");
  if (sum->exit_code != 0 || sum->stdout_data.size() < 64) return {State::kFailed, "sha256sum " + path + ": " + Trim(sum->stderr_data), {}};
  const std::string sha = sum->stdout_data.substr(0, 64);

  const std::string dir = path.substr(0, path.rfind('/'));
  const std::string qdir = (dir.empty() ? "" : dir) + "/.riposte-quarantine";
  const std::string dest = qdir + "/" + ctx.response_action_name + "-" + sha.substr(0, 12);
  value record = value::object();
  record["container"] = value::string(container);
  record["originalPath"] = value::string(path);
  record["quarantinePath"] = value::string(dest);
  record["sha256"] = value::string(sha);
  record["size"] = value::number(before->size);
  record["mode"] = value::string(before->mode);
  record["uid"] = value::string(before->uid);
  record["gid"] = value::string(before->gid);
  record["inode"] = value::string(before->inode);
  auto with = [&](Outcome o) {
    o.record = record;
    return o;
  };
  auto mk = exec({"mkdir", "-p", "--", qdir});
  if (!mk.ok() || ExecCommandNotFoundOk(mk)) return with(Problem(mk, "mkdir"));
  if (mk->exit_code != 0) return with({State::kFailed, "mkdir " + qdir + ": " + Trim(mk->stderr_data), {}});
  exec({"chmod", "700", "--", qdir});
  auto qst = exec({"stat", "-c", kStatFormat, "--", qdir});
  if (!qst.ok() || qst->exit_code != 0) return with({State::kFailed, "stat " + qdir + " failed", {}});
  auto qs = ParseStat(qst->stdout_data);
  if (!qs || qs->device != before->device) {
    return with({State::kFailed, "not quarantined: " + qdir + " is on another filesystem than " + path + " (the move would copy)", {}});
  }
  auto mv = exec({"mv", "-n", "--", path, dest});
  if (!mv.ok() || ExecCommandNotFoundOk(mv)) return with(Problem(mv, "mv"));
  auto ch = exec({"chmod", "000", "--", dest});
  if (!ch.ok() || ExecCommandNotFoundOk(ch)) return with(Problem(ch, "chmod"));
  // Judge by the result, not by mv's exit status (mv -n differs between releases).
  auto after_st = exec({"stat", "-c", kStatFormat, "--", dest});
  auto after = after_st.ok() && after_st->exit_code == 0 ? ParseStat(after_st->stdout_data) : std::nullopt;
  if (!after || after->inode != before->inode || after->size != before->size) {
    return with({State::kFailed, "the file changed during quarantine (the moved file is not the one checked)", {}});
  }
  if (after->mode != "0" && after->mode != "000") {
    return with({State::kFailed, "moved to " + dest + " but chmod 000 did not take (mode " + after->mode + ")", {}});
  }
  return with({State::kSucceeded, "quarantined " + path + " (sha256 " + sha + ", " + std::to_string(before->size) +
                                      " bytes, mode " + before->mode + ") as " + dest + ", mode 000", {}});
}

Outcome QuarantineFileAction::Revert(const InContainerEnv& env, const ActionContext& ctx, const value& record) const {
  const std::string original = json::GetString(record, {"originalPath"}).value_or("");
  const std::string dest = json::GetString(record, {"quarantinePath"}).value_or("");
  const std::string container = json::GetString(record, {"container"}).value_or("");
  const std::string mode = json::GetString(record, {"mode"}).value_or("");
  const std::string inode = json::GetString(record, {"inode"}).value_or("");
  if (original.empty() || dest.empty()) return {State::kSucceeded, "nothing was quarantined", {}};
  std::string why;
  if (!NormalisePath(original, &why) || !NormalisePath(dest, &why) || !kube::ValidateContainerName(container).empty() ||
      mode.empty() || mode.size() > 4 || mode.find_first_not_of("01234567") != std::string::npos) {
    return {State::kFailed, "the quarantine record is not valid: " + why, {}};
  }
  if (ctx.pod == nullptr) return {State::kSucceeded, "the pod is gone: nothing to restore", {}};
  auto exec = [&](std::vector<std::string> argv) { return RunIn(env, ctx, container, argv); };
  auto q = exec({"stat", "-c", kStatFormat, "--", dest});
  if (!q.ok()) return Problem(q, "stat");
  auto qs = q->exit_code == 0 ? ParseStat(q->stdout_data) : std::nullopt;
  if (!qs || qs->inode != inode) {
    return {State::kSucceeded, "nothing to restore: " + dest + " is gone (the container was recreated?)", {}};
  }
  auto o = exec({"stat", "-c", kStatFormat, "--", original});
  if (o.ok() && o->exit_code == 0) return {State::kFailed, "not restored: " + original + " exists again", {}};
  auto mv = exec({"mv", "-n", "--", dest, original});
  if (!mv.ok()) return Problem(mv, "mv");
  auto ch = exec({"chmod", mode, "--", original});
  if (!ch.ok()) return Problem(ch, "chmod");
  auto back = exec({"stat", "-c", kStatFormat, "--", original});
  auto bs = back.ok() && back->exit_code == 0 ? ParseStat(back->stdout_data) : std::nullopt;
  if (!bs || bs->inode != inode) return {State::kFailed, "restoring " + original + " did not take", {}};
  return {State::kSucceeded, "restored " + original + " with mode " + mode, {}};
}

}  // namespace riposte::controller
