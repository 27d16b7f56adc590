// FormatUtc: each named pattern, whole seconds cut (never rounded up), milliseconds rounded.
#include "common/time.hpp"

#include <gtest/gtest.h>

namespace reznet::common {
namespace {

using namespace std::chrono_literals;

constexpr double kT = 1764522400;  // 2025-11-30 17:06:40 UTC

TEST(FormatUtc, NamedPatterns) {
  EXPECT_EQ(FormatUtc(kT, kRfc3339), "2025-11-30T17:06:40Z");
  EXPECT_EQ(FormatUtc(kT + 0.25, kRfc3339Millis), "2025-11-30T17:06:40.250Z");
  EXPECT_EQ(FormatUtc(kT, kReadable), "2025-11-30 17:06:40 UTC");
  EXPECT_EQ(FormatUtc(kT, kClock), "17:06:40");
  EXPECT_EQ(FormatUtc(kT, kCompactStamp), "20251130T170640Z");
  EXPECT_EQ(FormatUtc(0, kRfc3339), "1970-01-01T00:00:00Z");
  EXPECT_EQ(FormatUtc(951782400, kReadable), "2000-02-29 00:00:00 UTC");
}

TEST(FormatUtc, WholeSecondsAreCutNotRounded) {
  EXPECT_EQ(FormatUtc(59.999, kClock), "00:00:59");
  EXPECT_EQ(FormatUtc(kT + 0.999, kCompactStamp), "20251130T170640Z");
}

TEST(FormatUtc, MillisecondsRoundToNearestWithoutCarryingIntoTheNextSecond) {
  EXPECT_EQ(FormatUtc(10.0004, kRfc3339Millis), "1970-01-01T00:00:10.000Z");
  EXPECT_EQ(FormatUtc(10.0006, kRfc3339Millis), "1970-01-01T00:00:10.001Z");
  EXPECT_EQ(FormatUtc(10.1234, kRfc3339Millis), "1970-01-01T00:00:10.123Z");
  EXPECT_EQ(FormatUtc(10.9996, kRfc3339Millis), "1970-01-01T00:00:10.999Z");
}

TEST(FormatUtc, TimePointsAndUnixSeconds) {
  const std::chrono::system_clock::time_point t{std::chrono::seconds(1764522400) + 250ms};
  EXPECT_EQ(FormatUtc(t, kRfc3339Millis), "2025-11-30T17:06:40.250Z");
  EXPECT_DOUBLE_EQ(UnixSeconds(t), kT + 0.25);
}

}  // namespace
}  // namespace reznet::common
