// What the rest of the daemon knows of the load kind (its traits); the engine's parts are tested
// in engine_test.cpp, load_config_test.cpp, load_stats_test.cpp, http1_test.cpp, request_test.cpp,
// and whole runs in tests/integration.
#include "probes/load/load_probe.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config/module.hpp"

namespace reznet::probes::load {
namespace {

using ::testing::ElementsAre;

std::vector<std::pair<std::string, std::string>> Ratios(const std::vector<config::KindRatio>& rs) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& r : rs) out.emplace_back(r.counter, r.gauge);
  return out;
}

TEST(LoadKind, RunsOnlyOnDemandInTheLoadProfile) {
  const config::KindTraits t = LoadProbe::Traits();
  EXPECT_EQ(t.name, "load");
  EXPECT_EQ(t.default_samples, 1);
  EXPECT_EQ(t.profiles, (std::vector<std::string>{"load"}));
  EXPECT_TRUE(t.on_demand);
  EXPECT_EQ(t.chart_phase, "request");
  EXPECT_EQ(t.address, nullptr);
  // Its ratios feed `stat: ratio` rules; none is a gauge of its own.
  using R = std::pair<std::string, std::string>;
  EXPECT_THAT(Ratios(t.ratios),
              ElementsAre(R{"error_rate", ""}, R{"throughput_rps", ""}, R{"dropped", ""}));
}

}  // namespace
}  // namespace reznet::probes::load
