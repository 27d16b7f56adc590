#include "config/units.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace reznet::config {
namespace {

using namespace std::chrono_literals;

TEST(Duration, ParsesUnits) {
  EXPECT_EQ(*ParseDuration("250ms"), 250ms);
  EXPECT_EQ(*ParseDuration("5s"), 5s);
  EXPECT_EQ(*ParseDuration("2m"), 2min);
  EXPECT_EQ(*ParseDuration("1h"), 1h);
  EXPECT_EQ(*ParseDuration("1.5s"), 1500ms);
  EXPECT_EQ(*ParseDuration("100us"), 100us);
  EXPECT_EQ(*ParseDuration("1m30s"), 90s);
  EXPECT_EQ(*ParseDuration("10ns"), 10ns);
}

TEST(Duration, RejectsMissingUnitAndGarbage) {
  auto bare = ParseDuration("5");
  ASSERT_FALSE(bare);
  EXPECT_EQ(bare.error().detail,
            "expected a duration like \"250ms\", \"5s\" or \"2m\", got \"5\" (missing unit: ns, "
            "us, ms, s, m, h)");
  EXPECT_FALSE(ParseDuration("5 s"));
  EXPECT_FALSE(ParseDuration("fast"));
  EXPECT_FALSE(ParseDuration(""));
  EXPECT_FALSE(ParseDuration("-1s"));
  EXPECT_FALSE(ParseDuration("5sec"));
}

TEST(Duration, FormatsShortest) {
  EXPECT_EQ(FormatDuration(1min), "1m");
  EXPECT_EQ(FormatDuration(90s), "1m30s");
  EXPECT_EQ(FormatDuration(1h), "1h");
  EXPECT_EQ(FormatDuration(250ms), "250ms");
  EXPECT_EQ(FormatDuration(0s), "0s");
}

TEST(Ratio, PercentAndFraction) {
  EXPECT_DOUBLE_EQ(*ParseRatio("60%"), 0.6);
  EXPECT_DOUBLE_EQ(*ParseRatio("0.6"), 0.6);
  EXPECT_DOUBLE_EQ(*ParseRatio("100%"), 1.0);
  EXPECT_EQ(ParseRatio("160%").error().detail, "ratio \"160%\" is outside 0%..100%");
  EXPECT_FALSE(ParseRatio("sixty"));
  EXPECT_FALSE(ParseRatio("%"));
}

TEST(Url, HostAndPathAreCheckedAsTheyGoOnTheWire) {
  // Issue #24: a zone id and a legacy number reached the resolver; a CR LF split the request.
  EXPECT_THAT(ParseUrl("http://[::ffff:127.0.0.1%x.example.test]:80/").error().detail,
              ::testing::HasSubstr("zone id"));
  EXPECT_THAT(ParseUrl("http://0x7f000001/").error().detail, ::testing::HasSubstr("dotted quad"));
  EXPECT_THAT(ParseUrl("http://h/a HTTP/1.1\r\nX: y").error().detail,
              ::testing::HasSubstr("' ' at 11 is not allowed in a URL path"));
  auto mapped = ParseUrl("http://[::FFFF:10.0.0.1]:8080/a%20b");
  ASSERT_TRUE(mapped) << mapped.error().detail;
  EXPECT_EQ(mapped->ToString(), "http://[::ffff:10.0.0.1]:8080/a%20b");
}

TEST(Url, SplitsAndValidates) {
  auto u = ParseUrl("http://127.0.0.1:8000/base/");
  ASSERT_TRUE(u) << u.error().detail;
  EXPECT_EQ(u->host.text, "127.0.0.1");
  EXPECT_EQ(u->port, 8000);
  EXPECT_EQ(u->path, "/base");
  EXPECT_EQ(u->HostHeader(), "127.0.0.1:8000");
  auto s = ParseUrl("https://api.anthropic.com");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->port, 443);
  EXPECT_EQ(s->HostHeader(), "api.anthropic.com");
  EXPECT_FALSE(ParseUrl("127.0.0.1:8000"));
  EXPECT_FALSE(ParseUrl("ftp://x"));
  EXPECT_FALSE(ParseUrl("http://host:99999"));
  auto creds = ParseUrl("http://user:secret@host");
  ASSERT_FALSE(creds);
  EXPECT_NE(creds.error().detail.find("credentials"), std::string::npos);
}

TEST(Env, ExpandsWithDefaults) {
  EnvLookup env = [](const std::string& name) -> std::optional<std::string> {
    if (name == "HOST") return "db.local";
    if (name == "EMPTY") return "";
    return std::nullopt;
  };
  EXPECT_EQ(*ExpandEnv("host=${HOST} port=${PORT:-5432}", env), "host=db.local port=5432");
  EXPECT_EQ(*ExpandEnv("${EMPTY:-fallback}", env), "fallback");
  EXPECT_EQ(*ExpandEnv("${EMPTY}", env), "");
  EXPECT_EQ(*ExpandEnv("cost $$5 and $x", env), "cost $5 and $x");
  auto missing = ExpandEnv("key=${API_KEY}", env);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().detail,
            "environment variable API_KEY is not set; set it or write ${API_KEY:-default}");
  EXPECT_FALSE(ExpandEnv("${UNTERMINATED", env));
}

}  // namespace
}  // namespace reznet::config
