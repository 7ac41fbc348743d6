#pragma once
// The query string of a request target, decoded the way the API server reads it: the test API
// server and the e2e suite's stub kubelet parse requests with this one function.

#include <string>
#include <utility>
#include <vector>

namespace riposte::testing {

// Percent-decoding with '+' as a space; a '%' not followed by two hex digits stays as it is.
std::string UrlDecode(const std::string& s);

// The decoded key=value pairs after the first '?' of `target`, in order (repeated keys kept;
// a key without '=' has an empty value; empty pairs skipped).
std::vector<std::pair<std::string, std::string>> ParseQuery(const std::string& target);

}  // namespace riposte::testing
