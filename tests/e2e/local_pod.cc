#include "tests/e2e/local_pod.h"

#include <openssl/evp.h>

#include <filesystem>
#include <stdexcept>

#include "tests/e2e/process.h"

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

std::string Base64Encode(const std::string& in) {
  std::string out(4 * ((in.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(in.data()), static_cast<int>(in.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

namespace {

std::string Str(const value& o, const char* key) {
  return o.is_object() && o.has_field(key) && o.at(key).is_string() ? o.at(key).as_string() : "";
}

}  // namespace

LocalPod MaterializeDeployment(const EnvtestCluster& cluster, const std::string& ns, const std::string& deployment,
                               const std::string& dir, const LocalPodOptions& options) {
  auto dep = cluster.MustApi("GET", "/apis/apps/v1/namespaces/" + ns + "/deployments/" + deployment);
  try {
    return MaterializePodSpec(cluster, ns, dep.at("spec").at("template").at("spec"), dir, options);
  } catch (const std::exception& e) {
    throw std::runtime_error("deployment " + deployment + ": " + e.what());
  }
}

LocalPod MaterializePodSpec(const EnvtestCluster& cluster, const std::string& ns, const value& spec,
                            const std::string& dir, const LocalPodOptions& options) {
  LocalPod pod;
  pod.dir = dir;
  std::filesystem::create_directories(dir);
  const value* container = nullptr;
  for (const auto& c : spec.at("containers").as_array())
    if (options.container.empty() || Str(c, "name") == options.container) {
      container = &c;
      break;
    }
  if (container == nullptr) throw std::runtime_error("no container " + options.container);

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
  if (options.rebind_ports && container->has_field("ports")) {
    for (const auto& p : container->at("ports").as_array()) {
      int port = p.has_field("containerPort") ? p.at("containerPort").as_integer() : 0;
      if (port > 0 && !Str(p, "name").empty()) pod.port_names[Str(p, "name")] = port;
      if (port > 0) pod.ports[port] = 0;
    }
    for (auto& a : args) {
      size_t eq = a.find('='), colon = a.rfind(':');
      if (a.rfind("--", 0) != 0 || eq == std::string::npos || colon == std::string::npos || colon < eq) continue;
      std::string host = a.substr(eq + 1, colon - eq - 1);
      if (!host.empty() && host != "0.0.0.0" && host != "[::]") continue;
      auto it = pod.ports.find(std::atoi(a.c_str() + colon + 1));
      if (it == pod.ports.end()) continue;
      if (it->second == 0) it->second = FreeLoopbackPort();
      a = a.substr(0, eq + 1) + "127.0.0.1:" + std::to_string(it->second);
    }
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
