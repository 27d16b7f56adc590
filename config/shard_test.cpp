// Sharding: the stable hash, which probes a shard keeps, --shard, the pod ordinal and
// daemon.shard's errors.
#include "config/shard.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>

#include "config/loader.hpp"

namespace reznet::config {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(Shard, HashIsFnv1a64) {
  // The published FNV-1a 64 test vectors: a build on any platform agrees.
  EXPECT_EQ(ShardHash(""), 0xcbf29ce484222325ULL);
  EXPECT_EQ(ShardHash("a"), 0xaf63dc4c8601ec8cULL);
  EXPECT_EQ(ShardHash("foobar"), 0x85944171f73967e8ULL);
}

TEST(Shard, PinnedNamesKeepTheirShard) {
  // Changing these moves probes between running daemons: never without a note in the README.
  EXPECT_EQ(ShardOf("api_health", 2), 0);
  EXPECT_EQ(ShardOf("api_health", 3), 1);
  EXPECT_EQ(ShardOf("api_health", 5), 4);
  EXPECT_EQ(ShardOf("db", 2), 1);
  EXPECT_EQ(ShardOf("db", 3), 2);
  EXPECT_EQ(ShardOf("kv", 5), 3);
  EXPECT_EQ(ShardOf("anthropic_stream", 3), 1);
  EXPECT_EQ(ShardOf("anything", 1), 0);
}

TEST(Shard, EveryNameIsInExactlyOneShardAndShardsAreBalanced) {
  std::vector<std::string> names;
  for (int i = 0; i < 600; ++i) names.push_back("probe_" + std::to_string(i));
  for (int of = 1; of <= 5; ++of) {
    std::vector<int> count(of, 0);
    for (const auto& name : names) {
      int owners = 0;
      for (int index = 0; index < of; ++index) {
        if (InShard(name, {index, of})) {
          ++owners;
          ++count[index];
        }
      }
      EXPECT_EQ(owners, 1) << name << " of " << of;
    }
    for (int index = 0; index < of; ++index) {
      // 600 names: each shard within 25 % of an even split.
      EXPECT_GT(count[index], 600 / of * 3 / 4) << index << " of " << of;
      EXPECT_LT(count[index], 600 / of * 5 / 4) << index << " of " << of;
    }
  }
}

TEST(Shard, Flag) {
  EXPECT_EQ(ParseShardFlag("0/2"), (Shard{0, 2}));
  EXPECT_EQ(ParseShardFlag("4/5"), (Shard{4, 5}));
  EXPECT_EQ(ParseShardFlag("0/1"), (Shard{0, 1}));
  EXPECT_THAT(ParseShardFlag("2/2").error().detail, HasSubstr("shards of 2 are numbered 0 to 1"));
  EXPECT_THAT(ParseShardFlag("1").error().detail, HasSubstr("write I/N, like 0/3"));
  EXPECT_THAT(ParseShardFlag("a/3").error().detail, HasSubstr("write I/N"));
  EXPECT_THAT(ParseShardFlag("-1/3").error().detail, HasSubstr("numbered 0 to 2"));
  EXPECT_THAT(ParseShardFlag("0/0").error().detail, HasSubstr("N must be between 1 and"));
}

TEST(Shard, PodOrdinal) {
  EXPECT_EQ(PodOrdinal("reznet-perfd-2"), 2);
  EXPECT_EQ(PodOrdinal("perfd-shard-10"), 10);
  EXPECT_EQ(PodOrdinal("laptop"), std::nullopt);
  EXPECT_EQ(PodOrdinal("web-abc12"), std::nullopt);  // a Deployment's pod: no ordinal
  EXPECT_EQ(PodOrdinal("perfd-"), std::nullopt);
}

TEST(Shard, ResolveTakesFlagThenConfigThenEnvThenHostname) {
  const ShardConfig of3{std::nullopt, 3, 4};
  EXPECT_EQ(ResolveShard(of3, Shard{1, 2}, "2", "p-0"), (Shard{1, 2}));
  EXPECT_EQ(ResolveShard({1, 3, 4}, std::nullopt, "2", "p-0"), (Shard{1, 3}));
  EXPECT_EQ(ResolveShard(of3, std::nullopt, "2", "p-0"), (Shard{2, 3}));
  EXPECT_EQ(ResolveShard(of3, std::nullopt, "", "p-1"), (Shard{1, 3}));
  EXPECT_EQ(ResolveShard(of3, std::nullopt, nullptr, "p-2"), (Shard{2, 3}));
  EXPECT_EQ(ResolveShard({}, std::nullopt, "2", "p-1"), (Shard{0, 1}));  // not sharded
  EXPECT_THAT(ResolveShard(of3, std::nullopt, nullptr, "p-3").error().detail,
              HasSubstr("pod ordinal 3 (host name \"p-3\") is not below of 3"));
  EXPECT_THAT(ResolveShard(of3, std::nullopt, nullptr, "laptop").error().detail,
              HasSubstr("has no StatefulSet ordinal (-<n>): write index: 0 … 2, set "
                        "REZNET_SHARD_INDEX, or pass --shard I/3"));
  EXPECT_THAT(ResolveShard(of3, std::nullopt, "x", "p-0").error().detail,
              HasSubstr("REZNET_SHARD_INDEX=\"x\" is not a shard of 3"));
}

std::vector<std::string> ErrorsOf(const std::string& yaml) {
  try {
    LoadString(yaml, "t.yaml", {});
  } catch (const ConfigError& e) {
    return e.errors();
  }
  return {};
}

TEST(Shard, Config) {
  auto cfg = LoadString("daemon:\n  shard: { index: 1, of: 2 }\n", "t.yaml", {});
  EXPECT_EQ(cfg.daemon.shard, (ShardConfig{1, 2, 2}));
  cfg = LoadString("daemon:\n  shard: { of: 3 }\n", "t.yaml", {});
  EXPECT_EQ(cfg.daemon.shard, (ShardConfig{std::nullopt, 3, 2}));
  EXPECT_EQ(LoadString("daemon: {}\n", "t.yaml", {}).daemon.shard, ShardConfig{});
}

TEST(Shard, ConfigErrorsSayWhatToWrite) {
  EXPECT_THAT(ErrorsOf("daemon:\n  shard: { index: 2, of: 2 }\n"),
              ElementsAre("t.yaml:2:19: daemon.shard.index: 2 is not a shard of 2: write index: 0 "
                          "to 1 (shards count from 0), or leave index out to take the pod "
                          "ordinal"));
  EXPECT_THAT(ErrorsOf("daemon:\n  shard: { index: -1, of: 3 }\n"),
              ElementsAre(HasSubstr("t.yaml:2:19: daemon.shard.index: -1 is not a shard of 3")));
  EXPECT_THAT(ErrorsOf("daemon:\n  shard: { of: 0 }\n"),
              ElementsAre("t.yaml:2:16: daemon.shard.of: the number of daemons sharing the probes "
                          "is between 1 and 1024, got 0; write of: 1 (or leave shard out) to run "
                          "every probe here"));
  EXPECT_THAT(ErrorsOf("daemon:\n  shard: { index: 1 }\n"),
              ElementsAre(HasSubstr("t.yaml:2:10: daemon.shard: index without of: write of: N")));
  EXPECT_THAT(ErrorsOf("daemon:\n  shard: { index: 0, of: 2, count: 2 }\n"),
              ElementsAre(HasSubstr("daemon.shard.count")));
  EXPECT_THAT(ErrorsOf("daemon:\n  shard: { index: one, of: 2 }\n"),
              ElementsAre(HasSubstr("daemon.shard.index: expected a whole number, got \"one\"")));
}

}  // namespace
}  // namespace reznet::config
