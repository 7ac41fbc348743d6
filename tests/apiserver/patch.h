#pragma once
// The patch formats the apiserver accepts: JSON merge patch (RFC 7386), JSON patch (RFC 6902)
// and strategic merge patch for built-in kinds. Failures throw ApiError with the real codes.

#include <cpprest/json.h>

namespace riposte::testapi {

web::json::value ApplyMergePatch(const web::json::value& target, const web::json::value& patch);

// Throws ApiError 400 when the patch is not a JSON array of operations, 422 when an operation
// fails (including a failed "test").
web::json::value ApplyJsonPatch(const web::json::value& target, const web::json::value& patch);

// Strategic merge with the merge keys of the built-in Kubernetes types (containers by name,
// ports by containerPort, ownerReferences by uid, finalizers merged as a set, ...) and the
// $patch / $deleteFromPrimitiveList / $setElementOrder / $retainKeys directives.
web::json::value ApplyStrategicMergePatch(const web::json::value& target,
                                          const web::json::value& patch);

}  // namespace riposte::testapi
