#pragma once
// One HTTPS request to a local listener whose certificate names another host, the way an
// in-cluster client would see it: connect to `address`, send SNI and verify the certificate
// for `server_name` (e.g. riposte-alerts.riposte-system.svc) against `ca_pem`.

#include <string>

#include "tests/apiserver/https_test_client.h"

namespace riposte::e2e {

struct HttpsTarget {
  std::string address = "127.0.0.1";
  int port = 0;
  std::string server_name;  // "" = address
  std::string ca_pem;
};

// Throws std::runtime_error on connection or TLS failures.
testapi::RawResponse HttpsRequest(const HttpsTarget& target, const std::string& method, const std::string& path,
                                  const std::string& body = "", const std::string& content_type = "",
                                  const std::string& bearer_token = "");

// Plain-HTTP GET on loopback (metrics and health listeners): {status, body}; {0, ""} when the
// connection fails.
std::pair<int, std::string> HttpGet(int port, const std::string& path);

}  // namespace riposte::e2e
