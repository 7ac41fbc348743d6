#include "kube/kube_client.h"

namespace riposte::kube {

std::string_view WatchEventTypeName(WatchEventType t) {
  switch (t) {
    case WatchEventType::kAdded: return "ADDED";
    case WatchEventType::kModified: return "MODIFIED";
    case WatchEventType::kDeleted: return "DELETED";
    case WatchEventType::kBookmark: return "BOOKMARK";
    case WatchEventType::kError: return "ERROR";
  }
  return "ERROR";
}

namespace {
bool DnsLabelChars(const std::string& s, bool allow_dots) {
  if (s.empty()) return false;
  auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (!alnum(s.front()) || !alnum(s.back())) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (alnum(c) || c == '-') continue;
    if (allow_dots && c == '.' && s[i - 1] != '.' && s[i - 1] != '-' && s[i + 1] != '-') continue;
    return false;
  }
  return true;
}
}  // namespace

std::string ValidateObjectName(const std::string& name) {
  if (name.empty()) return "name is empty";
  if (name.size() > 253) return "name \"" + name.substr(0, 32) + "...\" is longer than 253 characters";
  if (!DnsLabelChars(name, true)) {
    return "name \"" + name + "\" is not a DNS-1123 subdomain (lower-case alphanumerics, '-' and '.')";
  }
  return "";
}

std::string ValidateNamespaceName(const std::string& ns) {
  if (ns.empty()) return "namespace is empty";
  if (ns.size() > 63) return "namespace \"" + ns.substr(0, 32) + "...\" is longer than 63 characters";
  if (!DnsLabelChars(ns, false)) return "namespace \"" + ns + "\" is not a DNS-1123 label";
  return "";
}

std::string ValidateContainerName(const std::string& name) {
  if (name.empty()) return "container name is empty";
  if (name.size() > 63) return "container name \"" + name.substr(0, 32) + "...\" is longer than 63 characters";
  if (!DnsLabelChars(name, false)) return "container name \"" + name + "\" is not a DNS-1123 label";
  return "";
}

bool ExecCommandNotFound(const Result<ExecResult>& r) {
  if (r.ok()) return r->exit_code == 126 || r->exit_code == 127;
  const ApiError& e = r.error();
  return e.reason == kExecStartFailed && (e.message.find("executable file not found") != std::string::npos ||
                                          e.message.find("no such file or directory") != std::string::npos);
}

Result<ObjectList> ListAll(KubeClient& client, const Resource& res, const std::string& ns, ListOptions opts,
                           int64_t page_size) {
  constexpr int kMaxRestarts = 3;
  opts.limit = page_size;
  const ListOptions first = opts;
  for (int restart = 0;; ++restart) {
    ObjectList all;
    opts = first;
    for (;;) {
      auto page = client.List(res, ns, opts);
      if (!page.ok()) {
        // The continue token expired mid-way (410): the snapshot is gone, start over.
        if (IsGone(page.error()) && !opts.continue_token.empty() && restart < kMaxRestarts) break;
        return page.error();
      }
      ObjectList& p = page.value();
      if (all.items.empty()) {
        all.items.reserve(p.items.size() + static_cast<size_t>(p.remaining_item_count.value_or(0)));
      }
      for (auto& item : p.items) all.items.push_back(std::move(item));
      all.api_version = p.api_version;
      all.kind = p.kind;
      all.resource_version = p.resource_version;
      if (p.continue_token.empty()) return all;
      opts.continue_token = p.continue_token;
      // Subsequent pages are served from the first page's snapshot.
      opts.resource_version.clear();
      opts.resource_version_match.clear();
    }
  }
}

}  // namespace riposte::kube
