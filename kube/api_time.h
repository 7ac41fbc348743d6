#pragma once
// Timestamps as the Kubernetes API writes them: metav1.Time (RFC 3339, UTC, whole seconds) and
// metav1.MicroTime (RFC 3339, UTC, microseconds; Lease renew/acquire times, Events' eventTime).

#include <chrono>
#include <string>

namespace riposte::kube {

// "2026-11-20T10:15:27Z"
std::string FormatTime(std::chrono::system_clock::time_point t);
// "2026-11-20T10:15:27.123456Z"
std::string FormatMicroTime(std::chrono::system_clock::time_point t);

}  // namespace riposte::kube
