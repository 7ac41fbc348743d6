#pragma once
// Shared fixture for the API test server's own suites: one server process per suite, JSON
// request helpers and deadline-based waiting.

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "tests/apiserver/test_apiserver_process.h"
#include "tests/support/eventually.h"

namespace riposte::testapi {

class ApiServerSuite : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    TestApiServerOptions opts;
    opts.history_size = 1000;
    server_ = std::make_unique<TestApiServerProcess>(opts);
  }
  static void TearDownTestSuite() { server_.reset(); }
  void SetUp() override {
    if (!server_->running()) server_->Start();
    server_->ClearFaults();
  }

  static TestApiServerProcess& S() { return *server_; }

  static RawResponse Call(const std::string& method, const std::string& path,
                          const std::string& body = "",
                          const std::string& content_type = "application/json") {
    return S().Api(method, path, body, content_type);
  }
  static web::json::value J(const std::string& s) { return web::json::value::parse(s); }

  // A fresh namespace per test keeps the tests independent on the shared server.
  static std::string NewNamespace(const std::string& prefix) {
    static int counter = 0;
    std::string name = prefix + "-" + std::to_string(++counter);
    auto r = Call("POST", "/api/v1/namespaces", R"({"metadata":{"name":")" + name + R"("}})");
    EXPECT_EQ(r.status, 201) << r.body;
    return name;
  }
  static RawResponse CreatePod(const std::string& ns, const std::string& name,
                               const std::string& labels = "{}") {
    return Call("POST", "/api/v1/namespaces/" + ns + "/pods",
                R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":")" + name +
                    R"(","labels":)" + labels +
                    R"(},"spec":{"containers":[{"name":"app","image":"nginx:1"}]}})");
  }

  static inline std::unique_ptr<TestApiServerProcess> server_;
};

}  // namespace riposte::testapi
