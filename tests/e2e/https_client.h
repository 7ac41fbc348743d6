#pragma once
// The harness's names for the shared test client (tests/support/https_client.h): HTTPS to a
// local listener whose certificate names another host, the way an in-cluster client would see
// it, and plain GETs on metrics and health listeners.

#include <string>

#include "tests/apiserver/https_test_client.h"
#include "tests/support/https_client.h"

namespace riposte::e2e {

using riposte::testing::HttpGet;
using riposte::testing::HttpsTarget;

// Throws std::runtime_error on connection or TLS failures.
inline testapi::RawResponse HttpsRequest(const HttpsTarget& target, const std::string& method, const std::string& path,
                                         const std::string& body = "", const std::string& content_type = "",
                                         const std::string& bearer_token = "") {
  return testapi::RawResponse{riposte::testing::VerifiedHttpsRequest(target, method, path, body, content_type, bearer_token)};
}

}  // namespace riposte::e2e
