#include "verify/verify.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <ctime>
#include <optional>
#include <set>
#include <thread>

#include "core/engine.h"
#include "core/ingress_json.h"
#include "core/policy.h"
#include "common/json_value.h"
#include "kube/resource.h"
#include "kube/selector.h"
#include "kube/tls_material.h"

namespace riposte::verify {

namespace {

using web::json::value;

// metav1.MicroTime / Time (RFC 3339, UTC or with an offset, optional fraction).
std::optional<std::chrono::system_clock::time_point> ParseMicroTime(const std::string& text) {
  std::tm tm{};
  const char* rest = strptime(text.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
  if (rest == nullptr) return std::nullopt;
  long long micros = 0;
  if (*rest == '.') {
    ++rest;
    int digits = 0;
    while (*rest >= '0' && *rest <= '9') {
      if (digits < 6) micros = micros * 10 + (*rest - '0');
      ++digits;
      ++rest;
    }
    if (digits == 0) return std::nullopt;
    for (int i = digits; i < 6; ++i) micros *= 10;
  }
  long offset = 0;
  if (*rest == 'Z') {
    ++rest;
  } else if (*rest == '+' || *rest == '-') {
    int hh = 0, mm = 0;
    if (std::sscanf(rest + 1, "%2d:%2d", &hh, &mm) != 2) return std::nullopt;
    offset = (hh * 60L + mm) * 60L * (*rest == '-' ? -1 : 1);
    rest += 6;
  } else {
    return std::nullopt;
  }
  if (*rest != '\0') return std::nullopt;
  const time_t tt = timegm(&tm) - offset;
  return std::chrono::system_clock::from_time_t(tt) + std::chrono::microseconds(micros);
}

const kube::Resource kEndpointSlices{{"discovery.k8s.io", "v1", "endpointslices"}, "EndpointSlice", true};

// The IngressNightmare payload of CVE-2025-24514 (auth-url breaking out of its directive and
// loading a shared object through /proc), as the public exploit sends it.
constexpr const char* kAttackUrl = "http://example.com/#;\n}}}\nssl_engine /proc/1/fd/3;\n#";

std::string Join(const std::vector<std::string>& v, const std::string& sep = ", ") {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : sep) + s;
  return out;
}

value TestIngress(const Options& o, const std::string& kind, const value& annotations) {
  value ing = value::object();
  ing["apiVersion"] = value::string("networking.k8s.io/v1");
  ing["kind"] = value::string("Ingress");
  value meta = value::object();
  meta["generateName"] = value::string("riposte-verify-" + kind + "-");
  value labels = value::object();
  labels["app.kubernetes.io/name"] = value::string("riposte-verify");
  for (const auto& [k, v] : o.labels) labels[k] = value::string(v);
  meta["labels"] = labels;
  if (annotations.size() > 0) meta["annotations"] = annotations;
  ing["metadata"] = meta;
  value backend = value::parse(R"({"service":{"name":"riposte-verify","port":{"number":80}}})");
  value path = value::object();
  path["path"] = value::string("/");
  path["pathType"] = value::string("Prefix");
  path["backend"] = backend;
  value rule = value::object();
  rule["host"] = value::string("riposte-verify.example.com");
  rule["http"]["paths"][0] = path;
  value spec = value::object();
  if (!o.ingress_class.empty()) spec["ingressClassName"] = value::string(o.ingress_class);
  spec["rules"][0] = rule;
  ing["spec"] = spec;
  return ing;
}

std::vector<std::string> RuleIdsIn(const std::string& text) {
  std::vector<std::string> out;
  for (size_t at = text.find("RIP-"); at != std::string::npos; at = text.find("RIP-", at + 4)) {
    if (at > 0 && (std::isalnum(static_cast<unsigned char>(text[at - 1])) != 0 || text[at - 1] == '-')) continue;
    size_t end = at + 4;
    while (end < text.size() && (std::isupper(static_cast<unsigned char>(text[end])) != 0 ||
                                 std::isdigit(static_cast<unsigned char>(text[end])) != 0 || text[end] == '-'))
      ++end;
    while (end > at + 4 && text[end - 1] == '-') --end;
    std::string id = text.substr(at, end - at);
    if (id.size() > 4 && std::find(out.begin(), out.end(), id) == out.end()) out.push_back(id);
  }
  return out;
}

// The quoted name after `prefix` in `msg` (admission webhook "NAME" ...).
std::string QuotedAfter(const std::string& msg, const std::string& prefix) {
  size_t at = msg.find(prefix);
  if (at == std::string::npos) return "";
  size_t open = at + prefix.size();
  char q = open < msg.size() ? msg[open] : '\0';
  if (q != '"' && q != '\'') return "";
  size_t close = msg.find(q, open + 1);
  return close == std::string::npos ? "" : msg.substr(open + 1, close - open - 1);
}

std::string Shorten(const std::string& s, size_t max = 300) {
  return s.size() <= max ? s : s.substr(0, max) + "...";
}

struct Url {
  std::string host;
  int port = 443;
  std::string path;
  bool ok = false;
};

Url ParseHttpsUrl(const std::string& url) {
  Url u;
  const std::string scheme = "https://";
  if (url.rfind(scheme, 0) != 0) return u;
  std::string rest = url.substr(scheme.size());
  size_t slash = rest.find('/');
  std::string authority = rest.substr(0, slash);
  u.path = slash == std::string::npos ? "/" : rest.substr(slash);
  if (!authority.empty() && authority[0] == '[') {
    size_t close = authority.find(']');
    if (close == std::string::npos) return u;
    u.host = authority.substr(1, close - 1);
    if (close + 1 < authority.size() && authority[close + 1] == ':') u.port = std::atoi(authority.c_str() + close + 2);
  } else {
    size_t colon = authority.rfind(':');
    u.host = authority.substr(0, colon);
    if (colon != std::string::npos) u.port = std::atoi(authority.c_str() + colon + 1);
  }
  u.ok = !u.host.empty() && u.port > 0 && u.port < 65536;
  return u;
}

bool ParseAddress(const std::string& address, std::string* host, int* port) {
  size_t colon = address.rfind(':');
  if (colon == std::string::npos || colon == 0) return false;
  *host = address.substr(0, colon);
  if (host->size() > 2 && host->front() == '[' && host->back() == ']') *host = host->substr(1, host->size() - 2);
  *port = std::atoi(address.c_str() + colon + 1);
  return *port > 0 && *port < 65536;
}

std::string DescribeSelector(const value& selector) {
  std::string s = kube::LabelSelector::FromJson(selector).String();
  return s.empty() ? "{}" : s;
}

// Repeats `call` while it fails with an RBAC denial, until `deadline`.
template <typename Call>
auto Settled(std::chrono::steady_clock::time_point deadline, Call call) {
  for (;;) {
    auto r = call();
    if (r.ok() || r.error().kind != kube::ErrorKind::kForbidden ||
        r.error().message.find("is forbidden: User") == std::string::npos || std::chrono::steady_clock::now() >= deadline)
      return r;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
}

struct Endpoints {
  bool service_found = false;
  std::string cluster_ip;
  int ready = 0, total = 0;
  std::string error;  // reading failed
};

// Ready endpoints of a Service's port (by its name) from EndpointSlices, as kube-proxy and the
// API server's service resolution see them.
Endpoints ReadyEndpoints(kube::KubeClient& client, std::chrono::steady_clock::time_point settle, const std::string& ns,
                         const std::string& service, int port, const std::string& port_name_hint = "") {
  Endpoints e;
  auto svc = Settled(settle, [&] { return client.Get(kube::resources::kServices, ns, service); });
  if (!svc.ok()) {
    if (!kube::IsNotFound(svc.error())) e.error = svc.error().ToString();
    return e;
  }
  e.service_found = true;
  e.cluster_ip = json::GetString(svc.value(), {"spec", "clusterIP"}).value_or("");
  std::string port_name = port_name_hint;
  if (const auto* ports = json::Find(svc.value(), {"spec", "ports"}); ports != nullptr && ports->is_array()) {
    for (const auto& p : ports->as_array()) {
      if (json::GetInt(p, {"port"}).value_or(0) == port || (port == 0 && json::GetString(p, {"name"}).value_or("") == port_name)) {
        port_name = json::GetString(p, {"name"}).value_or("");
        break;
      }
    }
  }
  kube::ListOptions lo;
  lo.label_selector = kube::LabelSelector().Eq("kubernetes.io/service-name", service).String();
  auto slices = Settled(settle, [&] { return client.List(kEndpointSlices, ns, lo); });
  if (!slices.ok()) {
    e.error = slices.error().ToString();
    return e;
  }
  for (const auto& slice : slices.value().items) {
    bool has_port = false;
    if (const auto* ports = json::Find(slice, {"ports"}); ports != nullptr && ports->is_array()) {
      for (const auto& p : ports->as_array()) has_port |= json::GetString(p, {"name"}).value_or("") == port_name;
    }
    if (!has_port) continue;
    const auto* eps = json::Find(slice, {"endpoints"});
    if (eps == nullptr || !eps->is_array()) continue;
    for (const auto& ep : eps->as_array()) {
      ++e.total;
      // conditions.ready unset means ready (discovery.k8s.io/v1).
      if (json::GetBool(ep, {"conditions", "ready"}).value_or(true)) ++e.ready;
    }
  }
  return e;
}

std::string Plural(int n, const std::string& word) { return std::to_string(n) + " " + word + (n == 1 ? "" : "s"); }

}  // namespace

const char* StatusName(Status s) {
  switch (s) {
    case Status::kOk: return "ok";
    case Status::kFail: return "FAIL";
    case Status::kSkip: return "skip";
  }
  return "?";
}

bool Report::Protected() const {
  if (!error.empty()) return false;
  return std::none_of(checks.begin(), checks.end(), [](const Check& c) { return c.status == Status::kFail; });
}

int Report::ExitCode() const { return !error.empty() ? 2 : Protected() ? 0 : 1; }

value AttackIngress(const Options& options) {
  value a = value::object();
  a["nginx.ingress.kubernetes.io/auth-url"] = value::string(kAttackUrl);
  return TestIngress(options, "attack", a);
}

value BenignIngress(const Options& options) {
  value a = value::object();
  a["nginx.ingress.kubernetes.io/ssl-redirect"] = value::string("true");
  a["nginx.ingress.kubernetes.io/proxy-body-size"] = value::string("8m");
  return TestIngress(options, "benign", a);
}

std::vector<std::string> ExpectedAttackRules() {
  core::Ingress ingress;
  core::DecodeError error;
  Options o;
  if (!core::DecodeIngressJson(AttackIngress(o).serialize(), &ingress, &error)) return {};
  ingress.ns = o.test_namespace;
  std::vector<std::string> ids;
  for (const auto& f : core::Engine(core::DefaultPolicy()).Check(ingress)) {
    if (std::find(ids.begin(), ids.end(), f.rule_id) == ids.end()) ids.push_back(f.rule_id);
  }
  return ids;
}

Answer Classify(const kube::ApiError& error, const std::string& riposte_webhook) {
  Answer a;
  a.message = error.message.empty() ? error.ToString() : error.message;
  const std::string& m = a.message;
  a.rule_ids = RuleIdsIn(m);
  a.tls_error = m.find("x509:") != std::string::npos || m.find("certificate") != std::string::npos;
  const std::string hook = QuotedAfter(m, "admission webhook ");
  const std::string failed = QuotedAfter(m, "failed calling webhook ");
  const std::string vap = QuotedAfter(m, "ValidatingAdmissionPolicy ");
  if (!hook.empty() && m.find("denied the request") != std::string::npos) {
    a.origin = hook;
    a.kind = hook == riposte_webhook ? Answer::Kind::kDeniedByRiposte : Answer::Kind::kDeniedByOther;
  } else if (!failed.empty()) {
    a.origin = failed;
    a.kind = failed == riposte_webhook ? Answer::Kind::kWebhookCallFailed : Answer::Kind::kOtherWebhookFailed;
  } else if (!hook.empty() && m.find("does not support dry run") != std::string::npos) {
    a.origin = hook;
    a.kind = Answer::Kind::kNoDryRunSupport;
  } else if (!vap.empty()) {
    a.origin = "ValidatingAdmissionPolicy " + vap;
    a.kind = Answer::Kind::kDeniedByOther;
  } else {
    a.kind = Answer::Kind::kRefused;
  }
  return a;
}

Report Run(kube::KubeClient& client, Prober& prober, const Options& o) {
  Report report;
  const auto settle = std::chrono::steady_clock::now() + o.rbac_settle;
  report.configuration = o.name;
  report.test_namespace = o.test_namespace;
  const std::string install_fix =
      "install Riposte (helm upgrade --install riposte ./helm/riposte -n riposte --create-namespace --wait, or "
      "kubectl apply -k manifests/), or name the configuration with --name";

  // --- the ValidatingWebhookConfiguration -----------------------------------------------------
  Check cfg{"webhook-configuration", Status::kFail, "", ""};
  bool vwc_found = false, url_form = false, cert_manager = false;
  std::string failure_policy, url, svc_ns, svc_name, ca_bundle_pem;
  int svc_port = 443;
  value ns_selector = value::object(), object_selector = value::object();
  auto vwc = Settled(settle, [&] { return client.Get(kube::resources::kValidatingWebhookConfigurations, "", o.name); });
  if (!vwc.ok() && (vwc.error().kind == kube::ErrorKind::kTransport || vwc.error().kind == kube::ErrorKind::kUnauthorized)) {
    report.error = "cannot talk to the API server: " + vwc.error().ToString();
    return report;
  }
  if (!vwc.ok()) {
    if (kube::IsNotFound(vwc.error())) {
      cfg.detail = "ValidatingWebhookConfiguration " + o.name + " not found: the API server sends no Ingress to Riposte";
      cfg.fix = install_fix;
    } else {
      cfg.detail = "cannot read ValidatingWebhookConfiguration " + o.name + ": " + vwc.error().ToString();
      cfg.fix = "grant get on validatingwebhookconfigurations (the chart's test ServiceAccount has it)";
    }
  } else {
    cert_manager = !json::GetString(vwc.value(), {"metadata", "annotations", "cert-manager.io/inject-ca-from"}).value_or("").empty();
    const value* hooks = json::Find(vwc.value(), {"webhooks"});
    const value* hook = nullptr;
    if (hooks != nullptr && hooks->is_array()) {
      for (const auto& h : hooks->as_array())
        if (json::GetString(h, {"name"}).value_or("") == kRiposteWebhookName) hook = &h;
    }
    if (hook == nullptr) {
      cfg.detail = "ValidatingWebhookConfiguration " + o.name + " has no webhook named " + kRiposteWebhookName;
      cfg.fix = install_fix;
    } else {
      vwc_found = true;
      failure_policy = json::GetString(*hook, {"failurePolicy"}).value_or("Fail");
      url = json::GetString(*hook, {"clientConfig", "url"}).value_or("");
      url_form = !url.empty();
      svc_ns = json::GetString(*hook, {"clientConfig", "service", "namespace"}).value_or("");
      svc_name = json::GetString(*hook, {"clientConfig", "service", "name"}).value_or("");
      svc_port = static_cast<int>(json::GetInt(*hook, {"clientConfig", "service", "port"}).value_or(443));
      std::string b64 = json::GetString(*hook, {"clientConfig", "caBundle"}).value_or("");
      if (!b64.empty() && !kube::internal::Base64Decode(b64, &ca_bundle_pem)) ca_bundle_pem = "invalid base64";
      if (const auto* s = json::Find(*hook, {"namespaceSelector"})) ns_selector = *s;
      if (const auto* s = json::Find(*hook, {"objectSelector"})) object_selector = *s;
      bool covers_ingress = false;
      if (const auto* rules = json::Find(*hook, {"rules"}); rules != nullptr && rules->is_array()) {
        for (const auto& r : rules->as_array()) {
          auto has = [&](const char* field, const std::string& want) {
            const auto* list = json::Find(r, {field});
            if (list == nullptr || !list->is_array()) return false;
            for (const auto& x : list->as_array())
              if (x.is_string() && (x.as_string() == want || x.as_string() == "*")) return true;
            return false;
          };
          covers_ingress |= has("apiGroups", "networking.k8s.io") && has("resources", "ingresses") && has("operations", "CREATE");
        }
      }
      std::string target = url_form ? "URL " + url : "Service " + svc_ns + "/" + svc_name + ":" + std::to_string(svc_port);
      if (!covers_ingress) {
        cfg.detail = "webhook " + std::string(kRiposteWebhookName) + " in " + o.name + " has no rule for CREATE of networking.k8s.io ingresses";
        cfg.fix = "restore the configuration (helm upgrade, or kubectl apply -k manifests/)";
      } else {
        cfg.status = Status::kOk;
        cfg.detail = "webhook " + std::string(kRiposteWebhookName) + " calls " + target + ", failurePolicy " + failure_policy;
      }
    }
  }
  report.ns = !o.ns.empty() ? o.ns : !svc_ns.empty() ? svc_ns : "riposte";
  const std::string& ns = report.ns;

  // --- the test namespace and the selectors ------------------------------------------------
  Check nsc{"namespace-selected", Status::kSkip, "", ""};
  bool ns_selected = true, object_selected = true;
  auto nso = Settled(settle, [&] { return client.Get(kube::resources::kNamespaces, "", o.test_namespace); });
  if (!nso.ok()) {
    nsc.status = Status::kFail;
    if (kube::IsNotFound(nso.error())) {
      nsc.detail = "namespace " + o.test_namespace + " does not exist";
      nsc.fix = "pass --test-namespace with an existing namespace whose Ingresses must be protected";
    } else {
      nsc.detail = "cannot read namespace " + o.test_namespace + ": " + nso.error().ToString();
      nsc.fix = "grant get on namespaces (the chart's test ServiceAccount has it for its test namespace)";
    }
  } else if (!vwc_found) {
    nsc.detail = "no Riposte webhook to select it";
  } else {
    auto ns_labels = json::GetStringMap(nso.value(), {"metadata", "labels"});
    ns_selected = kube::LabelSelector::FromJson(ns_selector).Matches(ns_labels);
    std::map<std::string, std::string> ing_labels = {{"app.kubernetes.io/name", "riposte-verify"}};
    for (const auto& [k, v] : o.labels) ing_labels[k] = v;
    object_selected = kube::LabelSelector::FromJson(object_selector).Matches(ing_labels);
    if (!ns_selected) {
      nsc.status = Status::kFail;
      nsc.detail = "namespace " + o.test_namespace + " is excluded by the webhook's namespaceSelector (" +
                   DescribeSelector(ns_selector) + "): its Ingresses are never sent to Riposte";
      nsc.fix = "if " + o.test_namespace + " must be protected, remove it from webhook.excludeNamespaces / "
                "webhook.namespaceSelector; otherwise run verify with --test-namespace set to a namespace that is judged";
    } else if (!object_selected) {
      nsc.status = Status::kFail;
      nsc.detail = "the webhook's objectSelector (" + DescribeSelector(object_selector) +
                   ") does not select the test Ingresses: only labelled Ingresses are judged";
      nsc.fix = "pass --label KEY=VALUE so the test Ingresses carry the label the objectSelector wants";
    } else {
      nsc.status = Status::kOk;
      nsc.detail = "namespace " + o.test_namespace + " is judged (namespaceSelector " + DescribeSelector(ns_selector) + ")";
    }
  }

  // --- the dry runs ------------------------------------------------------------------------------
  kube::CreateOptions dry;
  dry.dry_run = true;
  dry.field_manager = "riposte-verify";
  std::optional<Answer> attack, benign;
  if (nso.ok() || !kube::IsNotFound(nso.error())) {
    auto ra = Settled(settle, [&] { return client.Create(kube::resources::kIngresses, o.test_namespace, AttackIngress(o), dry); });
    attack = ra.ok() ? Answer{} : Classify(ra.error());
    auto rb = Settled(settle, [&] { return client.Create(kube::resources::kIngresses, o.test_namespace, BenignIngress(o), dry); });
    benign = rb.ok() ? Answer{} : Classify(rb.error());
  }

  // --- can the webhook be reached? ----------------------------------------------------------
  Check ready{"webhook-ready", Status::kSkip, "", ""};
  std::optional<Endpoint> direct;
  std::string hostname;  // the name the API server checks in the serving certificate
  if (vwc_found) {
    Url u = ParseHttpsUrl(url);
    hostname = url_form ? u.host : svc_name + "." + svc_ns + ".svc";
    Endpoints eps;
    if (!url_form) eps = ReadyEndpoints(client, settle, svc_ns, svc_name, svc_port);
    std::string host;
    int port = 0;
    if (!o.webhook_address.empty() && ParseAddress(o.webhook_address, &host, &port)) {
      direct = Endpoint{host, port, true, hostname};
    } else if (url_form && u.ok) {
      direct = Endpoint{u.host, u.port, true, hostname};
    } else if (!url_form && o.in_cluster && eps.service_found) {
      bool headless = eps.cluster_ip.empty() || eps.cluster_ip == "None";
      direct = Endpoint{headless ? hostname : eps.cluster_ip, svc_port, true, hostname};
    }
    std::vector<std::string> seen, problems;
    if (!url_form) {
      if (!eps.error.empty()) {
        problems.push_back("cannot read the endpoints of Service " + svc_ns + "/" + svc_name + ": " + eps.error);
      } else if (!eps.service_found) {
        problems.push_back("Service " + svc_ns + "/" + svc_name + " not found");
      } else if (eps.ready == 0) {
        problems.push_back("Service " + svc_ns + "/" + svc_name + " has no ready endpoints (" + Plural(eps.total, "endpoint") +
                           " in its EndpointSlices)");
      } else {
        seen.push_back("Service " + svc_ns + "/" + svc_name + ": " + Plural(eps.ready, "ready endpoint"));
      }
    }
    ProbeResult probe;
    if (direct) {
      probe = prober.Get(*direct, "/readyz");
      if (!probe.error.empty()) {
        problems.push_back(probe.error);
      } else if (probe.status != 200) {
        problems.push_back("GET https://" + direct->Describe() + "/readyz answered " + std::to_string(probe.status) + ": " +
                           Shorten(probe.body, 200));
      } else {
        seen.push_back("/readyz 200 at " + direct->Describe());
      }
    }
    if (!problems.empty()) {
      ready.status = Status::kFail;
      ready.detail = Join(problems, "; ");
      ready.fix = url_form ? "start the webhook behind " + url + " (it must listen there with the configured certificate)"
                           : "kubectl -n " + svc_ns + " get pods -l app.kubernetes.io/component=webhook; kubectl -n " +
                                 svc_ns + " describe deployment " + svc_name + " (and its pods' events and logs)";
    } else {
      ready.status = Status::kOk;
      ready.detail = Join(seen, "; ");
      if (ready.detail.empty()) ready.detail = "not checked";
    }

    // --- caBundle against the serving certificate ---------------------------------------------
    Check ca{"ca-bundle", Status::kSkip, "", ""};
    const bool riposte_answered = attack && attack->kind == Answer::Kind::kDeniedByRiposte;
    const bool tls_failed = (attack && attack->kind == Answer::Kind::kWebhookCallFailed && attack->tls_error) ||
                            (benign && benign->kind == Answer::Kind::kWebhookCallFailed && benign->tls_error);
    if (ca_bundle_pem.empty()) {
      ca.status = Status::kFail;
      ca.detail = "the webhook's caBundle is empty: the API server cannot verify the webhook's certificate";
      ca.fix = cert_manager ? "cert-manager's cainjector fills it: check that cert-manager runs and the Certificate " + ns +
                                  "/" + o.name + "-webhook is Ready"
                            : "patch caBundle with the CA of the serving certificate (docs/install.md, section 2b)";
    } else if (direct && !probe.chain_pem.empty()) {
      std::string why = CheckServingChain(ca_bundle_pem, probe.chain_pem, hostname);
      if (why.empty()) {
        ca.status = Status::kOk;
        ca.detail = "the serving certificate at " + direct->Describe() + " (" + DescribeCertificate(probe.chain_pem[0]) +
                    ") verifies against caBundle for " + hostname;
      } else {
        ca.status = Status::kFail;
        ca.detail = "the serving certificate at " + direct->Describe() + " (" + DescribeCertificate(probe.chain_pem[0]) +
                    ") does not verify against caBundle for " + hostname + ": " + why;
        ca.fix = cert_manager ? "check cert-manager's cainjector and the Certificate " + ns + "/" + o.name + "-webhook"
                              : "helm upgrade renders caBundle and the Secret together; for the plain manifests patch "
                                "caBundle with the CA that signed the webhook's Secret (docs/install.md, section 2b)";
      }
    } else if (tls_failed) {
      ca.status = Status::kFail;
      const Answer& a = attack && attack->kind == Answer::Kind::kWebhookCallFailed && attack->tls_error ? *attack : *benign;
      ca.detail = "the API server could not verify the webhook's certificate with caBundle: " + Shorten(a.message);
      ca.fix = "make caBundle the CA of the serving certificate (helm upgrade; or patch it, docs/install.md section 2b)";
    } else if (riposte_answered) {
      ca.status = Status::kOk;
      ca.detail = "the API server verified the serving certificate with caBundle (it called the webhook over TLS and got its denial)";
    } else {
      ca.detail = "not checked: the webhook was neither reached by the API server nor directly (" +
                  std::string(direct ? "unreachable" : "outside the cluster: pass --webhook-address HOST:PORT") + ")";
    }
    report.checks.push_back(cfg);
    report.checks.push_back(nsc);
    // attack/benign go before ca/ready in the table; filled below.
    report.checks.push_back(Check{"attack-denied", Status::kSkip, "", ""});
    report.checks.push_back(Check{"benign-admitted", Status::kSkip, "", ""});
    report.checks.push_back(ca);
    report.checks.push_back(ready);
  } else {
    report.checks.push_back(cfg);
    report.checks.push_back(nsc);
    report.checks.push_back(Check{"attack-denied", Status::kSkip, "", ""});
    report.checks.push_back(Check{"benign-admitted", Status::kSkip, "", ""});
    report.checks.push_back(Check{"ca-bundle", Status::kSkip, "no Riposte webhook configuration", ""});
    report.checks.push_back(Check{"webhook-ready", Status::kSkip, "no Riposte webhook configuration", ""});
  }
  const bool webhook_down = ready.status == Status::kFail;

  // --- what the answers mean ------------------------------------------------------------------
  const std::vector<std::string> expected = ExpectedAttackRules();
  const std::string restore_fix =
      url_form ? "start the webhook behind " + url
               : "bring the webhook back (kubectl -n " + ns + " rollout status deployment/" + svc_name +
                     "; check its pods' events and logs)";
  // Why Riposte did not judge the attack, from what was found above ("" = no known reason).
  auto not_judged = [&]() -> std::pair<std::string, std::string> {
    if (!vwc_found) return {"there is no Riposte webhook configuration " + o.name, install_fix};
    if (!ns_selected) return {"namespace " + o.test_namespace + " is excluded by the namespaceSelector", nsc.fix};
    if (!object_selected) return {"the objectSelector does not select it", nsc.fix};
    if (failure_policy == "Ignore" && webhook_down)
      return {"Riposte's webhook cannot be called (webhook-ready) and failurePolicy is Ignore, so the API server admits "
              "Ingresses unchecked",
              restore_fix + "; keep webhook.failurePolicy=Fail so an outage never admits Ingresses unchecked"};
    return {"", ""};
  };
  Check& ac = report.checks[2];
  if (!attack) {
    ac.detail = "not submitted: the test namespace does not exist";
  } else {
    const Answer& a = *attack;
    auto [why, fix] = not_judged();
    switch (a.kind) {
      case Answer::Kind::kAdmitted:
        ac.status = Status::kFail;
        if (!why.empty()) {
          ac.detail = "the attack Ingress was admitted: " + why;
          ac.fix = fix;
        } else if (failure_policy == "Ignore") {
          ac.detail = "the attack Ingress was admitted: with failurePolicy Ignore the API server admits Ingresses when "
                      "it cannot call the webhook or the call times out; or the webhook's policy lets it through";
          ac.fix = "check the API server can reach the webhook (webhook-ready), set webhook.failurePolicy=Fail, and "
                   "keep webhook.policy.mode=enforce";
        } else {
          ac.detail = "the attack Ingress was admitted by Riposte's policy: mode warn or audit, the rules " +
                      Join(expected) + " disabled, namespace " + o.test_namespace +
                      " in exemptNamespaces, or Ingress class \"" + o.ingress_class + "\" not in ingressClasses";
          ac.fix = "set webhook.policy.mode=enforce and check webhook.policy (docs/policy.md); pass --ingress-class "
                   "for another ingress-nginx class";
        }
        break;
      case Answer::Kind::kDeniedByRiposte: {
        std::vector<std::string> hit;
        for (const auto& id : a.rule_ids)
          if (std::find(expected.begin(), expected.end(), id) != expected.end()) hit.push_back(id);
        if (!hit.empty()) {
          ac.status = Status::kOk;
          ac.detail = "denied by " + a.origin + ": " + Join(a.rule_ids);
        } else {
          ac.status = Status::kFail;
          ac.detail = "denied by " + a.origin + " without the rule ids " + Join(expected) + ": " + Shorten(a.message);
          ac.fix = "another webhook uses Riposte's webhook name, or the webhook runs an unexpected version; check "
                   "kubectl get validatingwebhookconfigurations";
        }
        break;
      }
      case Answer::Kind::kDeniedByOther:
        ac.status = Status::kFail;
        ac.detail = "denied by " + a.origin + ", not by Riposte" + (why.empty() ? "" : " (" + why + ")") + ": " +
                    Shorten(a.message);
        ac.fix = why.empty() ? "Riposte's denial must come first: check that " + std::string(kRiposteWebhookName) +
                                   " judges this namespace and answers (the other checks)"
                             : fix;
        break;
      case Answer::Kind::kWebhookCallFailed:
        ac.status = Status::kFail;
        ac.detail = "refused only because the API server could not call Riposte's webhook (failurePolicy Fail): " +
                    Shorten(a.message);
        ac.fix = a.tls_error ? "make caBundle the CA of the webhook's serving certificate (ca-bundle)" : restore_fix;
        break;
      case Answer::Kind::kOtherWebhookFailed:
      case Answer::Kind::kNoDryRunSupport:
      case Answer::Kind::kRefused:
        ac.status = Status::kFail;
        ac.detail = "the dry run was refused before Riposte could judge it: " + Shorten(a.message);
        ac.fix = a.kind == Answer::Kind::kNoDryRunSupport
                     ? "webhook " + a.origin + " declares side effects and refuses dry runs; set its sideEffects to None or NoneOnDryRun"
                 : a.message.find("cannot create resource") != std::string::npos
                     ? "grant create on ingresses in namespace " + o.test_namespace +
                           " (verify only sends dryRun=All; the chart's test Role has it)"
                     : "see the message";
        break;
    }
  }
  Check& bc = report.checks[3];
  if (!benign) {
    bc.detail = "not submitted: the test namespace does not exist";
  } else {
    const Answer& b = *benign;
    switch (b.kind) {
      case Answer::Kind::kAdmitted:
        bc.status = Status::kOk;
        bc.detail = "admitted (dry run: nothing was stored)";
        break;
      case Answer::Kind::kDeniedByRiposte:
        bc.status = Status::kFail;
        bc.detail = "Riposte denied a benign Ingress: " + Shorten(b.message);
        bc.fix = "check webhook.policy (docs/policy.md); a denial of ssl-redirect and proxy-body-size is a false positive worth reporting";
        break;
      case Answer::Kind::kWebhookCallFailed:
        bc.status = Status::kFail;
        bc.detail = "every Ingress write in " + o.test_namespace +
                    " is refused: the API server cannot call Riposte's webhook and failurePolicy is Fail: " + Shorten(b.message);
        bc.fix = b.tls_error ? "make caBundle the CA of the webhook's serving certificate (ca-bundle)" : restore_fix;
        break;
      case Answer::Kind::kDeniedByOther:
        bc.status = Status::kFail;
        bc.detail = "a benign Ingress was denied by " + b.origin + " (not Riposte): " + Shorten(b.message);
        bc.fix = "that admission policy is not Riposte's; see its own documentation";
        break;
      default:
        bc.status = Status::kFail;
        bc.detail = "the dry run was refused: " + Shorten(b.message);
        bc.fix = b.message.find("cannot create resource") != std::string::npos
                     ? "grant create on ingresses in namespace " + o.test_namespace + " (verify only sends dryRun=All)"
                     : "see the message";
        break;
    }
  }

  // --- the controller -----------------------------------------------------------------------
  Check lease{"controller-lease", Status::kSkip, "", ""};
  Check cready{"controller-ready", Status::kSkip, "", ""};
  if (!o.controller) {
    lease.detail = cready.detail = "not checked (--controller=false)";
  } else {
    const std::string deploy = o.name + "-controller";
    const std::string look = "kubectl -n " + ns + " get pods -l app.kubernetes.io/component=controller; kubectl -n " + ns +
                             " logs deployment/" + deploy;
    auto l = Settled(settle, [&] { return client.Get(kube::resources::kLeases, ns, o.lease_name); });
    lease.status = Status::kFail;
    if (!l.ok()) {
      lease.detail = kube::IsNotFound(l.error())
                         ? "no Lease " + ns + "/" + o.lease_name + ": no controller replica has run leader election"
                         : "cannot read Lease " + ns + "/" + o.lease_name + ": " + l.error().ToString();
      lease.fix = kube::IsNotFound(l.error()) ? look + " (or --lease-name, --namespace; --controller=false when it is not installed)"
                                              : "grant get on leases in " + ns;
    } else {
      std::string holder = json::GetString(l.value(), {"spec", "holderIdentity"}).value_or("");
      int64_t duration = json::GetInt(l.value(), {"spec", "leaseDurationSeconds"}).value_or(15);
      auto renew = ParseMicroTime(json::GetString(l.value(), {"spec", "renewTime"}).value_or(""));
      if (holder.empty() || !renew) {
        lease.detail = "Lease " + ns + "/" + o.lease_name + " is not held by any replica";
        lease.fix = look;
      } else {
        auto age = std::chrono::duration_cast<std::chrono::seconds>(o.now() - *renew).count();
        if (age < 0) age = 0;
        std::string seen = "Lease " + ns + "/" + o.lease_name + " held by " + holder + ", renewed " + std::to_string(age) +
                           "s ago (leaseDurationSeconds " + std::to_string(duration) + ")";
        if (age > duration + o.clock_skew.count()) {
          lease.detail = seen + ": the holder stopped renewing and no replica took over, so no response is carried out";
          lease.fix = look;
        } else {
          lease.status = Status::kOk;
          lease.detail = seen;
        }
      }
    }
    std::optional<Endpoint> metrics;
    std::string host;
    int port = 0;
    if (!o.controller_address.empty() && ParseAddress(o.controller_address, &host, &port)) {
      metrics = Endpoint{host, port, false, ""};
    } else if (o.in_cluster) {
      auto svc = Settled(settle, [&] { return client.Get(kube::resources::kServices, ns, o.name + "-controller-metrics"); });
      if (svc.ok()) {
        std::string ip = json::GetString(svc.value(), {"spec", "clusterIP"}).value_or("");
        int p = 0;
        if (const auto* ports = json::Find(svc.value(), {"spec", "ports"}); ports != nullptr && ports->is_array() &&
                                                                             ports->size() > 0)
          p = static_cast<int>(json::GetInt(ports->as_array().at(0), {"port"}).value_or(0));
        metrics = Endpoint{ip.empty() || ip == "None" ? o.name + "-controller-metrics." + ns + ".svc" : ip, p, false, ""};
      }
    }
    cready.status = Status::kFail;
    if (metrics) {
      auto r = prober.Get(*metrics, "/readyz");
      if (!r.error.empty()) {
        cready.detail = r.error;
        cready.fix = look;
      } else if (r.status != 200) {
        std::string body = r.body;
        while (!body.empty() && (body.back() == '\n' || body.back() == '\r')) body.pop_back();
        cready.detail = "GET http://" + metrics->Describe() + "/readyz answered " + std::to_string(r.status) + ": " + Shorten(body, 400);
        cready.fix = "the answer names the problem and its fix (docs/controller.md, readiness); " + look;
      } else {
        cready.status = Status::kOk;
        cready.detail = "/readyz 200 at " + metrics->Describe();
      }
    } else {
      const std::string alerts = o.name + "-alerts";
      Endpoints eps = ReadyEndpoints(client, settle, ns, alerts, 0, "alerts");
      if (!eps.error.empty()) {
        cready.detail = "cannot read the endpoints of Service " + ns + "/" + alerts + ": " + eps.error;
        cready.fix = "grant get on services and list on endpointslices in " + ns;
      } else if (!eps.service_found) {
        cready.detail = "Service " + ns + "/" + alerts + " not found";
        cready.fix = look + " (--controller=false when the controller is not installed)";
      } else if (eps.ready == 0) {
        cready.detail = "Service " + ns + "/" + alerts + " has no ready endpoints: no replica answers /readyz (" +
                        Plural(eps.total, "endpoint") + " in its EndpointSlices)";
        cready.fix = look + " (the pods' readiness probe is /readyz, whose answer names the problem)";
      } else {
        cready.status = Status::kOk;
        cready.detail = "Service " + ns + "/" + alerts + ": " + Plural(eps.ready, "ready endpoint") +
                        " (readiness probe /readyz)";
      }
    }
  }
  report.checks.push_back(lease);
  report.checks.push_back(cready);
  return report;
}

std::string RenderText(const Report& r) {
  if (!r.error.empty()) return "riposte verify: " + r.error + "\n";
  size_t width = 5;
  for (const auto& c : r.checks) width = std::max(width, c.name.size());
  auto pad = [](std::string s, size_t n) {
    s.resize(std::max(s.size(), n), ' ');
    return s;
  };
  std::string out = pad("CHECK", width) + "  " + pad("RESULT", 6) + "  DETAIL\n";
  for (const auto& c : r.checks) out += pad(c.name, width) + "  " + pad(StatusName(c.status), 6) + "  " + c.detail + "\n";
  out += "\n";
  if (r.Protected()) {
    out += "PROTECTED: Riposte denies Ingress injection in namespace " + r.test_namespace + "\n";
    return out;
  }
  int failed = 0;
  for (const auto& c : r.checks) failed += c.status == Status::kFail ? 1 : 0;
  out += "NOT PROTECTED: " + Plural(failed, "check") + " failed\n";
  for (const auto& c : r.checks) {
    if (c.status != Status::kFail) continue;
    out += "  " + c.name + ": " + c.detail + "\n";
    if (!c.fix.empty()) out += "    fix: " + c.fix + "\n";
  }
  return out;
}

std::string RenderJson(const Report& r) {
  value out = value::object();
  out["protected"] = value::boolean(r.Protected());
  out["configuration"] = value::string(r.configuration);
  out["namespace"] = value::string(r.ns);
  out["testNamespace"] = value::string(r.test_namespace);
  if (!r.error.empty()) out["error"] = value::string(r.error);
  value checks = value::array();
  size_t i = 0;
  for (const auto& c : r.checks) {
    value v = value::object();
    v["name"] = value::string(c.name);
    v["status"] = value::string(c.status == Status::kOk ? "ok" : c.status == Status::kFail ? "fail" : "skip");
    v["detail"] = value::string(c.detail);
    if (!c.fix.empty()) v["fix"] = value::string(c.fix);
    checks[i++] = v;
  }
  out["checks"] = checks;
  return out.serialize() + "\n";
}

}  // namespace riposte::verify
