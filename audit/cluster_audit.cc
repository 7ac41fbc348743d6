#include "audit/cluster_audit.h"

#include <map>
#include <mutex>
#include <set>
#include <utility>

#include "audit/image_ref.h"
#include "audit/ingress_checker.h"
#include "audit/k8s_read.h"

namespace riposte::audit {

namespace {

using web::json::value;
using namespace k8s;  // At, Str, Arr, Meta, Labels, Selects, ServiceSelects, CommandAndArgs, FlagValue

using NsName = std::pair<std::string, std::string>;

ReadError FromApiError(const kube::ApiError& e) {
  return {e.reason.empty() ? std::string(kube::ErrorKindName(e.kind)) : e.reason, e.code, e.message};
}

const ReadError kCancelled{"Cancelled", 0, "audit cancelled before this resource was listed"};

// The --configmap of a controller, resolved as the analysis does.
std::optional<NsName> ControllerConfigMap(const std::vector<std::string>& args, const std::string& workload_ns) {
  auto cm = ControllerConfigMapFlag(args, workload_ns);
  if (!cm) return std::nullopt;
  return NsName{cm->ns, cm->name};
}

// The ingress-nginx controller containers of a pod spec holder (pod or pod template).
std::vector<const value*> ControllerContainers(const value& pod_or_template) {
  std::vector<const value*> out;
  if (const auto* containers = Arr(pod_or_template, {"spec", "containers"})) {
    for (const auto& c : *containers) {
      if (IsIngressNginxController(ParseImageRef(Str(c, {"image"})), CommandAndArgs(c))) out.push_back(&c);
    }
  }
  return out;
}

// ConfigMaps a pod template mounts (volumes and projected sources): where a Riposte webhook
// Deployment reads its --policy.
void MountedConfigMaps(const value& tmpl, const std::string& ns, std::set<NsName>* out) {
  const auto* volumes = Arr(tmpl, {"spec", "volumes"});
  if (volumes == nullptr) return;
  for (const auto& v : *volumes) {
    if (auto name = Str(v, {"configMap", "name"}); !name.empty()) out->insert({ns, name});
    if (const auto* sources = Arr(v, {"projected", "sources"})) {
      for (const auto& src : *sources) {
        if (auto name = Str(src, {"configMap", "name"}); !name.empty()) out->insert({ns, name});
      }
    }
  }
}

class BoundedAudit {
 public:
  BoundedAudit(kube::KubeClient& client, const CollectOptions& options) : client_(client), options_(options) {
    snap_.namespace_scope = options.ns;
  }

  Report Run(const AnalyzeOptions& analyze) {
    ReadWebhookConfigurations();
    ReadWorkloads(res::kDeployments);
    ReadWorkloads(res::kDaemonSets);
    ReadPods();
    // Nodes are part of what the audit reads (and reports unreadable), but the analysis uses
    // none of their fields: one object proves the list is allowed.
    Probe(res::kNodes);
    ReadFiltered(res::kServices, [&](const value& svc) {
      return namespaces_.count(Meta(svc, "namespace")) != 0 ||
             webhook_services_.count({Meta(svc, "namespace"), Meta(svc, "name")}) != 0;
    });
    ReadFiltered(res::kEndpoints, [&](const value& ep) {
      return webhook_services_.count({Meta(ep, "namespace"), Meta(ep, "name")}) != 0;
    });
    ReadFiltered(res::kNetworkPolicies, [&](const value& np) { return namespaces_.count(Meta(np, "namespace")) != 0; });
    ReadConfigMaps();

    IngressFeed feed;
    ApiConfigMaps lookup(*this);
    feed.configmaps = &lookup;
    feed.for_each = [this](const std::function<void(const value&)>& judge,
                           const std::function<void()>& restart) -> std::optional<ReadError> {
      if (Cancelled()) return kCancelled;
      return ForEachPage(
          res::kIngresses, [&](std::vector<value>& items) {
            for (const auto& obj : items) judge(obj);
          },
          restart);
    };
    feed.late_errors = [&lookup] { return lookup.errors(); };
    return Analyze(snap_, analyze, feed);
  }

  ClusterSnapshot& snapshot() { return snap_; }

 private:
  bool Cancelled() const { return options_.cancelled && options_.cancelled(); }

  // Lists `key` page by page, handing each page to `page` and dropping it. A continue token
  // that expires (410) restarts the listing, after `restart` resets what earlier pages left.
  std::optional<ReadError> ForEachPage(const std::string& key, const std::function<void(std::vector<value>&)>& page,
                                       const std::function<void()>& restart = nullptr) {
    const kube::Resource* resource = ResourceForKey(key);
    const std::string ns = resource->namespaced ? options_.ns : "";
    constexpr int kMaxRestarts = 3;
    for (int attempt = 0;; ++attempt) {
      kube::ListOptions opts;
      opts.limit = options_.page_size;
      bool restarted = false;
      for (;;) {
        auto result = client_.List(*resource, ns, opts);
        if (!result.ok()) {
          if (kube::IsGone(result.error()) && !opts.continue_token.empty() && attempt < kMaxRestarts) {
            restarted = true;
            break;
          }
          return FromApiError(result.error());
        }
        kube::ObjectList& list = result.value();
        page(list.items);
        if (list.continue_token.empty()) return std::nullopt;
        // Between pages, so a pass over budget or losing leadership stops within one request.
        if (Cancelled()) return ReadError{"Cancelled", 0, "audit cancelled while " + key + " were listed"};
        opts.continue_token = std::move(list.continue_token);
      }
      if (restarted && restart) restart();
    }
  }

  // Reads `key` and keeps the objects `keep` accepts, or records why it could not.
  template <typename Keep>
  void ReadFiltered(const std::string& key, Keep keep) {
    if (Cancelled()) {
      snap_.errors[key] = kCancelled;
      return;
    }
    std::vector<value> kept;
    auto err = ForEachPage(
        key,
        [&](std::vector<value>& items) {
          for (auto& obj : items) {
            if (keep(obj)) kept.push_back(std::move(obj));
          }
        },
        [&] { kept.clear(); });
    if (err) {
      snap_.errors[key] = *err;
      return;
    }
    snap_.objects[key] = std::move(kept);
  }

  // A resource whose objects are not needed, only whether it can be listed.
  void Probe(const std::string& key) {
    if (Cancelled()) {
      snap_.errors[key] = kCancelled;
      return;
    }
    const kube::Resource* resource = ResourceForKey(key);
    kube::ListOptions opts;
    opts.limit = 1;
    auto result = client_.List(*resource, resource->namespaced ? options_.ns : "", opts);
    if (!result.ok()) snap_.errors[key] = FromApiError(result.error());
    else snap_.objects[key];  // read, nothing kept
  }

  void ReadWebhookConfigurations() {
    ReadFiltered(res::kValidatingWebhookConfigurations, [&](const value& vwc) {
      if (const auto* hooks = Arr(vwc, {"webhooks"})) {
        for (const auto& h : *hooks) {
          std::string ns = Str(h, {"clientConfig", "service", "namespace"});
          if (!ns.empty()) webhook_services_.insert({ns, Str(h, {"clientConfig", "service", "name"})});
        }
      }
      return true;
    });
    for (const auto& [ns, name] : webhook_services_) webhook_namespaces_.insert(ns);
  }

  void ReadWorkloads(const std::string& key) {
    const bool deployments = key == res::kDeployments;
    ReadFiltered(key, [&](const value& obj) {
      const value* tmpl = At(obj, {"spec", "template"});
      if (tmpl == nullptr) return false;
      const std::string ns = Meta(obj, "namespace");
      auto controllers = ControllerContainers(*tmpl);
      for (const value* c : controllers) {
        if (auto cm = ControllerConfigMap(CommandAndArgs(*c), ns)) configmaps_.insert(*cm);
      }
      if (!controllers.empty()) {
        namespaces_.insert(ns);
        if (const value* sel = At(obj, {"spec", "selector"})) selectors_.push_back({ns, *sel});
        return true;
      }
      // The Deployment behind Riposte's own webhook Service (audit/riposte_install.cc).
      if (deployments && webhook_namespaces_.count(ns) != 0) {
        MountedConfigMaps(*tmpl, ns, &configmaps_);
        return true;
      }
      return false;
    });
  }

  void ReadPods() {
    ReadFiltered(res::kPods, [&](const value& pod) {
      const std::string ns = Meta(pod, "namespace");
      auto controllers = ControllerContainers(pod);
      if (!controllers.empty()) {
        namespaces_.insert(ns);
        for (const value* c : controllers) {
          if (auto cm = ControllerConfigMap(CommandAndArgs(*c), ns)) configmaps_.insert(*cm);
        }
        return true;
      }
      if (namespaces_.count(ns) == 0) return false;
      auto labels = Labels(At(pod, {"metadata", "labels"}));
      for (const auto& [sel_ns, selector] : selectors_) {
        if (sel_ns == ns && Selects(&selector, labels)) return true;
      }
      return false;
    });
  }

  bool InScope(const std::string& ns) const { return options_.ns.empty() || options_.ns == ns; }

 public:
  // One ConfigMap by name, through a list with a field selector: the audit identity needs the
  // list verb only (docs/audit.md), as for the full list this replaces.
  // Returns nullopt when it does not exist.
  kube::Result<std::optional<value>> FetchConfigMap(const NsName& ref) {
    kube::ListOptions opts;
    opts.field_selector = "metadata.name=" + ref.second;
    auto result = client_.List(kube::resources::kConfigMaps, ref.first, opts);
    if (!result.ok()) return result.error();
    for (auto& item : result.value().items) {
      if (Meta(item, "name") == ref.second) return std::optional<value>(std::move(item));
    }
    return std::optional<value>();
  }

  bool ConfigMapsReadable() const { return snap_.Readable(res::kConfigMaps); }
  bool InScopeName(const NsName& ref) const {
    return InScope(ref.first) && kube::ValidateNamespaceName(ref.first).empty() &&
           kube::ValidateObjectName(ref.second).empty();
  }

 private:
  void ReadConfigMaps() {
    const std::string key = res::kConfigMaps;
    Probe(key);
    if (!snap_.Readable(key)) return;
    auto& kept = snap_.objects[key];
    for (const auto& ref : configmaps_) {
      if (!InScopeName(ref)) continue;  // the full list of the namespace in scope would not hold it
      if (Cancelled()) {
        snap_.errors[key] = kCancelled;
        snap_.objects.erase(key);
        return;
      }
      auto cm = FetchConfigMap(ref);
      if (!cm.ok()) {
        snap_.errors[key] = FromApiError(cm.error());
        snap_.objects.erase(key);
        return;
      }
      if (cm.value()) kept.push_back(std::move(*cm.value()));
    }
  }

  // ConfigMaps named by Ingress annotations, read when the engine asks for one and kept for
  // the rest of the pass (absent ones too), so each is read once.
  class ApiConfigMaps : public core::ConfigMapLookup {
   public:
    explicit ApiConfigMaps(BoundedAudit& audit) : audit_(audit) {}
    const core::ConfigMap* Find(const std::string& ns, const std::string& name) const override {
      std::lock_guard<std::mutex> lock(mu_);
      NsName ref{ns, name};
      auto it = cache_.find(ref);
      if (it != cache_.end()) return it->second ? &*it->second : nullptr;
      std::optional<core::ConfigMap> found;
      if (audit_.ConfigMapsReadable() && errors_.empty() && audit_.InScopeName(ref)) {
        auto cm = audit_.FetchConfigMap(ref);
        if (!cm.ok()) {
          errors_[res::kConfigMaps] = FromApiError(cm.error());
        } else if (cm.value()) {
          found = ConfigMapFromJson(*cm.value());
        }
      }
      auto [pos, _] = cache_.emplace(std::move(ref), std::move(found));
      return pos->second ? &*pos->second : nullptr;
    }
    std::map<std::string, ReadError> errors() const {
      std::lock_guard<std::mutex> lock(mu_);
      return errors_;
    }

   private:
    BoundedAudit& audit_;
    mutable std::mutex mu_;
    mutable std::map<NsName, std::optional<core::ConfigMap>> cache_;
    mutable std::map<std::string, ReadError> errors_;
  };

  kube::KubeClient& client_;
  const CollectOptions& options_;
  ClusterSnapshot snap_;
  std::set<NsName> webhook_services_;        // (ns, name) of Services webhooks call
  std::set<std::string> webhook_namespaces_;
  std::set<std::string> namespaces_;         // namespaces with an ingress-nginx controller
  std::vector<std::pair<std::string, value>> selectors_;  // (ns, spec.selector) of controller workloads
  std::set<NsName> configmaps_;              // ConfigMaps the analysis reads by name
};

}  // namespace

Report AuditCluster(kube::KubeClient& client, const CollectOptions& collect, const AnalyzeOptions& analyze) {
  return BoundedAudit(client, collect).Run(analyze);
}

}  // namespace riposte::audit
