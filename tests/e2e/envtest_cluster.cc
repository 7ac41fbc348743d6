#include "tests/e2e/envtest_cluster.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "tests/support/certs.h"
#include "tests/e2e/https_client.h"

namespace riposte::e2e {

using web::json::value;

namespace {

bool Executable(const std::string& path) { return !path.empty() && access(path.c_str(), X_OK) == 0; }

std::string FindBinary(const char* env_var, const char* name) {
  if (const char* v = std::getenv(env_var); v != nullptr && *v != '\0') return Executable(v) ? v : "";
  if (const char* assets = std::getenv("KUBEBUILDER_ASSETS"); assets != nullptr && *assets != '\0') {
    std::string p = std::string(assets) + "/" + name;
    if (Executable(p)) return std::filesystem::absolute(p).string();
  }
  return "";
}

std::string RandomHex(size_t bytes) {
  std::vector<unsigned char> buf(bytes);
  if (RAND_bytes(buf.data(), static_cast<int>(buf.size())) != 1) throw std::runtime_error("RAND_bytes failed");
  static const char* kHex = "0123456789abcdef";
  std::string out;
  for (unsigned char c : buf) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 15]);
  }
  return out;
}

std::string Base64(const std::string& in) {
  std::string out(4 * ((in.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(in.data()), static_cast<int>(in.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

// The public half of a PEM private key, as PEM (kube-apiserver verifies tokens with it).
std::string PublicKeyPem(const std::string& private_pem) {
  BIO* in = BIO_new_mem_buf(private_pem.data(), static_cast<int>(private_pem.size()));
  EVP_PKEY* key = in != nullptr ? PEM_read_bio_PrivateKey(in, nullptr, nullptr, nullptr) : nullptr;
  BIO* out = BIO_new(BIO_s_mem());
  std::string pem;
  if (key != nullptr && out != nullptr && PEM_write_bio_PUBKEY(out, key) == 1) {
    char* data = nullptr;
    long n = BIO_get_mem_data(out, &data);
    pem.assign(data, static_cast<size_t>(n));
  }
  BIO_free(out);
  EVP_PKEY_free(key);
  BIO_free(in);
  if (pem.empty()) throw std::runtime_error("cannot derive the service-account public key");
  return pem;
}

std::string Tail(const std::string& text, size_t max = 6000) {
  return text.size() <= max ? text : "..." + text.substr(text.size() - max);
}

constexpr const char* kAuditPolicy = R"(apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived, ResponseStarted]
rules:
# Leader-election renewals would drown everything else.
- level: None
  resources: [{group: coordination.k8s.io, resources: [leases]}]
# Lists by ServiceAccounts (informer relists, the audit's collection); not watches or gets.
- level: Metadata
  verbs: [list]
  userGroups: ["system:serviceaccounts"]
- level: None
  verbs: [get, list, watch]
- level: None
  nonResourceURLs: ["*"]
- level: Metadata
)";

}  // namespace

EnvtestBinaries EnvtestBinaries::Find() {
  EnvtestBinaries b;
  b.kube_apiserver = FindBinary("RIPOSTE_KUBE_APISERVER", "kube-apiserver");
  b.etcd = FindBinary("RIPOSTE_ETCD", "etcd");
  b.kubectl = FindBinary("RIPOSTE_KUBECTL", "kubectl");
  b.helm = FindBinary("RIPOSTE_HELM", "helm");
  return b;
}

std::string EnvtestBinaries::MissingControlPlane() const {
  std::string m;
  if (kube_apiserver.empty()) m = "kube-apiserver";
  if (etcd.empty()) m += std::string(m.empty() ? "" : ", ") + "etcd";
  return m;
}

EnvtestCluster::EnvtestCluster(EnvtestOptions options) : options_(std::move(options)) {
  if (const char* keep = std::getenv("RIPOSTE_E2E_KEEP"); keep != nullptr && std::string(keep) == "1")
    options_.keep_dir = true;
  if (auto missing = options_.binaries.MissingControlPlane(); !missing.empty())
    throw std::runtime_error("envtest: " + missing + " not found (set KUBEBUILDER_ASSETS or RIPOSTE_KUBE_APISERVER/RIPOSTE_ETCD)");
  dir_ = MakeTempDir("riposte-envtest");
  try {
    Start();
  } catch (...) {
    Teardown();
    throw;
  }
}

EnvtestCluster::~EnvtestCluster() { Teardown(); }

void EnvtestCluster::Teardown() {
  // SIGKILL: nothing here needs a graceful end, and the data is thrown away.
  apiserver_.Kill();
  etcd_.Kill();
  network_.reset();
  std::error_code ec;
  if (!etcd_data_dir_.empty() && etcd_data_dir_.rfind(dir_, 0) != 0) std::filesystem::remove_all(etcd_data_dir_, ec);
  if (!dir_.empty() && !options_.keep_dir) std::filesystem::remove_all(dir_, ec);
}

std::string EnvtestCluster::url() const { return "https://127.0.0.1:" + std::to_string(apiserver_port_); }
std::string EnvtestCluster::etcd_url() const { return "http://127.0.0.1:" + std::to_string(etcd_client_port_); }

std::string EnvtestCluster::Describe() const {
  return "\n--- kube-apiserver log (" + dir_ + "/kube-apiserver.log) ---\n" + Tail(apiserver_.Log()) +
         "\n--- etcd log (" + dir_ + "/etcd.log) ---\n" + Tail(etcd_.Log(), 2000);
}

void EnvtestCluster::Start() {
  // Serving certificate (its own CA) and the service-account signing key; kube-apiserver
  // reads the public half from the private key file.
  auto serving = riposte::testing::SelfSignedServerCert("127.0.0.1");
  ca_pem_ = serving.cert_pem;
  WriteFile(dir_ + "/serving.crt", serving.cert_pem);
  WriteFile(dir_ + "/serving.key", serving.key_pem);
  const std::string sa_key = riposte::testing::SelfSignedServerCert("service-accounts").key_pem;
  WriteFile(dir_ + "/sa.key", sa_key);
  WriteFile(dir_ + "/sa.pub", PublicKeyPem(sa_key));
  admin_token_ = RandomHex(24);
  WriteFile(dir_ + "/tokens.csv", admin_token_ + ",admin,admin,system:masters\n");
  WriteFile(dir_ + "/audit-policy.yaml", kAuditPolicy);
  // etcd fsyncs every write; on tmpfs that costs nothing (the data is thrown away anyway).
  std::string shm_parent = std::filesystem::is_directory("/dev/shm") && access("/dev/shm", W_OK) == 0 ? "/dev/shm" : dir_;
  etcd_data_dir_ = shm_parent + "/riposte-etcd-" + std::filesystem::path(dir_).filename().string();
  std::filesystem::create_directories(dir_ + "/home");
  if (options_.cluster_network) {
    network_ = std::make_unique<ClusterNetwork>(serving.cert_pem, serving.key_pem);
    WriteFile(dir_ + "/egress.yaml",
              ClusterNetwork::EgressConfig(network_->port(), dir_ + "/serving.crt", dir_ + "/serving.key"));
  }

  StartEtcd();
  // A port picked free can be taken before kube-apiserver binds it (other suites run in
  // parallel): try a few.
  std::string last_error;
  for (int attempt = 0; attempt < 3; ++attempt) {
    apiserver_port_ = FreeLoopbackPort();
    try {
      StartApiServer();
      break;
    } catch (const std::exception& e) {
      last_error = e.what();
      apiserver_.Kill();
      if (apiserver_.Log().find("address already in use") == std::string::npos) throw;
    }
  }
  if (!ApiServerReady()) throw std::runtime_error("kube-apiserver did not start: " + last_error);
  admin_kubeconfig_ = WriteKubeconfig(dir_ + "/admin.kubeconfig", admin_token_);
}

void EnvtestCluster::StartEtcd() {
  for (int attempt = 0; attempt < 3; ++attempt) {
    etcd_client_port_ = FreeLoopbackPort();
    etcd_peer_port_ = FreeLoopbackPort();
    std::error_code ec;
    std::filesystem::remove_all(etcd_data_dir_, ec);
    std::string client = "http://127.0.0.1:" + std::to_string(etcd_client_port_);
    std::string peer = "http://127.0.0.1:" + std::to_string(etcd_peer_port_);
    std::vector<std::string> argv = {options_.binaries.etcd, "--name=default", "--data-dir=" + etcd_data_dir_,
                                     "--listen-client-urls=" + client, "--advertise-client-urls=" + client,
                                     "--listen-peer-urls=" + peer, "--initial-advertise-peer-urls=" + peer,
                                     "--initial-cluster=default=" + peer, "--logger=zap", "--log-outputs=stderr",
                                     "--log-level=warn"};
    argv.insert(argv.end(), options_.etcd_args.begin(), options_.etcd_args.end());
    etcd_.Start(argv, dir_ + "/etcd.log", {{"HOME", dir_ + "/home"}});
    bool healthy = Eventually([&] {
      return !etcd_.Running() || HttpGet(etcd_client_port_, "/health").second.find("\"health\":\"true\"") != std::string::npos;
    }, std::chrono::seconds(30)) && etcd_.Running();
    if (healthy) return;
    etcd_.Kill();
    if (etcd_.Log().find("address already in use") == std::string::npos)
      throw std::runtime_error("etcd did not become healthy" + Describe());
  }
  throw std::runtime_error("etcd: no free ports after 3 attempts" + Describe());
}

void EnvtestCluster::StartApiServer() {
  std::vector<std::string> argv = {
      options_.binaries.kube_apiserver,
      "--etcd-servers=" + etcd_url(),
      "--bind-address=127.0.0.1",
      "--secure-port=" + std::to_string(apiserver_port_),
      "--advertise-address=127.0.0.1",
      "--cert-dir=" + dir_ + "/certs",
      "--tls-cert-file=" + dir_ + "/serving.crt",
      "--tls-private-key-file=" + dir_ + "/serving.key",
      "--token-auth-file=" + dir_ + "/tokens.csv",
      "--authorization-mode=RBAC",
      "--service-account-key-file=" + dir_ + "/sa.pub",
      "--service-account-signing-key-file=" + dir_ + "/sa.key",
      "--service-account-issuer=https://kubernetes.default.svc",
      "--service-cluster-ip-range=10.96.0.0/16",
      "--disable-admission-plugins=ServiceAccount",
      "--enable-priority-and-fairness=false",
      "--profiling=false",
  };
  if (network_) argv.push_back("--egress-selector-config-file=" + dir_ + "/egress.yaml");
  if (options_.audit_log) {
    argv.push_back("--audit-policy-file=" + dir_ + "/audit-policy.yaml");
    argv.push_back("--audit-log-path=" + dir_ + "/audit.log");
    argv.push_back("--audit-log-mode=blocking");
  }
  argv.insert(argv.end(), options_.apiserver_args.begin(), options_.apiserver_args.end());
  ++apiserver_starts_;
  // Each start appends to the same log, with a marker line, so a restart's failure shows both.
  {
    std::ofstream log(dir_ + "/kube-apiserver.log", std::ios::app);
    log << "=== start " << apiserver_starts_ << " ===\n";
  }
  apiserver_.Start(argv, dir_ + "/kube-apiserver.log", {{"HOME", dir_ + "/home"}});
  bool ready = Eventually([&] { return !apiserver_.Running() || ApiServerReady(); }, options_.start_timeout);
  if (!ready || !apiserver_.Running())
    throw std::runtime_error(std::string("kube-apiserver ") + (apiserver_.Running() ? "not ready in time" : "exited") + Describe());
}

void EnvtestCluster::StopApiServer() { apiserver_.Kill(); }

void EnvtestCluster::RestartApiServer(const std::vector<std::string>* args) {
  StopApiServer();
  if (args != nullptr) options_.apiserver_args = *args;
  StartApiServer();
}

bool EnvtestCluster::ApiServerReady() const {
  try {
    return Api("GET", "/readyz").status == 200;
  } catch (const std::exception&) {
    return false;
  }
}

std::string EnvtestCluster::WriteKubeconfig(const std::string& path, const std::string& token,
                                            const std::string& ns) const {
  std::ostringstream k;
  k << "apiVersion: v1\nkind: Config\nclusters:\n- name: envtest\n  cluster:\n    server: " << url()
    << "\n    certificate-authority-data: " << Base64(ca_pem_) << "\nusers:\n- name: user\n  user:\n    token: "
    << token << "\ncontexts:\n- name: envtest\n  context:\n    cluster: envtest\n    user: user\n    namespace: " << ns
    << "\ncurrent-context: envtest\n";
  WriteFile(path, k.str());
  return path;
}

testapi::RawResponse EnvtestCluster::Api(const std::string& method, const std::string& target, const std::string& body,
                                         const std::string& content_type, const std::string& token) const {
  testapi::HttpsTestClient client("127.0.0.1", apiserver_port_, ca_pem_);
  return client.Request(method, target, body, body.empty() ? "" : content_type, token.empty() ? admin_token_ : token);
}

value EnvtestCluster::MustApi(const std::string& method, const std::string& target, const std::string& body,
                              const std::string& content_type) const {
  auto r = Api(method, target, body, content_type);
  if (r.status < 200 || r.status >= 300)
    throw std::runtime_error(method + " " + target + ": " + std::to_string(r.status) + " " + r.body);
  return r.body.empty() ? value::null() : r.Json();
}

std::string EnvtestCluster::CreateToken(const std::string& ns, const std::string& sa, int64_t seconds) const {
  auto req = value::object();
  req["apiVersion"] = value::string("authentication.k8s.io/v1");
  req["kind"] = value::string("TokenRequest");
  req["spec"] = value::object();
  req["spec"]["expirationSeconds"] = value::number(seconds);
  auto r = MustApi("POST", "/api/v1/namespaces/" + ns + "/serviceaccounts/" + sa + "/token", req.serialize());
  return r.at("status").at("token").as_string();
}

bool EnvtestCluster::Can(const std::string& token, const std::string& verb, const std::string& group,
                         const std::string& resource, const std::string& ns, const std::string& subresource) const {
  auto attrs = value::object();
  attrs["verb"] = value::string(verb);
  attrs["group"] = value::string(group);
  attrs["resource"] = value::string(resource);
  if (!ns.empty()) attrs["namespace"] = value::string(ns);
  if (!subresource.empty()) attrs["subresource"] = value::string(subresource);
  auto review = value::object();
  review["apiVersion"] = value::string("authorization.k8s.io/v1");
  review["kind"] = value::string("SelfSubjectAccessReview");
  review["spec"] = value::object();
  review["spec"]["resourceAttributes"] = attrs;
  auto r = Api("POST", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", review.serialize(),
               "application/json", token);
  if (r.status != 201) throw std::runtime_error("SelfSubjectAccessReview: " + std::to_string(r.status) + " " + r.body);
  auto status = r.Json().at("status");
  return status.has_field("allowed") && status.at("allowed").as_bool();
}

std::vector<AuditEvent> EnvtestCluster::AuditEvents() const {
  std::vector<AuditEvent> out;
  std::istringstream in(ReadFile(dir_ + "/audit.log"));
  for (std::string line; std::getline(in, line);) {
    if (line.empty()) continue;
    value v;
    try {
      v = value::parse(line);
    } catch (const std::exception&) {
      continue;  // a line being written right now
    }
    auto str = [](const value& o, const char* k) {
      return o.is_object() && o.has_field(k) && o.at(k).is_string() ? o.at(k).as_string() : std::string();
    };
    AuditEvent e;
    e.verb = str(v, "verb");
    if (v.has_field("user")) e.user = str(v.at("user"), "username");
    if (v.has_field("objectRef")) {
      const auto& o = v.at("objectRef");
      e.api_group = str(o, "apiGroup");
      e.resource = str(o, "resource");
      e.subresource = str(o, "subresource");
      e.ns = str(o, "namespace");
      e.name = str(o, "name");
    }
    if (v.has_field("responseStatus") && v.at("responseStatus").has_field("code"))
      e.code = v.at("responseStatus").at("code").as_integer();
    e.request_uri = str(v, "requestURI");
    e.dry_run = e.request_uri.find("dryRun=All") != std::string::npos;
    out.push_back(std::move(e));
  }
  return out;
}

void EnvtestCluster::FlushAudit() const {
  if (!options_.audit_log) return;
  std::string name = "audit-flush-" + RandomHex(6);
  MustApi("POST", "/api/v1/namespaces/default/configmaps?dryRun=All",
          R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":")" + name + R"("}})");
  bool seen = Eventually([&] {
    for (const auto& e : AuditEvents())
      if (e.name == name) return true;
    return false;
  }, std::chrono::seconds(30));
  if (!seen) throw std::runtime_error("audit log did not record " + name);
}

}  // namespace riposte::e2e
