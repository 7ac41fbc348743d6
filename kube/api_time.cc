#include "kube/api_time.h"

#include <cstdio>
#include <ctime>

namespace riposte::kube {
namespace {

// "YYYY-MM-DDTHH:MM:SS" of the whole second `t` falls in; returns the length written.
size_t FormatSeconds(std::chrono::system_clock::time_point t, char* buf, size_t size) {
  const time_t tt = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  return std::strftime(buf, size, "%Y-%m-%dT%H:%M:%S", &tm);
}

}  // namespace

std::string FormatTime(std::chrono::system_clock::time_point t) {
  char buf[40];
  const size_t n = FormatSeconds(std::chrono::floor<std::chrono::seconds>(t), buf, sizeof buf);
  std::snprintf(buf + n, sizeof buf - n, "Z");
  return buf;
}

std::string FormatMicroTime(std::chrono::system_clock::time_point t) {
  const auto secs = std::chrono::floor<std::chrono::seconds>(t);
  char buf[40];
  const size_t n = FormatSeconds(secs, buf, sizeof buf);
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(t - secs).count();
  std::snprintf(buf + n, sizeof buf - n, ".%06lldZ", static_cast<long long>(us));
  return buf;
}

}  // namespace riposte::kube
