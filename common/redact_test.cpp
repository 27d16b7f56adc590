// Secret scrubbing: what reaches logs, outcomes and reports.
#include "common/redact.hpp"

#include <gtest/gtest.h>

namespace reznet::common {
namespace {

TEST(Redactor, ReplacesEverySecretLongestFirst) {
  Redactor r;
  r.Add("sk-abc");
  r.Add("sk-abcdef");
  EXPECT_EQ(r.Scrub("invalid x-api-key: sk-abcdef (also sk-abc)"),
            "invalid x-api-key: *** (also ***)");
  EXPECT_TRUE(r.Contains("key sk-abc"));
  EXPECT_FALSE(r.Contains("no secret here"));
}

TEST(Redactor, IgnoresShortSecretsAndKeepsOtherText) {
  Redactor r;
  r.Add("ok");
  r.Add("");
  EXPECT_TRUE(r.Empty());
  EXPECT_EQ(r.Scrub("ok"), "ok");
}

TEST(MaskUrlUserInfo, HidesThePasswordOnly) {
  EXPECT_EQ(MaskUrlUserInfo("redis://:pw@127.0.0.1:6379/0"), "redis://:***@127.0.0.1:6379/0");
  EXPECT_EQ(MaskUrlUserInfo("http://user:p@ss@host/a@b"), "http://user:***@host/a@b");
  EXPECT_EQ(MaskUrlUserInfo("https://token@host"), "https://***@host");
  EXPECT_EQ(MaskUrlUserInfo("http://host:80/x"), "http://host:80/x");
  EXPECT_EQ(MaskUrlUserInfo("not a url"), "not a url");
}

}  // namespace
}  // namespace reznet::common
