// AdmissionReview bytes -> parse -> judge (default policy) -> response, exactly as the webhook
// handler runs them. Every answer must be valid JSON; a review with a uid must echo it.

#include <simdjson.h>

#include <cstdint>
#include <cstdlib>
#include <string>

#include "common/http_server.h"
#include "common/log.h"
#include "common/metrics.h"
#include "webhook/admission.h"
#include "webhook/handler.h"
#include "webhook/policy_watcher.h"

using namespace riposte;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static metrics::Registry* registry = [] {
    log::Init(log::Format::kJson, log::Level::kError);  // denials would flood the fuzzer's output
    return new metrics::Registry();
  }();
  static webhook::PolicyWatcher* policy = [] {
    auto* p = new webhook::PolicyWatcher("", registry);
    std::string err;
    if (!p->LoadInitial(&err)) std::abort();
    return p;
  }();
  static webhook::AdmissionHandler handler(policy, registry);

  http::Request req;
  req.method = "POST";
  req.path = "/validate/ingress";
  req.body.assign(reinterpret_cast<const char*>(data), size);
  http::Response res = handler.Handle(req);

  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(res.body).get(root)) std::abort();  // we produced invalid JSON
  webhook::ParseResult parsed = webhook::ParseAdmissionReview(req.body);
  if (parsed.status == webhook::ParseStatus::kBadRequest) {
    if (res.status != 400) std::abort();
  } else {
    std::string_view uid;
    if (res.status != 200 || root["response"]["uid"].get(uid) || uid != parsed.request.uid) std::abort();
  }
  return 0;
}
