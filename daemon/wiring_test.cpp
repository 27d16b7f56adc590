// Which scheduled probes and continuous NFR rules a shard keeps (daemon/wiring.hpp).
#include "daemon/wiring.hpp"

#include <gtest/gtest.h>

#include <map>
#include <string>

namespace reznet::daemon {
namespace {

// 200 interval probes and one on-demand (load) probe, an NFR on each.
config::Config Probes() {
  config::Config c;
  for (int i = 0; i <= 200; ++i) {
    config::ProbeConfig p;
    p.name = "probe_" + std::to_string(i);
    p.traits.on_demand = i == 200;
    c.probes.push_back(p);
    config::NfrRule rule;
    rule.name = "nfr_" + std::to_string(i);
    rule.probe = p.name;
    c.nfrs.push_back(rule);
  }
  return c;
}

TEST(Sharding, ShardsSplitScheduledProbesAndTheirRulesExactlyOnce) {
  const auto c = Probes();
  for (int of = 1; of <= 4; ++of) {
    std::map<std::string, int> probe_owners, rule_owners;
    for (int index = 0; index < of; ++index) {
      const config::Shard shard{index, of};
      for (const auto& p : c.probes) {
        if (ScheduledHere(p, shard)) ++probe_owners[p.name];
      }
      for (const auto& rule : ContinuousRules(c, shard)) {
        ++rule_owners[rule.name];
        // A rule is judged on the shard that runs its probe.
        EXPECT_TRUE(ScheduledHere(*c.FindProbe(rule.probe), shard)) << rule.name;
      }
    }
    EXPECT_EQ(probe_owners.size(), 200u) << of;
    EXPECT_EQ(rule_owners.size(), 200u) << of;
    for (const auto& [name, owners] : probe_owners) EXPECT_EQ(owners, 1) << name;
    for (const auto& [name, owners] : rule_owners) EXPECT_EQ(owners, 1) << name;
    EXPECT_FALSE(probe_owners.count("probe_200"));  // on demand: run by suites, never scheduled
    EXPECT_FALSE(rule_owners.count("nfr_200"));
  }
}

TEST(Sharding, ShardForTakesTheFlagAndNamesTheFileLineOnErrors) {
  config::Config c;
  c.source = "perfd.yaml";
  c.daemon.shard = {std::nullopt, 2, 7};
  EXPECT_EQ(ShardFor(c, config::Shard{1, 2}), (config::Shard{1, 2}));
  c.daemon.shard.index = 0;
  EXPECT_EQ(ShardFor(c, std::nullopt), (config::Shard{0, 2}));
  c.daemon.shard.index.reset();
  ::setenv("REZNET_SHARD_INDEX", "5", 1);
  try {
    ShardFor(c, std::nullopt);
    ADD_FAILURE() << "no error";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(),
                 "perfd.yaml:7: daemon.shard: REZNET_SHARD_INDEX=\"5\" is not a shard of 2: write "
                 "a number from 0 to 1");
  }
  ::setenv("REZNET_SHARD_INDEX", "1", 1);
  EXPECT_EQ(ShardFor(c, std::nullopt), (config::Shard{1, 2}));
  ::unsetenv("REZNET_SHARD_INDEX");
}

}  // namespace
}  // namespace reznet::daemon
