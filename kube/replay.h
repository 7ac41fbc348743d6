#pragma once
// Recognising that a replayed write had already been applied: after a lost response the
// client retries a create or an update, gets AlreadyExists or Conflict, and compares what it
// sent with what the server holds (which adds defaults and metadata).

#include <cpprest/json.h>

namespace riposte::kube::internal {

// True when every field of `want` is present in `got` with an equal value (objects compared
// recursively, arrays element-wise with equal length; a null in `want` matches a missing
// field).
bool JsonSubset(const web::json::value& want, const web::json::value& got);

}  // namespace riposte::kube::internal
