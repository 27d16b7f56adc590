// The built-in kinds' traits keep what central tables used to say (issue #12: behaviour
// unchanged): default suite profiles and samples, on-demand load tests, ratio gauges, labels.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "probes/probe.hpp"

namespace reznet::probes {
namespace {

using ::testing::ElementsAre;

struct Want {
  int samples;
  std::vector<std::string> profiles;
  bool on_demand;
  std::string chart_phase;
};

TEST(BuiltinKinds, DeclareTheirSuiteDefaultsAndSchedule) {
  ProbeRegistry registry;
  RegisterBuiltinProbes(registry);
  const std::map<std::string, Want> want = {
      {"http", {30, {"quick", "standard"}, false, "total"}},
      {"llm", {5, {"standard"}, false, "total"}},
      {"agent", {10, {"standard"}, false, "total"}},
      {"postgres", {20, {"quick", "standard"}, false, "query"}},
      {"redis", {20, {"quick", "standard"}, false, "get"}},
      {"cache", {1, {"quick", "standard"}, false, "total"}},
      {"load", {1, {"load"}, true, "request"}},
  };
  ASSERT_EQ(registry.Kinds().size(), want.size());
  for (const auto& [kind, w] : want) {
    SCOPED_TRACE(kind);
    const config::KindTraits& t = registry.Kinds().at(kind);
    EXPECT_EQ(t.name, kind);
    EXPECT_EQ(t.default_samples, w.samples);
    EXPECT_EQ(t.profiles, w.profiles);
    EXPECT_EQ(t.on_demand, w.on_demand);
    EXPECT_EQ(t.chart_phase, w.chart_phase);
  }
}

// (counter, gauge) of each ratio a kind declares.
std::vector<std::pair<std::string, std::string>> Ratios(const std::vector<config::KindRatio>& rs) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& r : rs) out.emplace_back(r.counter, r.gauge);
  return out;
}

TEST(BuiltinKinds, DeclareTheirRatioGaugesAndLabels) {
  ProbeRegistry registry;
  RegisterBuiltinProbes(registry);
  const auto& kinds = registry.Kinds();
  using R = std::pair<std::string, std::string>;
  EXPECT_THAT(Ratios(kinds.at("cache").ratios),
              ElementsAre(R{"query_reduction", "reznet_perf_cache_query_reduction_ratio"},
                          R{"hit_ratio", "reznet_perf_cache_hit_ratio"}));
  EXPECT_THAT(Ratios(kinds.at("redis").ratios),
              ElementsAre(R{"hit_ratio", "reznet_perf_cache_hit_ratio"}));
  EXPECT_THAT(Ratios(kinds.at("load").ratios),
              ElementsAre(R{"error_rate", ""}, R{"throughput_rps", ""}, R{"dropped", ""}));
  EXPECT_TRUE(kinds.at("http").ratios.empty());
  // The LLM kinds add their token series; the others none.
  EXPECT_EQ(kinds.at("llm").metrics.size(), 3u);
  EXPECT_EQ(kinds.at("agent").metrics, kinds.at("llm").metrics);
  EXPECT_TRUE(kinds.at("http").metrics.empty());
  EXPECT_THAT(kinds.at("llm").labels, ElementsAre("provider", "model"));
  EXPECT_THAT(kinds.at("agent").labels, ElementsAre("provider", "model"));
  EXPECT_TRUE(kinds.at("postgres").labels.empty());
  EXPECT_THAT(kinds.at("postgres").phases, ElementsAre("connect", "query", "query:*"));
  EXPECT_EQ(kinds.at("agent").phases, kinds.at("llm").phases);
}

}  // namespace
}  // namespace reznet::probes
