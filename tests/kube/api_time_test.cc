#include "kube/api_time.h"

#include <gtest/gtest.h>

namespace riposte::kube {
namespace {

using namespace std::chrono;

// 2026-11-20T10:15:27Z
constexpr auto kT = sys_seconds(seconds(1795169727));

TEST(ApiTime, TimeIsWholeSecondsInUtc) {
  EXPECT_EQ(FormatTime(kT), "2026-11-20T10:15:27Z");
  // Fractions are cut, not rounded: the API server truncates metav1.Time the same way.
  EXPECT_EQ(FormatTime(kT + milliseconds(999)), "2026-11-20T10:15:27Z");
}

TEST(ApiTime, MicroTimeKeepsSixDigits) {
  EXPECT_EQ(FormatMicroTime(kT), "2026-11-20T10:15:27.000000Z");
  EXPECT_EQ(FormatMicroTime(kT + microseconds(42)), "2026-11-20T10:15:27.000042Z");
  EXPECT_EQ(FormatMicroTime(kT + microseconds(999999)), "2026-11-20T10:15:27.999999Z");
}

TEST(ApiTime, BeforeTheEpochStaysInItsSecond) {
  // floor, not truncation towards zero: -0.5 s is 23:59:59.5 of the day before.
  EXPECT_EQ(FormatMicroTime(system_clock::time_point(milliseconds(-500))), "1969-12-31T23:59:59.500000Z");
}

}  // namespace
}  // namespace riposte::kube
