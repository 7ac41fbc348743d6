#pragma once
// The running response controller: informers for ResponsePolicies, ResponseActions and
// Namespaces; the alert ingestor (any replica); and, on the Lease holder only, workers that
// reconcile ResponseActions from a rate-limited work queue and a worker that writes
// ResponsePolicy conditions. The threads and what each may block on are in
// docs/controller.md ("Threads"): callbacks from the elector and the informers only update
// memory and enqueue keys; every API call of the leader runs on a worker.

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "controller/guards.h"
#include "controller/incidents.h"
#include "controller/ingest.h"
#include "controller/leader_task.h"
#include "controller/metrics.h"
#include "controller/periodic.h"
#include "controller/pod_prefetch.h"
#include "controller/policy.h"
#include "controller/policy_status.h"
#include "controller/reconciler.h"
#include "controller/recent_objects.h"
#include "kube/clock.h"
#include "kube/informer.h"
#include "kube/kube_client.h"
#include "kube/leader_election.h"
#include "kube/work_queue.h"

namespace riposte::controller {

struct ControllerOptions {
  std::string own_namespace = "riposte-system";
  std::string lease_name = "riposte-controller";
  std::string identity;  // "" = hostname + random suffix
  bool dry_run = false;
  int64_t max_destructive_per_minute = 10;
  std::set<std::string> protected_namespaces{"kube-system"};  // own_namespace is always added
  int workers = 2;
  std::chrono::milliseconds lease_duration{15000}, renew_deadline{10000}, retry_period{2000};
  // Leader-only work given from outside (the periodic exposure audit, from cli/).
  std::vector<LeaderTask> leader_tasks;
  // How often ResponsePolicy status counters and ResponseAction incident records are written
  // (batched per object).
  std::chrono::milliseconds policy_status_interval{5000};
  IncidentLimits incident_limits;
  // Separate clients (each with its own client-side rate limit), so that a backlog of
  // reconcile work can neither delay Lease renewals past the renew deadline nor hold every
  // alert's 2xx behind it. Null = the main client.
  kube::KubeClientPtr election_client;
  kube::KubeClientPtr recorder_client;
  // Time for leader election and the work queues (tests drive it by hand).
  kube::ClockPtr clock = kube::DefaultClock();
};

// Records ResponseActions through the kube client. `on_creating` hears of each create before
// it is sent (namespace and target pod: the leader reads the pod meanwhile) and `on_created`
// gets each created object (the leader acts on it at once, without waiting for its watch
// event). Both only hand work to other threads.
class KubeResponseRecorder final : public ResponseRecorder {
 public:
  KubeResponseRecorder(kube::KubeClientPtr client,
                       std::function<void(const std::string& ns, const std::string& pod)> on_creating = {},
                       std::function<void(web::json::value&&)> on_created = {})
      : client_(std::move(client)), on_creating_(std::move(on_creating)), on_created_(std::move(on_created)) {}
  RecordOutcome Create(const std::string& ns, const web::json::value& ra, std::string* message) override;

 private:
  kube::KubeClientPtr client_;
  std::function<void(const std::string&, const std::string&)> on_creating_;
  std::function<void(web::json::value&&)> on_created_;
};

class ResponseController {
 public:
  ResponseController(kube::KubeClientPtr client, ControllerOptions opts);
  ~ResponseController();
  ResponseController(const ResponseController&) = delete;
  ResponseController& operator=(const ResponseController&) = delete;

  void Start();
  void Stop();

  AlertIngestor& ingestor() { return *ingestor_; }
  ControllerMetrics& metrics() { return metrics_; }
  // Caches synced and a leader known: alerts can be recorded and will be acted on.
  bool Ready() const;
  bool IsLeader() const { return elector_ && elector_->IsLeader(); }
  PolicyStatusCounters& policy_status() { return *status_counters_; }
  IncidentAggregator& incidents() { return *incidents_; }
  // Names of the policies alerts are matched against (valid ones only).
  std::vector<std::string> PolicyNames() const;

 private:
  struct PolicyRecord {
    PolicyPtr compiled;  // null when invalid
    int64_t generation = 0;
    std::vector<std::string> errors;
  };
  // Informer callbacks: memory and queues only.
  void OnPolicy(const kube::ObjectPtr& obj);
  void OnPolicyDeleted(const kube::ObjectPtr& obj);
  void OnResponseAction(const kube::ObjectPtr& obj);
  // Elector callbacks: queues and flags only.
  void OnStartedLeading();
  void OnStoppedLeading();
  void OnCreated(web::json::value&& obj);
  void Worker();
  void PolicyWorker();
  bool WritePolicyCondition(const std::string& name);
  std::vector<PolicyPtr> Policies() const;

  kube::KubeClientPtr client_;
  ControllerOptions opts_;
  ControllerMetrics metrics_;
  std::unique_ptr<Guards> guards_;
  std::unique_ptr<kube::SharedInformerFactory> factory_;
  kube::InformerPtr policies_inf_, actions_inf_, namespaces_inf_;
  std::shared_ptr<kube::WorkQueue> queue_;         // ResponseAction keys
  std::shared_ptr<kube::WorkQueue> policy_queue_;  // ResponsePolicy names whose conditions may need a write
  std::unique_ptr<kube::LeaderElector> elector_;
  RecentObjects recent_;
  std::unique_ptr<PodPrefetcher> prefetch_;
  std::unique_ptr<Reconciler> reconciler_;
  std::unique_ptr<AlertIngestor> ingestor_;
  std::unique_ptr<PolicyStatusCounters> status_counters_;
  std::unique_ptr<IncidentAggregator> incidents_;
  std::unique_ptr<PeriodicRunner> status_flusher_;
  std::atomic<bool> last_flush_ok_{true};
  metrics::CounterFamily* reconciles_ = nullptr;  // riposte_reconciles_total{result}
  mutable std::mutex mu_;
  std::map<std::string, PolicyRecord> policies_;
  std::map<std::string, std::string> policy_status_written_;  // name -> generation/errors digest
  std::vector<std::thread> workers_;
  std::thread policy_worker_;
  std::atomic<bool> started_{false};
};

}  // namespace riposte::controller
