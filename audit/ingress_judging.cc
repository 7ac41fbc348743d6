#include "audit/ingress_judging.h"

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "audit/ingress_checker.h"
#include "audit/k8s_read.h"
#include "core/rules.h"

namespace riposte::audit::analysis {

namespace {

using core::Severity;
using web::json::value;
using namespace k8s;  // At, Str, Arr, Meta, Labels, Selects, ServiceSelects, CommandAndArgs, FlagValue, ParseBool

class IngressJudging {
 public:
  explicit IngressJudging(AnalysisState& st) : st_(st) {}

  class SnapshotConfigMaps : public core::ConfigMapLookup {
   public:
    explicit SnapshotConfigMaps(const ClusterSnapshot& snap) {
      for (const auto& obj : snap.Objects(res::kConfigMaps)) {
        core::ConfigMap cm = ConfigMapFromJson(obj);
        auto key = std::make_pair(cm.ns, cm.name);
        maps_.emplace(std::move(key), std::move(cm));
      }
    }
    const core::ConfigMap* Find(const std::string& ns, const std::string& name) const override {
      auto it = maps_.find({ns, name});
      return it == maps_.end() ? nullptr : &it->second;
    }

   private:
    std::map<std::pair<std::string, std::string>, core::ConfigMap> maps_;
  };

  void JudgeIngresses() {
    st_.report.engine_available = st_.opts.checker != nullptr;
    SnapshotConfigMaps lookup(st_.snap);
    for (const auto& obj : st_.snap.Objects(res::kIngresses)) JudgeIngress(obj, &lookup);
    SortIngresses();
  }

  // The live audit: Ingresses arrive one at a time and only their results and findings stay.
  void JudgeFeed() {
    st_.report.engine_available = st_.opts.checker != nullptr;
    const size_t findings_before = st_.report.findings.size();
    std::vector<value> kept_for_migration;
    auto drop_judged = [&] {
      st_.report.findings.resize(findings_before);
      st_.report.ingresses.clear();
      kept_for_migration.clear();
    };
    std::optional<ReadError> err = st_.feed->for_each(
        [&](const value& obj) {
          JudgeIngress(obj, st_.feed->configmaps);
          if (st_.opts.migration) kept_for_migration.push_back(MigrationFields(obj));
        },
        drop_judged);
    if (err) {
      // As when a whole list fails: nothing of a partly read resource is reported.
      drop_judged();
      st_.AddUnreadable(res::kIngresses, *err);
    }
    if (st_.feed->late_errors) {
      for (const auto& [resource, e] : st_.feed->late_errors()) st_.AddUnreadable(resource, e);
    }
    st_.fed.source = st_.snap.source;
    st_.fed.namespace_scope = st_.snap.namespace_scope;
    st_.fed.objects[res::kIngresses] = std::move(kept_for_migration);
    SortIngresses();
  }

  // The migration inventory reads an Ingress's namespace, name and annotations only.
  static value MigrationFields(const value& obj) {
    value meta = value::object();
    for (const char* f : {"namespace", "name", "annotations"}) {
      if (const value* v = At(obj, {"metadata", f})) meta[f] = *v;
    }
    value out = value::object();
    out["metadata"] = meta;
    return out;
  }

  void SortIngresses() {
    std::sort(st_.report.ingresses.begin(), st_.report.ingresses.end(),
              [](const IngressResult& a, const IngressResult& b) { return a.ingress < b.ingress; });
  }

  void JudgeIngress(const value& obj, const core::ConfigMapLookup* lookup) {
    core::Ingress ing = IngressFromJson(obj);
    IngressResult r;
    r.ingress = {"Ingress", ing.ns, ing.name};
    r.ingress_class = ing.ingress_class;
    if (r.ingress_class.empty()) {
      for (const auto& [k, v] : ing.annotations) {
        if (k == "kubernetes.io/ingress.class") r.ingress_class = v;
      }
    }
    std::set<std::string> backends;
    if (auto b = Str(obj, {"spec", "defaultBackend", "service", "name"}); !b.empty()) backends.insert(b);
    if (const auto* rules = Arr(obj, {"spec", "rules"})) {
      for (const auto& rule : *rules) {
        if (const auto* paths = Arr(rule, {"http", "paths"})) {
          for (const auto& p : *paths) {
            if (auto b = Str(p, {"backend", "service", "name"}); !b.empty()) backends.insert(b);
          }
        }
      }
    }
    r.backends.assign(backends.begin(), backends.end());
    for (const auto& ctrl : st_.report.controllers) {
      if (r.ingress_class.empty() || r.ingress_class == ctrl.ingress_class) {
        r.controllers.push_back(ctrl.workload.ToString());
      }
    }
    if (st_.opts.checker) {
      std::vector<core::Finding> found = st_.opts.checker->Check(ing, lookup);
      r.findings = found.size();
      Severity worst = Severity::kLow;
      for (auto& f : found) {
        worst = std::max(worst, f.severity);
        const bool in_configmap = f.field.starts_with("configmap ");
        st_.AddFinding({.id = "Ingress/" + ing.ns + "/" + ing.name + "/" + f.rule_id + "/" + f.field,
                    .category = in_configmap ? Category::kConfigMap : Category::kIngress,
                    .severity = f.severity,
                    .object = r.ingress,
                    .cves = f.cves,
                    .rule_id = f.rule_id,
                    .field = f.field,
                    .title = f.message,
                    .detail = "existing Ingress " + (ing.ns.empty() ? "" : ing.ns + "/") + ing.name +
                              (r.controllers.empty() ? std::string() : " served by " + Join(r.controllers)) +
                              " would be rejected by the Riposte webhook (" + f.field + ")",
                    .remediation = f.remediation});
      }
      if (!found.empty()) r.worst = std::string(SeverityLabel(worst));
    }
    st_.report.ingresses.push_back(std::move(r));
  }

 private:
  AnalysisState& st_;
};

}  // namespace

void JudgeIngresses(AnalysisState& st) { IngressJudging(st).JudgeIngresses(); }

void JudgeFeed(AnalysisState& st) { IngressJudging(st).JudgeFeed(); }

}  // namespace riposte::audit::analysis
