#include "kube/kube_client.h"

#include "common/k8s_names.h"

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

// The project's one name validator (common/k8s_names.h), so that the client refuses exactly
// what the API server would.
std::string ValidateObjectName(const std::string& name) { return k8s::ValidateName(k8s::NameKind::kObject, name); }

std::string ValidateNamespaceName(const std::string& ns) { return k8s::ValidateName(k8s::NameKind::kNamespace, ns); }

std::string ValidateContainerName(const std::string& name) {
  return k8s::ValidateName(k8s::NameKind::kContainer, name);
}

bool ExecCommandNotFound(const Result<ExecResult>& r) {
  if (r.ok()) return r->exit_code == 126 || r->exit_code == 127;
  const ApiError& e = r.error();
  return e.reason == kExecStartFailed && (e.message.find("executable file not found") != std::string::npos ||
                                          e.message.find("no such file or directory") != std::string::npos);
}

Result<ObjectList> ListAll(KubeClient& client, const Resource& res, const std::string& ns, ListOptions opts,
                           int64_t page_size, const std::function<void(web::json::value&)>& transform) {
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
      for (auto& item : p.items) {
        if (transform) transform(item);
        all.items.push_back(std::move(item));
      }
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
