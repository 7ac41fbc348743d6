// riposte-test-apiserver: the Kubernetes API test double for Riposte's integration tests.
// Prints "listening on https://127.0.0.1:PORT" once ready and writes the port (and the CA
// when generated) to the files given by flags.

#include <chrono>
#include <csignal>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "common/flags.h"
#include "tests/apiserver/api_server.h"

namespace {

volatile std::sig_atomic_t g_stop = 0;
void OnSignal(int) { g_stop = 1; }

bool ReadFile(const std::string& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream ss;
  ss << in.rdbuf();
  *out = ss.str();
  return true;
}

bool WriteFileAtomically(const std::string& path, const std::string& data) {
  std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) return false;
    out << data;
    if (!out) return false;
  }
  return std::rename(tmp.c_str(), path.c_str()) == 0;
}

}  // namespace

int main(int argc, char** argv) {
  using riposte::testapi::ApiServer;
  using riposte::testapi::ApiServerOptions;
  std::string bind = "127.0.0.1", port_file, cert_file, key_file, write_cert, write_key, admin_token,
              auth_config;
  int64_t port = 0, history = 10000, bookmark_ms = 60000, watch_timeout = 1800;
  std::vector<std::string> tokens;
  riposte::FlagSet flags("riposte-test-apiserver");
  flags.String("bind-address", &bind, "listen address (loopback only is sensible)");
  flags.Int("port", &port, "port; 0 picks a free one");
  flags.String("port-file", &port_file, "write the bound port here once ready");
  flags.String("tls-cert-file", &cert_file, "PEM certificate; generated when empty");
  flags.String("tls-key-file", &key_file, "PEM private key for --tls-cert-file");
  flags.String("write-cert-file", &write_cert, "write the (generated) certificate, the CA, here");
  flags.String("write-key-file", &write_key, "write the (generated) key here");
  flags.StringList("token", &tokens, "bearer token with full access (repeatable)");
  flags.String("admin-token", &admin_token, "bearer token for the /_test/ control API");
  flags.String("auth-config", &auth_config, "JSON file of restricted users");
  flags.Int("history-size", &history, "watch event history length (older resourceVersions get 410)");
  flags.Int("bookmark-interval-ms", &bookmark_ms, "interval between BOOKMARK events");
  flags.Int("default-watch-timeout-seconds", &watch_timeout, "watch timeout when none is given");
  std::vector<std::string> args(argv + 1, argv + argc);
  std::string error;
  if (!flags.Parse(args, &error)) {
    std::cerr << error << "\n" << flags.Usage();
    return 2;
  }
  ApiServerOptions opts;
  opts.bind_address = bind;
  opts.port = static_cast<int>(port);
  opts.tokens = tokens;
  opts.admin_token = admin_token;
  opts.history_size = static_cast<size_t>(history);
  opts.bookmark_interval_ms = static_cast<int>(bookmark_ms);
  opts.default_watch_timeout_seconds = static_cast<int>(watch_timeout);
  if (!cert_file.empty() || !key_file.empty()) {
    if (!ReadFile(cert_file, &opts.cert_pem) || !ReadFile(key_file, &opts.key_pem)) {
      std::cerr << "cannot read --tls-cert-file " << cert_file << " / --tls-key-file " << key_file << "\n";
      return 2;
    }
  }
  // A handler rather than sigwait: threads created before main (sanitizer runtimes) do not
  // have the signals blocked, so a blocked-set design could still be killed by the default.
  std::signal(SIGTERM, OnSignal);
  std::signal(SIGINT, OnSignal);
  std::signal(SIGPIPE, SIG_IGN);
  try {
    ApiServer server(opts);
    if (!auth_config.empty()) {
      std::string text;
      if (!ReadFile(auth_config, &text)) {
        std::cerr << "cannot read --auth-config " << auth_config << "\n";
        return 2;
      }
      std::error_code ec;
      auto doc = web::json::value::parse(text, ec);
      if (ec) {
        std::cerr << auth_config << ": not JSON: " << ec.message() << "\n";
        return 2;
      }
      server.AddUsers(doc);
    }
    server.Start();
    if (!write_cert.empty() && !WriteFileAtomically(write_cert, server.ca_pem())) {
      std::cerr << "cannot write " << write_cert << "\n";
      return 1;
    }
    if (!write_key.empty() && !WriteFileAtomically(write_key, server.key_pem())) {
      std::cerr << "cannot write " << write_key << "\n";
      return 1;
    }
    if (!port_file.empty() && !WriteFileAtomically(port_file, std::to_string(server.port()) + "\n")) {
      std::cerr << "cannot write " << port_file << "\n";
      return 1;
    }
    std::cout << "listening on https://" << bind << ":" << server.port() << std::endl;
    while (g_stop == 0) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    server.Stop();
  } catch (const std::exception& e) {
    std::cerr << "riposte-test-apiserver: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
