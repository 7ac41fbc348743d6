#include "tests/e2e/local_pod.h"

#include <openssl/evp.h>

#include <filesystem>
#include <stdexcept>

namespace riposte::e2e {

using web::json::value;

std::string Base64Decode(const std::string& in) {
  std::string out(in.size() * 3 / 4 + 3, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(in.data()), static_cast<int>(in.size()));
  if (n < 0) throw std::runtime_error("invalid base64");
  size_t pad = 0;
  for (size_t i = in.size(); i > 0 && in[i - 1] == '='; --i) ++pad;
  out.resize(static_cast<size_t>(n) - pad);
  return out;
}

namespace {

std::string Str(const value& o, const char* key) {
  return o.is_object() && o.has_field(key) && o.at(key).is_string() ? o.at(key).as_string() : "";
}

}  // namespace

LocalPod MaterializeDeployment(const EnvtestCluster& cluster, const std::string& ns, const std::string& deployment,
                               const std::string& dir, const LocalPodOptions& options) {
  LocalPod pod;
  pod.dir = dir;
  std::filesystem::create_directories(dir);
  auto dep = cluster.MustApi("GET", "/apis/apps/v1/namespaces/" + ns + "/deployments/" + deployment);
  const value& spec = dep.at("spec").at("template").at("spec");
  const value* container = nullptr;
  for (const auto& c : spec.at("containers").as_array())
    if (options.container.empty() || Str(c, "name") == options.container) {
      container = &c;
      break;
    }
  if (container == nullptr) throw std::runtime_error("deployment " + deployment + ": no container " + options.container);

  // Volumes: Secret and ConfigMap data, written where the mount would put it.
  std::map<std::string, std::string> volume_dirs;  // volume name -> local dir
  if (spec.has_field("volumes")) {
    for (const auto& v : spec.at("volumes").as_array()) {
      std::string name = Str(v, "name");
      std::string local = dir + "/volumes/" + name;
      std::filesystem::create_directories(local);
      volume_dirs[name] = local;
      value data;
      bool base64 = false;
      if (v.has_field("secret")) {
        auto s = cluster.MustApi("GET", "/api/v1/namespaces/" + ns + "/secrets/" + Str(v.at("secret"), "secretName"));
        if (s.has_field("data")) data = s.at("data");
        base64 = true;
      } else if (v.has_field("configMap")) {
        auto c = cluster.MustApi("GET", "/api/v1/namespaces/" + ns + "/configmaps/" + Str(v.at("configMap"), "name"));
        if (c.has_field("data")) data = c.at("data");
      }
      if (!data.is_object()) continue;
      for (const auto& [key, val] : data.as_object()) {
        std::string content = base64 ? Base64Decode(val.as_string()) : val.as_string();
        WriteFile(local + "/" + key, content);
      }
    }
  }
  std::map<std::string, std::string> mounts;  // in-pod path -> local dir
  if (container->has_field("volumeMounts")) {
    for (const auto& m : container->at("volumeMounts").as_array()) {
      auto it = volume_dirs.find(Str(m, "name"));
      if (it != volume_dirs.end()) mounts[Str(m, "mountPath")] = it->second;
    }
  }
  for (const auto& [path, local] : mounts) {
    for (const auto& entry : std::filesystem::directory_iterator(local))
      if (entry.is_regular_file()) pod.files[path + "/" + entry.path().filename().string()] = ReadFile(entry.path());
  }

  // Args, with mount paths rewritten and the requested flags replaced.
  std::vector<std::string> args;
  if (container->has_field("args"))
    for (const auto& a : container->at("args").as_array()) args.push_back(a.as_string());
  // A path argument is "PATH" or "--flag=PATH"; the longest mount path that prefixes it wins,
  // and each argument is rewritten once (a local directory may itself lie under /tmp).
  for (auto& a : args) {
    size_t start = a.rfind("--", 0) == 0 && a.find('=') != std::string::npos ? a.find('=') + 1 : 0;
    std::string best;
    for (const auto& [path, local] : mounts)
      if (a.compare(start, path.size() + 1, path + "/") == 0 && path.size() > best.size()) best = path;
    if (!best.empty()) a.replace(start, best.size(), mounts[best]);
  }
  for (const auto& [flag, val] : options.flags) {
    bool replaced = false;
    for (auto& a : args)
      if (a.rfind(flag + "=", 0) == 0) {
        a = flag + "=" + val;
        replaced = true;
      }
    if (!replaced) args.push_back(flag + "=" + val);
  }

  // The service-account token a pod would mount, as a kubeconfig.
  std::string sa = Str(spec, "serviceAccountName");
  if (sa.empty()) sa = "default";
  pod.service_account = ns + "/" + sa;
  bool automount = !spec.has_field("automountServiceAccountToken") || spec.at("automountServiceAccountToken").as_bool();
  if (automount || !options.token_override.empty()) {
    pod.token = options.token_override.empty() ? cluster.CreateToken(ns, sa) : options.token_override;
    pod.kubeconfig = cluster.WriteKubeconfig(dir + "/kubeconfig", pod.token, ns);
    args.push_back("--kubeconfig=" + pod.kubeconfig);
  }
  args.insert(args.end(), options.extra_args.begin(), options.extra_args.end());
  pod.argv.push_back(options.binary);
  pod.argv.insert(pod.argv.end(), args.begin(), args.end());
  return pod;
}

}  // namespace riposte::e2e
