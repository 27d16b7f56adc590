#include "clients/error.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace reznet::clients {
namespace {

// The labels are a contract (dashboards and alerts match on them): each kind has its own,
// snake_case, and the ones users already match on are spelled as before.
TEST(ErrorKind, EveryKindHasItsOwnSnakeCaseLabel) {
  std::set<std::string_view> seen;
  for (int k = 0; k <= static_cast<int>(ErrorKind::kInternal); ++k) {
    const std::string_view label = ToString(static_cast<ErrorKind>(k));
    EXPECT_TRUE(seen.insert(label).second) << "two kinds share the label " << label;
    EXPECT_FALSE(label.empty());
    for (const char c : label)
      EXPECT_TRUE((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_') << label;
  }
  EXPECT_EQ(ToString(ErrorKind::kBodyTooLarge), "body_too_large");
  EXPECT_EQ(ToString(ErrorKind::kHttp5xx), "http_5xx");
  EXPECT_EQ(ToString(ErrorKind::kNoFirstToken), "no_first_token");
  EXPECT_EQ(ToString(ErrorKind::kInternal), "internal");
}

}  // namespace
}  // namespace reznet::clients
