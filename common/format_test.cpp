// Text for people: durations and joined lists.
#include "common/format.hpp"

#include <gtest/gtest.h>

namespace reznet::common {
namespace {

TEST(Join, PutsTheSeparatorOnlyBetweenItems) {
  EXPECT_EQ(Join({}, ", "), "");
  EXPECT_EQ(Join({"a"}, ", "), "a");
  EXPECT_EQ(Join({"a", "b", "c"}, ", "), "a, b, c");
  EXPECT_EQ(Join({"x", "", "y"}, "\n"), "x\n\ny");
}

TEST(FormatSeconds, PicksTheUnit) {
  EXPECT_EQ(FormatSeconds(0.000412), "412 µs");
  EXPECT_EQ(FormatSeconds(0.0123), "12.3 ms");
  EXPECT_EQ(FormatSeconds(1.25), "1.25 s");
}

}  // namespace
}  // namespace reznet::common
