#include "kube/config.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <yaml-cpp/yaml.h>

#include "kube/tls_material.h"

namespace riposte::kube {
namespace fs = std::filesystem;
namespace {

constexpr size_t kMaxConfigFileBytes = 4 * 1024 * 1024;

bool ReadSmallFile(const std::string& path, std::string* out, std::string* error) {
  std::error_code ec;
  const auto size = fs::file_size(path, ec);
  if (ec) {
    *error = "cannot read " + path + ": " + ec.message();
    return false;
  }
  if (size > kMaxConfigFileBytes) {
    *error = path + " is larger than 4 MiB";
    return false;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    *error = "cannot open " + path;
    return false;
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  *out = ss.str();
  return true;
}

// Carries the file name and field path into every message.
class KubeconfigReader {
 public:
  KubeconfigReader(std::string path, const KubeconfigOptions& opts) : path_(std::move(path)), opts_(opts) {}

  Result<ClientConfig, ConfigError> Parse(const std::string& text) {
    YAML::Node root;
    try {
      root = YAML::Load(text);
    } catch (const YAML::Exception& e) {
      return Fail(e.mark, "", std::string("invalid YAML: ") + e.msg);
    }
    if (!root.IsMap()) return Fail(root.Mark(), "", "top level must be a mapping");

    std::string context_name = opts_.context;
    if (context_name.empty()) {
      const YAML::Node cc = root["current-context"];
      if (!cc || !cc.IsScalar() || cc.as<std::string>().empty()) {
        return Fail(root.Mark(), "current-context", "not set and no --context given");
      }
      context_name = cc.as<std::string>();
    }
    std::string ctx_path;
    YAML::Node ctx = FindNamed(root, "contexts", "context", context_name, &ctx_path);
    if (!error_.empty()) return ConfigError{error_};
    if (!ctx.IsMap()) return Fail(root.Mark(), "contexts", "no context named \"" + context_name + "\"");

    const std::string cluster_name = Scalar(ctx, ctx_path, "cluster");
    const std::string user_name = Scalar(ctx, ctx_path, "user");
    const std::string ns = Scalar(ctx, ctx_path, "namespace");
    if (!error_.empty()) return ConfigError{error_};
    if (cluster_name.empty()) return Fail(ctx.Mark(), ctx_path + ".cluster", "required");

    ClientConfig cfg;
    cfg.source = "kubeconfig " + path_ + " (context " + context_name + ")";
    if (!ns.empty()) cfg.default_namespace = ns;

    std::string cl_path;
    YAML::Node cluster = FindNamed(root, "clusters", "cluster", cluster_name, &cl_path);
    if (!error_.empty()) return ConfigError{error_};
    if (!cluster.IsMap()) return Fail(root.Mark(), "clusters", "no cluster named \"" + cluster_name + "\"");
    if (!ReadCluster(cluster, cl_path, &cfg)) return ConfigError{error_};

    if (!user_name.empty()) {
      std::string u_path;
      YAML::Node user = FindNamed(root, "users", "user", user_name, &u_path);
      if (!error_.empty()) return ConfigError{error_};
      if (!user.IsMap()) return Fail(root.Mark(), "users", "no user named \"" + user_name + "\"");
      if (!ReadUser(user, u_path, &cfg)) return ConfigError{error_};
    }
    return cfg;
  }

 private:
  ConfigError Fail(const YAML::Mark& mark, const std::string& field, const std::string& msg) {
    std::string where = "kubeconfig " + path_;
    if (!mark.is_null()) where += ":" + std::to_string(mark.line + 1) + ":" + std::to_string(mark.column + 1);
    error_ = where + ": " + (field.empty() ? "" : field + ": ") + msg;
    return ConfigError{error_};
  }

  std::string Scalar(const YAML::Node& map, const std::string& path, const char* key) {
    const YAML::Node n = map[key];
    if (!n || n.IsNull()) return "";
    if (!n.IsScalar()) {
      Fail(n.Mark(), path + "." + key, "must be a string");
      return "";
    }
    return n.as<std::string>();
  }

  bool Bool(const YAML::Node& map, const std::string& path, const char* key) {
    const YAML::Node n = map[key];
    if (!n || n.IsNull()) return false;
    try {
      return n.as<bool>();
    } catch (const YAML::Exception&) {
      Fail(n.Mark(), path + "." + key, "must be true or false");
      return false;
    }
  }

  // Finds {name: X, <inner>: {...}} in the list `list_key`; returns the inner map.
  YAML::Node FindNamed(const YAML::Node& root, const char* list_key, const char* inner, const std::string& name,
                       std::string* path_out) {
    const YAML::Node list = root[list_key];
    if (!list || list.IsNull()) return YAML::Node();
    if (!list.IsSequence()) {
      Fail(list.Mark(), list_key, "must be a list");
      return YAML::Node();
    }
    for (size_t i = 0; i < list.size(); ++i) {
      const YAML::Node item = list[i];
      const std::string item_path = std::string(list_key) + "[" + std::to_string(i) + "]";
      if (!item.IsMap()) {
        Fail(item.Mark(), item_path, "must be a mapping");
        return YAML::Node();
      }
      if (Scalar(item, item_path, "name") != name) continue;
      const YAML::Node body = item[inner];
      *path_out = item_path + "." + inner;
      if (!body || !body.IsMap()) {
        Fail(item.Mark(), *path_out, "missing or not a mapping");
        return YAML::Node();
      }
      return body;
    }
    return YAML::Node();
  }

  std::string Resolve(const std::string& file) const {
    if (file.empty() || fs::path(file).is_absolute()) return file;
    return (fs::path(path_).parent_path() / file).string();
  }

  // Reads inline base64 data or a file, checking the PEM with `check`.
  bool Material(const YAML::Node& map, const std::string& path, const char* data_key, const char* file_key,
                std::string (*check)(const std::string&), std::string* out) {
    const std::string data = Scalar(map, path, data_key);
    const std::string file = Scalar(map, path, file_key);
    if (!error_.empty()) return false;
    if (!data.empty() && !file.empty()) {
      Fail(map[data_key].Mark(), path + "." + data_key, std::string("set together with ") + file_key);
      return false;
    }
    std::string field;
    YAML::Mark mark;
    if (!data.empty()) {
      field = path + "." + data_key;
      mark = map[data_key].Mark();
      if (!internal::Base64Decode(data, out)) {
        Fail(mark, field, "invalid base64");
        return false;
      }
    } else if (!file.empty()) {
      field = path + "." + file_key;
      mark = map[file_key].Mark();
      std::string err;
      if (!ReadSmallFile(Resolve(file), out, &err)) {
        Fail(mark, field, err);
        return false;
      }
    } else {
      return true;
    }
    const std::string problem = check(*out);
    if (!problem.empty()) {
      Fail(mark, field, problem);
      return false;
    }
    return true;
  }

  bool ReadCluster(const YAML::Node& c, const std::string& path, ClientConfig* cfg) {
    cfg->server = Scalar(c, path, "server");
    cfg->tls_server_name = Scalar(c, path, "tls-server-name");
    const bool insecure = Bool(c, path, "insecure-skip-tls-verify");
    if (!error_.empty()) return false;
    if (cfg->server.empty()) return Fail(c.Mark(), path + ".server", "required"), false;
    if (cfg->server.rfind("https://", 0) != 0) {
      return Fail(c["server"].Mark(), path + ".server", "must be an https:// URL (plain HTTP is refused)"), false;
    }
    if (c["proxy-url"]) return Fail(c["proxy-url"].Mark(), path + ".proxy-url", "proxies are not supported"), false;
    if (insecure) {
      if (!opts_.allow_insecure_skip_tls_verify) {
        return Fail(c["insecure-skip-tls-verify"].Mark(), path + ".insecure-skip-tls-verify",
                    "refused: server certificates would not be verified (pass the explicit allow flag to accept)"),
               false;
      }
      cfg->insecure_skip_tls_verify = true;
    }
    return Material(c, path, "certificate-authority-data", "certificate-authority", internal::CheckCertificates,
                    &cfg->ca_pem);
  }

  bool ReadUser(const YAML::Node& u, const std::string& path, ClientConfig* cfg) {
    for (const char* plugin : {"exec", "auth-provider"}) {
      if (u[plugin] && !u[plugin].IsNull()) {
        return Fail(u[plugin].Mark(), path + "." + plugin,
                    "credential plugins are not supported (Riposte never runs other programs); use a token, "
                    "tokenFile or client certificate"),
               false;
      }
    }
    for (const char* unsupported : {"username", "password", "as", "as-groups", "as-uid", "as-user-extra"}) {
      if (u[unsupported] && !u[unsupported].IsNull()) {
        return Fail(u[unsupported].Mark(), path + "." + unsupported, "not supported"), false;
      }
    }
    cfg->token = Scalar(u, path, "token");
    const std::string token_file = Scalar(u, path, "tokenFile");
    if (!error_.empty()) return false;
    if (!token_file.empty()) {
      cfg->token_file = Resolve(token_file);
      std::string tok, err;
      if (!ReadSmallFile(cfg->token_file, &tok, &err)) return Fail(u["tokenFile"].Mark(), path + ".tokenFile", err), false;
    }
    if (!Material(u, path, "client-certificate-data", "client-certificate", internal::CheckCertificates,
                  &cfg->client_cert_pem) ||
        !Material(u, path, "client-key-data", "client-key", internal::CheckPrivateKey, &cfg->client_key_pem)) {
      return false;
    }
    if (cfg->client_cert_pem.empty() != cfg->client_key_pem.empty()) {
      return Fail(u.Mark(), path, "client certificate and client key must be given together"), false;
    }
    if (!cfg->client_cert_pem.empty()) {
      const std::string problem = internal::CheckKeyMatchesCertificate(cfg->client_cert_pem, cfg->client_key_pem);
      if (!problem.empty()) return Fail(u.Mark(), path, problem), false;
    }
    return true;
  }

  std::string path_;
  KubeconfigOptions opts_;
  std::string error_;
};

std::string Env(const InClusterOptions& opts, const char* name) {
  if (opts.getenv) return opts.getenv(name);
  const char* v = std::getenv(name);
  return v == nullptr ? "" : v;
}

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

}  // namespace

Result<ClientConfig, ConfigError> ParseKubeconfig(const std::string& text, const std::string& path,
                                                  const KubeconfigOptions& opts) {
  KubeconfigReader reader(path, opts);
  return reader.Parse(text);
}

Result<ClientConfig, ConfigError> LoadKubeconfig(const KubeconfigOptions& opts) {
  std::string path = opts.path;
  if (path.empty()) {
    const char* env = std::getenv("KUBECONFIG");
    if (env != nullptr && *env != '\0') {
      // Only the first entry: merging several files is not supported (documented).
      path = std::string(env).substr(0, std::string(env).find(':'));
    } else if (const char* home = std::getenv("HOME"); home != nullptr) {
      path = std::string(home) + "/.kube/config";
    }
  }
  if (path.empty()) return ConfigError{"kubeconfig: no path given, KUBECONFIG and HOME unset"};
  std::string text, err;
  if (!ReadSmallFile(path, &text, &err)) return ConfigError{"kubeconfig " + path + ": " + err};
  return ParseKubeconfig(text, path, opts);
}

Result<ClientConfig, ConfigError> LoadInCluster(const InClusterOptions& opts) {
  const std::string host = Env(opts, "KUBERNETES_SERVICE_HOST");
  const std::string port = Env(opts, "KUBERNETES_SERVICE_PORT");
  if (host.empty() || port.empty()) {
    return ConfigError{"in-cluster: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must be set (not running in a pod?)"};
  }
  if (port.find_first_not_of("0123456789") != std::string::npos || port.size() > 5 || std::stoi(port) > 65535 ||
      std::stoi(port) == 0) {
    return ConfigError{"in-cluster: KUBERNETES_SERVICE_PORT \"" + port + "\" is not a port number"};
  }
  ClientConfig cfg;
  cfg.source = "in-cluster";
  const bool ipv6 = host.find(':') != std::string::npos;
  cfg.server = "https://" + (ipv6 ? "[" + host + "]" : host) + ":" + port;
  cfg.token_file = opts.secrets_dir + "/token";
  std::string tok, err;
  if (!ReadSmallFile(cfg.token_file, &tok, &err)) return ConfigError{"in-cluster: token: " + err};
  if (Trim(tok).empty()) return ConfigError{"in-cluster: token file " + cfg.token_file + " is empty"};
  const std::string ca = opts.secrets_dir + "/ca.crt";
  if (!ReadSmallFile(ca, &cfg.ca_pem, &err)) return ConfigError{"in-cluster: CA bundle: " + err};
  if (auto p = internal::CheckCertificates(cfg.ca_pem); !p.empty()) return ConfigError{"in-cluster: " + ca + ": " + p};
  std::string ns;
  if (ReadSmallFile(opts.secrets_dir + "/namespace", &ns, &err) && !Trim(ns).empty()) {
    cfg.default_namespace = Trim(ns);
  }
  return cfg;
}

Result<ClientConfig, ConfigError> LoadDefaultConfig(const std::string& kubeconfig_flag, const std::string& context,
                                                    bool allow_insecure) {
  KubeconfigOptions opts;
  opts.context = context;
  opts.allow_insecure_skip_tls_verify = allow_insecure;
  if (!kubeconfig_flag.empty()) {
    opts.path = kubeconfig_flag;
    return LoadKubeconfig(opts);
  }
  const char* env = std::getenv("KUBECONFIG");
  if (env != nullptr && *env != '\0') return LoadKubeconfig(opts);
  const char* host = std::getenv("KUBERNETES_SERVICE_HOST");
  if (host != nullptr && *host != '\0') return LoadInCluster();
  return LoadKubeconfig(opts);
}

}  // namespace riposte::kube
