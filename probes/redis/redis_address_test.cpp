#include "probes/redis/redis_address.hpp"

#include <gtest/gtest.h>

#include "probes/redis/redis_probe.hpp"

namespace reznet::probes::redis {
namespace {

// Through the kind's traits, as a module or a discovered target reaches it.
common::Result<config::Addressed> Put(const config::TargetConfig& tmpl, std::string_view address) {
  return config::WithAddress(tmpl, RedisProbe::Traits().address, address);
}

TEST(RedisAddress, TakesHostAndPortIntoTheTemplate) {
  config::TargetConfig redis;
  redis.redis_url = "redis://user@placeholder:6379/2";
  auto r = Put(redis, "cache.svc:6380");
  ASSERT_TRUE(r.has_value()) << r.error().detail;
  EXPECT_EQ(r->target.redis_url, "redis://user@cache.svc:6380/2");
  EXPECT_EQ(r->where.ToString(), "cache.svc:6380");
  auto url = Put(config::TargetConfig{}, "redis://10.0.0.5");
  ASSERT_TRUE(url.has_value()) << url.error().detail;
  EXPECT_EQ(url->target.redis_url, "redis://10.0.0.5:6379");
}

TEST(RedisAddress, RefusesOtherSchemes) {
  auto r = Put(config::TargetConfig{}, "http://cache.svc:6379");
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().detail.find("write redis://host:port or host:port"), std::string::npos)
      << r.error().detail;
}

}  // namespace
}  // namespace reznet::probes::redis
