// CPU pressure from /proc/pressure/cpu (common/cpu_pressure.hpp).
#include "common/cpu_pressure.hpp"

#include <gtest/gtest.h>

namespace reznet::common {
namespace {

TEST(CpuPressure, ReadsTheSomeLinesTotal) {
  const auto s = ParseCpuStallSeconds(
      "some avg10=1.50 avg60=0.80 avg300=0.20 total=12345678\n"
      "full avg10=0.00 avg60=0.00 avg300=0.00 total=999\n");
  ASSERT_TRUE(s);
  EXPECT_DOUBLE_EQ(*s, 12.345678);
}

TEST(CpuPressure, NothingToReadIsNoValue) {
  EXPECT_FALSE(ParseCpuStallSeconds(""));
  EXPECT_FALSE(ParseCpuStallSeconds("full avg10=0.00 total=5\n"));
  EXPECT_FALSE(ParseCpuStallSeconds("some avg10=0.00 avg60=0.00\n"));
  EXPECT_FALSE(ParseCpuStallSeconds("some avg10=0.00 total=x\n"));
}

}  // namespace
}  // namespace reznet::common
