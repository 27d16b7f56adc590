#include "common/error.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

namespace reznet::common {
namespace {

TEST(Catching, PassesResultsThroughAndTurnsExceptionsIntoInternalErrors) {
  EXPECT_EQ(Catching([] { return Result<int>(7); }).value(), 7);
  EXPECT_EQ(Catching([]() -> Result<int> { return Invalid("no"); }).error().kind,
            ErrorKind::kInvalid);
  const auto thrown = Catching([]() -> Result<void> { throw std::runtime_error("out of memory"); });
  ASSERT_FALSE(thrown.has_value());
  EXPECT_EQ(thrown.error().kind, ErrorKind::kInternal);
  EXPECT_EQ(thrown.error().detail, "out of memory");
}

}  // namespace
}  // namespace reznet::common
